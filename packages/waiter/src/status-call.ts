import type { AttemptEvent, InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import type { ProbeResult } from './bisect.js';
import { classifyError, errorKey, isThrottled } from './classify.js';
import { readingsFor } from './readings.js';
import { type AbortScope, raceAbort } from './timers.js';

/** Mutable counters of one wait; frozen copies go into progress, reports and errors. */
export interface MutableCounters {
  apiCalls: number;
  retries: number;
  bisectionCalls: number;
  throttledCalls: number;
  errors: Record<string, number>;
}

/** Counters at zero, for a new wait. */
export function newCounters(): MutableCounters {
  return { apiCalls: 0, retries: 0, bisectionCalls: 0, throttledCalls: 0, errors: {} };
}

/**
 * Whether the status source has answered yet, and the last failure since: what the wait needs to
 * tell a broken setup (wrong endpoint, closed port, hanging server) from slow agents.
 */
export interface SourceHealth {
  /**
   * A call succeeded, or the API answered in a way that proves the endpoint and credentials work
   * (`InvalidInstance.NotFound`, `Throttling*`).
   */
  answered: boolean;
  /** The last failed call's error (not an abort), if any. */
  lastError: unknown;
  /** When `lastError` arrived (the wait's clock): the latest of several regions' is the wait's. */
  lastErrorAt: number;
  /** Failed calls (after the source's own retries). */
  failedCalls: number;
}

/** The health of a region no call was sent to yet. */
export function newHealth(): SourceHealth {
  return { answered: false, lastError: undefined, lastErrorAt: Number.NEGATIVE_INFINITY, failedCalls: 0 };
}

/** What one region's calls need: its source, the wait's counters and clock, the bisection budget. */
export interface PollContext {
  /**
   * Paced by a request budget (a core client's, or core's `rateLimitedSource` around a function
   * the caller passed): the waiter has no limiter of its own.
   */
  readonly source: StatusSource;
  readonly concurrency: number;
  readonly counters: MutableCounters;
  /** The wait's clock: when each response arrived. */
  readonly now: () => number;
  /** Calls a round may spend locating unknown IDs (see `bisectNotFound`). */
  readonly maxBisectionCallsPerRound: number;
  /** Updated by every call: see {@link SourceHealth}. */
  readonly health?: SourceHealth | undefined;
}

function bump(errors: Record<string, number>, key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

/**
 * One call of the status source for up to 100 IDs, raced against `signal`, and counted: per HTTP
 * attempt when the source reports attempts through `onAttempt`, otherwise once per call. Pacing
 * and throttling back-off belong to the source's request budget.
 */
async function sendCall(
  ids: readonly string[],
  ctx: PollContext,
  signal: AbortSignal,
  bisection: boolean,
  onSent: (() => void) | undefined,
): Promise<readonly InstanceStatus[]> {
  onSent?.();
  const { counters } = ctx;
  let attempts = 0;
  const onAttempt = (event: AttemptEvent) => {
    attempts++;
    counters.apiCalls++;
    if (event.attempt > 1) counters.retries++;
    if (event.aborted === true) return;
    if (event.throttled) {
      counters.throttledCalls++;
      if (ctx.health !== undefined) ctx.health.answered = true;
    }
    const key = event.apiCode ?? event.errorCode;
    if (key !== undefined) bump(counters.errors, key);
  };
  if (bisection) counters.bisectionCalls++;
  let pending: Promise<readonly InstanceStatus[]>;
  try {
    pending = Promise.resolve(ctx.source(ids, { signal, onAttempt }));
  } catch (error) {
    pending = Promise.reject(error);
  }
  try {
    const statuses = await raceAbort(pending, signal);
    if (attempts === 0) counters.apiCalls++;
    if (ctx.health !== undefined) ctx.health.answered = true;
    // Checked before anything reads them: a reading that does not say "online" in a form the
    // contract names never counts as online, and a source that breaks it ends the wait (fatal).
    return readingsFor(ids, statuses);
  } catch (error) {
    // A call the source reported no attempt for counts once, unless it was aborted (deadline,
    // cancel): then nothing says a request went out (core reports every request it sent, aborted
    // ones included), and apiCalls counts requests, not intentions.
    if (attempts === 0 && !signal.aborted) {
      counters.apiCalls++;
      bump(counters.errors, errorKey(error));
      if (isThrottled(error)) counters.throttledCalls++;
    }
    const health = ctx.health;
    if (health !== undefined && !signal.aborted) {
      if (isThrottled(error) || classifyError(error) === 'not-found') health.answered = true;
      else {
        health.lastError = error;
        health.lastErrorAt = ctx.now();
        health.failedCalls++;
      }
    }
    throw error;
  }
}

/** What one call of a round came to: a {@link ProbeResult}, or a failure waiting cannot fix. */
export type CallResult = ProbeResult | { readonly kind: 'fatal'; readonly error: unknown };

/** One call, classified; `stopped` when the round was aborted (deadline, cancel, a failure elsewhere). */
export async function probe(
  ids: readonly string[],
  ctx: PollContext,
  scope: AbortScope,
  bisection: boolean,
  onSent?: () => void,
): Promise<CallResult> {
  // A signal of its own per call: see AbortScope for why.
  const { signal, release } = scope.child();
  try {
    return { kind: 'ok', statuses: await sendCall(ids, ctx, signal, bisection, onSent) };
  } catch (error) {
    if (scope.signal.aborted) return { kind: 'stopped' };
    const kind = classifyError(error);
    return kind === 'not-found' ? { kind } : { kind, error };
  } finally {
    release();
  }
}
