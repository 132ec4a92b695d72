/**
 * The instance lifecycle over the HTTP API: DescribeInstanceStatus, RebootInstance(s),
 * InstallCloudAssistant, and how the agent's heartbeat follows them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { call, describe as describeStatus } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** Fixed lifecycle timings, so tests can name the moments. */
const FIXED = {
  runningAfterMs: { kind: 'fixed', ms: 20_000 },
  stoppingMs: { kind: 'fixed', ms: 10_000 },
  startingMs: { kind: 'fixed', ms: 20_000 },
  agentStartMs: { kind: 'fixed', ms: 30_000 },
} as const;

let sims: EcsSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});
async function start(options: SimulatorOptions): Promise<EcsSimulator> {
  const sim = await startEcsSimulator({ speed: 0, startTime: T0, lifecycle: FIXED, ...options });
  sims.push(sim);
  return sim;
}

interface StatusBody {
  TotalCount: number;
  PageNumber: number;
  PageSize: number;
  InstanceStatuses: { InstanceStatus: { InstanceId: string; Status: string }[] };
  Code?: string;
}

async function instanceStatus(s: EcsSimulator, params: Record<string, string> = {}, ids: string[] = []) {
  const all: Record<string, string> = { RegionId: s.region, ...params };
  ids.forEach((id, i) => {
    all[`InstanceId.${i + 1}`] = id;
  });
  const res = await call(s, 'DescribeInstanceStatus', all);
  return { status: res.status, body: res.json<StatusBody>() };
}

async function statusOf(s: EcsSimulator, id: string): Promise<string | undefined> {
  const { body } = await instanceStatus(s, {}, [id]);
  return body.InstanceStatuses.InstanceStatus[0]?.Status;
}

