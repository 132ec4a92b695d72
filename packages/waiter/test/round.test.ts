/**
 * Per-round behaviour: a fatal error accounts for every ID, no listener pile-up at high
 * concurrency, `readyAt` is the arrival of the reading, no waiter-level rate cap by default, the
 * progress-aware schedule, and the per-round bound on bisection calls.
 */
import { type InstanceStatus, rateLimitedSource, type StatusSource } from '@cloud-assistant-gate/core';
import { describe, expect, it } from 'vitest';
import {
  defaults,
  isStatusSourceError,
  type ReadinessProgress,
  type ReadinessReport,
  type StatusSourceError,
  waitForCloudAssistant,
} from '../src/index.js';
import { FakeApiError, fakeFleet, ids, now, prng, settle, step, T0, useFakeClock } from './fleet.js';

useFakeClock();

const online = (id: string): InstanceStatus => ({
  instanceId: id,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '2.2.3',
});

describe('a fatal error accounts for every requested ID', () => {
  it('lists ready and pending (with reasons) exactly once each, with the counters', async () => {
    const fleetIds = ids(450);
    let n = 0;
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        concurrency: 1,
        onProgress: (p) => progress.push(p),
        client: async (batch) => {
          n++;
          // Round 1: batches 1 and 2 answer (the first online), batch 3 fails, 4 and 5 are never sent.
          if (n === 3) throw new FakeApiError('Forbidden.RAM', false, 403);
          return batch.map((id) => ({ ...online(id), cloudAssistantStatus: id < fleetIds[100]! }));
        },
      }),
      step,
    );
    const error = (result as { error: StatusSourceError }).error;
    expect(isStatusSourceError(error)).toBe(true);
    expect(error.ready).toEqual(fleetIds.slice(0, 100));
    const listed = [...error.ready, ...error.pending.map((p) => p.instanceId)];
    expect(listed).toHaveLength(fleetIds.length);
    expect(new Set(listed)).toEqual(new Set(fleetIds));
    // In input order, each with the usual reason: its last reading, else the failed call's code,
    // else no answer.
    expect(error.pending.map((p) => p.instanceId)).toEqual(fleetIds.slice(100));
    const reasons = new Map(error.pending.map((p) => [p.instanceId, p.reason]));
    expect(reasons.get(fleetIds[100]!)).toBe('agent-offline');
    expect(error.pending[0]?.status?.cloudAssistantStatus).toBe(false);
    expect(reasons.get(fleetIds[200]!)).toBe('errors: Forbidden.RAM');
    expect(reasons.get(fleetIds[299]!)).toBe('errors: Forbidden.RAM');
    expect(reasons.get(fleetIds[300]!)).toBe('errors: no response before the wait failed');
    expect(error).toMatchObject({
      apiCode: 'Forbidden.RAM',
      required: 450,
      rounds: 1,
      apiCalls: 3,
      retries: 0,
      bisectionCalls: 0,
      errors: { 'Forbidden.RAM': 1 },
    });
    expect(error.message).toMatch(/\(100 of 450 instances were ready\)/);
    expect(progress.at(-1)).toMatchObject({ round: 1, batchCalls: 3, readyCount: 100 });
  });

  it('marks the IDs of calls the failure cut short as having no response before the wait failed', async () => {
    const result = await settle(
      waitForCloudAssistant(ids(300), {
        concurrency: 3,
        client: async (batch) => {
          if (batch[0] === 'i-fleet000100') throw new FakeApiError('Forbidden.RAM', false, 403);
          await new Promise((r) => setTimeout(r, 1_000));
          return batch.map(online);
        },
      }),
      step,
    );
    const error = (result as { error: StatusSourceError }).error;
    expect(isStatusSourceError(error)).toBe(true);
    expect(error.ready).toEqual([]);
    const reasons = new Set(error.pending.map((p) => p.reason));
    expect(reasons).toEqual(new Set(['errors: Forbidden.RAM', 'errors: no response before the wait failed']));
    expect(error.pending).toHaveLength(300);
  });
});

