/**
 * The built `cloud-assistant-gate-sim` bin (dist/cli.js, built by `pnpm test` before vitest) with
 * the quota flags: they reach the server, and bad ones exit 2 with a message that says what to do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from './helpers.js';

const BIN = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let child: ChildProcess | undefined;
afterEach(async () => {
  const p = child;
  child = undefined;
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
  const closed = new Promise((resolve) => p.once('close', resolve));
  p.kill('SIGTERM'); // the bin stops cleanly on SIGTERM
  await closed;
});

function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    p.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts the bin with --json and resolves with its first line once it listens. */
function startBin(
  args: readonly string[],
): Promise<{ url: string; credentials: { accessKeyId: string; accessKeySecret: string } }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = p;
    let out = '';
    let err = '';
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    p.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
    });
    p.on('error', reject);
    p.on('close', (code) => reject(new Error(`the simulator exited with ${code}: ${err}`)));
  });
}

describe('cloud-assistant-gate-sim --quota', () => {
  it('throttles the account per window and sends x-acs-retry-after with --quota-retry-after', async () => {
    const started = await startBin([
      '--instances',
      '1',
      '--quota',
      'DescribeCloudAssistantStatus=2/1h',
      '--quota-retry-after',
    ]);
    const url = new URL(started.url);
    const target = { port: Number(url.port), host: url.host, credentials: started.credentials };
    const ask = () => call(target, 'DescribeCloudAssistantStatus', { RegionId: 'cn-hangzhou' });
    expect((await ask()).status).toBe(200);
    expect((await ask()).status).toBe(200);
    const third = await ask();
    expect(third.status).toBe(400);
    expect(third.json()).toMatchObject({ Code: 'Throttling.User' });
    const retryAfter = Number(third.headers['x-acs-retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3_600_000);
    // Other actions have no limit of their own and no "*".
    expect((await call(target, 'DescribeInvocations', { RegionId: 'cn-hangzhou' })).status).toBe(200);
  });

  it.each([
    [['--quota', 'DescribeCloudAssistantStatus'], /expected ACTION=N or ACTION=N\/WINDOW/],
    [['--quota', 'DescribeCloudAssistantStatus=600/60000'], /use a number with a unit/],
    [['--quota-retry-after'], /--quota-retry-after needs a quota/],
    [['--quota', 'DescribeCloudAssitantStatus=5'], /does not answer DescribeCloudAssitantStatus/],
  ])('exits 2 on %j with a clear message', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });

  it('exits 2 on a scenario file whose quota is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-quota-'));
    try {
      const file = join(dir, 'scenario.json');
      writeFileSync(file, JSON.stringify({ quota: { limits: { '*': -5 } } }));
      const r = await run(['--scenario', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Expected quota.limits.* to be an integer ≥ 0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cloud-assistant-gate-sim output', () => {
  it.each([
    ['a scenario file that is not JSON', '\u001b]0;pwned\u0007{'],
    ['a scenario key it does not read', JSON.stringify({ 'inst\u001b[2Jances': 1 })],
  ])('prints %s with control characters escaped (exit 2)', async (_what, content) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-escape-'));
    try {
      const file = join(dir, 'scenario.json');
      writeFileSync(file, content);
      const r = await run(['--scenario', file]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('\\u001b');
      expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
