import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  isStatusSourceError,
  type QuorumUnreachableError,
  type ReadinessProgress,
  type ReadinessReport,
  type StatusSourceError,
  waitForCloudAssistant,
  watchCloudAssistant,
} from '../src/index.js';
import { FakeApiError, fakeFleet, ids, prng, settle } from './fleet.js';

const T0 = Date.UTC(2026, 10, 28, 3, 0, 0);
const now = () => Date.now();
const step = () => vi.advanceTimersByTimeAsync(100);

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Sum of ceil(polled / 100) over the rounds seen by onProgress. */
const batchSum = (progress: readonly ReadinessProgress[]) =>
  progress.reduce((sum, p) => sum + Math.ceil(p.polled / 100), 0);

describe('waitForCloudAssistant with a fake fleet', () => {
  it('waits for 1,000 instances arriving over five minutes, polling only the pending ones', async () => {
    const fleetIds = ids(1000);
    const arrival = prng(1);
    const onlineAfter = new Map(fleetIds.map((id) => [id, Math.floor(arrival() * 300_000)]));
    const fleet = fakeFleet({ now, onlineAfterMs: (id) => onlineAfter.get(id)! });
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        random: prng(2),
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    expect(result.ok).toBe(true);
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toEqual(fleetIds);
    expect(report.pending).toEqual([]);
    // Every instance was reported ready after it came online, and within one max delay of it.
    for (const entry of report.instances) {
      const online = onlineAfter.get(entry.instanceId)!;
      expect(entry.readyAfterMs).toBeGreaterThanOrEqual(online);
      expect(entry.readyAfterMs! - online).toBeLessThanOrEqual(20_000);
      expect(entry.status?.cloudAssistantStatus).toBe(true);
    }
    // The call count is exactly the sum of ceil(pending / 100) over the rounds.
    expect(report.apiCalls).toBe(batchSum(progress));
    expect(report.apiCalls).toBe(fleet.calls.length);
    expect(progress.reduce((s, p) => s + p.batchCalls, 0)).toBe(fleet.calls.length);
    expect(report.rounds).toBe(progress.length);
    expect(report.bisectionCalls).toBe(0);
    expect(fleet.calls.every((c) => c.ids.length <= 100)).toBe(true);
    // Ready instances are never polled again.
    for (const call of fleet.calls) {
      for (const id of call.ids) expect(call.at - T0).toBeLessThanOrEqual(onlineAfter.get(id)! + 20_000);
    }
    expect(progress.at(-1)?.done).toBe(true);
    expect(progress.at(-1)?.report).toBe(report);
    expect(vi.getTimerCount()).toBe(0);
    console.log(
      `1,000 arriving over 300 s: ${report.rounds} rounds, ${report.apiCalls} calls, done after ${report.elapsedMs} ms`,
    );
  });

  it('times out with an exact per-instance report for instances that never come up', async () => {
    const fleetIds = ids(250);
    const never = new Set([fleetIds[3]!, fleetIds[120]!, fleetIds[249]!]);
    const notInstalled = new Set([fleetIds[7]!, fleetIds[200]!]);
    const fleet = fakeFleet({
      now,
      onlineAfterMs: (id) => (never.has(id) ? Number.POSITIVE_INFINITY : 5000),
      notInstalled,
      status: (id) => (never.has(id) ? { lastHeartbeatTime: '2026-11-28T02:00:00.000Z' } : {}),
    });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, timeoutMs: 60_000, random: prng(3) }),
      step,
    );
    expect(result.ok).toBe(false);
    const error = (result as { error: CloudAssistantTimeoutError }).error;
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    expect(error.code).toBe('WAITER_TIMEOUT');
    expect(error.pending.map((p) => [p.instanceId, p.reason])).toEqual([
      [fleetIds[3], 'agent-offline'],
      [fleetIds[7], 'not-installed'],
      [fleetIds[120], 'agent-offline'],
      [fleetIds[200], 'not-installed'],
      [fleetIds[249], 'agent-offline'],
    ]);
    expect(error.pending[0]?.status?.lastHeartbeatTime).toBe('2026-11-28T02:00:00.000Z');
    expect(error.ready).toHaveLength(245);
    expect(error.message).toMatch(
      /^Cloud Assistant was not ready on 5 of 250 instances after 60 s \(245 ready, 250 needed\): i-fleet000003 \(agent-offline\), i-fleet000007 \(not-installed\), i-fleet000120 \(agent-offline\) and 2 more;/,
    );
    // The final poll happened just before the deadline, not a max delay early.
    const lastCall = fleet.calls.at(-1)!.at - T0;
    expect(lastCall).toBeGreaterThanOrEqual(59_000);
    expect(lastCall).toBeLessThan(60_000);
    expect(error.elapsedMs).toBeLessThanOrEqual(60_000);
    expect(error.apiCalls).toBe(fleet.calls.length);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('tolerates 20 % transient failures and counts them by code', async () => {
    const fleetIds = ids(1000);
    const arrival = prng(4);
    const onlineAfter = new Map(fleetIds.map((id) => [id, Math.floor(arrival() * 120_000)]));
    const faults = prng(5);
    const fleet = fakeFleet({
      now,
      onlineAfterMs: (id) => onlineAfter.get(id)!,
      fault: () => {
        if (faults() < 0.2) throw new FakeApiError('ServiceUnavailable', true, 503);
      },
    });
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        random: prng(6),
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    expect(result.ok).toBe(true);
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toHaveLength(1000);
    expect(report.errors['ServiceUnavailable']).toBeGreaterThan(0);
    expect(report.apiCalls).toBe(batchSum(progress));
    expect(report.apiCalls).toBe(fleet.calls.length);
  });

  it('rejects at once with the API error as cause on a permanent error', async () => {
    const fleetIds = ids(1000);
    const forbidden = new FakeApiError('Forbidden.RAM', false, 403);
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      fault: () => {
        throw forbidden;
      },
      latencyMs: 50,
    });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, concurrency: 3, maxRequestsPerSecond: 1000 }),
      step,
    );
    expect(result.ok).toBe(false);
    const error = (result as { error: StatusSourceError }).error;
    expect(isStatusSourceError(error)).toBe(true);
    expect(error.cause).toBe(forbidden);
    expect(error.apiCode).toBe('Forbidden.RAM');
    expect(error.message).toMatch(
      /^DescribeCloudAssistantStatus failed with Forbidden\.RAM, which waiting cannot fix/,
    );
    expect(Date.now() - T0).toBeLessThanOrEqual(200);
    // The other calls in flight were aborted and no new batch started.
    expect(fleet.calls.length).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('treats an error without a retryable flag as permanent unless it looks transient', async () => {
    const sdkError = Object.assign(new Error('InvalidParameter'), {
      code: 'InvalidParameter',
      statusCode: 400,
    });
    const result = await settle(
      waitForCloudAssistant(['i-a1'], {
        client: async () => {
          throw sdkError;
        },
      }),
      step,
    );
    expect(isStatusSourceError((result as { error: unknown }).error)).toBe(true);
  });

  it('resolves as soon as the quorum is met, listing the instances still pending', async () => {
    const fleetIds = ids(100);
    const fleet = fakeFleet({ now, onlineAfterMs: (id) => (Number(id.slice(-2)) < 60 ? 10_000 : Infinity) });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, minReady: 0.6, random: prng(7) }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.required).toBe(60);
    expect(report.ready).toHaveLength(60);
    expect(report.pending).toHaveLength(40);
    expect(report.elapsedMs).toBeLessThanOrEqual(10_000 + 20_000);
    expect(report.instances[99]?.reason).toBe('agent-offline');
  });

  it('accepts a core-client-like object and uses its statusSource', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const client = { region: 'cn-hangzhou', statusSource: fleet.source };
    const result = await settle(waitForCloudAssistant(['i-a1', 'i-a2'], { client }), step);
    expect((result as { value: ReadinessReport }).value.ready).toEqual(['i-a1', 'i-a2']);
  });

  it('resolves an empty list at once with an empty report and no call', async () => {
    const source = vi.fn();
    const report = await waitForCloudAssistant([], { client: source });
    expect(report).toMatchObject({ total: 0, ready: [], pending: [], notFound: [], apiCalls: 0, rounds: 0 });
    expect(source).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('emits the same progress through the Observable, cold, one wait per subscription', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: (id) => (id === 'i-a2' ? 7000 : 0) });
    const watch = watchCloudAssistant(['i-a1', 'i-a2', 'i-a1'], { client: fleet.source, random: () => 0 });
    expect(fleet.calls).toHaveLength(0);
    const result = await settle(lastValueFrom(watch.pipe(toArray())), step);
    const events = (result as { value: ReadinessProgress[] }).value;
    expect(events.map((e) => [e.round, e.readyCount, e.pendingCount, e.newlyReady, e.nextDelayMs])).toEqual([
      [1, 1, 1, ['i-a1'], 2000],
      [2, 1, 1, [], 3000],
      [3, 1, 1, [], 6000],
      [4, 2, 0, ['i-a2'], undefined],
    ]);
    expect(events.map((e) => e.elapsedMs)).toEqual([0, 2000, 5000, 11_000]);
    expect(events.at(-1)?.report?.instances[1]?.readyAt).toBe(new Date(T0 + 11_000).toISOString());
    const callsBefore = fleet.calls.length;
    await settle(lastValueFrom(watch), step);
    expect(fleet.calls.length).toBeGreaterThan(callsBefore);
  });

  it('counts apiCalls, retries and throttling from onAttempt when the source reports attempts', async () => {
    let call = 0;
    const result = await settle(
      waitForCloudAssistant(ids(150), {
        client: async (batch, { onAttempt }) => {
          call++;
          onAttempt?.({
            action: 'DescribeCloudAssistantStatus',
            attempt: 1,
            durationMs: 5,
            throttled: call === 1,
            apiCode: call === 1 ? 'Throttling.User' : undefined,
            statusCode: call === 1 ? 400 : 200,
          });
          if (call === 1) {
            onAttempt?.({
              action: 'DescribeCloudAssistantStatus',
              attempt: 2,
              durationMs: 5,
              throttled: false,
              statusCode: 200,
            });
          }
          return batch.map((id) => ({
            instanceId: id,
            cloudAssistantStatus: true,
            cloudAssistantVersion: '2.2.3',
          }));
        },
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report).toMatchObject({
      apiCalls: 3,
      retries: 1,
      throttledCalls: 1,
      errors: { 'Throttling.User': 1 },
    });
  });

  it('spaces calls to maxRequestsPerSecond', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    await settle(waitForCloudAssistant(ids(1000), { client: fleet.source, maxRequestsPerSecond: 2 }), step);
    expect(fleet.calls.map((c) => c.at - T0)).toEqual([
      0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500,
    ]);
  });

  it('halves the rate when throttled and counts throttled calls', async () => {
    let n = 0;
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      fault: () => {
        n++;
        if (n === 1) throw new FakeApiError('Throttling.User', true, 400);
      },
    });
    const result = await settle(
      waitForCloudAssistant(ids(300), { client: fleet.source, maxRequestsPerSecond: 4, concurrency: 1 }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.throttledCalls).toBe(1);
    expect(report.errors).toEqual({ 'Throttling.User': 1 });
    const starts = fleet.calls.map((c) => c.at - T0);
    // 4/s → 250 ms apart; after the throttle the limiter drops to 2/s (500 ms), then recovers.
    expect(starts.slice(0, 3)).toEqual([0, 250, 750]);
    expect(report.ready).toHaveLength(300);
  });
});

