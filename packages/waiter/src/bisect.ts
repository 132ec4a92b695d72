import type { InstanceStatus } from '@cloud-assistant-gate/core';

/**
 * What one probe of a subset returned. `exhausted`: the round's budget of locating calls is
 * spent, so the probe was not sent. `stopped`: the round ended (a deadline, a cancel, a failure
 * waiting cannot fix), so the caller drops the result. Either ends the search where it is.
 */
export type ProbeResult =
  | { readonly kind: 'ok'; readonly statuses: readonly InstanceStatus[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'transient'; readonly error: unknown }
  | { readonly kind: 'exhausted' }
  | { readonly kind: 'stopped' };

export interface BisectResult {
  /** Readings obtained along the way (for IDs that ECS knows). */
  readonly statuses: InstanceStatus[];
  /** IDs that ECS does not know, or left out of an otherwise successful response. */
  readonly missing: string[];
  /** IDs whose probe failed transiently: poll them again next round. */
  readonly unresolved: { readonly ids: readonly string[]; readonly error: unknown }[];
  /**
   * IDs not located because the round's budget ran out: some of them may be unknown, so poll
   * them apart ("suspects") next round.
   */
  readonly deferred: string[];
}

/** ⌈log2 n⌉ (0 for n ≤ 1): the calls of a binary search over n IDs. */
const log2Ceil = (n: number): number => {
  let bits = 0;
  while (2 ** bits < n) bits++;
  return bits;
};

/**
 * J, the segments a walk probes before it falls back to a search: the least J ≥ 2 with
 * 2^(J+1) ≥ 2λ + J, λ = ⌈log2 n⌉, which the 2n bound below needs. 4 for 65 to 16,384 IDs.
 */
const walkSegments = (n: number): number => {
  const lambda = log2Ceil(n);
  let segments = 2;
  while (2 ** (segments + 1) < 2 * lambda + segments) segments++;
  return segments;
};

/**
 * Finds which IDs of a batch that failed with `InvalidInstance.NotFound` are unknown, one probe
 * (one API call) per step, from left to right: the IDs before position `p` are located, and the
 * next unknown ID is found in one of two ways.
 *
 * - **Search** (sparse; how it starts). The rest, `ids[p..]`, is probed once (a clean rest ends
 *   it; not at the start, where the batch is known to fail), then a binary search over it
 *   (probing prefixes `[p, mid)`) finds its first unknown ID in at most λ = ⌈log2 n⌉ calls.
 * - **Walk** (dense; after an unknown ID found close to the one before). Segments of 1, 2, 4,
 *   …, 2^(J−1) IDs after `p` are probed (G = 2^J − 1 IDs in all; J = 4 and G = 15 for a batch
 *   of 65 to 100, see `walkSegments`); the first that fails is searched (j calls for segment j,
 *   of 2^j IDs). Once t segments answered, the rest is probed once: t = 1 after a search (so a
 *   lone unknown ID costs 2 calls more, not J), t = J − 1 after a walk (unknown IDs a few apart
 *   pay no such call). When all J segments answer, the rest is searched.
 *
 * The next step walks if the unknown ID just found had fewer than G known IDs before it (its
 * gap g, counted from `p`), and searches otherwise. A batch of 100 unknown IDs (freshly created
 * instances) thus costs 105 calls (6 to find the first, then 1 each) instead of the 579 of a
 * search per ID; a batch of suspects (`dense`) is walked from the start, 1 call per unknown ID.
 *
 * Cost of one step in calls, for gap g: a search ≤ λ + 1 (λ when the rest is known to fail);
 * a walk 1 for g = 0, ≤ 2j + 2 when the unknown ID is in segment j ≥ 1
 * (2^j − 1 ≤ g < 2^(j+1) − 1: j segments answered, the failing one, the rest, j to search it),
 * ≤ J + 1 + λ when g ≥ G. The end (no unknown ID after `p`): 1 after a search, ≤ t + 1 ≤ J
 * after a walk.
 *
 * **Bounds** for k unknown IDs among n, in a batch known to fail (how the poller calls it;
 * property-tested):
 * 1. At most k·(λ + J + 1) calls (12 per unknown ID in a batch of 65 to 100), and λ + 2 for a
 *    lone unknown ID (9 in a batch of 100; 8 unless it is among the first 15). The first step
 *    searches a rest known to fail (≤ λ); every later one costs ≤ λ + J + 1, as
 *    2j + 2 ≤ 2J ≤ λ + J + 1 (J ≤ λ + 1 once n ≥ 2); the end ≤ J, and ≤ 2 after a search or
 *    after a walk that follows one. Total ≤ λ + (k − 1)·(λ + J + 1) + J ≤ k·(λ + J + 1) − 1.
 * 2. At most 2n + max(0, λ − 2) calls (205 for 100). Give each step a budget of 2(g + 1)
 *    calls and the end 2 per ID it covers: the budgets add up to 2n. A walk keeps to its
 *    budget (1 ≤ 2, 2j + 2 ≤ 2^(j+1), λ + J + 1 ≤ 2^(J+1)); so does the end (segments of 1, 2,
 *    4, … IDs: at most one call per ID; or t + 1 calls, the rest probe included, for at least
 *    2^t IDs); so does a search with g ≥ G. A search with g < G exceeds its budget by at most
 *    λ − 1; unless it is the first step, the step before it had g ≥ G, so a budget
 *    ≥ 2^(J+1), and cost ≤ λ + J + 1: that budget covers both, as 2λ + J ≤ 2^(J+1) by the
 *    choice of J. The first search costs ≤ λ against a budget ≥ 2.
 *
 * With `dense` the first step walks a rest known to fail (≤ 2j + 1, or ≤ λ + J when g ≥ G):
 * at most k·(λ + J + 1) + J − 1 calls, and at most 2n.
 *
 * Every probe starts at the first ID not located yet, so when one does not answer (a transient
 * error, `exhausted` or `stopped`) the search stops there and the IDs from there on are returned
 * as `unresolved` or `deferred`.
 *
 * @param knownBad the whole of `ids` is already known to fail with NotFound (it is not re-probed).
 * @param dense walk from the start: `ids` are expected to be mostly unknown (suspects).
 */
export async function bisectNotFound(
  ids: readonly string[],
  probe: (ids: readonly string[]) => Promise<ProbeResult>,
  knownBad = true,
  dense = false,
): Promise<BisectResult> {
  const out: BisectResult = { statuses: [], missing: [], unresolved: [], deferred: [] };
  const n = ids.length;
  const segments = walkSegments(n);
  const far = 2 ** segments - 1;

  /**
   * Probes `ids[from, to)`, where `from` is the first ID not located. Records what an `ok`
   * located; when the probe does not answer, leaves every ID from `from` on and returns false.
   */
  const send = async (from: number, to: number): Promise<'ok' | 'not-found' | false> => {
    const subset = ids.slice(from, to);
    const result = await probe(subset);
    if (result.kind === 'ok') {
      const wanted = new Set(subset);
      for (const s of result.statuses) {
        if (wanted.delete(s.instanceId)) out.statuses.push(s);
      }
      for (const id of subset) if (wanted.has(id)) out.missing.push(id);
      return 'ok';
    }
    if (result.kind === 'not-found') return 'not-found';
    const rest = ids.slice(from);
    if (result.kind === 'transient') out.unresolved.push({ ids: rest, error: result.error });
    else out.deferred.push(...rest);
    return false;
  };

  /** `ids[lo, hi)` fails, the IDs before `lo` are located: the index of its first unknown ID. */
  const findFirst = async (lo: number, hi: number): Promise<number | undefined> => {
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const answer = await send(lo, mid);
      if (answer === false) return undefined;
      if (answer === 'ok') lo = mid;
      else hi = mid;
    }
    out.missing.push(ids[lo]!);
    return lo;
  };

  // A step from `p` (`bad`: ids[p..] is known to fail) returns the index of the next unknown ID,
  // `n` when there is none, or undefined when a probe did not answer (the IDs are left).

  /** A search: the rest once (unless known to fail), then a binary search over it. */
  const search = async (p: number, bad: boolean): Promise<number | undefined> => {
    if (!bad) {
      const answer = await send(p, n);
      if (answer !== 'not-found') return answer === 'ok' ? n : undefined;
    }
    return findFirst(p, n);
  };

  /** A walk: segments of 1, 2, 4, … IDs, the rest once after `restAfter` of them, then a search. */
  const walk = async (p: number, bad: boolean, restAfter: number): Promise<number | undefined> => {
    let pos = p;
    let restFails = bad;
    for (let j = 0; j < segments; j++) {
      if (j === restAfter && !restFails) {
        const answer = await send(pos, n);
        if (answer !== 'not-found') return answer === 'ok' ? n : undefined;
        restFails = true;
      }
      const end = Math.min(n, pos + 2 ** j);
      // When the rest fails and the segment is all of it, the unknown ID is in it: no probe.
      if (!(restFails && end === n)) {
        const answer = await send(pos, end);
        if (answer === false) return undefined;
        if (answer === 'ok') {
          pos = end;
          if (pos === n) return n;
          continue;
        }
      }
      return findFirst(pos, end);
    }
    return search(pos, restFails);
  };

  let p = 0;
  let bad = knownBad;
  let walking = dense;
  let searched = !dense;
  while (p < n) {
    // The walk right after a search probes the rest early: a lone unknown ID is the common case.
    const at = walking ? await walk(p, bad, searched ? 1 : segments - 1) : await search(p, bad);
    if (at === undefined || at === n) break;
    searched = !walking;
    walking = at - p < far;
    p = at + 1;
    bad = false;
  }
  return out;
}