describe('listeners', () => {
  it('concurrency 32 over many rounds and waits adds no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      // Like core: listeners on the call's signal while the call is queued and in flight.
      const source: StatusSource = async (batch, { signal }) => {
        const listeners = [() => {}, () => {}, () => {}];
        for (const l of listeners) signal.addEventListener('abort', l);
        try {
          await new Promise((r) => setTimeout(r, 20));
          return batch.map((id) => ({ ...online(id), cloudAssistantStatus: Date.now() - T0 > 6_000 }));
        } finally {
          for (const l of listeners) signal.removeEventListener('abort', l);
        }
      };
      const shared = new AbortController();
      const waits = Array.from({ length: 3 }, (_, w) =>
        waitForCloudAssistant(ids(6_400, `i-w${w}x`), {
          client: source,
          concurrency: 32,
          maxRequestsPerSecond: 10_000,
          signal: shared.signal,
        }),
      );
      const result = await settle(Promise.all(waits), step);
      expect(result.ok).toBe(true);
      // Warnings are emitted on the next tick.
      await new Promise((r) => process.nextTick(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('detection latency', () => {
  it('readyAt is when the reading arrived, not the end of its round', async () => {
    // Concurrency 1, 100 ms per call: the round of 5 batches ends at 500 ms. The source's budget
    // does not adapt (no slow start pacing the calls), so that only the round's timing shows.
    const result = await settle(
      waitForCloudAssistant(ids(500), {
        concurrency: 1,
        client: rateLimitedSource(
          async (batch) => {
            await new Promise((r) => setTimeout(r, 100));
            return batch.map(online);
          },
          { rateLimit: false },
        ),
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.instances.map((i) => i.readyAfterMs)).toEqual(
      [100, 200, 300, 400, 500].flatMap((ms) => Array(100).fill(ms)),
    );
    expect(report.elapsedMs).toBe(500);
  });

  it('has no rate cap by default: after slow start a 10,000-instance round is bounded by concurrency', async () => {
    expect(defaults.maxRequestsPerSecond).toBeUndefined();
    const starts: number[] = [];
    const result = await settle(
      waitForCloudAssistant(ids(10_000), {
        client: async (batch) => {
          starts.push(Date.now() - T0);
          await new Promise((r) => setTimeout(r, 50));
          return batch.map(online);
        },
      }),
      step,
    );
    expect(result.ok).toBe(true);
    expect(starts).toHaveLength(100);
    // The first 2 at once (the budget's initial window), then slow start: 2 per 32 round trips
    // (1.6 s of 50 ms calls), doubling every 1.6 s until the 4 in flight are the limit: 100
    // calls in about 5 doublings, 8 s (the former fixed default of 20/s took 5 s for 100 calls,
    // but sent a fresh pipeline's calls into a shared quota at full speed).
    expect(starts.slice(0, 2)).toEqual([0, 0]);
    expect(starts[2]).toBeGreaterThan(0);
    expect(Math.max(...starts)).toBeLessThan(10_000);
  });

  it('after a throttle one test call goes first and the others wait for its answer', async () => {
    const starts: number[] = [];
    let n = 0;
    const result = await settle(
      waitForCloudAssistant(ids(3_000), {
        concurrency: 4,
        random: () => 0.5,
        client: async (batch) => {
          starts.push(Date.now() - T0);
          await new Promise((r) => setTimeout(r, 100));
          if (++n === 12) throw new FakeApiError('Throttling.User', true, 400);
          return batch.map(online);
        },
      }),
      step,
    );
    expect(result.ok).toBe(true);
    // Call 12 answers throttled: the minute's window turns in more than longHoldMs, so after a
    // pause one call tests whether the quota is window-shaped; it goes through (the fake source
    // throttled once), so the rest is paced by rate, not held for the minute.
    const throttledAt = starts[11]! + 100;
    const after = starts.filter((t) => t >= throttledAt);
    expect(after[0]! - throttledAt).toBeGreaterThanOrEqual(100);
    expect(after[1]! - after[0]!).toBeGreaterThanOrEqual(100);
    expect(Math.max(...starts)).toBeLessThan(30_000);
  });

  it('polls at about minDelayMs while agents keep arriving, and backs off when nothing changes', async () => {
    const fleetIds = ids(200);
    // One agent every 2 s for the first 60 s, then one straggler at 150 s.
    const onlineAfter = new Map(fleetIds.map((id, i) => [id, i < 30 ? i * 2_000 : 150_000]));
    const fleet = fakeFleet({ now, onlineAfterMs: (id) => onlineAfter.get(id)! });
    const progress: ReadinessProgress[] = [];
    await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        random: prng(7),
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const arriving = progress.filter((p) => p.elapsedMs < 55_000 && p.newlyReady.length > 0);
    expect(arriving.length).toBeGreaterThan(15);
    // After a round with progress the next pause is in [minDelayMs, 1.5 · minDelayMs].
    for (const p of arriving) {
      expect(p.nextDelayMs).toBeGreaterThanOrEqual(2_000);
      expect(p.nextDelayMs).toBeLessThanOrEqual(3_000);
    }
    const idle = progress.filter((p) => p.elapsedMs > 70_000 && p.elapsedMs < 140_000);
    expect(Math.max(...idle.map((p) => p.nextDelayMs ?? 0))).toBeGreaterThan(10_000);
  });
});

describe('bisection budget', () => {
  it('100 freshly created IDs unknown to the API (404) cost at most the budget in one round', async () => {
    const fleetIds = ids(300);
    const fresh = new Set(fleetIds.slice(100, 200));
    let appeared = false;
    const fleet = fakeFleet({
      now,
      onlineAfterMs: () => 0,
      notFoundMode: '404',
      unknown: { has: (id: string) => fresh.has(id) && !appeared } as ReadonlySet<string>,
    });
    setTimeout(() => {
      appeared = true;
    }, 9_000);
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        random: () => 0,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toHaveLength(300);
    const calls = progress.map((p, i) => p.apiCalls - (i === 0 ? 0 : progress[i - 1]!.apiCalls));
    for (const [i, p] of progress.entries()) {
      const bound =
        Math.ceil((p.polled - p.suspects) / 100) +
        Math.ceil(p.suspects / 100) +
        defaults.maxBisectionCallsPerRound;
      expect(calls[i]).toBeLessThanOrEqual(bound);
    }
    // A prefix bisection spent ~800 calls on this batch in round 1; walking it costs 1 per ID.
    expect(calls[0]).toBeLessThanOrEqual(3 + 100);
    expect(report.bisectionCalls).toBeLessThan(400);
    console.log(`100 unknown of 300 (404), appearing at 9 s: per round ${calls.join(' ')}`);
  });

  it('honours a smaller maxBisectionCallsPerRound, deferring the rest as suspects', async () => {
    const fleetIds = ids(100);
    const unknown = new Set(fleetIds.filter((_, i) => i % 2 === 0));
    const fleet = fakeFleet({ now, onlineAfterMs: () => 0, notFoundMode: '404', unknown });
    const progress: ReadinessProgress[] = [];
    const result = await settle(
      waitForCloudAssistant(fleetIds, {
        client: fleet.source,
        minReady: 50,
        maxBisectionCallsPerRound: 10,
        random: () => 0,
        onProgress: (p) => progress.push(p),
      }),
      step,
    );
    const report = (result as { value: ReadinessReport }).value;
    expect(report.ready).toHaveLength(50);
    const calls = progress.map((p, i) => p.apiCalls - (i === 0 ? 0 : progress[i - 1]!.apiCalls));
    for (const [i, p] of progress.entries()) {
      expect(calls[i]).toBeLessThanOrEqual(
        Math.ceil((p.polled - p.suspects) / 100) + Math.ceil(p.suspects / 100) + 10,
      );
    }
    expect(progress[1]?.suspects).toBeGreaterThan(0);
    console.log(`50 unknown of 100, budget 10: per round ${calls.join(' ')}`);
  });
});
