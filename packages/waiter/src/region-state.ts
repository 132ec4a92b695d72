import type { UnreachableRegion } from './errors.js';
import type { RegionClient } from './region-clients.js';
import { type MutableCounters, newHealth, type PollContext, type SourceHealth } from './status-call.js';

/** One region of a wait: how to poll it, and what its API has shown. */
export interface RegionSlot {
  /** The region's name, when known. */
  readonly name: string | undefined;
  /** Where its calls go, when known: named when the region never answers. */
  readonly endpoint: string | undefined;
  readonly ctx: PollContext;
  /** Set once a batch in this region failed with NotFound: suspects are then polled apart. */
  separateSuspects: boolean;
  /** Set once a call was sent in this region (a region no ID was tried in cannot be blamed). */
  asked: boolean;
}

/** What the poll contexts of a wait share: its options and its counters. */
export interface SlotOptions {
  readonly concurrency: number;
  readonly now: () => number;
  readonly maxBisectionCallsPerRound: number;
}

/**
 * One slot per region, in the order bare IDs are located. Each source is already paced by its
 * region's request budget (see `region-clients.ts`): the waiter has no limiter. Each region has
 * its own health, so a wait can tell which regions' endpoints never answered; all share the
 * wait's counters.
 */
export function regionSlots(
  clients: readonly RegionClient[],
  opts: SlotOptions,
  counters: MutableCounters,
): RegionSlot[] {
  return clients.map((c) => ({
    name: c.region,
    endpoint: c.endpoint,
    ctx: {
      source: c.source,
      concurrency: opts.concurrency,
      counters,
      now: opts.now,
      maxBisectionCallsPerRound: opts.maxBisectionCallsPerRound,
      health: newHealth(),
    },
    separateSuspects: false,
    asked: false,
  }));
}

/**
 * True once the API of any region has answered a call of the wait (see {@link SourceHealth}).
 * One region answering proves the setup (credentials, network) can work: a region whose endpoint
 * stays silent then shows as its instances' `errors: …` reasons and the last error, never as a
 * fail-fast of the whole wait.
 */
export function anyAnswered(slots: readonly RegionSlot[]): boolean {
  return slots.some((slot) => slot.ctx.health?.answered === true);
}

/** What a wait that no region answered says about its regions (see `SourceUnreachableError`). */
export interface RegionSilence {
  /** Every region asked (every region, when none was), with its endpoint. */
  readonly regions: readonly UnreachableRegion[];
  /** The endpoint, when one region was asked. */
  readonly endpoint: string | undefined;
  /** The latest failure of any of those regions. */
  readonly lastError: unknown;
  /** Their failed calls, together. */
  readonly failedCalls: number;
}

/** The regions that were asked and never answered, and their latest failure. */
export function silence(slots: readonly RegionSlot[]): RegionSilence {
  const asked = slots.filter((slot) => slot.asked);
  const silent = asked.length === 0 ? slots : asked;
  let latest: SourceHealth | undefined;
  let failedCalls = 0;
  for (const slot of silent) {
    const health = slot.ctx.health;
    if (health === undefined) continue;
    failedCalls += health.failedCalls;
    if (health.lastError !== undefined && (latest === undefined || health.lastErrorAt > latest.lastErrorAt))
      latest = health;
  }
  return {
    regions: silent.map((slot) => ({ region: slot.name, endpoint: slot.endpoint })),
    endpoint: silent.length === 1 ? silent[0]!.endpoint : undefined,
    lastError: latest?.lastError,
    failedCalls,
  };
}
