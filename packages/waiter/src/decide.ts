import type { WaitFailure } from './failure.js';
import { nextAttempt, pacedDelay, planNextPoll } from './schedule.js';

/** What the decision after a round reads: counts, the clock, and what the schedule remembers. */
export interface RoundFacts {
  /** What ended the round early, or the remediation pass after it, if anything did. */
  readonly failure: WaitFailure | undefined;
  /** Distinct instances waited for. */
  readonly total: number;
  /** Ready instances the wait needs. */
  readonly required: number;
  readonly readyCount: number;
  /** Instances given up on: they can never become ready in this wait. */
  readonly unreachableCount: number;
  /** An instance became ready, read ready once more, or was found, in this round. */
  readonly progressed: boolean;
  /** An instance-status lookup is due (see `InstanceChecks.due`) and has not run after this round. */
  readonly checkDue: boolean;
  /** Rounds in a row without progress before this one (see `nextAttempt`). */
  readonly attempt: number;
  /** This round was the final one, planned just before the deadline. */
  readonly finalRound: boolean;
  /** The deadline passed (its in-flight calls were aborted). */
  readonly deadlineReached: boolean;
  /** Now and the deadline, on the wait's clock. */
  readonly now: number;
  readonly deadline: number;
  /** Batch calls the next round would send in its busiest region (see `nextRoundCalls`). */
  readonly nextRoundCalls: number;
}

/** The schedule's options: the bounds of a pause, the cost of a call, and the jitter. */
export interface Pacing {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly pollCostMs: number;
  /** Uniform in [0, 1); called only when the schedule is consulted (at most twice). */
  readonly random: () => number;
}

/** What happens after a round. */
export type Verdict =
  /** Enough instances are ready: the wait succeeds. */
  | { readonly kind: 'done' }
  /** Run the instance-status lookup (and remediation), then decide again with `checkDue: false`. */
  | { readonly kind: 'check' }
  /** Pause `delayMs`, then poll again; `final`: that round is the last before the deadline. */
  | { readonly kind: 'again'; readonly delayMs: number; readonly final: boolean; readonly attempt: number }
  /** The wait fails. */
  | { readonly kind: 'fail'; readonly failure: WaitFailure };

const TIMEOUT: Verdict = { kind: 'fail', failure: { kind: 'timeout' } };
const QUORUM_UNREACHABLE: Verdict = { kind: 'fail', failure: { kind: 'quorum-unreachable' } };

/**
 * The decision after a round, in this order: a failure ends the wait; enough ready instances end
 * it successfully (even in the final round); a due instance-status lookup runs next (never past
 * the deadline), and the decision is taken again after it, since a lookup can give up on
 * `Stopped` instances and remediation can be denied; when fewer than `required` instances can
 * still become ready the quorum is unreachable; after the final round or past the deadline the
 * wait times out; otherwise the next pause, from the schedule (`schedule.ts`): progress-aware
 * backoff stretched to the next round's cost, fitted inside the deadline with one final poll.
 *
 * Pure but for `pacing.random`: the wait's state is read through `facts`, and what the schedule
 * must remember (`attempt`, `final`) comes back in the verdict.
 *
 * @example
 * decide({ ...facts, readyCount: 3, required: 3 }, pacing); // { kind: 'done' }
 */
export function decide(facts: RoundFacts, pacing: Pacing): Verdict {
  if (facts.failure !== undefined) return { kind: 'fail', failure: facts.failure };
  const { readyCount, required } = facts;
  if (readyCount >= required) return { kind: 'done' };
  if (facts.checkDue && !facts.deadlineReached) return { kind: 'check' };
  const possible = facts.total - readyCount - facts.unreachableCount;
  if (readyCount + possible < required) return QUORUM_UNREACHABLE;
  if (facts.finalRound || facts.deadlineReached) return TIMEOUT;
  const attempt = nextAttempt(facts.attempt, facts.progressed);
  const { minDelayMs, maxDelayMs } = pacing;
  const plan = planNextPoll({
    now: facts.now,
    deadline: facts.deadline,
    delayMs: pacedDelay({ ...pacing, attempt, nextRoundCalls: facts.nextRoundCalls }),
    minDelayMs,
    maxDelayMs,
  });
  if (plan.kind === 'timeout') return TIMEOUT;
  return { kind: 'again', delayMs: plan.delayMs, final: plan.final, attempt };
}
