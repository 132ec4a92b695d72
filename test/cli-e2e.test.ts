/**
 * End-to-end: the BUILT `cloud-assistant-gate` binary against the simulator. Every flag and
 * every exit code, and no secret in any output.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'packages/waiter/dist/cli/bin.js');
const HELP_SNAPSHOT = join(root, 'packages/waiter/test/__snapshots__/cli-help.txt');

let sim: EcsSimulator;
let home: string;
let online: string[];
let never: string;
let oldAgent: string;
const STS_TOKEN = 'sim-sts-token';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const baseEnv = (): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  HOME: home,
  ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
  ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
});

const conn = (): string[] => ['--region', sim.region, '--endpoint', sim.endpoint];

/**
 * Runs the binary; `interrupt` sends a signal once the child has printed a progress line (so it
 * runs, with its handlers installed before it prints anything) and 300 ms more have passed (so
 * the signal lands mid-wait). `msAfterSignal`: from the signal to the exit.
 */
const run = (
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string; interrupt?: NodeJS.Signals } = {},
): Promise<Run & { msAfterSignal: number }> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      env: options.env ?? baseEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    let sentAt = Number.NaN;
    let timer: NodeJS.Timeout | undefined;
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (options.interrupt !== undefined && !sent && stderr.includes('ready')) {
        sent = true;
        timer = setTimeout(() => {
          sentAt = Date.now();
          child.kill(options.interrupt);
        }, 300);
      }
    });
    child.stdin?.end(options.stdin ?? '');
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      assertNoSecrets(result);
      resolve({ ...result, msAfterSignal: Date.now() - sentAt });
    });
  });

/** No AccessKey secret, STS token or signature in anything we print. */
const assertNoSecrets = (r: Run): void => {
  const all = r.stdout + r.stderr;
  for (const secret of [sim.credentials.accessKeySecret, 'stssecret', STS_TOKEN, 'wrong-secret-1234']) {
    expect(all).not.toContain(secret);
  }
  expect(all).not.toMatch(/Signature=|Credential=|x-acs-signature|ACS3-HMAC-SHA256 Credential/i);
};

const json = (r: Run): Record<string, unknown> => {
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
};

beforeAll(async () => {
  // The binary under test is the built one.
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'packages/waiter'], {
    cwd: root,
    stdio: 'inherit',
  });
  home = mkdtempSync(join(tmpdir(), 'cag-e2e-home-'));
  sim = await startEcsSimulator({ seed: 5 });
  online = sim.fleet.addInstances({ count: 250, bootMs: { kind: 'fixed', ms: 0 } });
  never = sim.fleet.addInstance({ onlineAfterMs: null });
  oldAgent = sim.fleet.addInstance({ agentVersion: '1.0.0.1' });
}, 120_000);

