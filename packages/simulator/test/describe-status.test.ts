import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { describe as describeStatus } from './helpers.js';

interface Body {
  RequestId: string;
  TotalCount?: number;
  PageNumber?: number;
  PageSize?: number;
  NextToken?: string;
  Code?: string;
  InstanceCloudAssistantStatusSet: {
    InstanceCloudAssistantStatus: {
      InstanceId: string;
      CloudAssistantStatus: string;
      CloudAssistantVersion: string;
      LastHeartbeatTime?: string;
      OSType: string;
      SupportSessionManager: boolean;
    }[];
  };
}

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(options: SimulatorOptions) {
  sim = await startEcsSimulator({ speed: 0, startTime: '2026-01-01T00:00:00Z', ...options });
  return sim;
}
async function body(s: EcsSimulator, params: Record<string, string> = {}, ids: string[] = []) {
  const res = await describeStatus(s, params, ids);
  return { status: res.status, body: res.json<Body>() };
}
const itemIds = (b: Body) =>
  b.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.map((i) => i.InstanceId);

describe('DescribeCloudAssistantStatus paging', () => {
  it('pages by PageNumber/PageSize with the right TotalCount', async () => {
    const s = await start({ fleets: [{ count: 23 }] });
    const all = s.fleet.ids();
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const { body: b } = await body(s, { PageNumber: String(page), PageSize: '10' });
      expect(b).toMatchObject({ TotalCount: 23, PageNumber: page, PageSize: 10 });
      seen.push(...itemIds(b));
    }
    expect(seen).toEqual(all);
    const { body: beyond } = await body(s, { PageNumber: '4', PageSize: '10' });
    expect(itemIds(beyond)).toEqual([]);
  });

  it('defaults to page 1 of 10', async () => {
    const s = await start({ fleets: [{ count: 15 }] });
    const { body: b } = await body(s);
    expect(b).toMatchObject({ TotalCount: 15, PageNumber: 1, PageSize: 10 });
    expect(itemIds(b)).toHaveLength(10);
  });

  it('pages by MaxResults/NextToken without TotalCount and ends without a token', async () => {
    const s = await start({ fleets: [{ count: 12 }] });
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const { body: b } = await body(s, { MaxResults: '5', ...(token ? { NextToken: token } : {}) });
      expect(b.TotalCount).toBeUndefined();
      seen.push(...itemIds(b));
      token = b.NextToken;
      calls++;
    } while (token);
    expect(calls).toBe(3);
    expect(seen).toEqual(s.fleet.ids());
  });

  it('ignores paging when IDs are given, even invalid paging values', async () => {
    const s = await start({ fleets: [{ count: 60 }] });
    const ids = s.fleet.ids().slice(0, 55);
    const { status, body: b } = await body(s, { PageSize: '100', PageNumber: '3' }, ids);
    expect(status).toBe(200);
    expect(itemIds(b)).toEqual(ids);
    expect(b.TotalCount).toBe(55);
  });

  it('filters by OSType with and without IDs', async () => {
    const s = await start({
      fleets: [
        { count: 4, osType: 'Linux' },
        { count: 3, osType: 'Windows' },
      ],
    });
    const { body: windows } = await body(s, { OSType: 'Windows', PageSize: '50' });
    expect(windows.TotalCount).toBe(3);
    expect(
      windows.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.every(
        (i) => i.OSType === 'Windows',
      ),
    ).toBe(true);
    const { body: someLinux } = await body(s, { OSType: 'Linux' }, s.fleet.ids());
    expect(itemIds(someLinux)).toHaveLength(4);
  });
});

