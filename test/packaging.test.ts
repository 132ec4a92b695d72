/**
 * Release-ready packages (issue 15, items 11 and 12): the tarballs `pnpm pack` makes hold what a
 * user needs and nothing else, pass publint and Are The Types Wrong (profile esm-only: the packages
 * are ESM, and `require()` of them works on Node ≥ 20.19, which the scratch project below proves
 * with `module: node20`), install with plain npm into an empty project outside the workspace and
 * work there (ESM import, require, the bins through npx, types under node16, nodenext, bundler and
 * node20), and a dry run of the release passes. It needs the npm registry (for the packages'
 * dependencies), like CI's install.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['core', 'waiter', 'simulator'] as const;
const run = promisify(execFile);
let packs: string;
let scratch: string;
let installLog = '';
const tarball: Record<string, string> = {};

/** The pnpm running this suite (`pnpm test`), else the pinned one through npx. */
const pnpm = (): [string, string[]] => {
  const execpath = process.env['npm_execpath'] ?? '';
  return /pnpm/.test(execpath) ? [process.execPath, [execpath]] : ['npx', ['-y', 'pnpm@10.34.9']];
};

/**
 * The environment of a user's shell: without the `npm_*` variables that `pnpm test` sets for its
 * scripts (npm would warn about pnpm-only settings such as `verify-deps-before-run`).
 */
const userEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

/** Files of a tarball, without the `package/` prefix. */
const listTarball = async (file: string): Promise<string[]> =>
  (await run('tar', ['tzf', file])).stdout
    .trim()
    .split('\n')
    .map((f) => f.replace(/^package\//, ''));

const readFromTarball = async (file: string, path: string): Promise<string> =>
  (await run('tar', ['xzf', file, '-O', `package/${path}`], { maxBuffer: 64 * 1024 * 1024 })).stdout;

beforeAll(async () => {
  await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: root,
  });
  packs = mkdtempSync(join(tmpdir(), 'cag-packs-'));
  const [command, args] = pnpm();
  for (const name of PACKAGES) {
    await run(command, [...args, 'pack', '--pack-destination', packs], { cwd: join(root, 'packages', name) });
  }
  for (const file of readdirSync(packs)) {
    const name = PACKAGES.find((p) => file.startsWith(`cloud-assistant-gate-${p}-`));
    if (name !== undefined) tarball[name] = join(packs, file);
  }
  // A project outside the workspace, installing the tarballs with plain npm.
  scratch = mkdtempSync(join(tmpdir(), 'cag-scratch-'));
  writeFileSync(
    join(scratch, 'package.json'),
    '{ "name": "scratch", "version": "1.0.0", "private": true }\n',
  );
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=warn', ...PACKAGES.map((p) => tarball[p]!)],
    { cwd: scratch, env: userEnv() },
  );
  installLog = install.stdout + install.stderr;
}, 180_000);

