import {
  type EcsInstanceStatus,
  type InstanceStatus,
  rateLimitedSource,
  type StatusSource,
} from '@cloud-assistant-gate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  type ReadinessProgress,
  type ReadinessReport,
  waitForCloudAssistant,
  watchCloudAssistant,
} from '../src/index.js';
import { FakeApiError, settle, step, useFakeClock } from './fleet.js';

useFakeClock();

const online = (id: string): InstanceStatus => ({
  instanceId: id,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '2.2.3.189',
  lastHeartbeatTime: new Date().toISOString(),
});

/** A region that knows `known` (all online), answering unknown IDs with a 404 for the batch or leaving them out. */
function region(known: ReadonlySet<string>, mode: '404' | 'omit', log: string[][]): StatusSource {
  return async (ids) => {
    log.push([...ids]);
    if (mode === '404' && ids.some((id) => !known.has(id)))
      throw new FakeApiError('InvalidInstance.NotFound', false, 404);
    return ids.filter((id) => known.has(id)).map(online);
  };
}

describe('one wait over several regions (fake regions)', () => {
  it('locates bare IDs in the listed order within the first round, and polls pre-assigned IDs only in their region', async () => {
    const a = new Set(['i-a1', 'i-a2', 'i-a3']);
    const b = new Set(['i-b1', 'i-b2']);
    const logA: string[][] = [];
    const logB: string[][] = [];
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(['i-a1', 'i-b1', 'cn-b:i-b2', 'i-a2', 'cn-a:i-a3', 'i-nowhere'], {
        clients: { 'cn-a': region(a, 'omit', logA), 'cn-b': region(b, 'omit', logB) },
        notFound: 'fail',
        minReady: 5,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    expect(result.ok).toBe(true);
    const report = (result as { value: ReadinessReport }).value;
    expect(report.rounds).toBe(1);
    expect(report.regions).toEqual(['cn-a', 'cn-b']);
    expect(report.instances.map((i) => [i.instanceId, i.region, i.ready])).toEqual([
      ['i-a1', 'cn-a', true],
      ['i-b1', 'cn-b', true],
      ['i-b2', 'cn-b', true],
      ['i-a2', 'cn-a', true],
      ['i-a3', 'cn-a', true],
      ['i-nowhere', undefined, false],
    ]);
    expect(report.notFound).toEqual(['i-nowhere']);
    // Region a: its own ID in one batch, the bare ones in another; region b: its own, then what a did not know.
    expect(logA).toEqual([['i-a3'], ['i-a1', 'i-b1', 'i-a2', 'i-nowhere']]);
    expect(logB).toEqual([['i-b2'], ['i-b1', 'i-nowhere']]);
    expect(progress[0]!.newlyReadyInstances).toEqual([
      { instanceId: 'i-a1', region: 'cn-a' },
      { instanceId: 'i-b1', region: 'cn-b' },
      { instanceId: 'i-b2', region: 'cn-b' },
      { instanceId: 'i-a2', region: 'cn-a' },
      { instanceId: 'i-a3', region: 'cn-a' },
    ]);
  });

  it('finds every ID in its true region, or not found, with each ID polled at most once per region per round; exact calls when unknown IDs are left out (property)', async () => {
    const regions: readonly string[] = ['r-a', 'r-b', 'r-c'];
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            home: fc.constantFrom(0, 1, 2, -1), // -1: known in no region
            given: fc.boolean(), // given with its region
          }),
          { minLength: 1, maxLength: 260 },
        ),
        fc.constantFrom('404' as const, 'omit' as const),
        async (specs, mode) => {
          const ids = specs.map((_, i) => `i-p${i}`);
          const known = regions.map((_, r) => new Set(ids.filter((_, i) => specs[i]!.home === r)));
          const logs = regions.map(() => [] as string[][]);
          const input = ids.map((id, i) => {
            const s = specs[i]!;
            return s.given && s.home >= 0 ? `${regions[s.home]}:${id}` : id;
          });
          const reachable = specs.filter((s) => s.home >= 0).length;
          const result = await settle(
            waitForCloudAssistant(input, {
              clients: Object.fromEntries(regions.map((r, k) => [r, region(known[k]!, mode, logs[k]!)])),
              notFound: 'fail',
              minReady: Math.max(1, reachable),
              maxBisectionCallsPerRound: 1_000,
            }),
            step,
          );
          const report = result.ok ? result.value : undefined;
          const instances =
            report?.instances ??
            [...(result as { error: CloudAssistantTimeoutError }).error.pending].map((p) => ({
              instanceId: p.instanceId,
              region: p.region,
              ready: false,
            }));
          if (reachable > 0) {
            expect(result.ok).toBe(true);
            for (const i of instances) {
              const home = specs[Number(i.instanceId.slice(3))]!.home;
              expect(i.region).toBe(home >= 0 ? regions[home] : undefined);
              expect(i.ready).toBe(home >= 0);
            }
          }
          if (mode === 'omit' && reachable > 0 && report?.rounds === 1) {
            // Per region: one batch per 100 pre-assigned IDs and one per 100 IDs being located.
            let locating = specs.filter((s) => !(s.given && s.home >= 0)).map((s) => s.home);
            let expected = 0;
            regions.forEach((_, r) => {
              const own = specs.filter((s) => s.given && s.home === r).length;
              expected += Math.ceil(own / 100) + Math.ceil(locating.length / 100);
              locating = locating.filter((h) => h !== r);
            });
            expect(report.apiCalls).toBe(expected);
          }
          if (mode === 'omit') {
            // Without NotFound errors nothing is re-sent: an ID is in at most one call per region.
            for (const log of logs) {
              const flat = log.flat();
              expect(new Set(flat).size).toBe(flat.length);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('instance-status lookups (fake clock)', () => {
  const running =
    (log: number[]) =>
    async (ids: readonly string[]): Promise<EcsInstanceStatus[]> => {
      log.push(Date.now());
      return ids.map((instanceId) => ({ instanceId, status: 'Running' }));
    };
  const agentless = (id: string): InstanceStatus => ({
    instanceId: id,
    cloudAssistantStatus: false,
    cloudAssistantVersion: '',
  });
  const client = (log: number[], instanceStatus = running(log)) => ({
    region: 'cn-hangzhou',
    statusSource: (async (ids) => ids.map(agentless)) as StatusSource,
    instanceStatus,
  });

  it('calls an agent missing (not-installed) only after two lookups a minute apart saw the instance Running', async () => {
    const log: number[] = [];
    const start = Date.now();
    const long = await settle(
      waitForCloudAssistant(['i-x'], { client: client(log), timeoutMs: 180_000 }),
      step,
    );
    expect(isCloudAssistantTimeoutError((long as { error: unknown }).error)).toBe(true);
    const t = (long as { error: CloudAssistantTimeoutError }).error;
    expect(t.pending).toEqual([
      expect.objectContaining({ instanceId: 'i-x', reason: 'not-installed', instanceStatus: 'Running' }),
    ]);
    // One lookup a minute in (agents never reported), one at the end.
    expect(log.map((at) => Math.round((at - start) / 1000))).toEqual([
      expect.toSatisfy((s: number) => s >= 60 && s < 85),
      expect.toSatisfy((s: number) => s >= 179 && s <= 182),
    ]);
    expect(t.instanceStatusCalls).toBe(2);

    const short: number[] = [];
    const quick = await settle(
      waitForCloudAssistant(['i-x'], { client: client(short), timeoutMs: 30_000 }),
      step,
    );
    expect((quick as { error: CloudAssistantTimeoutError }).error.pending[0]!.reason).toBe(
      'no-heartbeat-yet',
    );
    expect(short).toHaveLength(1);
  });

  it("with stoppedInstances: 'fail', looks up after the first round and then every 30 s", async () => {
    const log: number[] = [];
    const start = Date.now();
    await settle(
      waitForCloudAssistant(['i-x'], { client: client(log), timeoutMs: 100_000, stoppedInstances: 'fail' }),
      step,
    );
    const at = log.map((t) => (t - start) / 1000);
    expect(at[0]).toBeLessThan(1);
    for (let i = 1; i < at.length - 1; i++) {
      expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(30);
      expect(at[i]! - at[i - 1]!).toBeLessThan(52);
    }
    expect(at.length).toBeGreaterThanOrEqual(4);
  });

  it('bounds the end-of-wait lookup in time: a lookup that never answers delays the timeout by at most 3 s', async () => {
    const start = Date.now();
    const hang = (() => new Promise<EcsInstanceStatus[]>(() => {})) as () => Promise<EcsInstanceStatus[]>;
    const result = await settle(
      waitForCloudAssistant(['i-x'], { client: client([], hang), timeoutMs: 20_000 }),
      step,
    );
    const t = (result as { error: CloudAssistantTimeoutError }).error;
    expect(isCloudAssistantTimeoutError(t)).toBe(true);
    expect(t.pending[0]!.reason).toBe('no-heartbeat-yet'); // the engine's own reason: no lookup, no proof
    expect(Date.now() - start).toBeLessThanOrEqual(20_000 + 3_100);
  });

  it('a cancel during the end-of-wait lookup rejects at once with the reason', async () => {
    const ac = new AbortController();
    const reason = new Error('cancelled');
    const hang = () =>
      new Promise<EcsInstanceStatus[]>(() => {
        setTimeout(() => ac.abort(reason), 100);
      });
    const result = await settle(
      waitForCloudAssistant(['i-x'], { client: client([], hang), timeoutMs: 5_000, signal: ac.signal }),
      step,
    );
    expect(result).toEqual({ ok: false, error: reason });
  });

  it('keeps nothing raw from a lookup: a status with control characters becomes Unknown (instance-not-running)', async () => {
    const hostile = async (ids: readonly string[]): Promise<EcsInstanceStatus[]> =>
      ids.map((instanceId) => ({ instanceId, status: '\x1b[2J\x1b[31mRunning' }));
    const result = await settle(
      waitForCloudAssistant(['i-x'], { client: client([], hostile), timeoutMs: 5_000 }),
      step,
    );
    const t = (result as { error: CloudAssistantTimeoutError }).error;
    expect(t.pending[0]).toMatchObject({ reason: 'instance-not-running', instanceStatus: 'Unknown' });
    expect(JSON.stringify(t.pending)).not.toContain('\\u001b');
  });

  it('never fails the outcome when the lookup throws, and stops looking up after a permanent error', async () => {
    const calls: number[] = [];
    const denied = async () => {
      calls.push(Date.now());
      throw new FakeApiError('Forbidden.RAM', false, 403);
    };
    const result = await settle(
      waitForCloudAssistant(['i-x'], {
        client: client([], denied),
        timeoutMs: 100_000,
        stoppedInstances: 'fail',
      }),
      step,
    );
    const t = (result as { error: CloudAssistantTimeoutError }).error;
    expect(isCloudAssistantTimeoutError(t)).toBe(true);
    expect(t.pending[0]!.reason).toBe('no-heartbeat-yet');
    expect(calls).toHaveLength(1);
  });
});

describe('request budgets per region (core owns them; the waiter has none)', () => {
  /** A region that knows every ID (all online) and logs when each call starts. */
  const logged =
    (log: number[]): StatusSource =>
    async (ids) => {
      log.push(Date.now());
      return ids.map(online);
    };

  it('gives each region’s plain function a budget of its own: maxRequestsPerSecond paces each region apart', async () => {
    const a: number[] = [];
    const b: number[] = [];
    const list = [
      ...Array.from({ length: 400 }, (_, i) => `cn-a:i-a${i}`),
      ...Array.from({ length: 400 }, (_, i) => `cn-b:i-b${i}`),
    ];
    const start = Date.now();
    const result = await settle(
      waitForCloudAssistant(list, {
        clients: { 'cn-a': logged(a), 'cn-b': logged(b) },
        maxRequestsPerSecond: 2,
      }),
      step,
    );
    expect(result.ok).toBe(true);
    // Four calls per region, 500 ms apart in each, both regions at once (one shared budget
    // would space all eight 500 ms apart).
    for (const log of [a, b]) expect(log.map((t) => t - start)).toEqual([0, 500, 1000, 1500]);
  });

  it('refuses maxRequestsPerSecond with a client that has its own (shared) budget, naming it', () => {
    const shared = rateLimitedSource(async (ids) => ids.map(online));
    expect(() =>
      watchCloudAssistant(['i-a'], {
        clients: { 'cn-a': async () => [], 'cn-b': shared },
        maxRequestsPerSecond: 5,
      }),
    ).toThrow(/clients\["cn-b"\] has its own \(shared\) request budget/);
    expect(() => watchCloudAssistant(['i-a'], { client: shared, maxRequestsPerSecond: 5 })).toThrow(
      /this client has its own \(shared\) request budget: set maxRequestsPerSecond in createEcsClient/,
    );
    // Without the option a shared budget is used as it is (the observable is cold: nothing runs).
    expect(() => watchCloudAssistant(['i-a'], { clients: { 'cn-a': shared } })).not.toThrow();
  });
});
