/**
 * `cloud-assistant-gate-sim` as a newcomer runs it: it says which instance IDs it made (or writes
 * them with --ids-out, and lists them in --json) so that the gate can be pointed at them, and
 * Ctrl-C stops it cleanly, also under `pnpm sim` (no "ELIFECYCLE Command failed").
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SIM = join(root, 'packages/simulator/dist/cli.js');
const GATE = join(root, 'packages/waiter/dist/cli/bin.js');
let dir: string;

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a command in its own process group (like a terminal job) and waits for `ready` in its output. */
const start = async (command: string, args: readonly string[], ready: string): Promise<Started> => {
  const child = spawn(command, args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`no "${ready}" in: ${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      if (output.includes(ready)) {
        clearTimeout(guard);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => {
      clearTimeout(guard);
      if (!output.includes(ready)) reject(new Error(`exited before "${ready}": ${output}`));
    });
  });
  return { child, output: () => output, exited };
};

beforeAll(() => {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  dir = mkdtempSync(join(tmpdir(), 'cag-sim-cli-'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('cloud-assistant-gate-sim', () => {
  it('prints the instance IDs and a ready-to-run gate command; Ctrl-C (even repeated by a wrapper) exits 0', async () => {
    const sim = await start(process.execPath, [SIM, '--instances', '3', '--boot', 'fixed:0'], 'Press Ctrl-C');
    const ids = /instance IDs {5}(.*)/.exec(sim.output())?.[1]?.split(' ') ?? [];
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(/^i-[0-9a-z]+$/);
    expect(sim.output()).toContain(
      `cloud-assistant-gate wait --region cn-hangzhou --endpoint http://127.0.0.1:`,
    );
    // The terminal's SIGINT, then the copies a wrapper (pnpm, npx) forwards a moment later.
    process.kill(-sim.child.pid!, 'SIGINT');
    setTimeout(() => sim.child.kill('SIGINT'), 20);
    setTimeout(() => sim.child.kill('SIGTERM'), 40);
    expect(await sim.exited).toEqual({ code: 0, signal: null });
    expect(sim.output()).toContain('SIGINT: stopping after');
  });

  it('--ids-out writes every ID for the gate’s --ids-file, and --json lists them', async () => {
    const file = join(dir, 'ids.txt');
    const sim = await start(
      process.execPath,
      [SIM, '--instances', '40', '--boot', 'fixed:0', '--ids-out', file, '--json'],
      '"ids"',
    );
    try {
      const report = JSON.parse(sim.output().trim()) as { url: string; region: string; ids: string[] };
      const written = readFileSync(file, 'utf8').trim().split('\n');
      expect(written).toEqual(report.ids);
      expect(written).toHaveLength(40);
      const gate = execFileSync(
        process.execPath,
        [
          GATE,
          'wait',
          '--region',
          report.region,
          '--endpoint',
          report.url,
          '--ids-file',
          file,
          '--no-progress',
        ],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            HOME: dir,
            ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
            ALIBABA_CLOUD_ACCESS_KEY_ID: 'testid',
            ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'testsecret',
          },
          encoding: 'utf8',
        },
      );
      expect(gate).toContain('All 40 instances ready');
    } finally {
      process.kill(-sim.child.pid!, 'SIGINT');
      expect(await sim.exited).toEqual({ code: 0, signal: null });
    }
  });

  it('`pnpm sim`: Ctrl-C stops it without "ELIFECYCLE Command failed"', async () => {
    // The pnpm running this suite (pnpm test), else the pinned one through npx.
    const execpath = process.env['npm_execpath'] ?? '';
    const [command, args] = /pnpm/.test(execpath)
      ? [process.execPath, [execpath]]
      : ['npx', ['-y', 'pnpm@10.34.9']];
    const sim = await start(command, [...args, 'sim', '--instances', '1'], 'Press Ctrl-C');
    process.kill(-sim.child.pid!, 'SIGINT'); // what a terminal does: the whole foreground job
    await sim.exited;
    expect(sim.output()).toContain('SIGINT: stopping after');
    expect(sim.output()).not.toMatch(/ELIFECYCLE|Command failed/);
  }, 90_000);
});
