import { isOptionError, rateLimitedSource } from '@cloud-assistant-gate/core';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  isReadinessPredicateError,
  isStatusSourceError,
  isWaiterError,
  type QuorumUnreachableError,
  type ReadinessPredicateError,
  type ReadinessProgress,
  type ReadinessReport,
  type StatusSourceError,
  waitForCloudAssistant,
  watchCloudAssistant,
} from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { FakeApiError, fakeFleet, ids, now, prng, settle, step, T0, useFakeClock } from './fleet.js';

useFakeClock();

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
      [fleetIds[7], 'no-heartbeat-yet'],
      [fleetIds[120], 'agent-offline'],
      [fleetIds[200], 'no-heartbeat-yet'],
      [fleetIds[249], 'agent-offline'],
    ]);
    expect(error.pending[0]?.status?.lastHeartbeatTime).toBe('2026-11-28T02:00:00.000Z');
    expect(error.ready).toHaveLength(245);
    expect(error.message).toMatch(
      /^Cloud Assistant was not ready on 5 of 250 instances after 60 s \(245 ready, 250 needed\): i-fleet000003 \(agent-offline\), i-fleet000007 \(no-heartbeat-yet\), i-fleet000120 \(agent-offline\) and 2 more; agent-offline: check the instance is running and its agent service started; no-heartbeat-yet: still booting, or no agent on the image; raise timeoutMs if they were just created\.$/,
    );
    expect(error.message).not.toMatch(/installed/);
    // The options the message names are said another way on request (a CLI's flags), the rest unchanged.
    expect(error.messageWith((o) => (o === 'timeoutMs' ? '--timeout' : undefined))).toBe(
      error.message.replace('raise timeoutMs', 'raise --timeout'),
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
    // The other call in flight (the budget's initial window is 2) was aborted and no new batch
    // started.
    expect(fleet.calls.length).toBe(2);
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
      waitForCloudAssistant(fleetIds, { client: fleet.source, minReady: '60%', random: prng(7) }),
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

  it('a plain function source still backs off: a throttle holds the queued calls, and is counted', async () => {
    let n = 0;
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      latencyMs: 20,
      fault: () => {
        n++;
        if (n === 5) throw new FakeApiError('Throttling.User', true, 400);
      },
    });
    const result = await settle(
      waitForCloudAssistant(ids(2_000), { client: fleet.source, concurrency: 4, random: () => 0.5 }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toHaveLength(2_000);
    expect(report.throttledCalls).toBe(1);
    expect(report.errors).toEqual({ 'Throttling.User': 1 });
    const starts = fleet.calls.map((c) => c.at - T0);
    // The 5th call (slow start's first paced one) is throttled when it answers. Calls already
    // in flight finish; the next one starts only after a pause (the minute's window turns in more
    // than longHoldMs, so one test call goes first), and the others wait for its answer.
    const throttledAt = starts[4]! + 20;
    const after = starts.filter((t) => t > throttledAt);
    expect(after[0]! - throttledAt).toBeGreaterThanOrEqual(100);
    expect(after[1]! - after[0]!).toBeGreaterThanOrEqual(20);
  });

  it('a throttle seen by one wait holds the queued calls of another wait sharing the source', async () => {
    const calls: { wait: string; at: number }[] = [];
    let n = 0;
    const source = rateLimitedSource(
      async (batch) => {
        const wait = batch[0]!.slice(0, 4);
        calls.push({ wait, at: Date.now() - T0 });
        await new Promise((r) => setTimeout(r, 20));
        if (++n === 3) throw new FakeApiError('Throttling.User', true, 400);
        return batch.map((id) => ({
          instanceId: id,
          cloudAssistantStatus: true,
          cloudAssistantVersion: '2.2.3',
        }));
      },
      // Turns within longHoldMs: straight to the hold until the window turns.
      { rateLimit: { windowMs: 1_000, initialWindow: 2, longHoldMs: 2_000 }, random: () => 0.5 },
    );
    const a = waitForCloudAssistant(ids(300, 'i-aa'), { client: source, concurrency: 2 });
    const b = waitForCloudAssistant(ids(300, 'i-bb'), { client: source, concurrency: 2 });
    const result = await settle(Promise.all([a, b]), step);
    if (!result.ok) console.log(result.error);
    expect(result.ok).toBe(true);
    // Call 3 (wait a's or b's) is throttled at ~40 ms + its start: nobody's call starts again
    // before the 1 s window has turned.
    const third = calls[2]!;
    const later = calls.filter((c) => c.at > third.at);
    expect(later.length).toBeGreaterThan(0);
    expect(new Set(later.map((c) => c.wait))).toEqual(new Set(['i-aa', 'i-bb']));
    expect(Math.min(...later.map((c) => c.at))).toBeGreaterThanOrEqual(1_000);
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
      /^At most 299 of 300 required instances can become ready because 1 cannot:.*, or lower minReady\.$/,
    );
    expect(error.messageWith((o) => (o === 'minReady' ? '--min-ready' : undefined))).toMatch(
      /, or lower --min-ready\.$/,
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
    // At most 12 calls per unknown ID of a batch of 100 (the bound proven in bisect.ts).
    expect(report.bisectionCalls).toBeLessThanOrEqual(3 * 12);
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
    options: NonNullable<Parameters<typeof waitForCloudAssistant>[1]>['readiness'],
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
    // A number that is not whole is a value out of range (core's option checker), not a wrong type.
    [{ client, concurrency: 1.5 }, RangeError, /concurrency to be an integer/],
    [{ client, maxRequestsPerSecond: 0 }, RangeError, /maxRequestsPerSecond/],
    [{ client, minReady: 5 }, RangeError, /^minReady \(5\) is more than the 2 distinct instance IDs given/],
    [{ client, minReady: 0 }, RangeError, /minReady/],
    [
      { client, minReady: 1.5 },
      RangeError,
      /^minReady 1\.5 is not a whole number: pass an integer count \(e\.g\. 2\)/,
    ],
    [
      { client, minReady: 0.9 },
      RangeError,
      /^minReady 0\.9 is ambiguous: for 90 % of the instances pass the string '90%'; for a count pass an integer \(1 is one instance\)/,
    ],
    [{ client, minReady: '0%' }, RangeError, /more than 0% and at most 100%/],
    [{ client, minReady: '101%' }, RangeError, /more than 0% and at most 100%/],
    [{ client, minReady: '90' }, TypeError, /percentage string like '90%', got "90"/],
    // A string that is not one of the choices: out of range (core's checkOneOf), not a wrong type.
    [{ client, notFound: 'skip' }, RangeError, /^Expected notFound to be 'wait' or 'fail', got "skip"\.$/],
    [
      { client, readiness: { minAgentVersion: 'v2' } },
      TypeError,
      /minAgentVersion to be a dotted numeric version/,
    ],
    [{ client, readiness: { consecutive: 0 } }, RangeError, /readiness\.consecutive/],
    [
      { client, readiness: { sessionManager: true } },
      TypeError,
      /Unknown option `readiness.sessionManager`.*did you mean `readiness.requireSessionManager`/,
    ],
    [{ client, signal: {} }, TypeError, /signal to be an AbortSignal/],
  ])('rejects %j before any call', async (options, type, message) => {
    const call = () => watchCloudAssistant(['i-a1', 'i-a2'], options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
    await expect(waitForCloudAssistant(['i-a1', 'i-a2'], options as never)).rejects.toThrow(message);
  });

  it.each([
    [{ client, timeoutMs: -1 }, 'timeoutMs'],
    [{ client, timeoutMs: 1000 }, 'timeoutMs'],
    [{ client, minDelayMs: 5000, maxDelayMs: 1000 }, 'maxDelayMs'],
    [{ client, concurrency: 1.5 }, 'concurrency'],
    [{ client, maxRequestsPerSecond: 'fast' }, 'maxRequestsPerSecond'],
    [{ client, minReady: 5 }, 'minReady'],
    [{ client, minReady: 0.9 }, 'minReady'],
    [{ client, minReady: '90' }, 'minReady'],
    [{ client, notFound: 'skip' }, 'notFound'],
    [{ client, stoppedInstances: true }, 'stoppedInstances'],
    [{ client, readiness: { minAgentVersion: 'v2' } }, 'readiness.minAgentVersion'],
    [{ client, readiness: { maxHeartbeatAgeMs: 0 } }, 'readiness.maxHeartbeatAgeMs'],
    [{ client, readiness: { osType: '' } }, 'readiness.osType'],
    [{ client, readiness: { predicate: true } }, 'readiness.predicate'],
    [{ client, readiness: 'yes' }, 'readiness'],
    [{ client, remediate: { install: false } }, 'remediate.install'],
    [{ client, remediate: { install: true, reboot: 'yes' } }, 'remediate.reboot'],
    [{ client, remediate: { install: true, afterMs: -1 } }, 'remediate.afterMs'],
    [{ client, remediate: 'on' }, 'remediate'],
    [{ client, signal: {} }, 'signal'],
    [{ client, scheduler: {} }, 'scheduler'],
    [{ client, now: 5 }, 'now'],
    [{ client, onProgress: 'log' }, 'onProgress'],
    [{ client, timeout: 5000 }, 'timeout'],
    [{ client: 'nope' }, 'client'],
    [{ clients: {} }, 'clients'],
    [{ client, region: 'cn-hangzhou' }, 'region'],
    [{ regions: [] }, 'regions'],
    [{ region: 5 }, 'region'],
    [{ region: 'cn-hangzhou', env: 5 }, 'env'],
    [{ client, endpoint: 'http://127.0.0.1:1' }, 'endpoint'],
  ])('the error for %j is core’s option error with option %s', (options, option) => {
    let thrown: unknown;
    try {
      watchCloudAssistant(['i-a1', 'i-a2'], options as never);
    } catch (error) {
      thrown = error;
    }
    expect(isOptionError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ option });
    // The message names the option as written; a CLI names it its own way from `option`.
    expect((thrown as Error).message).toContain(option);
  });

  it('null notFound and stoppedInstances mean their defaults, as they always did', () => {
    const resolved = resolveOptions({ client, notFound: null, stoppedInstances: null } as never, 1);
    expect(resolved.notFound).toBe('wait');
    expect(resolved.stoppedInstances).toBe('wait');
  });

  it('resolves a percentage minReady by rounding up', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const report = await waitForCloudAssistant(ids(7), { client: fleet.source, minReady: '50%' });
    expect(report.required).toBe(4);
  });

  it('minReady: 1.0 is a count of one (JavaScript cannot tell it from 1), never 100 %', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const report = await waitForCloudAssistant(ids(5), { client: fleet.source, minReady: 1.0 });
    expect(report.required).toBe(1);
    const all = await waitForCloudAssistant(ids(5), { client: fleet.source, minReady: '100%' });
    expect(all.required).toBe(5);
  });
});