afterAll(async () => {
  await sim?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('cloud-assistant-gate (built binary) against the simulator', () => {
  it('--help prints the snapshot-tested help and exits 0; -h too', async () => {
    const r = await run(['--help'], { env: { PATH: process.env['PATH'] ?? '' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(HELP_SNAPSHOT, 'utf8'));
    expect((await run(['wait', '-h'])).stdout).toBe(r.stdout);
  });

  it('--version prints the package version', async () => {
    const r = await run(['--version']);
    const pkg = JSON.parse(readFileSync(join(root, 'packages/waiter/package.json'), 'utf8')) as {
      version: string;
    };
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('exit 0: waits for IDs given as arguments, one plain line per change and no escape codes off a TTY', async () => {
    const r = await run(['wait', ...conn(), online[0]!, online[1]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Waiting for Cloud Assistant on 2 instances in cn-hangzhou');
    expect(r.stdout).toMatch(/^\[0:0\d\] {2}2\/2 ready$/m);
    expect(r.stdout).toContain('✔ All 2 instances ready');
    expect(r.stdout + r.stderr).not.toContain('\x1b');
  });

  it('--json prints exactly one JSON report on stdout and the human text on stderr', async () => {
    const r = await run(['wait', ...conn(), '--json', ...online.slice(0, 3)]);
    expect(r.code).toBe(0);
    const report = json(r);
    expect(report).toMatchObject({
      command: 'wait',
      ok: true,
      exitCode: 0,
      outcome: 'ready',
      total: 3,
      readyCount: 3,
    });
    expect(report['ready']).toEqual(online.slice(0, 3));
    expect(r.stderr).toContain('✔ All 3 instances ready');
  });

  it('--quiet prints nothing on success (and only the report with --json); -q is the same', async () => {
    const quiet = await run(['wait', ...conn(), '--quiet', online[0]!]);
    expect(quiet).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const q = await run(['wait', ...conn(), '-q', '--json', online[0]!]);
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
    expect(json(q)['ok']).toBe(true);
  });

  it('--no-progress drops the progress lines but keeps the summary', async () => {
    const r = await run(['wait', ...conn(), '--no-progress', online[0]!]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Waiting for');
    expect(r.stdout).not.toMatch(/^\[0:/m);
    expect(r.stdout).toContain('✔ All 1 instance ready');
  });

  it('reads IDs from --ids-file (comments, CRLF, duplicates) and from stdin with -', async () => {
    const file = join(home, 'ids.txt');
    writeFileSync(
      file,
      `\uFEFF# web tier\r\n${online.slice(0, 150).join('\r\n')}\r\n${online[0]} # again\r\n`,
    );
    const fromFile = await run(['wait', ...conn(), '--ids-file', file, '--json']);
    expect(fromFile.code).toBe(0);
    expect(json(fromFile)['total']).toBe(150);
    const fromStdin = await run(['wait', ...conn(), '-', '--json'], {
      stdin: online.slice(100, 250).join(' '),
    });
    expect(fromStdin.code).toBe(0);
    expect(json(fromStdin)['total']).toBe(150);
  });

  it('--concurrency bounds the batches in flight; 250 IDs cost 3 calls in one round', async () => {
    const r = await run(['wait', ...conn(), '--concurrency', '2', '--json', ...online]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ total: 250, rounds: 1, apiCalls: 3 });
  });

  it('takes every setting from CLOUD_ASSISTANT_GATE_* variables, and flags beat them', async () => {
    const env = {
      ...baseEnv(),
      CLOUD_ASSISTANT_GATE_REGION: sim.region,
      CLOUD_ASSISTANT_GATE_ENDPOINT: sim.endpoint,
      CLOUD_ASSISTANT_GATE_TIMEOUT: '1s',
      CLOUD_ASSISTANT_GATE_MIN_DELAY: '200ms',
      CLOUD_ASSISTANT_GATE_MAX_DELAY: '300ms',
      CLOUD_ASSISTANT_GATE_CONCURRENCY: '1',
      CLOUD_ASSISTANT_GATE_MIN_READY: '1',
      CLOUD_ASSISTANT_GATE_NOT_FOUND: 'wait',
      CLOUD_ASSISTANT_GATE_MIN_VERSION: '2.0',
      CLOUD_ASSISTANT_GATE_MAX_HEARTBEAT_AGE: '10m',
      CLOUD_ASSISTANT_GATE_REQUIRE_SESSION_MANAGER: 'true',
    };
    const r = await run(['wait', '--json', online[0]!, never], { env });
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ outcome: 'quorum', readyCount: 1, required: 1, total: 2 });
    const flagsWin = await run(['wait', '--json', '--min-ready', '100%', online[0]!, never], { env });
    expect(flagsWin.code).toBe(1);
    expect(json(flagsWin)).toMatchObject({ outcome: 'timeout', required: 2 });
  });

  it('exit 1: a timeout lists every straggler with its reason', async () => {
    const r = await run([
      'wait',
      ...conn(),
      '--timeout',
      '1s',
      '--min-delay',
      '200ms',
      '--max-delay',
      '400ms',
      online[0]!,
      never,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✖ Timed out after \d.*1\/2 ready/);
    // The end-of-wait lookup (DescribeInstanceStatus) adds the ECS STATUS column; a 1 s wait
    // cannot prove the agent missing (that takes two lookups a minute apart), so "not yet".
    expect(r.stdout).toMatch(new RegExp(`^${never} +no-heartbeat-yet +Running +offline`, 'm'));
  });

  it('--min-ready 50% succeeds with a quorum and still names the stragglers', async () => {
    const r = await run(['wait', ...conn(), '--min-ready', '50%', '--json', online[0]!, never]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({
      ok: true,
      outcome: 'quorum',
      notReady: [{ instanceId: never, reason: 'no-heartbeat-yet' }],
    });
    expect(r.stderr).toContain('Not ready (tolerated by --min-ready): 1');
  });

  it('exit 1: --not-found fail makes an unknown ID end the wait at once (quorum unreachable)', async () => {
    const started = Date.now();
    const r = await run(['wait', ...conn(), '--not-found', 'fail', '--json', online[0]!, 'i-doesnotexist0']);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(json(r)).toMatchObject({
      outcome: 'quorum-unreachable',
      notReady: [{ instanceId: 'i-doesnotexist0', reason: 'not-found' }],
    });
  });

  it('--require-session-manager and --min-version hold back an old agent with the reason', async () => {
    const t = ['--timeout', '1s', '--min-delay', '200ms', '--max-delay', '300ms', '--json'];
    const sm = await run(['wait', ...conn(), ...t, '--require-session-manager', oldAgent]);
    expect(sm.code).toBe(1);
    expect(json(sm)['notReady']).toEqual([
      {
        instanceId: oldAgent,
        reason: 'readiness-unmet: session manager not supported',
        region: sim.region,
        instanceStatus: 'Running',
      },
    ]);
    const v = await run(['wait', ...conn(), ...t, '--min-version', '2.2.3', oldAgent]);
    expect(v.code).toBe(1);
    expect(json(v)['notReady']).toEqual([
      {
        instanceId: oldAgent,
        reason: 'readiness-unmet: agent version 1.0.0.1 < 2.2.3',
        region: sim.region,
        instanceStatus: 'Running',
      },
    ]);
    const ok = await run(['wait', ...conn(), ...t, '--min-version', '1.0', oldAgent]);
    expect(ok.code).toBe(0);
  });

  it('--max-heartbeat-age accepts a fresh heartbeat', async () => {
    const r = await run(['wait', ...conn(), '--max-heartbeat-age', '5m', online[0]!]);
    expect(r.code).toBe(0);
  });

  it('--profile picks a profile of ~/.aliyun/config.json', async () => {
    const profileHome = mkdtempSync(join(tmpdir(), 'cag-e2e-profile-'));
    mkdirSync(join(profileHome, '.aliyun'));
    writeFileSync(
      join(profileHome, '.aliyun/config.json'),
      JSON.stringify({
        current: 'other',
        profiles: [
          { name: 'other', mode: 'AK', access_key_id: 'nobody', access_key_secret: 'wrong-secret-1234' },
          {
            name: 'sim',
            mode: 'AK',
            access_key_id: sim.credentials.accessKeyId,
            access_key_secret: sim.credentials.accessKeySecret,
          },
        ],
      }),
    );
    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: profileHome,
      ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    };
    try {
      expect((await run(['wait', ...conn(), '--profile', 'sim', online[0]!], { env })).code).toBe(0);
      expect(
        (await run(['wait', ...conn(), online[0]!], { env: { ...env, CLOUD_ASSISTANT_GATE_PROFILE: 'sim' } }))
          .code,
      ).toBe(0);
      const wrong = await run(['wait', ...conn(), online[0]!], { env });
      expect(wrong.code).toBe(3);
    } finally {
      rmSync(profileHome, { recursive: true, force: true });
    }
  });

  it('works with STS credentials and never prints the token', async () => {
    const sts = sim.stsCredentials!;
    const env = {
      ...baseEnv(),
      ALIBABA_CLOUD_ACCESS_KEY_ID: sts.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: sts.securityToken,
    };
    expect((await run(['wait', ...conn(), online[0]!], { env })).code).toBe(0);
    const bad = await run(['wait', ...conn(), '--json', online[0]!], {
      env: { ...env, ALIBABA_CLOUD_SECURITY_TOKEN: 'wrong-secret-1234' },
    });
    expect(bad.code).toBe(3);
  });

  it('exit 3: no credentials anywhere, listing where it looked', async () => {
    const env = { PATH: process.env['PATH'] ?? '', HOME: home, ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' };
    const r = await run(['wait', ...conn(), '--json', online[0]!], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/credentials/i);
    expect(json(r)).toMatchObject({ ok: false, exitCode: 3, error: { code: 'ECS_CREDENTIALS' } });
  });

  it('exit 3: a wrong secret is a signature error, reported without the secret', async () => {
    const env = { ...baseEnv(), ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-secret-1234' };
    const r = await run(['wait', ...conn(), '--json', online[0]!], { env });
    expect(r.code).toBe(3);
    expect(json(r)).toMatchObject({ exitCode: 3, error: { apiCode: 'SignatureDoesNotMatch' } });
    expect(r.stderr).toContain('SignatureDoesNotMatch');
  });

  it.each([
    [['wait', '--bogus', 'i-a'], /Unknown option "--bogus"/],
    [['wait', '--timeout', 'soon', 'i-a'], /--timeout: "soon" is not a duration/],
    [
      ['wait', 'i-abc&Action=DeleteInstance'],
      /argument 1: "i-abc&Action=DeleteInstance" is not an instance ID/,
    ],
    [['wait', '--endpoint', 'http://127.0.0.1:1', 'i-a'], /No region/],
    [['wait'], /No instance IDs/],
  ])('exit 2: usage errors (%j)', async (args, message) => {
    const env = { ...baseEnv() };
    const r = await run(args as string[], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('exit 2: an ID file with a bad line, or an empty one, is named with the line', async () => {
    const bad = join(home, 'bad.txt');
    writeFileSync(bad, `${online[0]}\ni-abc&Action=DeleteInstance\n`);
    const r = await run(['wait', ...conn(), '--ids-file', bad, '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:2: "i-abc&Action=DeleteInstance" is not an instance ID`);
    expect(json(r)).toMatchObject({ ok: false, exitCode: 2, error: { code: 'CLI_BAD_INPUT' } });
    const empty = join(home, 'empty.txt');
    writeFileSync(empty, '# nothing\n');
    const e = await run(['wait', ...conn(), '--ids-file', empty]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain(`${empty} contains no instance IDs.`);
  });

  it('exit 2: a region that does not exist (404 InvalidRegionId.NotFound)', async () => {
    const r = await run(['wait', '--region', 'cn-nowhere', '--endpoint', sim.endpoint, online[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/InvalidRegionId\.NotFound/);
  });

  it('exit 2: a real region the endpoint does not serve (400 RegionId.ApiNotSupported)', async () => {
    const r = await run(['wait', '--region', 'eu-central-1', '--endpoint', sim.endpoint, online[0]!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RegionId\.ApiNotSupported/);
  });

  it('exit 4: the API cannot be reached at all before the deadline', async () => {
    const r = await run([
      'wait',
      '--region',
      sim.region,
      '--endpoint',
      'http://127.0.0.1:1',
      '--timeout',
      '2s',
      '--min-delay',
      '500ms',
      '--json',
      online[0]!,
    ]);
    expect(r.code).toBe(4);
    const report = json(r);
    expect(report).toMatchObject({ ok: false, exitCode: 4 });
    expect(String((report['notReady'] as { reason: string }[])[0]?.reason)).toMatch(/^errors: /);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'exit 130: %s stops the wait cleanly, with a JSON report',
    async (signal) => {
      const r = await run(
        [
          'wait',
          ...conn(),
          '--timeout',
          '5m',
          '--min-delay',
          '200ms',
          '--max-delay',
          '500ms',
          '--json',
          never,
        ],
        {
          interrupt: signal,
        },
      );
      expect(r.code, r.stderr).toBe(130);
      expect(r.msAfterSignal).toBeLessThan(3_000);
      expect(json(r)).toMatchObject({ ok: false, exitCode: 130, outcome: 'aborted' });
      expect(r.stderr).toContain('■ Aborted after');
    },
  );

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'exit 130: %s while IDs are read from a stdin that never ends (`sleep 100 | … -`)',
    async (signal) => {
      const r = await new Promise<Run & { ms: number }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'wait', ...conn(), '--json', '-'], {
          env: baseEnv(),
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => {
          stdout += d;
        });
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
        });
        // 1 MB of IDs, then nothing and no end: like a producer that hangs. The pipe holds
        // 64 KB, so 'drain' means the child is reading stdin: its signal handlers are installed.
        let sentAt = 0;
        let timer: NodeJS.Timeout | undefined;
        const flushed = child.stdin.write(`${online[0]}\n`.repeat(Math.ceil(1_048_576 / 20)));
        expect(flushed).toBe(false);
        child.stdin.once('drain', () => {
          timer = setTimeout(() => {
            sentAt = Date.now();
            child.kill(signal);
          }, 100);
        });
        const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('close', (code, killedBy) => {
          clearTimeout(timer);
          clearTimeout(guard);
          child.stdin.destroy();
          resolve({ code, signal: killedBy, stdout, stderr, ms: Date.now() - sentAt });
        });
      });
      assertNoSecrets(r);
      expect(r.code).toBe(130);
      expect(r.ms).toBeLessThan(2_000);
      expect(json(r)).toMatchObject({ ok: false, exitCode: 130, outcome: 'aborted' });
    },
  );

  it('status prints a table of agent status, ECS status (looked up for offline agents), version, heartbeat, Session Manager and OS; --json too', async () => {
    const r = await run(['status', ...conn(), online[0]!, never, oldAgent, 'i-unknown1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^INSTANCE +AGENT +ECS STATUS +VERSION +HEARTBEAT +SESSION MANAGER +OS$/m);
    expect(r.stdout).toMatch(
      new RegExp(`^${online[0]} +online +- +2\\.2\\.3\\.317 +\\S.* +yes +Linux$`, 'm'),
    );
    expect(r.stdout).toMatch(new RegExp(`^${never} +offline +Running +- +never +no +Linux$`, 'm'));
    expect(r.stdout).toMatch(/^i-unknown1 +not found/m);
    expect(r.stdout).toContain('2/4 online, 1 not found.');
    const j = await run(['status', ...conn(), '--json', online[0]!, 'i-unknown1']);
    expect(json(j)).toMatchObject({
      command: 'status',
      ok: true,
      total: 2,
      online: 1,
      notFound: ['i-unknown1'],
      instances: [
        { instanceId: online[0], found: true, cloudAssistantStatus: true, supportSessionManager: true },
        { found: false },
      ],
    });
  });

  it('status without IDs lists the whole region', async () => {
    const r = await run(['status', ...conn(), '--json']);
    expect(r.code).toBe(0);
    expect(json(r)['total']).toBe(sim.fleet.ids().length);
  });
});
