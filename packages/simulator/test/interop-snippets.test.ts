/**
 * The official-SDK programs in the simulator's README run as written: each fenced block that
 * starts with `// official-sdk.mjs` or `// official-sdk.cjs` is extracted, run with plain `node`
 * (real Node module semantics, not vitest's), and typechecked as `.mts`/`.cts` under
 * `module: node16` and `nodenext`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const README = join(root, 'packages/simulator/README.md');
// Inside the workspace, so that the snippets resolve the packages as an installed project would.
const dir = join(root, 'node_modules/.cache/cag-readme-snippets');

/** The fenced code block whose first line is `// <name>`, exactly as the README shows it. */
const snippet = (name: string): string => {
  const readme = readFileSync(README, 'utf8');
  const blocks = [...readme.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const found = blocks.filter((b) => b.startsWith(`// ${name}\n`));
  expect(found, `one block starting with // ${name}`).toHaveLength(1);
  return found[0]!;
};

beforeAll(() => {
  // The snippets import the built simulator, as a user's project would.
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/simulator'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  mkdirSync(dir, { recursive: true });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the README’s official-SDK programs', () => {
  it.each(['official-sdk.mjs', 'official-sdk.cjs'])('%s runs as written with node', (name) => {
    const file = join(dir, name);
    writeFileSync(file, snippet(name));
    const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^i-[0-9a-z]+ true$/);
  });

  it.each([ts.ModuleKind.Node16, ts.ModuleKind.NodeNext])(
    'both typecheck as .mts and .cts (module kind %i)',
    (moduleKind) => {
      const mts = join(dir, 'official-sdk.mts');
      const cts = join(dir, 'official-sdk.cts');
      writeFileSync(mts, snippet('official-sdk.mjs'));
      writeFileSync(cts, snippet('official-sdk.cjs'));
      const program = ts.createProgram([mts, cts], {
        module: moduleKind,
        moduleResolution:
          moduleKind === ts.ModuleKind.Node16
            ? ts.ModuleResolutionKind.Node16
            : ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(root, 'node_modules/@types')],
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(diagnostics).toEqual([]);
    },
  );
});