describe('not found: suspects are polled apart', () => {
  /** Calls of each round (from the cumulative apiCalls of the progress events). */
  const perRound = (progress: readonly ReadinessProgress[]) =>
    progress.map((p, i) => p.apiCalls - (i === 0 ? 0 : progress[i - 1]!.apiCalls));

  it.each(['404', 'omit'] as const)(
    '300 IDs with 1 unknown (notFoundMode %s): at most 1 extra call per round after the first',
    async (notFoundMode) => {
      const fleetIds = ids(300);
      const ghost = fleetIds[137]!;
      const fleet = fakeFleet({
        now,
        notFoundMode,
        unknown: new Set([ghost]),
        // The known instances come online after 40 s, so several rounds poll all of them.
        onlineAfterMs: () => 40_000,
      });
      const progress: ReadinessProgress[] = [];
      const result = await settle(
        waitForCloudAssistant(fleetIds, {
          client: fleet.source,
          notFoundGraceMs: 55_000,
          random: prng(11),
          onProgress: (p) => progress.push(p),
        }),
        step,
      );
      const error = (result as { error: QuorumUnreachableError }).error;
      expect(isQuorumUnreachableError(error)).toBe(true);
      // Every requested ID exactly once.
      const seen = [
        ...error.ready,
        ...error.pending.map((p) => p.instanceId),
        ...error.unreachable.map((p) => p.instanceId),
      ];
      expect(seen.sort()).toEqual([...fleetIds].sort());
      expect(error.unreachable).toEqual([{ instanceId: ghost, reason: 'not-found' }]);
      expect(error.ready).toHaveLength(299);
      const calls = perRound(progress);
      expect(progress.length).toBeGreaterThanOrEqual(6);
      for (const [i, p] of progress.entries()) {
        const known = p.polled - p.suspects;
        if (i === 0) {
          expect(p.suspects).toBe(0);
          expect(p.batchCalls).toBe(3);
          continue;
        }
        // After a 404 the suspect is polled apart: its own call is the one extra call, and
        // there is no bisection after the first round. When unknown IDs are just left out of
        // the answers, it stays packed with the others at no extra cost.
        const extra = notFoundMode === '404' ? 1 : 0;
        expect(p.suspects).toBe(extra);
        expect(p.batchCalls).toBe(Math.ceil(known / 100) + extra);
        expect(calls[i]).toBe(Math.ceil(known / 100) + extra);
        expect(calls[i]! - Math.ceil((p.polled - 1) / 100)).toBeLessThanOrEqual(1);
      }
      // Bisection happened in the first round only (and not at all when IDs are just omitted).
      const firstRoundBisection = calls[0]! - 3;
      expect(error.bisectionCalls).toBe(firstRoundBisection);
      expect(firstRoundBisection).toBe(notFoundMode === '404' ? error.bisectionCalls : 0);
      if (notFoundMode === '404') expect(error.bisectionCalls).toBeLessThanOrEqual(8);
      // The accounting: batch calls over the rounds + bisection (+ retries, none here).
      expect(error.apiCalls).toBe(progress.reduce((s, p) => s + p.batchCalls, 0) + error.bisectionCalls);
      expect(error.apiCalls).toBe(
        progress.reduce(
          (s, p) => s + Math.ceil((p.polled - p.suspects) / 100) + Math.ceil(p.suspects / 100),
          0,
        ) + error.bisectionCalls,
      );
      expect(fleet.calls.length).toBe(error.apiCalls);
      // Known IDs were never batched with the suspect after the first round.
      const firstRoundCalls = calls[0]!;
      for (const call of fleet.calls.slice(firstRoundCalls)) {
        if (call.ids.includes(ghost) && notFoundMode === '404') expect(call.ids).toEqual([ghost]);
      }
      console.log(
        `1 unknown of 300, notFound 'wait', mode ${notFoundMode}: ${progress.length} rounds, ` +
          `${error.apiCalls} calls (${error.bisectionCalls} bisection), per round ${calls.join(' ')}`,
      );
    },
  );

  it('finds a suspect that appears later and moves it back among the known IDs', async () => {
    let appeared = false;
    const late = 'i-late2';
    const fleet = fakeFleet({
      now,
      onlineAfterMs: (id) => (id === late ? 0 : Number.POSITIVE_INFINITY),
      notFoundMode: '404',
      unknown: { has: (id: string) => id === late && !appeared } as ReadonlySet<string>,
    });
    setTimeout(() => {
      appeared = true;
    }, 15_000);
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(['i-a1', late, 'i-a2'], {
        client: fleet.source,
        minReady: 1,
        random: () => 0,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toEqual([late]);
    expect(report.pending).toEqual(['i-a1', 'i-a2']);
    expect(report.instances[1]?.readyAfterMs).toBeGreaterThanOrEqual(15_000);
    // Bisection in the first round only; then, while unknown, the suspect was polled alone.
    expect(report.bisectionCalls).toBe(progress[0]!.apiCalls - 1);
    for (const call of fleet.calls.slice(progress[0]!.apiCalls)) {
      if (call.ids.includes(late)) expect(call.ids).toEqual([late]);
    }
    expect(progress.at(-1)).toMatchObject({ done: true, suspects: 1, newlyReady: [late] });
  });

  it('several suspects in a 404ing batch cost one call each, not a bisection of a mostly-missing batch', async () => {
    const fleetIds = ids(100);
    const unknown = new Set(fleetIds.slice(0, 20));
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => Number.POSITIVE_INFINITY,
      unknown,
      notFoundMode: '404',
    });
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        timeoutMs: 30_000,
        notFoundGraceMs: 60_000,
        maxRequestsPerSecond: 1000,
        random: () => 0,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const error = (result as { error: CloudAssistantTimeoutError }).error;
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    expect(error.pending.filter((p) => p.reason === 'not-found').map((p) => p.instanceId)).toEqual([
      ...unknown,
    ]);
    const calls = progress.map((p, i) => p.apiCalls - (i === 0 ? 0 : progress[i - 1]!.apiCalls));
    // Round 2 on: 1 batch of 80 known + 1 batch of 20 suspects (404) + 20 single probes.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const c of calls.slice(1)) expect(c).toBe(1 + 1 + 20);
    console.log(`20 unknown of 100, 404 mode: per round ${calls.join(' ')}`);
  });
});

