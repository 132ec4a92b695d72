#!/usr/bin/env node
// The package's bin: a small committed launcher for the compiled CLI, so that a workspace install
// can link the bin before `dist/` is built (pnpm would warn "Failed to create bin … ENOENT").
import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('/dist/cli.js')) {
    process.stderr.write(
      'cloud-assistant-gate-sim is not built: run `npx -y pnpm@10.34.9 build` in the repository.\n',
    );
    process.exitCode = 2;
    return;
  }
  throw error;
});
