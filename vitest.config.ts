import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const coreSrc = fileURLToPath(new URL('./packages/core/src/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources, so a stale dist/ can never hide a change.
    // Exact matches: core's subpath entry points (`@cloud-assistant-gate/core/options`) are files of
    // its src/ with the same name, as package.json's `exports` maps them in dist/.
    alias: [
      { find: /^@cloud-assistant-gate\/core$/, replacement: src('core') },
      { find: /^@cloud-assistant-gate\/core\/([a-z-]+)$/, replacement: `${coreSrc}$1.ts` },
      { find: /^@cloud-assistant-gate\/simulator$/, replacement: src('simulator') },
      { find: /^@cloud-assistant-gate\/waiter$/, replacement: src('waiter') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    // No test may reach the real ECS metadata service (100.100.100.200): tests of that provider
    // inject a loopback host; everything else, child processes included, finds it disabled.
    env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