describe('DescribeCloudAssistantStatus validation', () => {
  it.each([
    [{ PageSize: '51' }, 400, 'InvalidParam.PageSize'],
    [{ PageSize: '0' }, 400, 'InvalidParam.PageSize'],
    [{ PageSize: 'ten' }, 400, 'InvalidParam.PageSize'],
    [{ PageNumber: '0' }, 400, 'InvalidParam.PageNumber'],
    [{ PageNumber: '-1' }, 400, 'InvalidParam.PageNumber'],
    [{ MaxResults: '51' }, 400, 'InvalidParameter.MaxResults'],
    [{ MaxResults: '0' }, 400, 'InvalidParameter.MaxResults'],
    [{ MaxResults: 'many' }, 400, 'InvalidParameter.MaxResults'],
    [{ NextToken: 'garbage' }, 400, 'InvalidParameter.NextToken'],
    [{ MaxResults: '5', NextToken: 'Y2FzOng' }, 400, 'InvalidParameter.NextToken'],
    [{ RegionId: 'mars-north-1' }, 404, 'InvalidRegionId.NotFound'],
    [{ RegionId: 'cn-beijing' }, 400, 'RegionId.ApiNotSupported'],
    [{ RegionId: '' }, 400, 'MissingRegionId'],
  ] as const)('answers %j with %i %s', async (params, status, code) => {
    const s = await start({ fleets: [{ count: 2 }] });
    const res = await body(s, params);
    expect(res.status).toBe(status);
    expect(res.body.Code).toBe(code);
  });

  it('answers 101 IDs with 403 InstanceIds.ExceedLimit and accepts 100', async () => {
    const s = await start({ fleets: [{ count: 101 }] });
    const ids = s.fleet.ids();
    expect((await body(s, {}, ids)).body).toMatchObject({ Code: 'InstanceIds.ExceedLimit' });
    expect((await body(s, {}, ids)).status).toBe(403);
    expect((await body(s, {}, ids.slice(0, 100))).status).toBe(200);
  });

  it('fails the whole request with 404 InvalidInstance.NotFound for an unknown ID by default', async () => {
    const s = await start({ fleets: [{ count: 2 }] });
    const res = await body(s, {}, [...s.fleet.ids(), 'i-doesnotexist']);
    expect(res.status).toBe(404);
    expect(res.body.Code).toBe('InvalidInstance.NotFound');
  });

  it('leaves unknown IDs out in omit mode, switchable at run time', async () => {
    const s = await start({ fleets: [{ count: 2 }], notFoundMode: 'omit' });
    const res = await body(s, {}, [...s.fleet.ids(), 'i-doesnotexist']);
    expect(res.status).toBe(200);
    expect(itemIds(res.body)).toEqual(s.fleet.ids());
    s.notFoundMode = 'error';
    expect((await body(s, {}, ['i-doesnotexist'])).status).toBe(404);
  });

  it('treats an instance of another region as unknown and serves several regions', async () => {
    const s = await start({
      regions: ['cn-hangzhou', 'cn-beijing'],
      fleets: [{ count: 2 }, { count: 3, region: 'cn-beijing' }],
    });
    const beijing = s.fleet.ids({ region: 'cn-beijing' });
    expect(beijing.every((id) => id.startsWith('i-2ze'))).toBe(true);
    expect((await body(s, { RegionId: 'cn-beijing' })).body.TotalCount).toBe(3);
    expect((await body(s, {}, beijing)).status).toBe(404);
  });
});

