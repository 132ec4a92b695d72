import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { pollLoop, type RoundStep } from '../src/loop.js';
import { backoffDelay, finalPollLeadMs, nextAttempt, pacedDelay, planNextPoll } from '../src/schedule.js';

const delays = fc
  .tuple(fc.integer({ min: 1, max: 30_000 }), fc.integer({ min: 0, max: 200_000 }))
  .map(([min, extra]) => ({ minDelayMs: min, maxDelayMs: min + extra }));

describe('backoffDelay', () => {
  it('always stays within [minDelayMs, maxDelayMs]', () => {
    fc.assert(
      fc.property(delays, fc.nat(100), fc.double({ min: 0, max: 1, noNaN: true }), (d, attempt, r) => {
        const delay = backoffDelay({ ...d, attempt, random: () => r });
        expect(delay).toBeGreaterThanOrEqual(d.minDelayMs);
        expect(delay).toBeLessThanOrEqual(d.maxDelayMs);
      }),
    );
  });

  it('grows with rounds without progress, and is still jittered at the cap', () => {
    const d = { minDelayMs: 2000, maxDelayMs: 20_000 };
    const low = (attempt: number) => backoffDelay({ ...d, attempt, random: () => 0 });
    const high = (attempt: number) => backoffDelay({ ...d, attempt, random: () => 0.999999 });
    expect([0, 1, 2, 3, 10].map(low)).toEqual([2000, 3000, 6000, 10_000, 10_000]);
    expect([0, 1, 2, 3, 10].map(high)).toEqual([3000, 6000, 12_000, 20_000, 20_000]);
  });

  it('resets to the minimum after a round that made progress', () => {
    expect(nextAttempt(7, true)).toBe(0);
    expect(nextAttempt(7, false)).toBe(8);
  });
});

