import type { InstanceStatus } from '@cloud-assistant-gate/core';

/**
 * What one probe of a subset returned. Fatal errors are thrown by the probe, not returned.
 * `exhausted`: the round's budget of locating calls is spent, so the probe was not sent.
 */
export type ProbeResult =
  | { readonly kind: 'ok'; readonly statuses: readonly InstanceStatus[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'transient'; readonly error: unknown }
  | { readonly kind: 'exhausted' };

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

/**
 * Finds which IDs of a batch that failed with `InvalidInstance.NotFound` are unknown, spending
 * one probe (one API call) per step:
 *
 * 1. **Halves.** The first half is probed; if it fails, the second half too. When exactly one
 *    half fails, the unknown IDs are sparse: a binary search over that half (probing segments
 *    whose left neighbours are known good) finds its first unknown ID in ceil(log2(n / 2))
 *    calls; the rest after it is probed once, and searched the same way from step 1 if it fails.
 *    One unknown ID among 100 costs 8 calls when it is in the second half, 9 in the first.
 * 2. **Dense.** When both halves fail (at least two unknown IDs, one each side), each half gets
 *    step 1 once more (two unknown IDs far apart are still sparse). When both halves of a half
 *    fail too, it is walked by galloping: probe 1 ID, then the next 2, 4, 8, … until a segment
 *    fails, then a binary search inside that segment. A batch of unknown IDs costs about one
 *    call per ID (106 for 100: a segment of one that fails *is* the unknown ID), a run of known
 *    IDs between unknown ones about log2 of its length, instead of ceil(log2 n) + 1 calls per
 *    unknown ID of a prefix bisection (about 700 for 100 unknown IDs in a batch of 100). Overall
 *    at most 1.5 · k · (ceil(log2 n) + 1) and at most 2n calls for k unknown IDs among n
 *    (property-tested).
 *
 * Probes that return `exhausted` stop the search: IDs not yet located are returned as
 * `deferred`.
 *
 * @param knownBad the whole of `ids` is already known to fail with NotFound (it is not re-probed).
 * @param dense skip step 1: `ids` are expected to be mostly unknown (suspects), so walk them at once.
 */
export async function bisectNotFound(
  ids: readonly string[],
  probe: (ids: readonly string[]) => Promise<ProbeResult>,
  knownBad = true,
  dense = false,
): Promise<BisectResult> {
  const out: BisectResult = { statuses: [], missing: [], unresolved: [], deferred: [] };
  const record = (subset: readonly string[], statuses: readonly InstanceStatus[]) => {
    const wanted = new Set(subset);
    for (const s of statuses) {
      if (wanted.delete(s.instanceId)) out.statuses.push(s);
    }
    for (const id of subset) if (wanted.has(id)) out.missing.push(id);
  };
  // The first probe that does not answer (transient error, budget spent) halts the search: every
  // ID not located yet is then `unresolved` or `deferred`, through `leave`.
  let halt:
    | { readonly kind: 'transient'; readonly error: unknown }
    | { readonly kind: 'exhausted' }
    | undefined;
  const leave = (rest: readonly string[]) => {
    if (rest.length === 0 || halt === undefined) return;
    if (halt.kind === 'transient') out.unresolved.push({ ids: rest, error: halt.error });
    else for (const id of rest) out.deferred.push(id);
  };
  /** Probes `subset`; false (and the search halted) when it did not answer. */
  const send = async (subset: readonly string[]): Promise<'ok' | 'not-found' | false> => {
    const result = await probe(subset);
    if (result.kind === 'ok') {
      record(subset, result.statuses);
      return 'ok';
    }
    if (result.kind === 'not-found') return 'not-found';
    halt = result;
    return false;
  };

  /**
   * `list` fails: binary search over segments, [0, lo) known good (and recorded), [lo, hi)
   * holding the first unknown ID. Returns its index, or undefined when the search halted (the
   * IDs not located are left).
   */
  const findFirst = async (list: readonly string[]): Promise<number | undefined> => {
    let lo = 0;
    let hi = list.length;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const answer = await send(list.slice(lo, mid));
      if (answer === 'ok') lo = mid;
      else if (answer === 'not-found') hi = mid;
      else {
        leave(list.slice(lo));
        return undefined;
      }
    }
    out.missing.push(list[lo]!);
    return lo;
  };

  /** Walks `list` (failing when `bad`) by galloping; false when the search halted. */
  const gallop = async (list: readonly string[], bad: boolean): Promise<boolean> => {
    let rest = list;
    let knownBad = bad;
    while (rest.length > 0) {
      let pos = 0;
      let step = 1;
      let failedEnd: number | undefined;
      while (pos < rest.length) {
        const end = Math.min(rest.length, pos + step);
        // The list fails and everything before `pos` is good: the unknown ID is in [pos, end).
        if (knownBad && end === rest.length) {
          failedEnd = end;
          break;
        }
        const answer = await send(rest.slice(pos, end));
        if (answer === 'ok') {
          pos = end;
          step *= 2;
        } else if (answer === 'not-found') {
          failedEnd = end;
          break;
        } else {
          leave(rest.slice(pos));
          return false;
        }
      }
      if (failedEnd === undefined) return true;
      const at = await findFirst(rest.slice(pos, failedEnd));
      if (at === undefined) {
        leave(rest.slice(failedEnd));
        return false;
      }
      rest = rest.slice(pos + at + 1);
      knownBad = false;
    }
    return true;
  };

  /**
   * Steps 1 and 2 over `list` (failing when `bad`). `split`: `list` is a half of a list whose
   * halves both failed; if its own halves both fail too, it is dense.
   */
  const locate = async (list: readonly string[], bad: boolean, split = false): Promise<boolean> => {
    let rest = list;
    let knownBad = bad;
    while (rest.length > 0) {
      if (!knownBad) {
        const answer = await send(rest);
        if (answer === 'ok') return true;
        if (answer === false) {
          leave(rest);
          return false;
        }
      }
      if (rest.length === 1) {
        out.missing.push(rest[0]!);
        return true;
      }
      const half = Math.floor(rest.length / 2);
      const a = rest.slice(0, half);
      const b = rest.slice(half);
      const ra = await send(a);
      if (ra === false) {
        leave(rest);
        return false;
      }
      let sparse = b;
      if (ra === 'not-found') {
        const rb = await send(b);
        if (rb === false) {
          leave(rest);
          return false;
        }
        if (rb === 'not-found') {
          // Both halves fail: at least two unknown IDs. Two far apart are still sparse, so
          // look into each half the same way once; both halves of a half failing too is dense.
          const walk = split
            ? (list: readonly string[]) => gallop(list, true)
            : (list: readonly string[]) => locate(list, true, true);
          if (await walk(a)) return walk(b);
          leave(b);
          return false;
        }
        sparse = a;
      }
      const at = await findFirst(sparse);
      if (at === undefined) return false;
      rest = sparse.slice(at + 1);
      knownBad = false;
      split = false;
    }
    return true;
  };

  if (dense) await gallop(ids, knownBad);
  else await locate(ids, knownBad);
  return out;
}