describe('agents over simulated time', () => {
  it('reports "true" only while the last heartbeat is under 2 minutes old', async () => {
    const s = await start({ instances: [{ id: 'i-a', onlineAfterMs: 30_000 }] });
    const read = async () =>
      (await body(s, {}, ['i-a'])).body.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0]!;
    let item = await read();
    expect(item).toMatchObject({ CloudAssistantStatus: 'false', CloudAssistantVersion: '' });
    expect(item.LastHeartbeatTime).toBeUndefined();
    expect(s.fleet.agentState('i-a')).toBe('starting');

    s.clock.advance(30_000);
    item = await read();
    expect(item).toMatchObject({ CloudAssistantStatus: 'true', LastHeartbeatTime: '2026-01-01T00:00:30Z' });
    expect(item.CloudAssistantVersion).not.toBe('');
    expect(s.fleet.isOnline('i-a')).toBe(true);

    s.clock.advance(50_000); // 80 s after start: no beat yet (the first interval is at least 55 s)
    expect((await read()).LastHeartbeatTime).toBe('2026-01-01T00:00:30Z');
    s.clock.advance(20_000); // 100 s: one more beat at 85, 90 or 95 s
    expect(['2026-01-01T00:01:25Z', '2026-01-01T00:01:30Z', '2026-01-01T00:01:35Z']).toContain(
      (await read()).LastHeartbeatTime,
    );

    s.fleet.stopAgent('i-a');
    expect(s.fleet.agentState('i-a')).toBe('stopped');
    const lastBeat = Date.parse((await read()).LastHeartbeatTime!);
    s.clock.set(lastBeat + 119_000);
    expect((await read()).CloudAssistantStatus).toBe('true');
    expect(s.fleet.isOnline('i-a')).toBe(true);
    s.clock.set(lastBeat + 120_000);
    expect((await read()).CloudAssistantStatus).toBe('false');
    expect(s.fleet.isOnline('i-a')).toBe(false);

    s.fleet.startAgent('i-a');
    expect((await read()).CloudAssistantStatus).toBe('true');
  });

  it('spaces heartbeats 55, 60 or 65 s apart', async () => {
    const s = await start({ instances: [{ id: 'i-b' }] });
    const beats = new Set<string>();
    for (let i = 0; i < 40; i++) {
      beats.add(s.fleet.status('i-b')!.LastHeartbeatTime!);
      s.clock.advance(5_000);
    }
    const times = [...beats].map(Date.parse);
    const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000);
    expect(gaps.length).toBeGreaterThan(2);
    for (const gap of gaps) expect([55, 60, 65]).toContain(gap);
  });

  it('shows installing and not-installed agents as offline with no version', async () => {
    const s = await start({ instances: [{ id: 'i-none', onlineAfterMs: null }] });
    expect(s.fleet.agentState('i-none')).toBe('not-installed');
    s.fleet.installAgent('i-none', { durationMs: 60_000 });
    expect(s.fleet.agentState('i-none')).toBe('installing');
    expect(s.fleet.status('i-none')).toMatchObject({
      CloudAssistantStatus: 'false',
      CloudAssistantVersion: '',
    });
    s.clock.advance(60_000);
    expect(s.fleet.agentState('i-none')).toBe('online');
    expect(s.fleet.isOnline('i-none')).toBe(true);
  });

  it('reports SupportSessionManager by the documented version thresholds', async () => {
    const s = await start({
      instances: [
        { id: 'i-l-new', agentVersion: '2.2.3.189' },
        { id: 'i-l-old', agentVersion: '2.2.3.188' },
        { id: 'i-w-new', osType: 'Windows', agentVersion: '2.1.3.189' },
        { id: 'i-w-old', osType: 'Windows', agentVersion: '2.1.2.999' },
      ],
    });
    expect(s.fleet.status('i-l-new')!.SupportSessionManager).toBe(true);
    expect(s.fleet.status('i-l-old')!.SupportSessionManager).toBe(false);
    expect(s.fleet.status('i-w-new')!.SupportSessionManager).toBe(true);
    expect(s.fleet.status('i-w-old')!.SupportSessionManager).toBe(false);
  });

  it('keeps instances out of the API until they appear', async () => {
    const s = await start({ instances: [{ id: 'i-late', appearAfterMs: 10_000 }] });
    expect((await body(s, {}, ['i-late'])).status).toBe(404);
    expect((await body(s)).body.TotalCount).toBe(0);
    s.clock.advance(10_000);
    expect((await body(s, {}, ['i-late'])).status).toBe(200);
    expect((await body(s)).body.TotalCount).toBe(1);
  });

  it('lets flapping agents go offline again and come back', async () => {
    const s = await start({
      fleets: [
        {
          count: 1,
          bootMs: { kind: 'fixed', ms: 10_000 },
          flappingShare: 1,
          flapping: { upMs: { kind: 'fixed', ms: 60_000 }, downMs: { kind: 'fixed', ms: 300_000 } },
        },
      ],
    });
    const [id] = s.fleet.ids() as [string];
    s.clock.advance(10_000);
    expect(s.fleet.isOnline(id)).toBe(true);
    s.clock.advance(60_000 + 120_000); // stopped at 70 s; the last beat is 2 minutes old at 190 s at the latest
    expect(s.fleet.isOnline(id)).toBe(false);
    expect(s.fleet.agentState(id)).toBe('stopped');
    s.clock.advance(200_000); // back up at 370 s
    expect(s.fleet.isOnline(id)).toBe(true);
  });

  it('creates managed instances with mi- IDs', async () => {
    const s = await start({ fleets: [{ count: 20, managedShare: 1 }] });
    expect(s.fleet.ids().every((id) => /^mi-[a-z0-9]{15}$/.test(id))).toBe(true);
  });

  it('reproduces boot times from the seed and changes them with another seed', async () => {
    const boots = async (seed: string, kind: 'uniform' | 'lognormal') => {
      const s = await startEcsSimulator({
        speed: 0,
        startTime: '2026-01-01T00:00:00Z',
        seed,
        fleets: [
          {
            count: 200,
            neverOnlineShare: 0.1,
            bootMs:
              kind === 'uniform'
                ? { kind: 'uniform', minMs: 30_000, maxMs: 90_000 }
                : { kind: 'lognormal', medianMs: 60_000, sigma: 0.4 },
          },
        ],
      });
      const out = s.fleet.ids().map((id) => [id, s.fleet.onlineAt(id)]);
      await s.close();
      return out;
    };
    for (const kind of ['uniform', 'lognormal'] as const) {
      const a = await boots('seed-a', kind);
      expect(await boots('seed-a', kind)).toEqual(a);
      expect(await boots('seed-b', kind)).not.toEqual(a);
      const never = a.filter(([, at]) => at === undefined).length;
      expect(never).toBeGreaterThan(5);
      expect(never).toBeLessThan(40);
    }
  });

  it('samples lognormal boots around their median and uniform boots inside their range', async () => {
    const s = await start({
      fleets: [
        { count: 2000, bootMs: { kind: 'lognormal', medianMs: 60_000, sigma: 0.4 } },
        { count: 500, bootMs: { kind: 'uniform', minMs: 30_000, maxMs: 90_000 } },
      ],
    });
    const created = s.clock.now();
    const delays = s.fleet.ids().map((id) => s.fleet.onlineAt(id)! - created);
    const lognormal = delays.slice(0, 2000).sort((a, b) => a - b);
    expect(lognormal[1000]!).toBeGreaterThan(54_000);
    expect(lognormal[1000]!).toBeLessThan(66_000);
    expect(delays.slice(2000).every((d) => d >= 30_000 && d <= 90_000)).toBe(true);
  });

  it('runs the fleet clock at the speed factor', async () => {
    const s = await startEcsSimulator({ speed: 60, instances: [{ id: 'i-fast', onlineAfterMs: 60_000 }] });
    sim = s;
    expect(s.fleet.isOnline('i-fast')).toBe(false);
    await new Promise((r) => setTimeout(r, 1100));
    expect(s.fleet.isOnline('i-fast')).toBe(true);
  });

  it('creates and queries a 100,000-instance fleet cheaply', async () => {
    const before = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const s = await start({ fleets: [{ count: 100_000, osType: { Linux: 3, Windows: 1 } }] });
    const created = performance.now() - t0;
    s.clock.advance(10 * 60_000);
    const ids = s.fleet.ids().slice(50_000, 50_100);
    const res = await body(s, {}, ids);
    expect(itemIds(res.body)).toEqual(ids);
    expect(s.fleet.counts().total).toBe(100_000);
    expect(created).toBeLessThan(5_000);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(150 * 1024 * 1024);
  });
});