describe('deadline', () => {
  it('includes API latency: a call still in flight at the deadline is aborted and reported', async () => {
    const seen: AbortSignal[] = [];
    const result = await settle(
      waitForCloudAssistant(['i-slow1', 'i-slow2'], {
        client: (_ids, { signal }) => {
          seen.push(signal);
          return new Promise(() => {}); // a source that ignores its signal and never answers
        },
        timeoutMs: 3000,
        minDelayMs: 1000,
      }),
      step,
    );
    const error = (result as { error: CloudAssistantTimeoutError }).error;
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    expect(Date.now() - T0).toBe(3000);
    expect(error.pending.map((p) => p.reason)).toEqual([
      'errors: no response before the deadline',
      'errors: no response before the deadline',
    ]);
    expect(seen.every((s) => s.aborted)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('not found', () => {
  it('finds one unknown ID in a 404ed batch in at most ceil(log2 100) + 1 = 8 extra calls', async () => {
    const fleetIds = ids(300);
    const unknown = new Set([fleetIds[137]!]);
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0, unknown, notFoundMode: '404' });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, notFound: 'fail' }),
      step,
    );
    const error = (result as { error: QuorumUnreachableError }).error;
    expect(isQuorumUnreachableError(error)).toBe(true);
    expect(error.unreachable).toEqual([{ instanceId: fleetIds[137], reason: 'not-found' }]);
    expect(error.bisectionCalls).toBeGreaterThanOrEqual(6);
    expect(error.bisectionCalls).toBeLessThanOrEqual(8);
    expect(error.apiCalls).toBe(3 + error.bisectionCalls);
    expect(fleet.calls.length).toBe(error.apiCalls);
    expect(error.ready).toHaveLength(299);
    expect(error.errors['InvalidInstance.NotFound']).toBeGreaterThanOrEqual(2);
    expect(error.message).toMatch(
      /^At most 299 of 300 required instances can become ready because 1 cannot:/,
    );
  });

  it('finds several unknown IDs in about k·log2(n) calls, not one per ID', async () => {
    const fleetIds = ids(100);
    const unknown = new Set([fleetIds[5]!, fleetIds[50]!, fleetIds[97]!]);
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0, unknown, notFoundMode: '404' });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, notFound: 'fail', minReady: 97 }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.notFound).toEqual([fleetIds[5], fleetIds[50], fleetIds[97]]);
    expect(report.bisectionCalls).toBeLessThanOrEqual(3 * 8);
    expect(report.ready).toHaveLength(97);
    console.log(`3 unknown of 100: ${report.bisectionCalls} bisection calls`);
  });

  it('counts IDs silently left out of a response as not found, with no extra call', async () => {
    const fleetIds = ids(300);
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      unknown: new Set([fleetIds[137]!]),
      notFoundMode: 'omit',
    });
    const result = await settle(
      waitForCloudAssistant(fleetIds, { client: fleet.source, notFound: 'fail' }),
      step,
    );
    const error = (result as { error: QuorumUnreachableError }).error;
    expect(error.unreachable.map((p) => p.instanceId)).toEqual([fleetIds[137]]);
    expect(error.bisectionCalls).toBe(0);
    expect(error.apiCalls).toBe(3);
  });

  it('keeps polling unknown IDs during the grace period, then gives up on them', async () => {
    let appeared = false;
    const late = 'i-late1';
    const ghost = 'i-ghost1';
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      notFoundMode: 'omit',
      unknown: {
        has: (id: string) => id === ghost || (id === late && !appeared),
      } as ReadonlySet<string>,
    });
    setTimeout(() => {
      appeared = true;
    }, 20_000);
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant([late, ghost, 'i-ok1'], {
        client: fleet.source,
        notFoundGraceMs: 30_000,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const error = (result as { error: QuorumUnreachableError }).error;
    expect(isQuorumUnreachableError(error)).toBe(true);
    expect(error.ready).toEqual([late, 'i-ok1']);
    expect(error.unreachable.map((p) => p.instanceId)).toEqual([ghost]);
    expect(error.elapsedMs).toBeGreaterThanOrEqual(30_000);
    expect(error.elapsedMs).toBeLessThan(60_000);
    expect(progress[0]).toMatchObject({ readyCount: 1, notFoundCount: 2, pendingCount: 0 });
  });
});

