import fc from 'fast-check';
import { map, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { decide, type Pacing, type RoundFacts, type Verdict } from '../src/decide.js';
import type { WaitFailure } from '../src/failure.js';
import { pollLoop, type RoundStep } from '../src/loop.js';
import { finalPollLeadMs, nextAttempt } from '../src/schedule.js';

const failures: fc.Arbitrary<WaitFailure> = fc.oneof(
  fc.constant<WaitFailure>({ kind: 'timeout' }),
  fc.constant<WaitFailure>({ kind: 'quorum-unreachable' }),
  fc.constant<WaitFailure>({ kind: 'source-unreachable' }),
  fc.constant<WaitFailure>({ kind: 'source', error: new Error('denied') }),
  fc.constant<WaitFailure>({ kind: 'predicate', instanceId: 'i-1', error: new Error('bug') }),
  fc.constant<WaitFailure>({ kind: 'internal', error: new Error('ours') }),
);

/** Consistent facts: counts within the total, `required` in [1, total], now before or past the deadline. */
const facts: fc.Arbitrary<RoundFacts> = fc
  .record({
    total: fc.integer({ min: 1, max: 500 }),
    readyShare: fc.double({ min: 0, max: 1, noNaN: true }),
    unreachableShare: fc.double({ min: 0, max: 1, noNaN: true }),
    requiredShare: fc.double({ min: 0, max: 1, noNaN: true }),
    failure: fc.option(failures, { nil: undefined, freq: 4 }),
    progressed: fc.boolean(),
    checkDue: fc.boolean(),
    attempt: fc.nat(50),
    finalRound: fc.boolean(),
    deadlineReached: fc.boolean(),
    now: fc.integer({ min: 0, max: 1_000_000 }),
    left: fc.integer({ min: -10_000, max: 600_000 }),
    nextRoundCalls: fc.nat(1000),
  })
  .map((r) => {
    const readyCount = Math.floor(r.readyShare * r.total);
    const unreachableCount = Math.floor(r.unreachableShare * (r.total - readyCount));
    return {
      failure: r.failure,
      total: r.total,
      required: Math.max(1, Math.ceil(r.requiredShare * r.total)),
      readyCount,
      unreachableCount,
      progressed: r.progressed,
      checkDue: r.checkDue,
      attempt: r.attempt,
      finalRound: r.finalRound,
      deadlineReached: r.deadlineReached,
      now: r.now,
      deadline: r.now + r.left,
      nextRoundCalls: r.nextRoundCalls,
    };
  });

const pacings: fc.Arbitrary<Omit<Pacing, 'random'> & { readonly r: number }> = fc
  .record({
    minDelayMs: fc.integer({ min: 1, max: 30_000 }),
    extra: fc.integer({ min: 0, max: 100_000 }),
    pollCostMs: fc.integer({ min: 0, max: 1000 }),
    r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  })
  .map(({ minDelayMs, extra, pollCostMs, r }) => ({
    minDelayMs,
    maxDelayMs: minDelayMs + extra,
    pollCostMs,
    r,
  }));

/** `decide` with a counted `random`. */
function decideCounted(f: RoundFacts, p: Omit<Pacing, 'random'> & { readonly r: number }) {
  let draws = 0;
  const verdict = decide(f, {
    ...p,
    random: () => {
      draws++;
      return p.r;
    },
  });
  return { verdict, draws };
}

describe('decide (the verdict after a round)', () => {
  it('follows its order: failure, done, check, quorum unreachable, timeout, again', () => {
    fc.assert(
      fc.property(facts, pacings, (f, p) => {
        const { verdict } = decideCounted(f, p);
        const possible = f.total - f.readyCount - f.unreachableCount;
        if (f.failure !== undefined) {
          expect(verdict).toEqual({ kind: 'fail', failure: f.failure });
        } else if (f.readyCount >= f.required) {
          // Enough ready wins even in the final round or past the deadline.
          expect(verdict).toEqual({ kind: 'done' });
        } else if (f.checkDue && !f.deadlineReached) {
          expect(verdict).toEqual({ kind: 'check' });
        } else if (f.readyCount + possible < f.required) {
          expect(verdict).toEqual({ kind: 'fail', failure: { kind: 'quorum-unreachable' } });
        } else if (f.finalRound || f.deadlineReached) {
          expect(verdict).toEqual({ kind: 'fail', failure: { kind: 'timeout' } });
        } else {
          expect(['again', 'fail']).toContain(verdict.kind);
          if (verdict.kind === 'fail') expect(verdict.failure).toEqual({ kind: 'timeout' });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never plans a poll past the final window; a non-final pause stays in [minDelayMs, maxDelayMs]', () => {
    fc.assert(
      fc.property(facts, pacings, (f, p) => {
        const { verdict } = decideCounted({ ...f, failure: undefined, checkDue: false }, p);
        if (verdict.kind !== 'again') return;
        expect(verdict.delayMs).toBeGreaterThan(0);
        expect(f.now + verdict.delayMs).toBeLessThanOrEqual(f.deadline - finalPollLeadMs(p.minDelayMs));
        if (!verdict.final) {
          expect(verdict.delayMs).toBeGreaterThanOrEqual(p.minDelayMs);
          expect(verdict.delayMs).toBeLessThanOrEqual(p.maxDelayMs);
        }
        // What the schedule must remember comes back in the verdict.
        expect(verdict.attempt).toBe(nextAttempt(f.attempt, f.progressed));
      }),
      { numRuns: 2000 },
    );
  });

  it('times out rather than pausing when the final window has begun', () => {
    fc.assert(
      fc.property(facts, pacings, (f, p) => {
        const late = { ...f, failure: undefined, checkDue: false, readyCount: 0, unreachableCount: 0 };
        const lead = finalPollLeadMs(p.minDelayMs);
        const { verdict } = decideCounted({ ...late, deadline: late.now + lead - (f.attempt % 5) }, p);
        expect(verdict).toEqual({ kind: 'fail', failure: { kind: 'timeout' } });
      }),
    );
  });

  it('is pure: draws randomness only when it consults the schedule, and the same facts give the same verdict', () => {
    fc.assert(
      fc.property(facts, pacings, (f, p) => {
        const first = decideCounted(f, p);
        const again = decideCounted(f, p);
        expect(again.verdict).toEqual(first.verdict);
        // Only the schedule draws: for a pause, or to find there is no room for one (a timeout).
        const scheduled =
          first.verdict.kind === 'again' ||
          (first.verdict.kind === 'fail' && first.verdict.failure.kind === 'timeout');
        if (!scheduled) expect(first.draws).toBe(0);
        expect(first.draws).toBeLessThanOrEqual(2);
      }),
    );
  });
});

describe('decide driving the round loop (virtual time)', () => {
  /**
   * A wait over `readyAt.length` instances, instance i ready from `readyAt[i]` on: each round
   * reads the clock, counts the ready ones and asks `decide`; the loop emits the ready count.
   */
  function simulate(readyAt: readonly number[], scheduler: SchedulerLike, timeoutMs: number) {
    const pacing: Pacing = { minDelayMs: 2, maxDelayMs: 8, pollCostMs: 0, random: () => 0 };
    const deadline = scheduler.now() + timeoutMs;
    let attempt = 0;
    let finalRound = false;
    let lastReady = 0;
    const round = (): RoundStep<number>[] => {
      const now = scheduler.now();
      const readyCount = readyAt.filter((t) => t <= now).length;
      const verdict: Verdict = decide(
        {
          failure: undefined,
          total: readyAt.length,
          required: readyAt.length,
          readyCount,
          unreachableCount: 0,
          progressed: readyCount > lastReady,
          checkDue: false,
          attempt,
          finalRound,
          deadlineReached: now >= deadline,
          now,
          deadline,
          nextRoundCalls: 1,
        },
        pacing,
      );
      lastReady = readyCount;
      switch (verdict.kind) {
        case 'done':
          return [{ value: readyCount, next: 'done' }];
        case 'again':
          attempt = verdict.attempt;
          finalRound = verdict.final;
          return [{ value: readyCount, next: 'again', delayMs: verdict.delayMs }];
        case 'check':
          throw new Error('no checks in this simulation');
        case 'fail':
          return [{ value: readyCount, next: 'fail', error: verdict.failure.kind }];
      }
    };
    return pollLoop(round, scheduler).pipe(map(String));
  }

  const scheduler = (ts: TestScheduler) => ts as unknown as SchedulerLike;

  it('pauses longer without progress, back to the minimum after it, until every instance is ready', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      // Rounds at 0 (none ready, no progress: attempt 1, pause 3), 3 (one ready: progress,
      // attempt 0, pause 2), 5 (no progress: pause 3), 8 (both ready: done).
      expectObservable(simulate([1, 6], scheduler(ts), 1000)).toBe('0--1-1--(2|)');
    });
  });

  it('makes one final poll just before the deadline, then fails with a timeout there', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(() => {
      const rounds: number[] = [];
      let failedAt: number | undefined;
      let error: unknown;
      simulate([1_000_000], scheduler(ts), 40).subscribe({
        next: () => rounds.push(ts.now()),
        error: (e) => {
          failedAt = ts.now();
          error = e;
        },
      });
      ts.flush();
      const finalAt = 40 - finalPollLeadMs(2);
      expect(error).toBe('timeout');
      // The last round is the final poll, at the start of the final window; none starts later.
      expect(rounds.at(-1)).toBe(finalAt);
      expect(failedAt).toBe(finalAt);
      expect(rounds.length).toBeGreaterThan(3);
      for (let i = 1; i < rounds.length - 1; i++) {
        const pause = rounds[i]! - rounds[i - 1]!;
        expect(pause).toBeGreaterThanOrEqual(2);
        expect(pause).toBeLessThanOrEqual(8);
      }
    });
  });
});
