import type { AttemptEvent, InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { MAX_BATCH_SIZE } from './batch.js';
import { bisectNotFound, type ProbeResult } from './bisect.js';
import { classifyError, errorKey, isThrottled } from './classify.js';
import { readingsFor } from './readings.js';
import { AbortScope, raceAbort } from './timers.js';

/** Mutable counters of one wait; frozen copies go into progress, reports and errors. */
export interface MutableCounters {
  apiCalls: number;
  retries: number;
  bisectionCalls: number;
  throttledCalls: number;
  errors: Record<string, number>;
}

export function newCounters(): MutableCounters {
  return { apiCalls: 0, retries: 0, bisectionCalls: 0, throttledCalls: 0, errors: {} };
}

/**
 * Where a round's answers go, as each response arrives (`at`, on the wait's clock): straight into
 * per-instance state, with no round-wide table of outcomes. An item that receives nothing got no
 * answer this round (deadline, abort, or a fatal error elsewhere).
 */
export interface RoundSink<T> {
  /** A reading of `item`. May throw to end the round at once (rethrown by {@link pollRound}). */
  status(item: T, status: InstanceStatus, at: number): void;
  /** ECS does not know `item`: it was left out of a successful response, or located by bisection. */
  missing(item: T, at: number): void;
  /** The call for `item` failed transiently (`key` as in `errors`): poll it again next round. */
  error(item: T, key: string): void;
  /**
   * `item` was in a batch that failed with NotFound, but the round's budget of locating calls
   * ran out before it was located: poll it apart, as a suspect, next round.
   */
  deferred(item: T, key: string): void;
}

/** A status call failed in a way waiting cannot fix; `error` is what the source threw. */
export class FatalSourceFailure {
  constructor(readonly error: unknown) {}
}

/** What {@link pollRound} reports about a round. */
export interface RoundResult {
  /** Batch calls sent (bisection excluded). */
  readonly batchCalls: number;
  /** A batch failed with NotFound (a source that omits unknown IDs never does). */
  readonly sawNotFound: boolean;
  /**
   * What ended the round early, if anything did: a {@link FatalSourceFailure}, or what the sink
   * threw. Aborts (deadline, cancel) are not failures: unanswered IDs just get nothing.
   */
  readonly failure?: unknown;
}

/** The default of {@link PollContext.maxBisectionCallsPerRound}. */
export const DEFAULT_MAX_BISECTION_CALLS_PER_ROUND = 100;

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

export function newHealth(): SourceHealth {
  return { answered: false, lastError: undefined, lastErrorAt: Number.NEGATIVE_INFINITY, failedCalls: 0 };
}

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
  /** Calls a round may spend locating unknown IDs (see {@link bisectNotFound}). */
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
async function callSource(
  ids: readonly string[],
  ctx: PollContext,
  scope: AbortScope,
  bisection: boolean,
  onSent: (() => void) | undefined,
): Promise<readonly InstanceStatus[]> {
  // A signal of its own per call: see AbortScope for why.
  const { signal, release } = scope.child();
  try {
    return await sendCall(ids, ctx, signal, bisection, onSent);
  } finally {
    release();
  }
}

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

async function probe(
  ids: readonly string[],
  ctx: PollContext,
  scope: AbortScope,
  bisection: boolean,
  onSent?: () => void,
): Promise<ProbeResult> {
  try {
    return { kind: 'ok', statuses: await callSource(ids, ctx, scope, bisection, onSent) };
  } catch (error) {
    if (scope.signal.aborted) throw scope.signal.reason;
    const kind = classifyError(error);
    if (kind === 'fatal') throw new FatalSourceFailure(error);
    return kind === 'not-found' ? { kind } : { kind, error };
  }
}

/**
 * Hands the statuses of one response to the sink, keyed by `InstanceId`, never by position: an
 * item left out of the response is `missing`. The statuses come from {@link readingsFor} (one
 * per asked ID at most, conflicts resolved, others' IDs dropped). ECS answers in request order,
 * so the common case is a single pass with no allocation; any other order falls back to a lookup
 * table for the rest of the batch.
 */
function deliver<T extends { readonly instanceId: string }>(
  items: readonly T[],
  statuses: readonly InstanceStatus[],
  sink: RoundSink<T>,
  at: number,
): void {
  let i = 0;
  let j = 0;
  for (; j < statuses.length && i < items.length; j++) {
    const status = statuses[j]!;
    const item = items[i]!;
    if (status.instanceId !== item.instanceId) break;
    sink.status(item, status, at);
    i++;
  }
  if (i === items.length) return;
  const rest = new Map<string, T>();
  for (let k = i; k < items.length; k++) rest.set(items[k]!.instanceId, items[k]!);
  for (; j < statuses.length; j++) {
    const status = statuses[j]!;
    const item = rest.get(status.instanceId);
    if (item === undefined) continue;
    rest.delete(status.instanceId);
    sink.status(item, status, at);
  }
  for (const item of rest.values()) sink.missing(item, at);
}

const idsOf = (items: readonly { readonly instanceId: string }[]): string[] => {
  const ids = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) ids[i] = items[i]!.instanceId;
  return ids;
};

