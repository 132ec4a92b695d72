/**
 * A newcomer's first hour with the BUILT `cloud-assistant-gate` binary (issue 15): a broken
 * setup fails fast and says why, credentials are reported once, --profile and the Aliyun CLI
 * profile's region_id are honoured, JSON lists from Terraform are read, a closed stdout ends the
 * run quietly, and usage errors in --json name the command.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../packages/waiter/src/cli/main.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'packages/waiter/dist/cli/bin.js');

let sim: EcsSimulator;
let home: string;
let online: string[];
let never: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const baseEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  HOME: home,
  NO_COLOR: '1',
  ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
  ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
  ...extra,
});

const run = (
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string; interruptOn?: string; limitMs?: number } = {},
): Promise<Run> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      env: options.env ?? baseEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.interruptOn !== undefined && !sent && stderr.includes(options.interruptOn)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 200);
      }
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 30_000);
    child.stdin?.end(options.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });

const json = (r: Run): Record<string, unknown> => {
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
};

/** A port on 127.0.0.1 that refuses connections: bound, then closed. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};

/** A server on 127.0.0.1 that accepts connections and never answers. */
const hangingServer = async (): Promise<{ port: number; close: () => Promise<void> }> => {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
};

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/waiter'], {
    cwd: root,
    stdio: 'inherit',
  });
  home = mkdtempSync(join(tmpdir(), 'cag-first-hour-'));
  sim = await startEcsSimulator({ seed: 15 });
  online = sim.fleet.addInstances({ count: 1500, bootMs: { kind: 'fixed', ms: 0 } });
  never = sim.fleet.addInstance({ onlineAfterMs: null });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('a broken setup fails fast and says why', () => {
  it('a closed port: the progress line names ECONNREFUSED and the endpoint; exit 4 after --first-answer-timeout', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const r = await run([
      'wait',
      '--region',
      sim.region,
      '--endpoint',
      endpoint,
      '--first-answer-timeout',
      '3s',
      '--json',
      'i-abc',
    ]);
    expect(r.code).toBe(4);
    expect(r.ms).toBeLessThan(10_000);
    expect(r.stderr).toContain(`last error: ECS_NETWORK_ERROR (ECONNREFUSED) from ${endpoint}`);
    expect(r.stderr).toMatch(
      new RegExp(
        `Error: No answer from the ECS API at ${endpoint.replace(/[.:/]/g, '\\$&')} in the first 3 s .*ECONNREFUSED.*check --endpoint and --region.*raise --first-answer-timeout`,
      ),
    );
    expect(r.stderr).not.toMatch(/install/i);
    expect(json(r)).toMatchObject({
      command: 'wait',
      exitCode: 4,
      outcome: 'error',
      ready: [],
      notReady: [{ instanceId: 'i-abc' }],
      error: {
        code: 'WAITER_SOURCE_UNREACHABLE',
        lastErrorCode: 'ECS_NETWORK_ERROR',
        lastErrorCauseCode: 'ECONNREFUSED',
        endpoint,
      },
    });
  });

  it('a server that accepts and never answers: exit 4 after --first-answer-timeout, not the 10-minute timeout', async () => {
    const server = await hangingServer();
    try {
      const endpoint = `http://127.0.0.1:${server.port}`;
      const r = await run([
        'wait',
        '--region',
        sim.region,
        '--endpoint',
        endpoint,
        '--first-answer-timeout',
        '2s',
        'i-abc',
      ]);
      expect(r.code).toBe(4);
      expect(r.ms).toBeLessThan(8_000);
      expect(r.stderr).toContain(
        `No answer from the ECS API at ${endpoint} in the first 2 s (the first call is still waiting for an answer)`,
      );
    } finally {
      await server.close();
    }
  });

  it('a hanging server shows the timeout as the last error while it waits (in-process, 300 ms attempts)', async () => {
    const server = await hangingServer();
    try {
      const endpoint = `http://127.0.0.1:${server.port}`;
      let stderr = '';
      const code = await runCli({
        argv: [
          'wait',
          '--region',
          sim.region,
          '--endpoint',
          endpoint,
          '--first-answer-timeout',
          '2s',
          'i-abc',
        ],
        env: baseEnv(),
        stdout: { write: (t: string) => (stderr += t) },
        stderr: { write: (t: string) => (stderr += t) },
        clientOptions: { timeoutMs: 300, retry: { maxAttempts: 2 } },
      });
      expect(code).toBe(4);
      expect(stderr).toMatch(
        new RegExp(`last error: ECS_TIMEOUT \\(no answer in 3\\d\\dms\\) from ${endpoint}`),
      );
    } finally {
      await server.close();
    }
  });

  it('a timeout shorter than --first-answer-timeout still names the last error and the endpoint', async () => {
    const port = await closedPort();
    const r = await run([
      'wait',
      '--region',
      sim.region,
      '--endpoint',
      `http://127.0.0.1:${port}`,
      '--timeout',
      '2s',
      '--min-delay',
      '500ms',
      '--json',
      'i-abc',
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(
      `The API did not answer for these instances: last error ECS_NETWORK_ERROR (ECONNREFUSED) from http://127.0.0.1:${port}`,
    );
    expect(json(r)).toMatchObject({ outcome: 'timeout', lastError: 'ECS_NETWORK_ERROR (ECONNREFUSED)' });
  });
  it('a call abandoned at the deadline does not erase the last error (it says nothing about the API)', async () => {
    // The first request gets a 503; every later one hangs, so the deadline aborts a call in flight.
    let requests = 0;
    const sockets = new Set<import('node:net').Socket>();
    const server = createHttpServer((_req, res) => {
      requests++;
      if (requests > 1) return;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Code: 'ServiceUnavailable', Message: 'try later', RequestId: 'r-1' }));
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      let stdout = '';
      let stderr = '';
      const code = await runCli({
        argv: [
          'wait',
          '--region',
          sim.region,
          '--endpoint',
          endpoint,
          '--timeout',
          '1500ms',
          '--min-delay',
          '100ms',
          '--json',
          'i-abc',
        ],
        env: baseEnv(),
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        clientOptions: { retry: { maxAttempts: 1 } },
      });
      expect(requests).toBeGreaterThanOrEqual(2); // a second call was in flight at the deadline
      expect(code).toBe(4);
      expect(stderr).toContain(
        `The API did not answer for these instances: last error ServiceUnavailable (HTTP 503) from ${endpoint}`,
      );
      expect(JSON.parse(stdout)).toMatchObject({
        outcome: 'timeout',
        lastError: 'ServiceUnavailable (HTTP 503)',
      });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('credentials and region', () => {
  it('no credentials: one message, nothing announced, no request sent, no per-instance noise (exit 3)', async () => {
    const before = sim.stats.count();
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
    const r = await run(
      ['wait', '--region', sim.region, '--endpoint', sim.endpoint, '--json', online[0]!, online[1]!],
      { env },
    );
    expect(r.code).toBe(3);
    expect(sim.stats.count()).toBe(before);
    expect(r.stderr).not.toContain('Waiting for');
    expect(r.stderr).not.toContain('errors: ECS_CREDENTIALS');
    expect(r.stderr).not.toContain('ready when it failed');
    expect(r.stderr.match(/No Alibaba Cloud credentials found/g)).toHaveLength(1);
    const report = json(r);
    expect(report).toMatchObject({ command: 'wait', exitCode: 3, error: { code: 'ECS_CREDENTIALS' } });
    expect(report).not.toHaveProperty('apiCalls');
  });

  it('--profile is honoured or refused, never silently outranked by environment keys', async () => {
    const profileHome = mkdtempSync(join(tmpdir(), 'cag-profile-'));
    mkdirSync(join(profileHome, '.aliyun'));
    writeFileSync(
      join(profileHome, '.aliyun/config.json'),
      JSON.stringify({
        current: 'sim',
        profiles: [
          {
            name: 'sim',
            mode: 'AK',
            access_key_id: sim.credentials.accessKeyId,
            access_key_secret: sim.credentials.accessKeySecret,
            region_id: sim.region,
          },
        ],
      }),
    );
    try {
      // Environment keys first in the chain: an explicit --profile is refused, naming what won.
      const refused = await run(['wait', '--endpoint', sim.endpoint, '--profile', 'nosuch', online[0]!], {
        env: baseEnv({ HOME: profileHome }),
      });
      expect(refused.code).toBe(3);
      expect(refused.stderr).toContain(
        '--profile "nosuch" is not used: the credentials chain found environment variables',
      );
      // Without environment keys, the profile's region_id is the region (as in the aliyun CLI).
      const env = {
        PATH: process.env['PATH'] ?? '',
        HOME: profileHome,
        NO_COLOR: '1',
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      };
      const ok = await run(['wait', '--endpoint', sim.endpoint, '--profile', 'sim', online[0]!], { env });
      expect(ok.stdout).toContain(`in ${sim.region}`);
      expect(ok.code).toBe(0);
      expect((await run(['wait', '--endpoint', sim.endpoint, online[0]!], { env })).code).toBe(0);
      const missing = await run(['wait', '--endpoint', sim.endpoint, '--profile', 'nosuch', online[0]!], {
        env,
      });
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain('no profile named "nosuch"');
    } finally {
      rmSync(profileHome, { recursive: true, force: true });
    }
  });

  it('no region: names every place a region can come from (exit 2)', async () => {
    const r = await run(['wait', '--endpoint', sim.endpoint, online[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /No region: pass --region \(e\.g\. cn-hangzhou\), set CLOUD_ASSISTANT_GATE_REGION or ALIBABA_CLOUD_REGION_ID, or set region_id in your Aliyun CLI profile/,
    );
  });

  it('a region that does not exist, or that the endpoint does not serve, gets the fix, not "Run with --help" (exit 2)', async () => {
    // 404 InvalidRegionId.NotFound: not a region at all.
    const unknown = await run(['wait', '--region', 'cn-nowhere', '--endpoint', sim.endpoint, online[0]!]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ECS knows no region cn-nowhere');
    expect(unknown.stderr).toContain('check --region (e.g. cn-hangzhou)');
    expect(unknown.stderr).not.toContain('Run with --help');
    // 400 RegionId.ApiNotSupported: a real region this endpoint does not serve.
    const unserved = await run(['wait', '--region', 'eu-central-1', '--endpoint', sim.endpoint, online[0]!]);
    expect(unserved.code).toBe(2);
    expect(unserved.stderr).toContain(
      'ECS does not serve DescribeCloudAssistantStatus for region eu-central-1',
    );
    expect(unserved.stderr).toContain('check --region (e.g. cn-hangzhou)');
    expect(unserved.stderr).not.toContain('Run with --help');
  });

  it('plain http:// to a remote host is refused without pointing at a library option', async () => {
    const r = await run(['wait', '--region', sim.region, '--endpoint', 'http://ecs.example.com', online[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '--endpoint "http://ecs.example.com" uses plain http:// to a non-loopback host: use https://',
    );
    expect(r.stderr).not.toContain('allowInsecureHttp');
  });
});

describe('usage errors and reports', () => {
  it('a --json usage error names the command and our own code', async () => {
    const r = await run(['wait', '--json', '--bogus', 'i-a']);
    expect(r.code).toBe(2);
    expect(json(r)).toMatchObject({ command: 'wait', exitCode: 2, error: { code: 'CLI_USAGE' } });
    expect(r.stdout).not.toContain('ERR_PARSE_ARGS');
  });

  it('--timeout -5s says the value is negative', async () => {
    const r = await run(['wait', '--timeout', '-5s', 'i-a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout: "-5s" is negative');
  });

  it('an aborted wait reports ready and notReady, every ID once', async () => {
    const r = await run(
      [
        'wait',
        '--region',
        sim.region,
        '--endpoint',
        sim.endpoint,
        '--min-delay',
        '200ms',
        '--max-delay',
        '500ms',
        '--json',
        online[0]!,
        never,
      ],
      { interruptOn: '1/2 ready' },
    );
    expect(r.code).toBe(130);
    expect(json(r)).toMatchObject({
      outcome: 'aborted',
      ready: [online[0]],
      notReady: [{ instanceId: never, reason: 'aborted' }],
    });
  });

  it('takes a JSON list from `terraform output -json` on stdin', async () => {
    const r = await run(['wait', '--region', sim.region, '--endpoint', sim.endpoint, '-'], {
      stdin: `[\n  "${online[0]}",\n  "${online[1]}"\n]\n`,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('All 2 instances ready');
  });

  it('status --json writes nothing but the report (no table on stderr)', async () => {
    const r = await run(['status', '--region', sim.region, '--endpoint', sim.endpoint, '--json', online[0]!]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(json(r)).toMatchObject({ command: 'status', total: 1, online: 1 });
  });
});

describe('a closed stdout (| head) ends the run quietly', () => {
  it('status | head -3: three lines, no stack trace, exit 0 (the table was written)', async () => {
    const errFile = join(home, 'status-head.err');
    const r = await new Promise<{ status: number; stdout: string }>((resolve, reject) => {
      const cmd = `'${process.execPath}' '${BIN}' status --region ${sim.region} --endpoint ${sim.endpoint} 2>'${errFile}' | head -3; echo "\${PIPESTATUS[0]}" >&2`;
      const child = spawn('bash', ['-c', cmd], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let status = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (status += d));
      child.on('error', reject);
      child.on('close', () => resolve({ status: Number(status.trim()), stdout }));
    });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.status).toBe(0);
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });

  it('wait | head -1: the reader left mid-wait, so the wait stops quietly with 141, never 0', async () => {
    const errFile = join(home, 'wait-head.err');
    const r = await new Promise<{ status: number; ms: number }>((resolve, reject) => {
      const started = Date.now();
      const cmd = `'${process.execPath}' '${BIN}' wait --region ${sim.region} --endpoint ${sim.endpoint} --min-delay 200ms --max-delay 300ms --timeout 1m ${never} 2>'${errFile}' | head -1; echo "\${PIPESTATUS[0]}" >&2`;
      const child = spawn('bash', ['-c', cmd], { env: baseEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let status = '';
      child.stdout.resume();
      child.stderr.setEncoding('utf8').on('data', (d: string) => (status += d));
      child.on('error', reject);
      child.on('close', () => resolve({ status: Number(status.trim()), ms: Date.now() - started }));
    });
    expect(r.status).toBe(141);
    expect(r.ms).toBeLessThan(20_000);
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });
});
