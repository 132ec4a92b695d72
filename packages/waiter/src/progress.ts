import type { WaitCounters } from './errors.js';
import { type RemediationState, toRecord } from './remediate.js';
import { buildReport, type ReadinessProgress, type ReadinessReport } from './report.js';
import type { WaitState } from './wait-state.js';

/** What a round did, beside what its answers changed in the state. */
export interface RoundShape {
  /** IDs polled. */
  readonly polled: number;
  /** Of those, the IDs polled in batches of suspects. */
  readonly suspects: number;
  /** Batch calls sent (bisection excluded). */
  readonly batchCalls: number;
}

/** What the report says beside the instances and the counters. */
export interface ReportFields {
  readonly required: number;
  /** The wait's regions, in the order bare IDs are located. */
  readonly regions: readonly string[];
  /** Every instance remediation acted on, in order. */
  readonly remediations: readonly RemediationState[];
}

/** The report of a wait at `now`. */
export function waitReport(state: WaitState, now: number, fields: ReportFields): ReadinessReport {
  return buildReport(state.states, state.snapshot(now), {
    startedAt: state.startedAt,
    required: fields.required,
    regions: fields.regions,
    remediations: fields.remediations.map(toRecord),
  });
}

/**
 * The event of a round that ended at `now`: `nextDelayMs` when another round follows (then
 * `finalRoundNext` says whether it is the final one), `report` on the last event of a wait that
 * succeeded.
 */
export function roundProgress(
  state: WaitState,
  now: number,
  round: {
    readonly required: number;
    readonly shape: RoundShape;
    readonly nextDelayMs: number | undefined;
    readonly finalRoundNext: boolean;
    readonly report: ReadinessReport | undefined;
  },
): ReadinessProgress {
  const total = state.states.length;
  const { readyCount, notFoundCount } = state;
  const newly = state.newlyReady;
  return {
    round: state.round,
    total,
    required: round.required,
    readyCount,
    pendingCount: total - readyCount - notFoundCount,
    notFoundCount,
    newlyReady: newly.map((s) => s.instanceId),
    newlyReadyInstances: newly.map((s) =>
      s.region === undefined ? { instanceId: s.instanceId } : { instanceId: s.instanceId, region: s.region },
    ),
    remediated: state.remediated.map(toRecord),
    polled: round.shape.polled,
    suspects: round.shape.suspects,
    batchCalls: round.shape.batchCalls,
    nextDelayMs: round.nextDelayMs,
    finalRoundNext: round.nextDelayMs !== undefined && round.finalRoundNext,
    elapsedMs: now - state.startedAt,
    apiCalls: state.counters.apiCalls,
    done: round.report !== undefined,
    report: round.report,
  };
}

/** The counters of a wait that sent nothing, `elapsedMs` after its start. */
const noCounters = (elapsedMs: number): WaitCounters => ({
  elapsedMs,
  rounds: 0,
  apiCalls: 0,
  retries: 0,
  bisectionCalls: 0,
  throttledCalls: 0,
  errors: {},
  instanceStatusCalls: 0,
  remediationCalls: 0,
});

/** The single event of a wait over an empty list, which needs no client: done at once. */
export function emptyProgress(startedAt: number, now: number, required: number): ReadinessProgress {
  const elapsedMs = now - startedAt;
  return {
    round: 0,
    total: 0,
    required: 0,
    readyCount: 0,
    pendingCount: 0,
    notFoundCount: 0,
    newlyReady: [],
    newlyReadyInstances: [],
    remediated: [],
    polled: 0,
    suspects: 0,
    batchCalls: 0,
    nextDelayMs: undefined,
    finalRoundNext: false,
    elapsedMs,
    apiCalls: 0,
    done: true,
    report: buildReport([], noCounters(elapsedMs), { startedAt, required, regions: [], remediations: [] }),
  };
}