describe('throttling back-off (retryAfterMs)', () => {
  it('starts no call before retryAfterMs has passed, queued calls included', async () => {
    const starts: number[] = [];
    let n = 0;
    const throttled = Object.assign(new FakeApiError('Throttling.User', true, 400), { retryAfterMs: 3_000 });
    const result = await settle(
      waitForCloudAssistant(ids(500), {
        concurrency: 3,
        maxRequestsPerSecond: 100,
        random: () => 0,
        client: async (batch) => {
          starts.push(Date.now() - T0);
          const call = ++n;
          await new Promise((r) => setTimeout(r, 50));
          if (call === 1) throw throttled;
          return batch.map((id) => ({
            instanceId: id,
            cloudAssistantStatus: true,
            cloudAssistantVersion: '2.2.3',
          }));
        },
      }),
      step,
    );
    expect(result.ok).toBe(true);
    // Calls 1–2 (the budget's initial window) start at once (10 ms apart at 100/s); the first
    // fails at 50 ms with retryAfterMs 3 s, before slow start lets a third go: the source's
    // budget starts nothing before 3,050 ms.
    expect(starts.slice(0, 2)).toEqual([0, 10]);
    expect(starts.slice(2).every((t) => t >= 3_050)).toBe(true);
    expect(starts[2]).toBe(3_050);
  });

  it('caps a retryAfterMs beyond reason at one quota window (maxRetryAfterMs, 60 s)', async () => {
    const starts: number[] = [];
    const throttled = Object.assign(new FakeApiError('Throttling.User', true, 400), {
      retryAfterMs: 3_600_000,
    });
    const result = await settle(
      waitForCloudAssistant(['i-t1'], {
        minDelayMs: 1_000,
        maxDelayMs: 5_000,
        random: () => 0,
        client: async (batch) => {
          starts.push(Date.now() - T0);
          if (starts.length === 1) throw throttled;
          return batch.map((id) => ({
            instanceId: id,
            cloudAssistantStatus: true,
            cloudAssistantVersion: '2.2.3',
          }));
        },
      }),
      step,
    );
    expect(result.ok).toBe(true);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThanOrEqual(60_000);
    expect(starts[1]).toBeLessThanOrEqual(60_000 + 3_100);
  });
});

