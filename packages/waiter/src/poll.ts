import type { AttemptEvent, InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { toBatches } from './batch.js';
import { bisectNotFound, type ProbeResult } from './bisect.js';
import { classifyError, errorKey, isThrottled } from './classify.js';
import type { RateLimiter } from './limiter.js';
import { linkedController, raceAbort } from './timers.js';

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

/** What one round learned about one ID. IDs not in the map got no answer (deadline or abort). */
export type IdOutcome =
  | { readonly kind: 'status'; readonly status: InstanceStatus }
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly key: string };

/** A status call failed in a way waiting cannot fix; `error` is what the source threw. */
export class FatalSourceFailure {
  /** Batch calls the round had sent when it failed (set by {@link pollRound}). */
  batchCalls = 0;
  constructor(readonly error: unknown) {}
}

/** The `retryAfterMs` an error carries (core's `ThrottlingError` and `EcsApiError` do), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

export interface PollContext {
  readonly source: StatusSource;
  readonly limiter: RateLimiter;
  readonly concurrency: number;
  readonly counters: MutableCounters;
  /** Called when a (non-bisection) batch call is actually sent. */
  readonly onBatchCall?: (() => void) | undefined;
}

function bump(errors: Record<string, number>, key: string): void {
  errors[key] = (errors[key] ?? 0) + 1;
}

/**
 * One call of the status source for up to 100 IDs, rate-limited, raced against `signal`, and
 * counted: per HTTP attempt when the source reports attempts through `onAttempt`, otherwise once
 * per call.
 */
async function callSource(
  ids: readonly string[],
  ctx: PollContext,
  signal: AbortSignal,
  bisection: boolean,
): Promise<readonly InstanceStatus[]> {
  await ctx.limiter.acquire(signal);
  if (!bisection) ctx.onBatchCall?.();
  const { counters, limiter } = ctx;
  let attempts = 0;
  const onAttempt = (event: AttemptEvent) => {
    attempts++;
    counters.apiCalls++;
    if (event.attempt > 1) counters.retries++;
    if (event.throttled) {
      counters.throttledCalls++;
      limiter.onThrottled();
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
    limiter.onSuccess();
    if (!Array.isArray(statuses)) {
      throw new TypeError(`The status source returned ${typeof statuses} instead of an array of statuses.`);
    }
    return statuses;
  } catch (error) {
    if (attempts === 0) {
      counters.apiCalls++;
      if (!signal.aborted) {
        bump(counters.errors, errorKey(error));
        if (isThrottled(error)) {
          counters.throttledCalls++;
          limiter.onThrottled();
        }
      }
    }
    // The API said when to come back: no call of this wait starts before then.
    const retryAfterMs = signal.aborted ? undefined : retryAfterOf(error);
    if (retryAfterMs !== undefined) limiter.pause(retryAfterMs);
    throw error;
  }
}

async function probe(
  ids: readonly string[],
  ctx: PollContext,
  signal: AbortSignal,
  bisection: boolean,
): Promise<ProbeResult> {
  try {
    return { kind: 'ok', statuses: await callSource(ids, ctx, signal, bisection) };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const kind = classifyError(error);
    if (kind === 'fatal') throw new FatalSourceFailure(error);
    return kind === 'not-found' ? { kind } : { kind, error };
  }
}

/**
 * Polls `known` and `suspects` once: each list in its own batches of ≤ 100 (so a round costs
 * ceil(known / 100) + ceil(suspects / 100) batch calls), at most `concurrency` in flight, each
 * through the rate limiter. `suspects` are IDs the last reading said ECS does not know: kept
 * apart, they never make a batch of known IDs fail with NotFound.
 *
 * A batch of known IDs failing with NotFound is bisected. A batch of suspects failing with
 * NotFound is resolved by probing each suspect alone (none when it holds one suspect): suspects
 * are expected to be missing, and one call each is cheaper than bisecting a mostly-missing batch
 * (about k · log2 k calls for k). IDs absent from a successful response are `missing`; a
 * transient failure marks its IDs `error` (polled again next round). A fatal failure aborts the
 * other in-flight calls and rejects with {@link FatalSourceFailure}. When `signal` aborts
 * (deadline, cancel), no further call starts and unanswered IDs are left out.
 *
 * @returns outcomes by ID, the number of batch calls made (bisection excluded), and whether a
 * batch failed with NotFound (a source that omits unknown IDs never does).
 */
export async function pollRound(
  known: readonly string[],
  ctx: PollContext,
  signal: AbortSignal,
  suspects: readonly string[] = [],
): Promise<{ outcomes: Map<string, IdOutcome>; batchCalls: number; sawNotFound: boolean }> {
  const batches = [
    ...toBatches(known).map((ids) => ({ ids, suspects: false })),
    ...toBatches(suspects).map((ids) => ({ ids, suspects: true })),
  ];
  const outcomes = new Map<string, IdOutcome>();
  const { controller, dispose } = linkedController(signal);
  const roundSignal = controller.signal;
  let fatal: FatalSourceFailure | undefined;
  let next = 0;
  let batchCalls = 0;
  let sawNotFound = false;

  const record = (subset: readonly string[], statuses: readonly InstanceStatus[]) => {
    const wanted = new Set(subset);
    for (const s of statuses)
      if (wanted.has(s.instanceId)) outcomes.set(s.instanceId, { kind: 'status', status: s });
    // Keyed by InstanceId, never by position: an ID left out of the response is not ready.
    for (const id of subset) if (!outcomes.has(id)) outcomes.set(id, { kind: 'missing' });
  };
  const failed = (subset: readonly string[], error: unknown) => {
    const key = errorKey(error);
    for (const id of subset) outcomes.set(id, { kind: 'error', key });
  };

  const counted: PollContext = { ...ctx, onBatchCall: () => batchCalls++ };
  const runBatch = async (batch: { ids: readonly string[]; suspects: boolean }) => {
    const result = await probe(batch.ids, counted, roundSignal, false);
    if (result.kind === 'ok') return record(batch.ids, result.statuses);
    if (result.kind === 'transient') return failed(batch.ids, result.error);
    sawNotFound = true;
    if (batch.suspects) {
      if (batch.ids.length === 1) return record(batch.ids, []);
      for (const id of batch.ids) {
        if (roundSignal.aborted) return;
        const alone = await probe([id], counted, roundSignal, true);
        if (alone.kind === 'ok') record([id], alone.statuses);
        else if (alone.kind === 'transient') failed([id], alone.error);
        else record([id], []);
      }
      return;
    }
    const found = await bisectNotFound(batch.ids, (subset) => probe(subset, counted, roundSignal, true));
    for (const s of found.statuses) outcomes.set(s.instanceId, { kind: 'status', status: s });
    for (const id of found.missing) outcomes.set(id, { kind: 'missing' });
    for (const { ids: unresolved, error } of found.unresolved) failed(unresolved, error);
  };

  const worker = async () => {
    while (next < batches.length && !roundSignal.aborted) {
      const batch = batches[next++]!;
      try {
        await runBatch(batch);
      } catch (error) {
        if (error instanceof FatalSourceFailure) {
          if (fatal === undefined) {
            fatal = error;
            controller.abort(error.error);
          }
        } else if (!roundSignal.aborted) {
          // A bug in a user source (e.g. returning a non-array): fail loudly.
          fatal ??= new FatalSourceFailure(error);
          controller.abort(error);
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, batches.length) }, worker));
  } finally {
    dispose();
  }
  if (fatal !== undefined) {
    fatal.batchCalls = batchCalls;
    throw fatal;
  }
  return { outcomes, batchCalls, sawNotFound };
}
