/**
 * End-to-end, the BUILT binary against a simulator serving two regions: `--region a,b` with
 * `region:id` entries, `status` over both regions, stopped instances named as such, and opt-in
 * remediation (`--install-missing`, `--allow-reboot`, `--dry-run`, a denied permission → exit 3).
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliRun, ROOT, runBinary, sealedEnv } from './helpers/cli.js';

const HZ = 'cn-hangzhou';
const BJ = 'cn-beijing';
let sim: EcsSimulator;
let hz: string[];
let bj: string[];
let stopped: string;

const env = (accessKeyId = 'testid', secret = 'testsecret') =>
  sealedEnv({ ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret });
const conn = () => ['--region', `${HZ},${BJ}`, '--endpoint', sim.endpoint];
const timing = ['--min-delay', '50ms', '--max-delay', '200ms'];
const run = (argv: string[], e = env()): Promise<CliRun> => runBinary(argv, e, { limitMs: 60_000 });
const json = (r: CliRun): Record<string, unknown> => {
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
};
/** A fresh instance without the agent, so that each remediation test has its own. */
const agentless = (osName?: string) =>
  sim.fleet.addInstance({ region: HZ, onlineAfterMs: null, ...(osName === undefined ? {} : { osName }) });

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'packages/waiter'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  sim = await startEcsSimulator({
    seed: 'e2e-regions',
    speed: 60,
    region: HZ,
    regions: [HZ, BJ],
    credentials: [
      { accessKeyId: 'testid', accessKeySecret: 'testsecret' },
      {
        accessKeyId: 'noinstall',
        accessKeySecret: 'noinstall-secret-42',
        deniedActions: ['InstallCloudAssistant'],
      },
    ],
  });
  hz = sim.fleet.addInstances({ region: HZ, count: 5, bootMs: { kind: 'fixed', ms: 0 } });
  bj = sim.fleet.addInstances({ region: BJ, count: 5, bootMs: { kind: 'fixed', ms: 0 } });
  stopped = sim.fleet.addInstance({ region: HZ, stopped: true });
}, 120_000);

afterAll(async () => {
  await sim?.close();
});

