import { MAX_BATCH_SIZE } from './batch.js';
import type { RoundSink } from './deliver.js';
import type { RoundFailure } from './failure.js';
import { pollRound } from './poll.js';
import type { RegionSlot } from './region-state.js';

/** What the region poller needs of an instance's state. */
export interface Locatable {
  readonly instanceId: string;
  readonly index: number;
  /** Index of its region, undefined while a bare ID is being located. */
  slot: number | undefined;
  /** Its region's name, set with `slot`. */
  region: string | undefined;
  /** A bare ID being located: the region (index) to try next. */
  candidate: number;
  readonly notFound: boolean;
  readonly suspect: boolean;
  readonly readRound: number;
}

/** What one round across the regions did. */
export interface RegionRoundResult {
  /** Batch calls sent in every region (bisection excluded). */
  readonly batchCalls: number;
  /** Instances polled in batches of suspects (in any region). */
  readonly suspects: number;
  /** What ended the round early (see `pollRound`): the first region's failure. */
  readonly failure?: RoundFailure | undefined;
}

/**
 * One polling round across the wait's regions. Each region polls its own instances exactly as a
 * single-region wait does (`pollRound`: known IDs, suspects apart), all regions at once, each
 * through its own client and with its own `concurrency`. Bare IDs whose region is not known yet
 * are located in the same round: polled, in batches of their own, in their `candidate` region
 * (the first listed one to begin with); those it does not know (left out, or NotFound narrowed
 * down by the bisection) are polled in the next region right after, and so on, so an ID is polled
 * at most once per region per round. The first region that answers for an ID becomes its region
 * for the rest of the wait. An ID no region knows is reported missing (not found) once the last
 * region said so, and is tried from the first region again next round. IDs whose locating call
 * failed (transient error, budget of locating calls spent) keep their candidate region.
 *
 * Cost, per round: each region's own `ceil(known / 100) + ceil(suspects / 100)` batch calls plus
 * its bisection budget, and for the IDs being located, at most one batch call per 100 of them in
 * each region they are tried in, plus that region's bisection budget (the NotFound of an ID from
 * another region costs about one call per such ID when they are dense in a batch: see bisect.ts).
 * A single region costs exactly what it did before regions existed.
 */
export async function pollRegions<T extends Locatable>(
  slots: readonly RegionSlot[],
  polling: readonly T[],
  signal: AbortSignal,
  sink: RoundSink<T>,
): Promise<RegionRoundResult> {
  const n = slots.length;
  const known: T[][] = slots.map(() => []);
  const suspects: T[][] = slots.map(() => []);
  const locating: T[][] = slots.map(() => []);
  for (const s of polling) {
    const r = s.slot ?? s.candidate;
    const apart = slots[r]!.separateSuspects && (s.notFound || s.suspect);
    if (apart) suspects[r]!.push(s);
    else (s.slot === undefined ? locating : known)[r]!.push(s);
  }
  let suspectCount = 0;
  for (const list of suspects) {
    suspectCount += list.length;
    // Least recently read first: the bisection budget goes round them (see WaitRun.runRound).
    if (list.length > 1) list.sort((a, b) => a.readRound - b.readRound || a.index - b.index);
  }

  // One failure anywhere ends the round everywhere: a controller of our own, linked to `signal`.
  const round = new AbortController();
  const onAbort = () => round.abort(signal.reason);
  if (signal.aborted) round.abort(signal.reason);
  else signal.addEventListener('abort', onAbort, { once: true });
  let failure: RoundFailure | undefined;
  let batchCalls = 0;
  /** IDs that region r - 1 did not know, to try in region r in this round. */
  const next: T[][] = slots.map(() => []);

  const regionSink = (r: number): RoundSink<T> => ({
    status: (item, status, at) => {
      if (item.slot === undefined) {
        item.slot = r;
        item.region = slots[r]!.name;
        item.candidate = r;
      }
      return sink.status(item, status, at);
    },
    missing: (item, at) => {
      if (item.slot === undefined) {
        if (r + 1 < n) {
          item.candidate = r + 1;
          next[r + 1]!.push(item);
          return;
        }
        item.candidate = 0;
      }
      sink.missing(item, at);
    },
    error: (item, key) => sink.error(item, key),
    deferred: (item, key) => sink.deferred(item, key),
  });

  const run = async (r: number, k: readonly T[], su: readonly T[], loc: readonly T[]): Promise<void> => {
    if (k.length + su.length + loc.length === 0 || round.signal.aborted) return;
    const slot = slots[r]!;
    slot.asked = true;
    const result = await pollRound(k, slot.ctx, round.signal, su, regionSink(r), loc);
    batchCalls += result.batchCalls;
    if (result.sawNotFound) slot.separateSuspects = true;
    if (result.failure !== undefined && failure === undefined) {
      failure = result.failure;
      round.abort(failure.error);
    }
  };

  try {
    await Promise.all(slots.map((_, r) => run(r, known[r]!, suspects[r]!, locating[r]!)));
    // The IDs each region did not know, region after region.
    for (let r = 1; r < n && failure === undefined && !round.signal.aborted; r++) {
      await run(r, [], [], next[r]!);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return failure === undefined
    ? { batchCalls, suspects: suspectCount }
    : { batchCalls, suspects: suspectCount, failure };
}

/**
 * Batch calls the next round will start with (bisection aside, and before any ID is passed on to
 * the next region), in the region that sends the most: ECS throttles per region, so that is the
 * one the pause must be paced for.
 */
export function nextRoundCalls(
  slots: readonly RegionSlot[],
  active: readonly (Locatable & { readonly ready: boolean; readonly unreachable: boolean })[],
): number {
  const counts = slots.map(() => ({ known: 0, suspects: 0, locating: 0 }));
  for (const s of active) {
    if (s.ready || s.unreachable) continue;
    const r = s.slot ?? s.candidate;
    const c = counts[r]!;
    if (slots[r]!.separateSuspects && (s.notFound || s.suspect)) c.suspects++;
    else if (s.slot === undefined) c.locating++;
    else c.known++;
  }
  let most = 0;
  for (const c of counts) {
    const calls =
      Math.ceil(c.known / MAX_BATCH_SIZE) +
      Math.ceil(c.suspects / MAX_BATCH_SIZE) +
      Math.ceil(c.locating / MAX_BATCH_SIZE);
    most = Math.max(most, calls);
  }
  return most;
}
