import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = (name: string): string =>
  readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), 'utf8');
const action = readFileSync(fileURLToPath(new URL('../../../action.yml', import.meta.url)), 'utf8');

/** The lines that are not comments. */
const commands = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n');

describe('pipeline-step: CI templates', () => {
  it.each(['github-actions.yml', 'gitlab-ci.yml'])(
    '%s needs no install or build, and never fetches the unpublished package by name',
    (name) => {
      const text = commands(here(name));
      // `npx -p @cloud-assistant-gate/…` would run whatever a stranger publishes under the scope.
      expect(text).not.toMatch(/npx[^\n]*@cloud-assistant-gate\//);
      expect(text).not.toMatch(/npx[^\n]*\bcloud-assistant-gate\b/);
      expect(text).not.toMatch(/pnpm|npm (?:install|ci)|dist\/cli\/bin\.js/);
      // Terraform's JSON list goes straight in: no jq or node to flatten it first.
      expect(text).toContain('terraform output -json instance_ids > ids.json');
    },
  );

  it('github-actions.yml uses the action with inputs it declares, and passes outputs through env', () => {
    const text = commands(here('github-actions.yml'));
    expect(text).toMatch(/uses: OWNER\/cloud-assistant-gate@COMMIT_SHA/);
    const withBlock =
      /uses: OWNER\/cloud-assistant-gate@COMMIT_SHA\n\s+with:\n((?:\s{10}[\w-]+: .*\n)+)/.exec(text)?.[1];
    const inputs = [...(withBlock ?? '').matchAll(/^\s+([\w-]+):/gm)].map((m) => m[1]!);
    expect(inputs).toEqual(['ids-file', 'region', 'timeout', 'min-ready']);
    for (const input of inputs) expect(action).toMatch(new RegExp(`^  ${input}:$`, 'm'));
    // Outputs reach the shell through env, never spliced into a script with ${{ }}.
    expect(text).not.toMatch(/run: .*\$\{\{/);
    expect(text).toContain(`READY: \${{ steps.gate.outputs.ready }}`);
  });

  it('gitlab-ci.yml runs the single-file CLI', () => {
    expect(commands(here('gitlab-ci.yml'))).toContain(
      'node ci/cloud-assistant-gate.mjs wait --ids-file ids.json --json > gate-report.json',
    );
  });
});