describe('review fixes', () => {
  it('rejects at once with ReadinessPredicateError when the predicate throws', async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'startsWith')");
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(['i-p1', 'i-p2'], {
        client: fleet.source,
        readiness: {
          predicate: (s) => {
            if (s.instanceId === 'i-p2') throw bug;
            return true;
          },
        },
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const error = (result as { error: ReadinessPredicateError }).error;
    expect(isReadinessPredicateError(error)).toBe(true);
    expect(isWaiterError(error)).toBe(true);
    expect(error.instanceId).toBe('i-p2');
    expect(error.cause).toBe(bug);
    expect(error.message).toMatch(
      /^readiness\.predicate threw on the status of i-p2 \(TypeError: Cannot read/,
    );
    expect(fleet.calls).toHaveLength(1);
    expect(progress).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    // Every requested ID exactly once, with the counters, like the other terminal errors.
    expect(error.ready).toEqual(['i-p1']);
    expect(error.pending.map((p) => p.instanceId)).toEqual(['i-p2']);
    expect(error.required).toBe(2);
    expect(error.rounds).toBe(1);
    expect(error.apiCalls).toBe(1);
  });

  it.each([
    ['70%', 10, 7],
    ['30%', 10, 3],
    ['10%', 30, 3],
    ['29%', 100, 29],
    ['29.1%', 1000, 291],
    ['7%', 100, 7],
    ['50%', 7, 4],
    ['1%', 3, 1],
    ['99.9%', 3, 3],
  ] as const)(
    'minReady %s of %d instances is %d (no floating-point overshoot)',
    async (minReady, n, required) => {
      const fleet = fakeFleet({ now, onlineAfterMs: () => 0 });
      const report = await settle(waitForCloudAssistant(ids(n), { client: fleet.source, minReady }), step);
      expect((report as { value: ReadinessReport }).value.required).toBe(required);
    },
  );

  it('a percentage minReady of an empty list requires 0', async () => {
    const report = await waitForCloudAssistant([], { client: async () => [], minReady: '50%' });
    expect(report.required).toBe(0);
  });

  it('the final progress event is consistent with the report', async () => {
    const fleet = fakeFleet({ now, onlineAfterMs: (id) => (id === 'i-f2' ? 5_000 : 0) });
    const progress: ReadinessProgress[] = [];
    const report = (
      (await settle(
        waitForCloudAssistant(['i-f1', 'i-f2'], {
          client: fleet.source,
          onProgress: (p) => progress.push(p),
        }),
        step,
      )) as { value: ReadinessReport }
    ).value;
    const last = progress.at(-1)!;
    expect(last).toMatchObject({
      done: true,
      nextDelayMs: undefined,
      finalRoundNext: false,
      readyCount: 2,
      pendingCount: 0,
      notFoundCount: 0,
      newlyReady: ['i-f2'],
      apiCalls: report.apiCalls,
      elapsedMs: report.elapsedMs,
      round: report.rounds,
    });
    expect(last.report).toBe(report);
  });

  it('reports the batch calls of a round that a permanent error cut short', async () => {
    const progress: ReadinessProgress[] = [];
    let n = 0;
    const result = await settle(
      waitForCloudAssistant(ids(300), {
        concurrency: 1,
        onProgress: (p) => progress.push(p),
        client: async (batch) => {
          n++;
          if (n === 2) throw new FakeApiError('Forbidden.RAM', false, 403);
          return batch.map((id) => ({
            instanceId: id,
            cloudAssistantStatus: false,
            cloudAssistantVersion: '',
          }));
        },
      }),
      step,
    );
    expect(isStatusSourceError((result as { error: unknown }).error)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ batchCalls: 2, apiCalls: 2, polled: 300, done: false });
  });
});
