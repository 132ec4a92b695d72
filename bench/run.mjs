#!/usr/bin/env node
/**
 * `node bench/run.mjs [--size tiny|full] [--out DIR] [--only 1,2,…] [--profile]`
 *
 * Compiles bench/*.ts (bench/tsconfig.json → bench/.tmp/dist, against the packages' built dist/,
 * so run `pnpm build` first) and runs every benchmark. Writes DIR/results.md and DIR/results.json
 * (DIR defaults to bench/). Benchmarks assert nothing: they measure.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('bench: compiling bench/ failed (is `pnpm build` done?)');
  process.exit(compiled.status ?? 1);
}
const { main } = await import(pathToFileURL(join(here, '.tmp/dist/main.js')).href);
await main(process.argv.slice(2));
