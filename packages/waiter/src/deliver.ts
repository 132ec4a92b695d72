import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { BisectResult } from './bisect.js';
import { errorKey } from './classify.js';
import type { RoundFailure } from './failure.js';

/**
 * Where a round's answers go, as each response arrives (`at`, on the wait's clock): straight into
 * per-instance state, with no round-wide table of outcomes. An item that receives nothing got no
 * answer this round (deadline, abort, or a fatal error elsewhere).
 */
export interface RoundSink<T> {
  /**
   * A reading of `item`. Returns a failure to end the round at once (a readiness predicate that
   * threw): `pollRound` stops delivering and returns it.
   */
  status(item: T, status: InstanceStatus, at: number): RoundFailure | undefined;
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

/**
 * Hands the statuses of one response to the sink, keyed by `InstanceId`, never by position: an
 * item left out of the response is `missing`. The statuses come from `readingsFor` (one
 * per asked ID at most, conflicts resolved, others' IDs dropped). ECS answers in request order,
 * so the common case is a single pass with no allocation; any other order falls back to a lookup
 * table for the rest of the batch. Stops at the first failure the sink returns, and returns it.
 */
export function deliver<T extends { readonly instanceId: string }>(
  items: readonly T[],
  statuses: readonly InstanceStatus[],
  sink: RoundSink<T>,
  at: number,
): RoundFailure | undefined {
  let i = 0;
  let j = 0;
  for (; j < statuses.length && i < items.length; j++) {
    const status = statuses[j]!;
    const item = items[i]!;
    if (status.instanceId !== item.instanceId) break;
    const failure = sink.status(item, status, at);
    if (failure !== undefined) return failure;
    i++;
  }
  if (i === items.length) return undefined;
  const rest = new Map<string, T>();
  for (let k = i; k < items.length; k++) rest.set(items[k]!.instanceId, items[k]!);
  for (; j < statuses.length; j++) {
    const status = statuses[j]!;
    const item = rest.get(status.instanceId);
    if (item === undefined) continue;
    rest.delete(status.instanceId);
    const failure = sink.status(item, status, at);
    if (failure !== undefined) return failure;
  }
  for (const item of rest.values()) sink.missing(item, at);
  return undefined;
}

/** Hands what a bisection located to the sink; stops at the first failure the sink returns. */
export function deliverLocated<T extends { readonly instanceId: string }>(
  items: readonly T[],
  found: BisectResult,
  sink: RoundSink<T>,
  at: number,
): RoundFailure | undefined {
  const byId = new Map<string, T>();
  for (const item of items) byId.set(item.instanceId, item);
  for (const s of found.statuses) {
    const failure = sink.status(byId.get(s.instanceId)!, s, at);
    if (failure !== undefined) return failure;
  }
  for (const id of found.missing) sink.missing(byId.get(id)!, at);
  for (const { ids: unresolved, error } of found.unresolved) {
    const key = errorKey(error);
    for (const id of unresolved) sink.error(byId.get(id)!, key);
  }
  for (const id of found.deferred) sink.deferred(byId.get(id)!, 'InvalidInstance.NotFound');
  return undefined;
}