async function agentOf(s: EcsSimulator, id: string) {
  const res = await describeStatus(s, {}, [id]);
  return res.json<{
    InstanceCloudAssistantStatusSet: {
      InstanceCloudAssistantStatus: {
        CloudAssistantStatus: string;
        CloudAssistantVersion: string;
        LastHeartbeatTime?: string;
      }[];
    };
  }>().InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0]!;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('DescribeInstanceStatus', () => {
  it('goes Pending → Starting → Running after creation, the agent later, and agrees with the fleet', async () => {
    const s = await start({ fleets: [{ ids: ['i-a'], bootMs: { kind: 'fixed', ms: 45_000 } }] });
    expect(await statusOf(s, 'i-a')).toBe('Pending');
    s.clock.advance(6_000);
    expect(await statusOf(s, 'i-a')).toBe('Starting');
    s.clock.advance(14_000);
    expect(await statusOf(s, 'i-a')).toBe('Running');
    // Running before the agent's first heartbeat (at 45 s): the window a gate exists for.
    expect((await agentOf(s, 'i-a')).CloudAssistantStatus).toBe('false');
    s.clock.advance(25_000);
    expect((await agentOf(s, 'i-a')).CloudAssistantStatus).toBe('true');
    for (const t of [T0, T0 + 5_000, T0 + 19_999, T0 + 20_000])
      expect(s.fleet.instanceStatusAt('i-a', t)).toBe(
        t < T0 + 5_000 ? 'Pending' : t < T0 + 20_000 ? 'Starting' : 'Running',
      );
    expect(s.fleet.instanceStatus('i-a')).toBe('Running');
    expect(s.fleet.instanceStatusAt('i-a', T0 - 1)).toBeUndefined();
    expect(s.fleet.instanceStatusAt('i-nope', T0)).toBeUndefined();
  });

  it('pages with PageNumber/PageSize (1–50, default 10), with IDs too, and reports TotalCount', async () => {
    const s = await start({ fleets: [{ ids: ids('i-p', 23) }] });
    const first = await instanceStatus(s);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ TotalCount: 23, PageNumber: 1, PageSize: 10 });
    expect(first.body.InstanceStatuses.InstanceStatus.map((x) => x.InstanceId)).toEqual(ids('i-p', 10));
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const { body } = await instanceStatus(s, { PageNumber: String(page), PageSize: '9' });
      expect(body).toMatchObject({ TotalCount: 23, PageNumber: page, PageSize: 9 });
      seen.push(...body.InstanceStatuses.InstanceStatus.map((x) => x.InstanceId));
    }
    expect(seen).toEqual(ids('i-p', 23));
    const beyond = await instanceStatus(s, { PageNumber: '4', PageSize: '10' });
    expect(beyond.body.InstanceStatuses.InstanceStatus).toEqual([]);
    // IDs filter, then the page applies: 15 IDs at the default page size give 10.
    const byIds = await instanceStatus(s, {}, ids('i-p', 15));
    expect(byIds.body.TotalCount).toBe(15);
    expect(byIds.body.InstanceStatuses.InstanceStatus).toHaveLength(10);
    const all50 = await instanceStatus(s, { PageSize: '50' }, ids('i-p', 15));
    expect(all50.body.InstanceStatuses.InstanceStatus).toHaveLength(15);
  });

  it('refuses bad paging and more than 100 IDs, and leaves out unknown and managed IDs', async () => {
    const s = await start({ fleets: [{ ids: ['i-x', 'i-y'] }], instances: [{ id: 'mi-managed001' }] });
    s.clock.advance(20_000); // runningAfterMs
    for (const PageSize of ['0', '51', 'ten'])
      expect((await instanceStatus(s, { PageSize })).body.Code).toBe('InvalidParam.PageSize');
    for (const PageNumber of ['0', '-1'])
      expect((await instanceStatus(s, { PageNumber })).body.Code).toBe('InvalidParam.PageNumber');
    const tooMany = await instanceStatus(s, {}, ids('i-q', 101));
    expect(tooMany.body.Code).toBe('InstanceIds.ExceedLimit');
    const some = await instanceStatus(s, {}, ['i-y', 'i-unknown', 'mi-managed001', 'i-x']);
    expect(some.status).toBe(200);
    expect(some.body.InstanceStatuses.InstanceStatus).toEqual([
      { InstanceId: 'i-y', Status: 'Running' },
      { InstanceId: 'i-x', Status: 'Running' },
    ]);
    expect((await instanceStatus(s)).body.TotalCount).toBe(2);
  });

  it('shows instances created Stopped (stoppedShare) and ones stopped and started later', async () => {
    const s = await start({
      fleets: [{ ids: ids('i-s', 40), stoppedShare: 0.5, bootMs: { kind: 'fixed', ms: 40_000 } }],
    });
    s.clock.advance(200_000);
    const { body } = await instanceStatus(s, { PageSize: '50' });
    const stopped = body.InstanceStatuses.InstanceStatus.filter((x) => x.Status === 'Stopped');
    expect(stopped.length).toBeGreaterThan(5);
    expect(stopped.length).toBeLessThan(35);
    for (const x of body.InstanceStatuses.InstanceStatus) {
      expect(x.Status).toBe(s.fleet.instanceStatus(x.InstanceId));
      // A stopped instance's agent never beat; a running one's did.
      expect(s.fleet.isOnline(x.InstanceId)).toBe(x.Status === 'Running');
    }
    const id = stopped[0]!.InstanceId;
    expect(s.fleet.agentState(id)).toBe('installed');
    s.fleet.start(id);
    expect(await statusOf(s, id)).toBe('Starting');
    s.clock.advance(20_000);
    expect(await statusOf(s, id)).toBe('Running');
    expect((await agentOf(s, id)).CloudAssistantStatus).toBe('false');
    s.clock.advance(30_000); // agentStartMs after Running
    expect((await agentOf(s, id)).CloudAssistantStatus).toBe('true');
    s.fleet.stop(id);
    expect(await statusOf(s, id)).toBe('Stopping');
    s.clock.advance(10_000);
    expect(await statusOf(s, id)).toBe('Stopped');
    // The agent stopped with the instance; the 2-minute rule still applies to its last beat.
    s.clock.advance(120_000);
    expect((await agentOf(s, id)).CloudAssistantStatus).toBe('false');
    expect(s.fleet.counts().byStatus.Stopped).toBe(stopped.length);
  });
});

