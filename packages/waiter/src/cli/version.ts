import { readFileSync } from 'node:fs';

/** Set by the single-file bundle (`bundle/cloud-assistant-gate.mjs`), which has no package.json beside it. */
declare const CLOUD_ASSISTANT_GATE_VERSION: string | undefined;

/** The package's version, for `--version`. */
export const version = (): string => {
  if (typeof CLOUD_ASSISTANT_GATE_VERSION === 'string') return CLOUD_ASSISTANT_GATE_VERSION;
  // src/cli/version.ts and dist/cli/version.js are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
};