/**
 * Polls `known` and `suspects` once: each list in its own batches of ≤ 100 (so a round costs
 * ceil(known / 100) + ceil(suspects / 100) batch calls), at most `concurrency` in flight, each
 * answer handed to `sink` as it arrives. `suspects` are IDs the
 * last reading said ECS does not know: kept apart, they never make a batch of known IDs fail with
 * NotFound. `apart` (IDs being located across regions) get batches of their own too, narrowed
 * down like known ones.
 *
 * A batch failing with NotFound is narrowed down by {@link bisectNotFound} (a batch of suspects
 * is walked as dense at once), spending at most `maxBisectionCallsPerRound` calls over the whole
 * round: IDs not located when the budget is spent are `deferred` (suspects next round). So a
 * round never costs more than its batch calls plus that budget (retries aside). IDs absent from
 * a successful response are `missing`; a transient failure marks its IDs `error` (polled again
 * next round). A fatal failure aborts the other in-flight calls and is returned as `failure` (a
 * {@link FatalSourceFailure}); so is an error thrown by the sink. When `signal` aborts
 * (deadline, cancel), no further call starts and unanswered IDs get nothing.
 */
export async function pollRound<T extends { readonly instanceId: string }>(
  known: readonly T[],
  ctx: PollContext,
  signal: AbortSignal,
  suspects: readonly T[],
  sink: RoundSink<T>,
  apart: readonly T[] = [],
): Promise<RoundResult> {
  const batches: { readonly items: readonly T[]; readonly suspects: boolean }[] = [];
  for (let start = 0; start < known.length; start += MAX_BATCH_SIZE)
    batches.push({ items: known.slice(start, start + MAX_BATCH_SIZE), suspects: false });
  // IDs being located in this region: batched apart from the known ones, so that their NotFound
  // never fails a batch of known IDs, but narrowed down like any batch (not walked as dense).
  for (let start = 0; start < apart.length; start += MAX_BATCH_SIZE)
    batches.push({ items: apart.slice(start, start + MAX_BATCH_SIZE), suspects: false });
  for (let start = 0; start < suspects.length; start += MAX_BATCH_SIZE)
    batches.push({ items: suspects.slice(start, start + MAX_BATCH_SIZE), suspects: true });
  const scope = new AbortScope(signal);
  let failure: { readonly error: unknown } | undefined;
  let next = 0;
  let batchCalls = 0;
  let sawNotFound = false;
  let budget = ctx.maxBisectionCallsPerRound;
  const countBatchCall = () => {
    batchCalls++;
  };

  const failed = (items: readonly T[], error: unknown) => {
    const key = errorKey(error);
    for (const item of items) sink.error(item, key);
  };

  const runBatch = async (batch: { readonly items: readonly T[]; readonly suspects: boolean }) => {
    const ids = idsOf(batch.items);
    const result = await probe(ids, ctx, scope, false, countBatchCall);
    if (result.kind === 'ok') return deliver(batch.items, result.statuses, sink, ctx.now());
    if (result.kind === 'transient') return failed(batch.items, result.error);
    if (result.kind !== 'not-found') return;
    sawNotFound = true;
    const found = await bisectNotFound(
      ids,
      (subset) => {
        if (scope.signal.aborted) return Promise.reject(scope.signal.reason);
        if (budget <= 0) return Promise.resolve({ kind: 'exhausted' });
        budget--;
        return probe(subset, ctx, scope, true);
      },
      true,
      batch.suspects,
    );
    const at = ctx.now();
    const byId = new Map<string, T>();
    for (const item of batch.items) byId.set(item.instanceId, item);
    for (const s of found.statuses) sink.status(byId.get(s.instanceId)!, s, at);
    for (const id of found.missing) sink.missing(byId.get(id)!, at);
    for (const { ids: unresolved, error } of found.unresolved) {
      const key = errorKey(error);
      for (const id of unresolved) sink.error(byId.get(id)!, key);
    }
    for (const id of found.deferred) sink.deferred(byId.get(id)!, 'InvalidInstance.NotFound');
  };

  const worker = async () => {
    while (next < batches.length && !scope.signal.aborted) {
      const batch = batches[next++]!;
      try {
        await runBatch(batch);
      } catch (error) {
        if (failure !== undefined) continue;
        if (error instanceof FatalSourceFailure) {
          failure = { error };
          // The items of the batch whose call failed carry its code (a batch cut short by
          // another batch's failure gets nothing).
          failed(batch.items, error.error);
          scope.abort(error.error);
        } else if (!scope.signal.aborted) {
          // The sink threw (a readiness predicate bug), or a bug of ours: end the round.
          failure = { error };
          scope.abort(error);
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, batches.length) }, worker));
  } finally {
    scope.dispose();
  }
  return failure === undefined
    ? { batchCalls, sawNotFound }
    : { batchCalls, sawNotFound, failure: failure.error };
}