describe('pacedDelay (cost-aware pacing)', () => {
  const d = { minDelayMs: 2000, maxDelayMs: 20_000 };

  it('always stays within [minDelayMs, maxDelayMs], never below the backoff delay', () => {
    fc.assert(
      fc.property(
        delays,
        fc.nat(100),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(2000),
        fc.integer({ min: 0, max: 10_000 }),
        (dd, attempt, r, nextRoundCalls, pollCostMs) => {
          const input = { ...dd, attempt, random: () => r, nextRoundCalls, pollCostMs };
          const delay = pacedDelay(input);
          expect(delay).toBeGreaterThanOrEqual(dd.minDelayMs);
          expect(delay).toBeLessThanOrEqual(dd.maxDelayMs);
          expect(delay).toBeGreaterThanOrEqual(backoffDelay(input));
          // At least three quarters of the next round's cost, up to the cap.
          expect(delay).toBeGreaterThanOrEqual(
            Math.floor(0.75 * Math.min(dd.maxDelayMs, nextRoundCalls * pollCostMs)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('changes nothing for a cheap round, stretches an expensive one, and stays jittered at the cap', () => {
    const paced = (nextRoundCalls: number, r: number, attempt = 0) =>
      pacedDelay({ ...d, attempt, random: () => r, nextRoundCalls, pollCostMs: 40 });
    // 1 call (100 instances) or 50 calls (5,000): the progress-aware 2–3 s, as without pacing.
    expect([paced(1, 0), paced(1, 0.5), paced(50, 0), paced(50, 0.5)]).toEqual([2000, 2500, 2000, 2500]);
    // 100 calls (10,000 instances): 4 s, jittered down by up to a quarter.
    expect([paced(100, 0), paced(100, 0.5), paced(100, 0.999999)]).toEqual([4000, 3500, 3000]);
    // 1,000 calls (100,000 instances): 40 s capped at 20 s, still random at the cap.
    expect([paced(1000, 0), paced(1000, 0.999999)]).toEqual([20_000, 15_000]);
    // A long backoff wins over a cheaper pacing.
    expect(paced(100, 0.999999, 3)).toBe(20_000);
    // pollCostMs 0 is the plain backoff.
    expect(pacedDelay({ ...d, attempt: 0, random: () => 0.5, nextRoundCalls: 1000, pollCostMs: 0 })).toBe(
      2500,
    );
  });
});

/** Simulates the schedule with the given per-round latencies; returns poll start times and delays. */
function simulate(
  timeoutMs: number,
  d: { minDelayMs: number; maxDelayMs: number },
  random: () => number,
  latency: () => number,
  pacing: { nextRoundCalls: number; pollCostMs: number } = { nextRoundCalls: 0, pollCostMs: 0 },
) {
  const starts: number[] = [];
  const plans: { delayMs: number; final: boolean }[] = [];
  let t = 0;
  let attempt = 0;
  let final = false;
  for (let i = 0; i < 10_000; i++) {
    starts.push(t);
    t += latency();
    if (final) break;
    attempt = nextAttempt(attempt, false);
    const plan = planNextPoll({
      now: t,
      deadline: timeoutMs,
      delayMs: pacedDelay({ ...d, attempt, random, ...pacing }),
      ...d,
    });
    if (plan.kind === 'timeout') break;
    plans.push(plan);
    final = plan.final;
    t += plan.delayMs;
  }
  return { starts, plans, end: t };
}

describe('planNextPoll', () => {
  it('never starts a poll past the deadline, keeps non-final delays in range, and makes the final poll', () => {
    fc.assert(
      fc.property(
        delays,
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (d, extra, r) => {
          // At most ~2,000 rounds, so the simulation always reaches the deadline.
          const timeoutMs = d.minDelayMs + Math.min(extra, 2000 * d.minDelayMs);
          const { starts, plans } = simulate(
            timeoutMs,
            d,
            () => r,
            () => 0,
          );
          const finalAt = timeoutMs - finalPollLeadMs(d.minDelayMs);
          for (const s of starts) expect(s).toBeLessThanOrEqual(finalAt);
          for (const p of plans) {
            expect(p.delayMs).toBeGreaterThan(0);
            expect(p.delayMs).toBeLessThanOrEqual(d.maxDelayMs);
            if (!p.final) expect(p.delayMs).toBeGreaterThanOrEqual(d.minDelayMs);
          }
          // With instant calls the last poll starts exactly at deadline − lead: no early give-up.
          expect(starts.at(-1)).toBe(finalAt);
          expect(plans.filter((p) => p.final).length).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with API latency, still polls until the final window and never starts past it', () => {
    fc.assert(
      fc.property(
        delays,
        fc.integer({ min: 0, max: 600_000 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 50 }),
        (d, extra, lat) => {
          const timeoutMs = d.minDelayMs + Math.min(extra, 2000 * d.minDelayMs);
          let i = 0;
          const { starts, end } = simulate(
            timeoutMs,
            d,
            () => 0.5,
            () => lat[i++ % lat.length]!,
          );
          const finalAt = timeoutMs - finalPollLeadMs(d.minDelayMs);
          for (const s of starts) expect(s).toBeLessThanOrEqual(finalAt);
          expect(end).toBeGreaterThanOrEqual(finalAt);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with cost-aware pacing, still never starts past the final window and makes the final poll', () => {
    fc.assert(
      fc.property(
        delays,
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(2000),
        fc.integer({ min: 0, max: 1000 }),
        (d, extra, r, nextRoundCalls, pollCostMs) => {
          const timeoutMs = d.minDelayMs + Math.min(extra, 2000 * d.minDelayMs);
          const { starts, plans } = simulate(
            timeoutMs,
            d,
            () => r,
            () => 0,
            { nextRoundCalls, pollCostMs },
          );
          const finalAt = timeoutMs - finalPollLeadMs(d.minDelayMs);
          for (const s of starts) expect(s).toBeLessThanOrEqual(finalAt);
          for (const p of plans) {
            expect(p.delayMs).toBeGreaterThan(0);
            expect(p.delayMs).toBeLessThanOrEqual(d.maxDelayMs);
            if (!p.final) expect(p.delayMs).toBeGreaterThanOrEqual(d.minDelayMs);
          }
          expect(starts.at(-1)).toBe(finalAt);
          expect(plans.filter((p) => p.final).length).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches a hand-computed default schedule for a 60 s timeout', () => {
    const { starts } = simulate(
      60_000,
      { minDelayMs: 2000, maxDelayMs: 20_000 },
      () => 0.5,
      () => 0,
    );
    expect(starts).toEqual([0, 4500, 13_500, 28_500, 43_500, 59_000]);
  });
});

describe('pollLoop (virtual time)', () => {
  const again = (value: string, delayMs: number): RoundStep<string> => ({ value, next: 'again', delayMs });

  it('runs rounds one after another with the planned pause between them', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(
      ({ cold, expectObservable, expectSubscriptions }) => {
        const r1 = cold('--x|', { x: again('a', 3) });
        const r2 = cold('--x|', { x: again('b', 3) });
        const r3 = cold('--(x|)', { x: { value: 'c', next: 'done' } as RoundStep<string> });
        const rounds = [r1, r2, r3];
        let i = 0;
        const scheduler = (r1 as unknown as { scheduler: import('rxjs').SchedulerLike }).scheduler;
        expectObservable(pollLoop(() => rounds[i++]!, scheduler)).toBe('--a----b----(c|)');
        // Each round is subscribed only after the previous one completed and its pause elapsed.
        expectSubscriptions(r1.subscriptions).toBe('^--!');
        expectSubscriptions(r2.subscriptions).toBe('-----^--!');
        expectSubscriptions(r3.subscriptions).toBe('----------^-!');
      },
    );
  });

  it('emits the failing round value, then the error', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const boom = new Error('boom');
      const r1 = cold('-x|', { x: again('a', 2) });
      const r2 = cold('-(x|)', { x: { value: 'b', next: 'fail', error: boom } as RoundStep<string> });
      const rounds = [r1, r2];
      let i = 0;
      const scheduler = (r1 as unknown as { scheduler: import('rxjs').SchedulerLike }).scheduler;
      expectObservable(pollLoop(() => rounds[i++]!, scheduler)).toBe('-a--(b#)', { a: 'a', b: 'b' }, boom);
    });
  });

  it('unsubscribing during a pause starts no further round', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable, flush }) => {
      let started = 0;
      const r = cold('-x|', { x: again('a', 10) });
      const scheduler = (r as unknown as { scheduler: import('rxjs').SchedulerLike }).scheduler;
      expectObservable(
        pollLoop(() => {
          started++;
          return r;
        }, scheduler),
        '^----!',
      ).toBe('-a');
      flush();
      expect(started).toBe(1);
    });
  });
});
