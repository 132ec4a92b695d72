import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { PendingInstance, PendingReason, WaitCounters } from './errors.js';

/** One instance in a {@link ReadinessReport}. */
export interface InstanceReadiness {
  readonly instanceId: string;
  /** Ready per the readiness options (latched: a ready instance is not polled again). */
  readonly ready: boolean;
  /** When it became ready, as an ISO 8601 time on the `now` clock. */
  readonly readyAt?: string | undefined;
  /** When it became ready, in ms after the start of the wait. */
  readonly readyAfterMs?: number | undefined;
  /** Why it is not ready (absent when ready). */
  readonly reason?: PendingReason | undefined;
  /** True when the last reading said ECS does not know this ID. */
  readonly notFound: boolean;
  /**
   * The last reading: `cloudAssistantStatus`, `cloudAssistantVersion`, `lastHeartbeatTime`,
   * `osType`, `supportSessionManager`, ... Absent if ECS never returned one.
   */
  readonly status?: InstanceStatus | undefined;
}

/** What {@link waitForCloudAssistant} resolves with. */
export interface ReadinessReport extends WaitCounters {
  /** Every distinct input ID, in input order. */
  readonly instances: readonly InstanceReadiness[];
  /** Ready IDs, in input order. */
  readonly ready: readonly string[];
  /** IDs neither ready nor not-found when the wait ended (possible when `minReady` < all). */
  readonly pending: readonly string[];
  /** IDs whose last reading said ECS does not know them. */
  readonly notFound: readonly string[];
  /** Distinct IDs waited for. */
  readonly total: number;
  /** Ready instances the wait needed (`minReady` resolved against `total`). */
  readonly required: number;
}

/** What {@link watchCloudAssistant} emits after every round. */
export interface ReadinessProgress {
  /** 1 for the first round. 0 only for the single event of an empty list. */
  readonly round: number;
  readonly total: number;
  readonly required: number;
  readonly readyCount: number;
  /** Not ready and not reported not-found. `readyCount + pendingCount + notFoundCount === total`. */
  readonly pendingCount: number;
  readonly notFoundCount: number;
  /** IDs that became ready in this round, in input order. */
  readonly newlyReady: readonly string[];
  /** IDs polled in this round (the not-yet-ready ones, suspects included). */
  readonly polled: number;
  /**
   * Of `polled`, the IDs polled in batches of their own: those the previous reading said ECS
   * does not know, once the API has answered a batch with `InvalidInstance.NotFound` in this wait
   * (so that they never make a batch of known IDs fail). 0 while the API just leaves unknown IDs
   * out of its answers: then they stay packed with the others at no extra cost.
   */
  readonly suspects: number;
  /**
   * Batch calls of this round, bisection and retries excluded:
   * ceil((polled − suspects) / 100) + ceil(suspects / 100), unless the deadline, a cancel or a
   * permanent error cut the round short.
   */
  readonly batchCalls: number;
  /** Pause before the next round; undefined on the last event. */
  readonly nextDelayMs: number | undefined;
  /** True when the next round is the final one, just before the deadline. */
  readonly finalRoundNext: boolean;
  readonly elapsedMs: number;
  /** HTTP attempts so far (see {@link WaitCounters.apiCalls}). */
  readonly apiCalls: number;
  /** True on the last event of a successful wait, which carries the report. */
  readonly done: boolean;
  readonly report: ReadinessReport | undefined;
}

/** The internal per-instance state the report is built from. */
export interface InstanceState {
  readonly instanceId: string;
  /** Position in the deduplicated input list. */
  readonly index: number;
  status: InstanceStatus | undefined;
  everOnline: boolean;
  ready: boolean;
  readyAt: number | undefined;
  streak: number;
  /** Verdict of the last reading, when it was not ready. */
  unmet: PendingReason | undefined;
  /** The last reading said not found. */
  notFound: boolean;
  /**
   * In a batch that failed with NotFound, but not located before the round's budget of locating
   * calls ran out: polled apart, like a not-found ID, until a reading says what it is.
   */
  suspect: boolean;
  /** The round of the last reading (status or not found); 0 before the first. */
  readRound: number;
  /** Given up on (not found with `notFound: 'fail'`, or past the grace period). */
  unreachable: boolean;
  /** Transient errors since the last reading, by key. */
  errors: Map<string, number>;
}

export function newInstanceState(instanceId: string, index: number): InstanceState {
  return {
    instanceId,
    index,
    status: undefined,
    everOnline: false,
    ready: false,
    readyAt: undefined,
    streak: 0,
    unmet: undefined,
    notFound: false,
    suspect: false,
    readRound: 0,
    unreachable: false,
    errors: new Map(),
  };
}

/** The reason of an instance that never got an answer, when the deadline ended the wait. */
export const NO_RESPONSE: PendingReason = 'errors: no response before the deadline';

/**
 * Why `state` is not ready, for reports and errors; `noResponse` when it has nothing else to
 * show (no reading, no error).
 */
export function reasonOf(state: InstanceState, noResponse: PendingReason = NO_RESPONSE): PendingReason {
  if (state.notFound) return 'not-found';
  if (state.unmet !== undefined) return state.unmet;
  if (state.errors.size > 0) {
    return `errors: ${[...state.errors].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key)).join(', ')}`;
  }
  return noResponse;
}

export function toPending(state: InstanceState, noResponse: PendingReason = NO_RESPONSE): PendingInstance {
  const reason = reasonOf(state, noResponse);
  return state.status === undefined
    ? { instanceId: state.instanceId, reason }
    : { instanceId: state.instanceId, reason, status: state.status };
}

export function buildReport(
  states: readonly InstanceState[],
  counters: WaitCounters,
  fields: { startedAt: number; required: number },
): ReadinessReport {
  const instances: InstanceReadiness[] = states.map((s) => {
    const entry: {
      -readonly [K in keyof InstanceReadiness]: InstanceReadiness[K];
    } = { instanceId: s.instanceId, ready: s.ready, notFound: s.notFound };
    if (s.ready && s.readyAt !== undefined) {
      entry.readyAt = new Date(s.readyAt).toISOString();
      entry.readyAfterMs = s.readyAt - fields.startedAt;
    } else {
      entry.reason = reasonOf(s);
    }
    if (s.status !== undefined) entry.status = s.status;
    return entry;
  });
  return {
    instances,
    ready: states.filter((s) => s.ready).map((s) => s.instanceId),
    pending: states.filter((s) => !s.ready && !s.notFound).map((s) => s.instanceId),
    notFound: states.filter((s) => !s.ready && s.notFound).map((s) => s.instanceId),
    total: states.length,
    required: fields.required,
    ...counters,
  };
}
