import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the sources, so a stale dist/ can never hide a change.
    alias: {
      '@cloud-assistant-gate/core': src('core'),
      '@cloud-assistant-gate/simulator': src('simulator'),
      '@cloud-assistant-gate/waiter': src('waiter'),
    },
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