describe('readiness options', () => {
  const base = { cloudAssistantStatus: true, cloudAssistantVersion: '2.2.3.189', osType: 'Linux' };
  const run = async (
    options: Parameters<typeof waitForCloudAssistant>[1]['readiness'],
    statuses: object[],
  ) => {
    const result = await settle(
      waitForCloudAssistant(
        statuses.map((_, i) => `i-r${i}`),
        {
          client: async (batch) =>
            batch.map((id) => ({ instanceId: id, ...base, ...statuses[Number(id.slice(3))] })),
          readiness: options,
          timeoutMs: 10_000,
        },
      ),
      step,
    );
    return result.ok
      ? []
      : (result.error as CloudAssistantTimeoutError).pending.map((p) => [p.instanceId, p.reason]);
  };

  it('requires session manager support when asked', async () => {
    expect(await run({ requireSessionManager: true }, [{ supportSessionManager: true }, {}])).toEqual([
      ['i-r1', 'readiness-unmet: session manager not supported'],
    ]);
  });

  it('compares agent versions numerically', async () => {
    expect(
      await run({ minAgentVersion: '2.10.0' }, [
        { cloudAssistantVersion: '2.10.0.1' },
        { cloudAssistantVersion: '2.9.99' },
        { cloudAssistantVersion: '10.0' },
      ]),
    ).toEqual([['i-r1', 'readiness-unmet: agent version 2.9.99 < 2.10.0']]);
  });

  it('checks the OS type and the heartbeat age against now', async () => {
    expect(await run({ osType: 'linux' }, [{}, { osType: 'Windows' }])).toEqual([
      ['i-r1', 'readiness-unmet: OS Windows is not linux'],
    ]);
    expect(
      await run({ maxHeartbeatAgeMs: 90_000 }, [
        { lastHeartbeatTime: new Date(T0 - 10_000).toISOString() },
        { lastHeartbeatTime: new Date(T0 - 300_000).toISOString() },
      ]),
    ).toEqual([['i-r1', expect.stringMatching(/^readiness-unmet: heartbeat 3\d\d s old$/)]]);
  });

  it('reports the reason a custom predicate returns', async () => {
    expect(
      await run(
        { predicate: (s) => (s.activeTaskCount ?? 0) === 0 || `${s.activeTaskCount} tasks running` },
        [{ activeTaskCount: 0 }, { activeTaskCount: 2 }],
      ),
    ).toEqual([['i-r1', 'readiness-unmet: 2 tasks running']]);
  });

  it('requires N consecutive ready readings and resets the count when the agent flaps', async () => {
    const readings: Record<string, boolean[]> = {
      'i-c1': [true, true, true],
      'i-c2': [true, false, true, true, true],
    };
    const seen: Record<string, number> = {};
    const result = await settle(
      waitForCloudAssistant(['i-c1', 'i-c2'], {
        client: async (batch) =>
          batch.map((id) => {
            const n = seen[id] ?? 0;
            seen[id] = n + 1;
            return {
              instanceId: id,
              cloudAssistantStatus: readings[id]?.[n] ?? true,
              cloudAssistantVersion: '2.2.3',
            };
          }),
        readiness: { consecutive: 3 },
        random: () => 0,
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(seen).toEqual({ 'i-c1': 3, 'i-c2': 5 });
    expect(report.ready).toEqual(['i-c1', 'i-c2']);
  });
});

describe('options', () => {
  const client = async () => [];
  it.each([
    [{ client: 'nope' }, TypeError, /^Expected client to be a core EcsClient or a status source function/],
    [{}, TypeError, /options\.client/],
    [
      { client, timeoutMs: -1 },
      RangeError,
      /^Expected timeoutMs to be between 1 and 2147483647 ms, got -1\.$/,
    ],
    [
      { client, timeoutMs: '10m' },
      TypeError,
      /^Expected timeoutMs to be a number of milliseconds, got "10m"\.$/,
    ],
    [
      { client, timeoutMs: 1000 },
      RangeError,
      /^timeoutMs \(1000\) is shorter than minDelayMs \(2000\).*raise timeoutMs or lower minDelayMs\.$/,
    ],
    [
      { client, minDelayMs: 5000, maxDelayMs: 1000 },
      RangeError,
      /maxDelayMs \(1000\) is less than minDelayMs \(5000\)/,
    ],
    [{ client, concurrency: 0 }, RangeError, /concurrency/],
    [{ client, concurrency: 1.5 }, TypeError, /concurrency to be an integer/],
    [{ client, maxRequestsPerSecond: 0 }, RangeError, /maxRequestsPerSecond/],
    [{ client, minReady: 5 }, RangeError, /^minReady \(5\) is more than the 2 distinct instance IDs given/],
    [{ client, minReady: 0 }, RangeError, /minReady/],
    [{ client, minReady: 1.5 }, RangeError, /minReady/],
    [{ client, notFound: 'skip' }, TypeError, /^Expected notFound to be 'wait' or 'fail', got "skip"\.$/],
    [
      { client, readiness: { minAgentVersion: 'v2' } },
      TypeError,
      /minAgentVersion to be a dotted numeric version/,
    ],
    [{ client, readiness: { consecutive: 0 } }, RangeError, /readiness\.consecutive/],
    [{ client, readiness: { sessionManager: true } }, TypeError, /Unknown readiness option "sessionManager"/],
    [{ client, signal: {} }, TypeError, /signal to be an AbortSignal/],
  ])('rejects %j before any call', async (options, type, message) => {
    const call = () => watchCloudAssistant(['i-a1', 'i-a2'], options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    await expect(waitForCloudAssistant(['i-a1', 'i-a2'], options as never)).rejects.toThrow(message);
  });

  it('resolves a fractional minReady by rounding up', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const report = await waitForCloudAssistant(ids(7), { client: fleet.source, minReady: 0.5 });
    expect(report.required).toBe(4);
  });
});