describe('RebootInstance and RebootInstances', () => {
  it('go Stopping → Starting → Running; the heartbeat stops and comes back after the boot', async () => {
    const s = await start({
      instances: [{ id: 'i-r', lifecycle: { agentStartMs: { kind: 'fixed', ms: 150_000 } } }],
    });
    s.clock.advance(300_000);
    const before = await agentOf(s, 'i-r');
    expect(before.CloudAssistantStatus).toBe('true');
    const rebootAt = s.clock.now();
    const res = await call(s, 'RebootInstance', { InstanceId: 'i-r', ForceStop: 'false' });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toEqual({ RequestId: expect.any(String) });
    expect(await statusOf(s, 'i-r')).toBe('Stopping');
    s.clock.advance(10_000);
    expect(await statusOf(s, 'i-r')).toBe('Starting');
    s.clock.advance(20_000);
    expect(await statusOf(s, 'i-r')).toBe('Running');
    // The agent stopped at the reboot: "true" for up to 2 minutes after its last beat, then "false"
    // until it starts again 150 s after Running.
    expect(s.fleet.agentState('i-r')).toBe('starting');
    const lastBeat = Date.parse(before.LastHeartbeatTime!);
    s.clock.set(lastBeat + 120_000);
    expect((await agentOf(s, 'i-r')).CloudAssistantStatus).toBe('false');
    s.clock.set(rebootAt + 30_000 + 150_000);
    const after = await agentOf(s, 'i-r');
    expect(after.CloudAssistantStatus).toBe('true');
    expect(Date.parse(after.LastHeartbeatTime!)).toBe(rebootAt + 180_000);
    for (const { fromMs, toMs } of s.fleet.onlineIntervals('i-r')) {
      // No online stretch spans the boot gap.
      expect(fromMs === rebootAt + 180_000 || (toMs !== null && toMs <= lastBeat + 120_000)).toBe(true);
    }
  });

  it('refuses instances that are not Running, unknown IDs, and DryRun reboots nothing', async () => {
    const s = await start({ instances: [{ id: 'i-run' }, { id: 'i-off', stopped: true }] });
    const off = await call(s, 'RebootInstance', { RegionId: s.region, InstanceId: 'i-off' });
    expect(off.status).toBe(403);
    expect(off.json()).toMatchObject({
      Code: 'IncorrectInstanceStatus',
      Message: 'The current status of the resource does not support this operation.',
    });
    // A reboot in progress is not Running either.
    expect((await call(s, 'RebootInstance', { InstanceId: 'i-run' })).status).toBe(200);
    expect((await call(s, 'RebootInstance', { InstanceId: 'i-run' })).json()).toMatchObject({
      Code: 'IncorrectInstanceStatus',
    });
    const unknown = await call(s, 'RebootInstance', { InstanceId: 'i-nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ Code: 'InvalidInstanceId.NotFound' });
    expect((await call(s, 'RebootInstance', {})).json()).toMatchObject({
      Code: 'MissingParameter.InstanceId',
    });
    s.clock.advance(60_000);
    const dry = await call(s, 'RebootInstance', { InstanceId: 'i-run', DryRun: 'true' });
    expect(dry.json()).toMatchObject({ Code: 'DryRunOperation' });
    expect(s.fleet.instanceStatus('i-run')).toBe('Running');
    expect(
      (await call(s, 'RebootInstance', { InstanceId: 'i-run', ForceStop: 'maybe' })).json(),
    ).toMatchObject({
      Code: 'InvalidParameter.ForceStop',
    });
  });

  it('RebootInstances: AllTogether reboots all or none; SuccessFirst answers per instance', async () => {
    const s = await start({ instances: [{ id: 'i-1' }, { id: 'i-2' }, { id: 'i-3', stopped: true }] });
    const base = { RegionId: s.region, 'InstanceId.1': 'i-1', 'InstanceId.2': 'i-2' };
    const refused = await call(s, 'RebootInstances', { ...base, 'InstanceId.3': 'i-3' });
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({ Code: 'IncorrectInstanceStatus' });
    expect(s.fleet.instanceStatus('i-1')).toBe('Running');
    expect((await call(s, 'RebootInstances', { ...base, 'InstanceId.3': 'i-9' })).status).toBe(404);
    expect((await call(s, 'RebootInstances', { ...base, DryRun: 'true' })).json()).toMatchObject({
      Code: 'DRYRUN.SUCCESS',
    });
    expect(s.fleet.instanceStatus('i-1')).toBe('Running');

    const ok = await call(s, 'RebootInstances', base);
    expect(ok.status, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      InstanceResponses: {
        InstanceResponse: [
          {
            InstanceId: 'i-1',
            Code: '200',
            Message: 'success',
            PreviousStatus: 'Running',
            CurrentStatus: 'Stopping',
          },
          {
            InstanceId: 'i-2',
            Code: '200',
            Message: 'success',
            PreviousStatus: 'Running',
            CurrentStatus: 'Stopping',
          },
        ],
      },
    });
    s.clock.advance(30_000);
    const mixed = await call(s, 'RebootInstances', {
      RegionId: s.region,
      BatchOptimization: 'SuccessFirst',
      'InstanceId.1': 'i-1',
      'InstanceId.2': 'i-3',
      'InstanceId.3': 'i-9',
    });
    expect(mixed.status).toBe(200);
    expect(mixed.json()).toMatchObject({
      InstanceResponses: {
        InstanceResponse: [
          { InstanceId: 'i-1', Code: '200', PreviousStatus: 'Running', CurrentStatus: 'Stopping' },
          {
            InstanceId: 'i-3',
            Code: 'IncorrectInstanceStatus',
            PreviousStatus: 'Stopped',
            CurrentStatus: 'Stopped',
          },
          { InstanceId: 'i-9', Code: 'InvalidInstanceId.NotFound' },
        ],
      },
    });
    expect(
      (await call(s, 'RebootInstances', { ...base, BatchOptimization: 'Sometimes' })).json(),
    ).toMatchObject({ Code: 'InvalidParameter.BatchOptimization' });
    const many: Record<string, string> = { RegionId: s.region };
    for (let i = 1; i <= 101; i++) many[`InstanceId.${i}`] = `i-${i}`;
    expect((await call(s, 'RebootInstances', many)).json()).toMatchObject({
      Code: 'InstanceIds.ExceedLimit',
    });
  });
});

describe('InstallCloudAssistant', () => {
  it('without a reboot leaves the agent down; with one brings it up', async () => {
    const s = await start({ fleets: [{ ids: ['i-bare'], neverOnlineShare: 1 }] });
    s.clock.advance(120_000);
    expect(s.fleet.agentState('i-bare')).toBe('not-installed');
    expect(s.fleet.agentInstalled('i-bare')).toBe(false);
    const res = await call(s, 'InstallCloudAssistant', { RegionId: s.region, 'InstanceId.1': 'i-bare' });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toEqual({ RequestId: expect.any(String) });
    expect(s.fleet.agentInstalled('i-bare')).toBe(true);
    expect(s.fleet.agentState('i-bare')).toBe('installed');

    s.clock.advance(3_600_000); // an hour later, still no reboot: still down
    let agent = await agentOf(s, 'i-bare');
    expect(agent).toMatchObject({ CloudAssistantStatus: 'false', CloudAssistantVersion: '' });
    expect(agent.LastHeartbeatTime).toBeUndefined();

    expect((await call(s, 'RebootInstance', { RegionId: s.region, InstanceId: 'i-bare' })).status).toBe(200);
    s.clock.advance(10_000 + 20_000 + 30_000 - 1);
    expect((await agentOf(s, 'i-bare')).CloudAssistantStatus).toBe('false');
    s.clock.advance(1);
    agent = await agentOf(s, 'i-bare');
    expect(agent.CloudAssistantStatus).toBe('true');
    expect(agent.CloudAssistantVersion).not.toBe('');
    expect(s.fleet.agentState('i-bare')).toBe('online');
  });

  it('also takes effect after a stop and start, and leaves an installed agent alone', async () => {
    const s = await start({ instances: [{ id: 'i-none', onlineAfterMs: null }, { id: 'i-ok' }] });
    await call(s, 'InstallCloudAssistant', {
      RegionId: s.region,
      'InstanceId.1': 'i-none',
      'InstanceId.2': 'i-ok',
    });
    expect(s.fleet.isOnline('i-ok')).toBe(true); // untouched
    s.fleet.stop('i-none');
    s.clock.advance(10_000);
    s.fleet.start('i-none');
    s.clock.advance(50_000);
    expect(s.fleet.isOnline('i-none')).toBe(true);
  });

  it('refuses Red Hat, instances that are not Running, unknown IDs and bad counts, changing nothing', async () => {
    const s = await start({
      instances: [
        { id: 'i-rhel', onlineAfterMs: null, osName: 'Red Hat Enterprise Linux 9.2 64 bit' },
        { id: 'i-bare', onlineAfterMs: null, osName: 'Alibaba Cloud Linux 3.2104 LTS 64 bit' },
        { id: 'i-off', onlineAfterMs: null, stopped: true },
      ],
    });
    const install = (...ids: string[]) => {
      const params: Record<string, string> = { RegionId: s.region };
      ids.forEach((id, i) => {
        params[`InstanceId.${i + 1}`] = id;
      });
      return call(s, 'InstallCloudAssistant', params);
    };
    const rhel = await install('i-bare', 'i-rhel');
    expect(rhel.status).toBe(403);
    expect(rhel.json<{ Code: string; Message: string }>()).toMatchObject({ Code: 'Operation.Forbidden' });
    expect(rhel.json<{ Message: string }>().Message).toContain('Red Hat');
    expect(s.fleet.agentInstalled('i-bare')).toBe(false); // all or nothing
    expect((await install('i-off')).json()).toMatchObject({ Code: 'IncorrectInstanceStatus' });
    expect((await install('i-bare', 'i-gone')).json()).toMatchObject({ Code: 'InvalidInstance.NotFound' });
    expect((await install()).json()).toMatchObject({ Code: 'MissingParam.InstanceId' });
    expect((await install(...ids('i-many', 51))).json()).toMatchObject({ Code: 'InstanceIds.ExceedLimit' });
    expect(s.fleet.agentInstalled('i-bare')).toBe(false);
    expect((await install('i-bare')).status).toBe(200);
    expect(s.fleet.agentInstalled('i-bare')).toBe(true);
  });
});

describe('scheduled stops and starts meet the agent hooks (regressions from the property tests)', () => {
  const heartbeat = async (s: EcsSimulator, id: string) => {
    const beat = (await agentOf(s, id)).LastHeartbeatTime;
    return beat === undefined ? undefined : Date.parse(beat) - T0;
  };

  it('an agent started while a stop is scheduled stops with the instance', async () => {
    const s = await start({ instances: [{ id: 'i-a' }] }); // Running and beating from T0
    s.fleet.stop('i-a', { afterMs: 60_000 });
    s.fleet.startAgent('i-a'); // already running: it keeps running, until the stop
    s.clock.set(T0 + 59_999);
    expect(s.fleet.agentState('i-a')).toBe('online');
    s.clock.set(T0 + 60_000);
    expect(await statusOf(s, 'i-a')).toBe('Stopping');
    expect(s.fleet.agentState('i-a')).toBe('stopped');
    // Beats at T0 and 55, 60 or 65 s later (the instance's rotation), none from the stop on.
    const last = (await heartbeat(s, 'i-a'))!;
    expect([0, 55_000, 60_000]).toContain(last);
    expect(s.fleet.onlineIntervals('i-a')).toEqual([{ fromMs: T0, toMs: T0 + last + 120_000 }]);
    s.clock.set(T0 + 3_600_000);
    expect(await statusOf(s, 'i-a')).toBe('Stopped');
    expect((await agentOf(s, 'i-a')).CloudAssistantStatus).toBe('false');
    expect(await heartbeat(s, 'i-a')).toBe(last);
  });

  it('startAgent before a scheduled stop and start: down while stopped, back agentStartMs after the boot', async () => {
    const s = await start({ instances: [{ id: 'i-b', onlineAfterMs: null }] });
    s.fleet.stop('i-b', { afterMs: 10_000 }); // Stopping 10–20 s
    s.fleet.start('i-b', { afterMs: 15_000 }); // while Stopping: boots when the stop completes
    expect(
      [10_000, 19_999, 20_000, 39_999, 40_000].map((t) => s.fleet.instanceStatusAt('i-b', T0 + t)),
    ).toEqual(['Stopping', 'Stopping', 'Starting', 'Starting', 'Running']);
    s.fleet.startAgent('i-b'); // installs and starts it now
    expect(s.fleet.agentState('i-b')).toBe('online');
    s.clock.set(T0 + 10_000);
    expect(await statusOf(s, 'i-b')).toBe('Stopping');
    expect(s.fleet.agentState('i-b')).toBe('stopped');
    s.clock.set(T0 + 40_000);
    expect(await statusOf(s, 'i-b')).toBe('Running');
    expect(s.fleet.agentState('i-b')).toBe('starting');
    expect(await heartbeat(s, 'i-b')).toBe(0); // the last beat before the stop
    s.clock.set(T0 + 70_000); // Running at 40 s, plus agentStartMs
    expect(s.fleet.agentState('i-b')).toBe('online');
    expect(await heartbeat(s, 'i-b')).toBe(70_000);
    expect(s.fleet.onlineIntervals('i-b')).toEqual([{ fromMs: T0, toMs: null }]); // 2-minute rule bridges the gap
  });

  it('InstallCloudAssistant with a stop and start already scheduled: the agent comes up after that boot', async () => {
    const s = await start({ instances: [{ id: 'i-c', onlineAfterMs: null }] });
    s.fleet.stop('i-c', { afterMs: 30_000 });
    s.fleet.start('i-c', { afterMs: 60_000 }); // Starting at 60 s, Running at 80 s
    const res = await call(s, 'InstallCloudAssistant', { RegionId: s.region, 'InstanceId.1': 'i-c' });
    expect(res.status, res.body).toBe(200);
    s.clock.set(T0 + 80_000);
    expect(await statusOf(s, 'i-c')).toBe('Running');
    expect((await agentOf(s, 'i-c')).CloudAssistantStatus).toBe('false');
    s.clock.set(T0 + 110_000);
    expect((await agentOf(s, 'i-c')).CloudAssistantStatus).toBe('true');
    expect(await heartbeat(s, 'i-c')).toBe(110_000);
  });

  it('a stop at the instant the agent would first beat: no beat from an instance that never ran', async () => {
    const s = await start({ instances: [{ id: 'i-d' }] }); // Running and first beat both at T0
    s.fleet.stop('i-d');
    expect(await statusOf(s, 'i-d')).toBe('Stopping');
    const agent = await agentOf(s, 'i-d');
    expect(agent.CloudAssistantStatus).toBe('false');
    expect(agent.LastHeartbeatTime).toBeUndefined();
    expect(s.fleet.onlineIntervals('i-d')).toEqual([]);
  });

  it('fleet.start on a Stopping instance boots it when the stop completes (StartInstance itself would refuse)', async () => {
    const s = await start({ instances: [{ id: 'i-e' }] });
    s.fleet.stop('i-e'); // Stopping 0–10 s
    s.clock.set(T0 + 5_000);
    s.fleet.start('i-e');
    expect(await statusOf(s, 'i-e')).toBe('Stopping');
    s.clock.set(T0 + 10_000);
    expect(await statusOf(s, 'i-e')).toBe('Starting');
    s.clock.set(T0 + 30_000);
    expect(await statusOf(s, 'i-e')).toBe('Running');
    s.clock.set(T0 + 60_000);
    expect(await heartbeat(s, 'i-e')).toBe(60_000);
    expect(s.fleet.agentState('i-e')).toBe('online');
  });
});
