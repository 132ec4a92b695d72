import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { RoundSink } from './deliver.js';
import type { PendingInstance, PendingReason, WaitCounters } from './errors.js';
import type { RoundFailure } from './failure.js';
import { evaluateReading, type ReadinessOptions } from './readiness.js';
import type { RemediationState } from './remediate.js';
import { type InstanceState, newInstanceState, toPending } from './report.js';
import { type MutableCounters, newCounters } from './status-call.js';
import type { InstanceTarget } from './targets.js';

/** What the state needs of the options: how readings count, and when unknown IDs are given up on. */
export interface StateOptions {
  readonly readiness: ReadinessOptions;
  readonly consecutive: number;
  readonly notFound: 'wait' | 'fail';
  readonly notFoundGraceMs: number;
}

/**
 * What one wait knows of its instances: each one's state, the counts the decision reads (ready,
 * not found, given up on), the wait's counters, and what the current round learned. It is the
 * {@link RoundSink} of every round: each response is written into the instances' state as it
 * arrives, so `readyAt` is when the reading that made an instance ready arrived, not the end of
 * its round.
 */
export class WaitState implements RoundSink<InstanceState> {
  readonly #opts: StateOptions;
  /** Every instance, in input order. */
  readonly states: readonly InstanceState[];
  /** The states still polled (not ready, not given up on), in input order; shrinks as rounds go. */
  #active: InstanceState[];
  readonly startedAt: number;
  /** Polling calls (shared with the regions' poll contexts). */
  readonly counters: MutableCounters = newCounters();
  /** Calls that are not DescribeCloudAssistantStatus polls. */
  readonly extra = { instanceStatusCalls: 0, remediationCalls: 0 };
  #round = 0;
  #readyCount = 0;
  /** Not ready and the last reading said not found. */
  #notFoundCount = 0;
  /** Given up on: not found past the grace (or at once), or `Stopped` with `stoppedInstances: 'fail'`. */
  #unreachableCount = 0;
  // What the current round learned, filled in by the sink methods as responses arrive.
  #newlyReady: InstanceState[] = [];
  #progressed = false;
  /** What remediation did in the current round. */
  readonly remediated: RemediationState[] = [];

  /**
   * `regions` are the wait's regions in the order bare IDs are located: with one, every ID is
   * in it; with several, an ID that names its region goes there, a bare one is located.
   */
  constructor(
    targets: readonly InstanceTarget[],
    regions: readonly { readonly region: string | undefined }[],
    opts: StateOptions,
    startedAt: number,
  ) {
    this.#opts = opts;
    this.startedAt = startedAt;
    const slotOf = new Map(regions.map((r, i) => [r.region, i]));
    this.states = targets.map((t, i) => {
      const state = newInstanceState(t.instanceId, i);
      state.slot = regions.length === 1 ? 0 : t.region === undefined ? undefined : slotOf.get(t.region);
      state.region = state.slot === undefined ? undefined : (regions[state.slot]!.region ?? t.region);
      return state;
    });
    this.#active = this.states as InstanceState[];
  }

  get round(): number {
    return this.#round;
  }
  get readyCount(): number {
    return this.#readyCount;
  }
  get notFoundCount(): number {
    return this.#notFoundCount;
  }
  get unreachableCount(): number {
    return this.#unreachableCount;
  }
  /** An instance became ready, read ready once more, or was found, in the current round. */
  get progressed(): boolean {
    return this.#progressed;
  }
  /** The instances that became ready in the current round, in input order. */
  get newlyReady(): readonly InstanceState[] {
    // Responses arrive in any order.
    return this.#newlyReady.sort((a, b) => a.index - b.index);
  }
  /** The instances still polled: see {@link WaitState.startRound}. */
  get active(): readonly InstanceState[] {
    return this.#active;
  }

  /** Starts the next round: the instances to poll in it (not ready, not given up on), in input order. */
  startRound(): InstanceState[] {
    this.#round++;
    this.#newlyReady = [];
    this.remediated.length = 0;
    this.#progressed = false;
    const polling: InstanceState[] = [];
    for (const s of this.#active) if (!s.ready && !s.unreachable) polling.push(s);
    this.#active = polling;
    return polling;
  }

  /** Gives up on `state`: it can no longer become ready in this wait. */
  giveUp(state: InstanceState): void {
    if (state.unreachable) return;
    state.unreachable = true;
    this.#unreachableCount++;
  }

  status(state: InstanceState, status: InstanceStatus, at: number): RoundFailure | undefined {
    const opts = this.#opts;
    if (state.ready) return undefined;
    if (state.notFound) {
      this.#progressed = true;
      this.#notFoundCount--;
    }
    state.status = status;
    state.notFound = false;
    state.suspect = false;
    state.readRound = this.#round;
    if (state.errors.size > 0) state.errors.clear();
    let verdict: ReturnType<typeof evaluateReading>;
    try {
      verdict = evaluateReading(status, opts.readiness, at, state.everOnline);
    } catch (error) {
      // Only a custom predicate can throw: a bug in it, which waiting cannot fix.
      return { kind: 'predicate', instanceId: state.instanceId, error };
    }
    if (status.cloudAssistantStatus === true) state.everOnline = true;
    if (verdict.ok) {
      state.streak++;
      this.#progressed = true;
      if (state.streak >= opts.consecutive) {
        state.ready = true;
        state.readyAt = at;
        state.unmet = undefined;
        this.#readyCount++;
        this.#newlyReady.push(state);
      } else {
        state.unmet = `readiness-unmet: ${state.streak} of ${opts.consecutive} consecutive ready readings`;
      }
    } else {
      state.streak = 0;
      state.unmet = verdict.reason;
    }
    return undefined;
  }

  missing(state: InstanceState, at: number): void {
    if (state.ready) return;
    if (!state.notFound) this.#notFoundCount++;
    state.notFound = true;
    state.suspect = false;
    state.readRound = this.#round;
    state.streak = 0;
    if (this.#opts.notFound === 'fail' || at - this.startedAt >= this.#opts.notFoundGraceMs)
      this.giveUp(state);
  }

  error(state: InstanceState, key: string): void {
    state.errors.set(key, (state.errors.get(key) ?? 0) + 1);
  }

  deferred(state: InstanceState, key: string): void {
    state.suspect = true;
    this.error(state, key);
  }

  /** The ready IDs, in input order. */
  readyIds(): string[] {
    const ready: string[] = [];
    for (const s of this.states) if (s.ready) ready.push(s.instanceId);
    return ready;
  }

  /** Every instance not ready, in input order, with its reason (`noResponse` when it has none). */
  pending(noResponse?: PendingReason): PendingInstance[] {
    const pending: PendingInstance[] = [];
    for (const s of this.states) if (!s.ready) pending.push(toPending(s, noResponse));
    return pending;
  }

  /** The wait's counters at `now`, frozen. */
  snapshot(now: number): WaitCounters {
    const c = this.counters;
    return {
      elapsedMs: now - this.startedAt,
      rounds: this.#round,
      apiCalls: c.apiCalls,
      retries: c.retries,
      bisectionCalls: c.bisectionCalls,
      throttledCalls: c.throttledCalls,
      errors: { ...c.errors },
      instanceStatusCalls: this.extra.instanceStatusCalls,
      remediationCalls: this.extra.remediationCalls,
    };
  }
}