afterAll(() => {
  if (packs) rmSync(packs, { recursive: true, force: true });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('a fresh install', () => {
  it('links every bin to a committed file, so nothing warns "Failed to create bin" before a build', async () => {
    const committed = new Set((await run('git', ['ls-files'], { cwd: root })).stdout.trim().split('\n'));
    let bins = 0;
    for (const dir of ['packages/core', 'packages/waiter', 'packages/simulator']) {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
        bin?: Record<string, string>;
      };
      for (const target of Object.values(pkg.bin ?? {})) {
        bins++;
        const path = join(dir, target).replace(/\\/g, '/');
        expect(committed, path).toContain(path);
        expect(path).not.toMatch(/\/dist\//);
      }
    }
    expect(bins).toBe(2);
  });
});

describe('the packed tarballs', () => {
  it.each(PACKAGES)(
    '%s: dist, the sources its maps point at, LICENSE, README, CHANGELOG; no .tsbuildinfo',
    async (name) => {
      const files = await listTarball(tarball[name]!);
      expect(files).toEqual(expect.arrayContaining(['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md']));
      expect(files.filter((f) => f.includes('tsbuildinfo'))).toEqual([]);
      expect(files.filter((f) => f.includes('/test/') || f.endsWith('.test.ts'))).toEqual([]);
      // Every source a map names is in the tarball.
      const maps = files.filter((f) => f.endsWith('.map'));
      expect(maps.length).toBeGreaterThan(0);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFromTarball(tarball[name]!, map)) as { sources: string[] };
        for (const source of sources) {
          const resolved = join(map, '..', source).replace(/\\/g, '/');
          expect(files, `${map} → ${source}`).toContain(resolved);
        }
      }
      const pkg = JSON.parse(await readFromTarball(tarball[name]!, 'package.json')) as Record<
        string,
        unknown
      >;
      expect(pkg).toMatchObject({
        license: 'MIT',
        engines: { node: '>=20.18.1' },
        repository: { type: 'git', directory: `packages/${name}` },
      });
      expect(pkg['homepage']).toMatch(/^https:\/\//);
      expect((pkg['keywords'] as string[]).length).toBeGreaterThan(3);
      expect(JSON.stringify(pkg)).not.toContain('workspace:');
    },
  );

  it.each(PACKAGES)('%s passes publint (strict, suggestions included)', async (name) => {
    const { publint } = await import('publint');
    const bytes = readFileSync(tarball[name]!);
    const result = await publint({
      pack: {
        tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      },
      level: 'suggestion',
      strict: true,
    });
    expect(result.messages).toEqual([]);
  });

  it.concurrent.each(PACKAGES)('%s passes Are The Types Wrong (profile esm-only)', async (name) => {
    const cli = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    // Exit code 0: no problem the profile counts. The one it ignores is that a CommonJS `require`
    // under TypeScript's node16 model gets an ES module: true of every ESM-only package, and Node
    // ≥ 20.19 does require() it (the scratch project below typechecks that with module node20).
    const { stdout } = await run(
      process.execPath,
      [cli, tarball[name]!, '--profile', 'esm-only', '--format', 'json'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const report = JSON.parse(stdout) as {
      analysis: { problems: { kind: string; resolutionKind?: string }[] };
    };
    for (const problem of report.analysis.problems) {
      expect(problem).toMatchObject({ kind: 'CJSResolvesToESM', resolutionKind: 'node16-cjs' });
    }
  });
});

describe('an empty project outside the workspace, installing the tarballs with plain npm', () => {
  it('installs without a warning', () => {
    expect(installLog, installLog).not.toMatch(/warn|ERR/i);
  });

  const env = () => ({
    PATH: process.env['PATH'] ?? '',
    HOME: scratch,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'testid',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'testsecret',
  });

  const PROGRAM = `
const sim = await startEcsSimulator({ fleets: [{ count: 3, bootMs: { kind: 'fixed', ms: 0 } }] });
const ecs = createEcsClient({ region: sim.region, endpoint: sim.endpoint, credentials: sim.credentials });
try {
  const report = await waitForCloudAssistant(sim.fleet.ids(), { client: ecs, minReady: '100%' });
  console.log(\`\${report.ready.length} ready\`);
} finally {
  await ecs.close();
  await sim.close();
}`;

  it('imports the packages as ES modules', async () => {
    writeFileSync(
      join(scratch, 'esm.mjs'),
      `import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
${PROGRAM}\n`,
    );
    const { stdout } = await run(process.execPath, ['esm.mjs'], { cwd: scratch, env: env() });
    expect(stdout.trim()).toBe('3 ready');
  });

  it('requires them from CommonJS (Node ≥ 20.19)', async () => {
    writeFileSync(
      join(scratch, 'cjs.cjs'),
      `const { createEcsClient } = require('@cloud-assistant-gate/core');
const { startEcsSimulator } = require('@cloud-assistant-gate/simulator');
const { waitForCloudAssistant } = require('@cloud-assistant-gate/waiter');
(async () => {${PROGRAM}
})();\n`,
    );
    const { stdout, stderr } = await run(process.execPath, ['cjs.cjs'], { cwd: scratch, env: env() });
    expect(stdout.trim()).toBe('3 ready');
    expect(stderr).toBe('');
  });

  it('runs the bins through npx', async () => {
    const help = await run('npx', ['cloud-assistant-gate', '--help'], { cwd: scratch, env: env() });
    expect(help.stdout).toContain('cloud-assistant-gate wait [options] [ID...]');
    const sim = await run('npx', ['cloud-assistant-gate-sim', '--help'], { cwd: scratch, env: env() });
    expect(sim.stdout).toContain('Usage: cloud-assistant-gate-sim');
  });

  it('has types under node16, nodenext, bundler and node20 (CommonJS requiring the ES modules)', () => {
    const body = `
export async function gate(ids: readonly string[]): Promise<ReadinessReport> {
  const ecs = createEcsClient({ region: 'cn-hangzhou' });
  try {
    return await waitForCloudAssistant(ids, { client: ecs, minReady: '90%', firstAnswerTimeoutMs: 30_000 });
  } catch (error) {
    if (isCloudAssistantTimeoutError(error)) for (const p of error.pending) console.error(p.instanceId, p.reason);
    throw error;
  } finally {
    await ecs.close();
  }
}
export const sim: Promise<EcsSimulator> = startEcsSimulator({ seed: 1 });
`;
    const esm = `import { createEcsClient } from '@cloud-assistant-gate/core';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { isCloudAssistantTimeoutError, type ReadinessReport, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
${body}`;
    const cjs = `import core = require('@cloud-assistant-gate/core');
import waiter = require('@cloud-assistant-gate/waiter');
import simulator = require('@cloud-assistant-gate/simulator');
const { createEcsClient } = core;
const { waitForCloudAssistant, isCloudAssistantTimeoutError } = waiter;
const { startEcsSimulator } = simulator;
type ReadinessReport = import('@cloud-assistant-gate/waiter').ReadinessReport;
type EcsSimulator = import('@cloud-assistant-gate/simulator').EcsSimulator;
${body}`;
    const dir = join(scratch, 'types');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'esm.mts'), esm);
    writeFileSync(join(dir, 'bundler.ts'), esm);
    writeFileSync(join(dir, 'cjs.cts'), cjs);
    const M = ts.ModuleKind;
    const R = ts.ModuleResolutionKind;
    const configurations = [
      ['node16', 'esm.mts', M.Node16, R.Node16],
      ['nodenext', 'esm.mts', M.NodeNext, R.NodeNext],
      ['bundler', 'bundler.ts', M.Preserve, R.Bundler],
      ['node20 CommonJS', 'cjs.cts', M.Node20, R.Node16],
    ] as const;
    // One TypeScript in this process, sharing parsed declaration files between the four programs.
    const parsed = new Map<string, ts.SourceFile | undefined>();
    const problems: string[] = [];
    for (const [label, file, module, moduleResolution] of configurations) {
      const options: ts.CompilerOptions = {
        module,
        moduleResolution,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      };
      const host = ts.createCompilerHost(options);
      const getSourceFile = host.getSourceFile.bind(host);
      host.getSourceFile = (name, language, onError, create) => {
        const key = `${name}\0${JSON.stringify(language)}`;
        if (!parsed.has(key)) parsed.set(key, getSourceFile(name, language, onError, create));
        return parsed.get(key);
      };
      const program = ts.createProgram([join(dir, file)], options, host);
      for (const d of ts.getPreEmitDiagnostics(program)) {
        problems.push(
          `${label}: ${d.file?.fileName ?? ''} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
        );
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('the release', () => {
  it.concurrent('passes a dry run of pnpm -r publish (the private examples are not published)', async () => {
    const [command, args] = pnpm();
    const { stdout, stderr } = await run(
      command,
      [...args, '-r', 'publish', '--dry-run', '--no-git-checks'],
      {
        cwd: root,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const all = stdout + stderr;
    for (const name of PACKAGES) expect(all).toContain(`@cloud-assistant-gate/${name}`);
    expect(all).not.toContain('example-');
  });
});
