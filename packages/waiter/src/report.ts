import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { PendingInstance, PendingReason, WaitCounters } from './errors.js';
import { lifecycleReason } from './instance-check.js';
import { type RemediationRecord, type RemediationState, remediationReason, toRecord } from './remediate.js';

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
   * Its region: given with the ID (`cn-beijing:i-…`), located by the wait, or the wait's only
   * region. Absent for a bare ID no region knew, and for a status function without a region.
   */
  readonly region?: string | undefined;
  /**
   * The last reading: `cloudAssistantStatus`, `cloudAssistantVersion`, `lastHeartbeatTime`,
   * `osType`, `supportSessionManager`, ... Absent if ECS never returned one.
   */
  readonly status?: InstanceStatus | undefined;
  /** Its lifecycle `Status` (`Running`, `Stopped`, …) from the last instance-status lookup, if one ran. */
  readonly instanceStatus?: string | undefined;
  /** What opt-in remediation did to it, if anything. */
  readonly remediation?: RemediationRecord | undefined;
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
  /** The wait's regions, in the order bare IDs were located (empty for a status function without a region). */
  readonly regions: readonly string[];
  /** Every instance opt-in remediation acted on, in the order it did. */
  readonly remediations: readonly RemediationRecord[];
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
  /** The same instances with their regions (`region` absent for a status function without one). */
  readonly newlyReadyInstances: readonly {
    readonly instanceId: string;
    readonly region?: string | undefined;
  }[];
  /** What opt-in remediation did in this round (installs, reboots, failures); usually empty. */
  readonly remediated: readonly RemediationRecord[];
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
  /** Index of its region among the wait's clients; undefined while a bare ID is being located. */
  slot: number | undefined;
  /** The name of that region, when known. */
  region: string | undefined;
  /** A bare ID being located: the region (index) to try next. */
  candidate: number;
  /** Lifecycle `Status` from the last instance-status lookup (undefined: none, or not listed). */
  lifecycle: string | undefined;
  /** The round of the last lookup that answered for it; 0 before any. */
  lifecycleRound: number;
  /** When a lookup first saw it `Running` in the current run of `Running` lookups. */
  runningSince: number | undefined;
  /**
   * The lookups prove the agent is missing: `Running` for at least `afterMs` (two lookups that
   * far apart) while the agent never reported (never online, no version, no heartbeat).
   */
  agentMissing: boolean;
  /** What opt-in remediation did to it. */
  remediation: RemediationState | undefined;
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
    slot: undefined,
    region: undefined,
    candidate: 0,
    lifecycle: undefined,
    lifecycleRound: 0,
    runningSince: undefined,
    agentMissing: false,
    remediation: undefined,
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
  // A lookup after the last reading says more than the agent's reading: a stopped instance, a
  // failed remediation, or proof that the agent is missing (not just late).
  const fresh = state.lifecycleRound > 0 && state.lifecycleRound >= state.readRound;
  const lifecycle = lifecycleReason({
    lifecycle: fresh ? state.lifecycle : undefined,
    base: state.unmet,
    // After an install the agent is not missing any more, only late (or failing to start).
    agentMissing: state.agentMissing && state.remediation?.installedAt === undefined,
    heartbeatSeen: (state.status?.lastHeartbeatTime ?? '') !== '',
  });
  if (lifecycle !== undefined && lifecycle !== 'not-installed' && lifecycle !== 'no-heartbeat-yet')
    return lifecycle;
  const remediation = remediationReason(state.remediation);
  if (remediation !== undefined) return remediation;
  if (lifecycle !== undefined) return lifecycle;
  if (state.unmet !== undefined) return state.unmet;
  if (state.errors.size > 0) {
    return `errors: ${[...state.errors].map(([key, n]) => (n > 1 ? `${key} ×${n}` : key)).join(', ')}`;
  }
  return noResponse;
}

export function toPending(state: InstanceState, noResponse: PendingReason = NO_RESPONSE): PendingInstance {
  const out: { -readonly [K in keyof PendingInstance]: PendingInstance[K] } = {
    instanceId: state.instanceId,
    reason: reasonOf(state, noResponse),
  };
  if (state.region !== undefined) out.region = state.region;
  if (state.status !== undefined) out.status = state.status;
  if (state.lifecycle !== undefined) out.instanceStatus = state.lifecycle;
  if (state.remediation !== undefined) out.remediation = toRecord(state.remediation);
  return out;
}

export function buildReport(
  states: readonly InstanceState[],
  counters: WaitCounters,
  fields: {
    startedAt: number;
    required: number;
    regions: readonly string[];
    remediations: readonly RemediationRecord[];
  },
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
    if (s.region !== undefined) entry.region = s.region;
    if (s.status !== undefined) entry.status = s.status;
    if (s.lifecycle !== undefined) entry.instanceStatus = s.lifecycle;
    if (s.remediation !== undefined) entry.remediation = toRecord(s.remediation);
    return entry;
  });
  return {
    instances,
    ready: states.filter((s) => s.ready).map((s) => s.instanceId),
    pending: states.filter((s) => !s.ready && !s.notFound).map((s) => s.instanceId),
    notFound: states.filter((s) => !s.ready && s.notFound).map((s) => s.instanceId),
    total: states.length,
    required: fields.required,
    regions: fields.regions,
    remediations: fields.remediations,
    ...counters,
  };
}
