import { MAX_BATCH_SIZE } from './batch.js';
import { bisectNotFound, type ProbeResult } from './bisect.js';
import { errorKey } from './classify.js';
import { deliver, deliverLocated, type RoundSink } from './deliver.js';
import type { RoundFailure } from './failure.js';
import { type PollContext, probe } from './status-call.js';
import { AbortScope } from './timers.js';

/** What {@link pollRound} reports about a round. */
export interface RoundResult {
  /** Batch calls sent (bisection excluded). */
  readonly batchCalls: number;
  /** A batch failed with NotFound (a source that omits unknown IDs never does). */
  readonly sawNotFound: boolean;
  /**
   * What ended the round early, if anything did: a status call waiting cannot fix, a failure the
   * sink returned, or a bug of ours. Aborts (deadline, cancel) are not failures: unanswered IDs
   * just get nothing.
   */
  readonly failure?: RoundFailure | undefined;
}

const idsOf = (items: readonly { readonly instanceId: string }[]): string[] => {
  const ids = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) ids[i] = items[i]!.instanceId;
  return ids;
};

/** A batch of a round: up to 100 items, and whether they are suspects (walked as dense). */
interface Batch<T> {
  readonly items: readonly T[];
  readonly suspects: boolean;
}

/** The batches of a round: known IDs, then IDs being located, then suspects, each in its own. */
function roundBatches<T>(known: readonly T[], apart: readonly T[], suspects: readonly T[]): Batch<T>[] {
  const batches: Batch<T>[] = [];
  const add = (items: readonly T[], areSuspects: boolean) => {
    for (let start = 0; start < items.length; start += MAX_BATCH_SIZE)
      batches.push({ items: items.slice(start, start + MAX_BATCH_SIZE), suspects: areSuspects });
  };
  add(known, false);
  // IDs being located in this region: batched apart from the known ones, so that their NotFound
  // never fails a batch of known IDs, but narrowed down like any batch (not walked as dense).
  add(apart, false);
  add(suspects, true);
  return batches;
}

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
 * next round). A fatal failure marks the IDs of its batch `error`, aborts the other in-flight
 * calls and is returned as `failure`; so is a failure the sink returns, or a bug of ours. When
 * `signal` aborts (deadline, cancel), no further call starts and unanswered IDs get nothing; a
 * batch whose calls were cut short delivers nothing more.
 */
export async function pollRound<T extends { readonly instanceId: string }>(
  known: readonly T[],
  ctx: PollContext,
  signal: AbortSignal,
  suspects: readonly T[],
  sink: RoundSink<T>,
  apart: readonly T[] = [],
): Promise<RoundResult> {
  const batches = roundBatches(known, apart, suspects);
  const scope = new AbortScope(signal);
  let failure: RoundFailure | undefined;
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

  /**
   * Ends the round with `f`, unless it already ended (the first failure wins; an abort is not a
   * failure). The calls in flight are aborted with the underlying error. A status call's failure
   * marks the items of its batch (a batch cut short by it gets nothing).
   */
  const stop = (f: RoundFailure | undefined, items?: readonly T[]): void => {
    if (f === undefined || failure !== undefined || scope.signal.aborted) return;
    failure = f;
    if (items !== undefined) failed(items, f.error);
    scope.abort(f.error);
  };

  const runBatch = async (batch: Batch<T>): Promise<void> => {
    const ids = idsOf(batch.items);
    const result = await probe(ids, ctx, scope, false, countBatchCall);
    if (result.kind === 'ok') return stop(deliver(batch.items, result.statuses, sink, ctx.now()));
    if (result.kind === 'transient') return failed(batch.items, result.error);
    if (result.kind === 'fatal') return stop({ kind: 'source', error: result.error }, batch.items);
    if (result.kind !== 'not-found') return;
    sawNotFound = true;
    // A probe cut short (a deadline, a cancel, a failure anywhere) ends the walk, and what it
    // located is dropped, as when the round ends while the first call of a batch is in flight.
    let cutShort = false;
    const locate = async (subset: readonly string[]): Promise<ProbeResult> => {
      if (scope.signal.aborted) {
        cutShort = true;
        return { kind: 'stopped' };
      }
      if (budget <= 0) return { kind: 'exhausted' };
      budget--;
      const answer = await probe(subset, ctx, scope, true);
      if (answer.kind === 'fatal') stop({ kind: 'source', error: answer.error }, batch.items);
      if (answer.kind !== 'fatal' && answer.kind !== 'stopped') return answer;
      cutShort = true;
      return { kind: 'stopped' };
    };
    const found = await bisectNotFound(ids, locate, true, batch.suspects);
    if (!cutShort) stop(deliverLocated(batch.items, found, sink, ctx.now()));
  };

  const worker = async () => {
    while (next < batches.length && !scope.signal.aborted) {
      try {
        await runBatch(batches[next++]!);
      } catch (error) {
        stop({ kind: 'internal', error });
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: Math.min(ctx.concurrency, batches.length) }, worker));
  } finally {
    scope.dispose();
  }
  return failure === undefined ? { batchCalls, sawNotFound } : { batchCalls, sawNotFound, failure };
}