describe('cloud-assistant-gate over two regions (built binary)', () => {
  it('waits for bare IDs of both regions and region:id entries; --json names each instance’s region', async () => {
    const r = await run(['wait', ...conn(), ...timing, '--json', hz[0]!, bj[0]!, `${BJ}:${bj[1]}`, hz[1]!]);
    expect(r.code).toBe(0);
    const report = json(r);
    expect(report).toMatchObject({ ok: true, outcome: 'ready', regions: [HZ, BJ], total: 4, readyCount: 4 });
    expect(report['region']).toBeUndefined();
    expect(
      (report['instances'] as { instanceId: string; region: string }[]).map((i) => [i.instanceId, i.region]),
    ).toEqual([
      [hz[0], HZ],
      [bj[0], BJ],
      [bj[1], BJ],
      [hz[1], HZ],
    ]);
    expect(r.stderr).toContain(`Waiting for Cloud Assistant on 4 instances in ${HZ}, ${BJ}`);
  });

  it('an ID known in no region: exit 1 with --not-found fail, and a REGION column in the table', async () => {
    const r = await run(['wait', ...conn(), ...timing, '--not-found', 'fail', hz[2]!, 'i-knowninnoregion1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^INSTANCE +REGION +REASON/m);
    expect(r.stdout).toMatch(/^i-knowninnoregion1 +- +not-found/m);
  });

  it('refuses bare IDs without --region, and accepts region:id alone', async () => {
    const bare = await run(['wait', '--endpoint', sim.endpoint, hz[0]!]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/No region: pass --region/);
    const named = await run([
      'wait',
      '--endpoint',
      sim.endpoint,
      ...timing,
      `${BJ}:${bj[2]}`,
      `${HZ}:${hz[2]}`,
    ]);
    expect(named.code).toBe(0);
    expect(named.stdout).toContain(`in ${BJ}, ${HZ}`);
  });

  it('status without IDs lists every instance of both regions, with their regions', async () => {
    const r = await run(['status', ...conn(), '--json']);
    expect(r.code).toBe(0);
    const report = json(r);
    const instances = report['instances'] as {
      instanceId: string;
      region: string;
      instanceStatus?: string;
    }[];
    expect(instances).toHaveLength(sim.fleet.ids().length);
    for (const i of instances)
      expect(i.region).toBe(sim.fleet.ids({ region: BJ }).includes(i.instanceId) ? BJ : HZ);
    expect(instances.find((i) => i.instanceId === stopped)?.instanceStatus).toBe('Stopped');
    const human = await run(['status', ...conn(), hz[0]!, bj[0]!, stopped]);
    expect(human.stdout).toMatch(/^INSTANCE +REGION +AGENT +ECS STATUS +VERSION/m);
    expect(human.stdout).toMatch(new RegExp(`^${stopped} +${HZ} +offline +Stopped`, 'm'));
  });

  it('names a stopped instance as such at the end, and --stopped fail gives up on it at once', async () => {
    const r = await run(['wait', ...conn(), ...timing, '--timeout', '2s', hz[3]!, stopped]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^${stopped} +${HZ} +instance-stopped +Stopped`, 'm'));
    const started = Date.now();
    const fail = await run([
      'wait',
      ...conn(),
      ...timing,
      '--timeout',
      '10m',
      '--stopped',
      'fail',
      '--json',
      hz[3]!,
      stopped,
    ]);
    expect(fail.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(json(fail)).toMatchObject({
      outcome: 'quorum-unreachable',
      notReady: [{ instanceId: stopped, reason: 'instance-stopped', region: HZ, instanceStatus: 'Stopped' }],
    });
  });
});

describe('remediation from the command line (built binary)', () => {
  it('--dry-run prints what would be installed and rebooted, changes nothing and exits 0', async () => {
    const missing = agentless();
    const before =
      sim.stats.count({ action: 'InstallCloudAssistant' }) + sim.stats.count({ action: 'RebootInstances' });
    const r = await run([
      'wait',
      ...conn(),
      '--install-missing',
      '--allow-reboot',
      '--dry-run',
      '--json',
      missing,
      hz[0]!,
      stopped,
    ]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({
      dryRun: true,
      outcome: 'dry-run',
      install: [missing],
      reboot: [missing],
      instances: [
        { instanceId: missing, action: 'install-and-reboot', instanceStatus: 'Running' },
        { instanceId: hz[0], action: 'none', why: 'agent online' },
        { instanceId: stopped, action: 'none', why: 'instance Stopped' },
      ],
    });
    expect(r.stderr).toContain('Dry run: nothing is installed or rebooted.');
    expect(r.stderr).toMatch(new RegExp(`^${missing} +${HZ} +Running +offline +install \\+ REBOOT`, 'm'));
    const after =
      sim.stats.count({ action: 'InstallCloudAssistant' }) + sim.stats.count({ action: 'RebootInstances' });
    expect(after).toBe(before);
    expect(sim.fleet.agentState(missing)).toBe('not-installed');
  });

  it('--install-missing without --allow-reboot installs, never reboots, and says a reboot is required', async () => {
    const missing = agentless();
    const reboots = sim.stats.count({ action: 'RebootInstances' });
    const r = await run([
      'wait',
      ...conn(),
      ...timing,
      '--timeout',
      '3s',
      '--install-missing',
      '--remediate-after',
      '300ms',
      missing,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'no reboot (the agent starts at their next boot; --allow-reboot reboots them)',
    );
    expect(r.stdout).toMatch(
      new RegExp(`^${missing} \\(${HZ}\\): installed Cloud Assistant; starts after a reboot`, 'm'),
    );
    expect(r.stdout).toMatch(new RegExp(`^${missing} +${HZ} +agent-installed-reboot-required`, 'm'));
    expect(sim.stats.count({ action: 'RebootInstances' })).toBe(reboots);
    expect(sim.fleet.agentState(missing)).toBe('installed');
  });

  it('--install-missing --allow-reboot remediates, reboots and succeeds; a Red Hat instance is refused and named', async () => {
    const missing = [agentless(), agentless()];
    const redhat = agentless('Red Hat Enterprise Linux 9.2 64 bit');
    const r = await run([
      'wait',
      ...conn(),
      ...timing,
      '--timeout',
      '30s',
      '--min-ready',
      '3',
      '--install-missing',
      '--allow-reboot',
      '--remediate-after',
      '300ms',
      '--json',
      ...missing,
      redhat,
      hz[4]!,
    ]);
    expect(r.code).toBe(0);
    const report = json(r);
    expect(report).toMatchObject({ outcome: 'quorum', readyCount: 3 });
    expect(report['notReady']).toEqual([
      expect.objectContaining({ instanceId: redhat, reason: 'install-failed: Operation.Forbidden' }),
    ]);
    const done = report['remediations'] as { instanceId: string; outcome: string; rebootedAt?: string }[];
    expect(done.map((x) => [x.instanceId, x.outcome]).sort()).toEqual(
      [...missing.map((id) => [id, 'installed-and-rebooted']), [redhat, 'install-failed']].sort(),
    );
    expect(r.stderr).toContain('are REBOOTED (--allow-reboot)');
    expect(r.stderr).toMatch(/Remediated \(--install-missing\): 3/);
    for (const id of missing) expect(sim.fleet.agentState(id)).toBe('online');
  });

  it('exit 3 when every remediation is denied (Forbidden.RAM), naming the permission to grant', async () => {
    const missing = agentless();
    const r = await run(
      [
        'wait',
        ...conn(),
        ...timing,
        '--timeout',
        '60s',
        '--install-missing',
        '--allow-reboot',
        '--remediate-after',
        '300ms',
        '--json',
        missing,
      ],
      env('noinstall', 'noinstall-secret-42'),
    );
    expect(r.code).toBe(3);
    expect(json(r)).toMatchObject({
      ok: false,
      exitCode: 3,
      outcome: 'error',
      notReady: [{ instanceId: missing, reason: 'install-failed: Forbidden.RAM' }],
      error: { code: 'ECS_API_ERROR', apiCode: 'Forbidden.RAM' },
    });
    expect(r.stderr).toMatch(/grant ecs:InstallCloudAssistant/);
    // Not the polling permission: the generic hint for Forbidden.* does not apply to a remediation.
    expect(r.stderr).not.toContain('ecs:DescribeCloudAssistantStatus');
    expect(r.stdout + r.stderr).not.toContain('noinstall-secret-42');
  });

  it('no credentials with two regions: one message, before anything is announced or sent (exit 3)', async () => {
    const before = sim.stats.count();
    const r = await run(['wait', ...conn(), '--json', hz[0]!, `${BJ}:${bj[0]}`], sealedEnv());
    expect(r.code).toBe(3);
    expect(sim.stats.count()).toBe(before);
    expect(r.stderr).not.toContain('Waiting for');
    expect(r.stderr.match(/No Alibaba Cloud credentials found/g)).toHaveLength(1);
    expect(json(r)).toMatchObject({ command: 'wait', exitCode: 3, error: { code: 'ECS_CREDENTIALS' } });
  });

  it('no answer from either region: exit 4 after --first-answer-timeout, naming each region and its endpoint', async () => {
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    const r = await run([
      'wait',
      '--region',
      `${HZ},${BJ}`,
      '--endpoint',
      endpoint,
      ...timing,
      '--first-answer-timeout',
      '2s',
      '--json',
      `${HZ}:${hz[0]}`,
      `${BJ}:${bj[0]}`,
    ]);
    expect(r.code).toBe(4);
    const report = json(r);
    expect(report).toMatchObject({
      outcome: 'error',
      regions: [HZ, BJ],
      error: {
        code: 'WAITER_SOURCE_UNREACHABLE',
        lastErrorCode: 'ECS_NETWORK_ERROR',
        lastErrorCauseCode: 'ECONNREFUSED',
        regions: [
          { region: HZ, endpoint },
          { region: BJ, endpoint },
        ],
      },
    });
    expect(r.stderr).toContain(
      `No answer from the ECS API in any of 2 regions (${HZ} at ${endpoint}, ${BJ} at ${endpoint})`,
    );
    expect(r.stderr).toContain('check --endpoint and --region');
  });
});

/** A port on 127.0.0.1 that refuses connections: bound, then closed. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
};
