import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), 'utf8');
const root = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8'),
) as {
  packageManager: string;
};

describe('pipeline-step: CI templates', () => {
  it.each(['github-actions.yml', 'gitlab-ci.yml'])(
    '%s builds the CLI from the checkout and never fetches the unpublished package by name',
    (name) => {
      const text = here(name);
      const commands = text
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n');
      // `npx -p @cloud-assistant-gate/…` would run whatever a stranger publishes under the scope.
      expect(commands).not.toMatch(/npx[^\n]*@cloud-assistant-gate\//);
      expect(commands).not.toMatch(/npx[^\n]*\bcloud-assistant-gate\b/);
      // pnpm pinned to the repository's packageManager, installed from the lockfile.
      const pnpm = root.packageManager;
      expect(commands).toContain(`npx -y ${pnpm} install --frozen-lockfile && npx -y ${pnpm} build`);
      expect(commands).toContain('node packages/waiter/dist/cli/bin.js wait --ids-file ids.txt --json');
      expect(commands.indexOf('--frozen-lockfile')).toBeLessThan(commands.indexOf('dist/cli/bin.js'));
    },
  );
});
