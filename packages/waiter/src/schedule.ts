/**
 * The polling schedule, as pure functions of (attempt, clock, random) so it can be property-tested.
 *
 * Backoff is "equal jitter": the delay is uniform in [upper / 2, upper] and never below
 * `minDelayMs`, where upper = min(maxDelayMs, 1.5 · minDelayMs · 2^attempt). Unlike Smithy's
 * waiter (no jitter once past its attempt ceiling), the delay stays random at the cap, so many
 * gates started by one deployment do not poll in lockstep. `attempt` counts rounds without
 * progress; a round in which any instance became ready (or was found) resets it to 0, so while
 * agents are arriving the gate polls at about `minDelayMs`, and while nothing changes it backs off.
 *
 * Cost-aware pacing ({@link pacedDelay}) then stretches the pause to what the next round will
 * cost: at least `nextRoundCalls × pollCostMs`, so a 10,000-instance fleet (100 calls a round)
 * does not spend 100 calls every `minDelayMs`, while a small fleet (1 call) still polls every
 * `minDelayMs`.
 */
export interface BackoffInput {
  /** Rounds in a row without progress (0 after a round that made progress). */
  readonly attempt: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

/** The randomised delay before the next round, in [minDelayMs, maxDelayMs]. */
export function backoffDelay({ attempt, minDelayMs, maxDelayMs, random }: BackoffInput): number {
  // 2^40 already dwarfs any sane ratio; capping the exponent avoids Infinity arithmetic.
  const upper = Math.min(maxDelayMs, 1.5 * minDelayMs * 2 ** Math.min(Math.max(attempt, 0), 40));
  const lower = Math.max(minDelayMs, upper / 2);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.min(maxDelayMs, Math.max(minDelayMs, Math.round(lower + r * (upper - lower))));
}

export interface PacingInput extends BackoffInput {
  /** Batch calls the next round will send: ceil(known / 100) + ceil(suspects / 100). */
  readonly nextRoundCalls: number;
  /** Pause owed per call of the next round (0 turns pacing off). */
  readonly pollCostMs: number;
}

/**
 * The delay before the next round, in [minDelayMs, maxDelayMs]: the {@link backoffDelay}, or, when
 * longer, the next round's cost `nextRoundCalls × pollCostMs` capped at `maxDelayMs` and jittered
 * down by up to a quarter (so it stays random at the cap too). Over a wait this keeps the polling
 * calls to about one per `pollCostMs` on average whenever rounds are expensive, and changes
 * nothing when `nextRoundCalls × pollCostMs ≤ minDelayMs`.
 */
export function pacedDelay(input: PacingInput): number {
  const { minDelayMs, maxDelayMs, nextRoundCalls, pollCostMs, random } = input;
  const backoff = backoffDelay(input);
  const cost = Math.max(0, nextRoundCalls) * Math.max(0, pollCostMs);
  if (!(cost > backoff)) return backoff;
  const r = Math.min(Math.max(random(), 0), 1);
  const paced = Math.round(Math.min(maxDelayMs, cost) * (1 - r / 4));
  return Math.min(maxDelayMs, Math.max(minDelayMs, backoff, paced));
}

/** The attempt counter for the next round: reset on progress, otherwise one more. */
export function nextAttempt(attempt: number, madeProgress: boolean): number {
  return madeProgress ? 0 : attempt + 1;
}

/**
 * How long before the deadline the final poll starts, so its calls can still answer in time
 * (the deadline includes API latency: calls still in flight at the deadline are aborted).
 */
export function finalPollLeadMs(minDelayMs: number): number {
  return Math.min(1000, Math.floor(minDelayMs / 2));
}

export interface PlanInput {
  /** Now, on the wait's clock. */
  readonly now: number;
  /** Absolute deadline on the same clock. */
  readonly deadline: number;
  /** The backoff delay the schedule would like to use. */
  readonly delayMs: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

/** What to do after a round that did not finish the wait. */
export type PollPlan =
  | { readonly kind: 'poll'; readonly delayMs: number; readonly final: boolean }
  | { readonly kind: 'timeout' };

/**
 * Fits the next poll inside the deadline. Rather than giving up early when the next delay would
 * overshoot (Smithy quits up to `maxDelay` early), it schedules one final poll at
 * `deadline − lead`. A non-final delay is always in [minDelayMs, maxDelayMs]; the final delay is
 * at most `maxDelayMs` and may be shorter than `minDelayMs`. No poll starts past `deadline − lead`.
 */
export function planNextPoll({ now, deadline, delayMs, minDelayMs, maxDelayMs }: PlanInput): PollPlan {
  const finalAt = deadline - finalPollLeadMs(minDelayMs);
  const untilFinal = finalAt - now;
  // The round that just ended already ran in the final window: there is no time for another.
  if (untilFinal <= 0) return { kind: 'timeout' };
  if (untilFinal <= delayMs) return { kind: 'poll', delayMs: untilFinal, final: true };
  // A normal poll now would leave less than minDelayMs before the final one: go straight to the
  // final poll when that is within maxDelayMs, so the last two rounds are not crammed together.
  if (untilFinal - delayMs < minDelayMs && untilFinal <= maxDelayMs) {
    return { kind: 'poll', delayMs: untilFinal, final: true };
  }
  return { kind: 'poll', delayMs, final: false };
}
