import { apiCodeOf, codeOf, errorKey } from './classify.js';
import {
  CloudAssistantTimeoutError,
  type PendingInstance,
  type PendingReason,
  QuorumUnreachableError,
  ReadinessPredicateError,
  RemediationError,
  SourceUnreachableError,
  StatusSourceError,
  type WaitCounters,
} from './errors.js';
import { type RegionSilence, type RegionSlot, silence } from './region-state.js';
import type { RemediationDenied } from './remediate.js';
import { toPending } from './report.js';
import type { WaitState } from './wait-state.js';

/**
 * Every way a wait can end without enough ready instances, as plain data: decided where it is
 * seen (a round, the decision after it, the first-answer timer), turned into the public error
 * once, by {@link failureError}, when the wait ends. Nothing here is thrown.
 */
export type WaitFailure =
  /** The deadline passed, or the final round before it ended, before enough instances were ready. */
  | { readonly kind: 'timeout' }
  /** Fewer instances than `required` can still become ready (the others were given up on). */
  | { readonly kind: 'quorum-unreachable' }
  /** No region's API answered any call within `firstAnswerTimeoutMs`. */
  | { readonly kind: 'source-unreachable' }
  /** A status call failed in a way waiting cannot fix; `error` is what the source threw. */
  | { readonly kind: 'source'; readonly error: unknown }
  /** `readiness.predicate` threw `error` on the reading of `instanceId`. */
  | { readonly kind: 'predicate'; readonly instanceId: string; readonly error: unknown }
  /** A remediation pass in which everything tried was denied. */
  | ({ readonly kind: 'remediation-denied' } & RemediationDenied)
  /** A bug of ours: the wait rejects with `error` itself. */
  | { readonly kind: 'internal'; readonly error: unknown };

/** The failures that end a polling round early (see `pollRound`). */
export type RoundFailure = Extract<WaitFailure, { readonly kind: 'source' | 'predicate' | 'internal' }>;

/** The reason of an instance that got no answer in the round a failure ended. */
const NO_RESPONSE_BEFORE_FAILURE: PendingReason = 'errors: no response before the wait failed';

/** What a wait's error is built from: its state and regions, its options, and when it ended. */
export interface EndedWait {
  readonly state: WaitState;
  readonly slots: readonly RegionSlot[];
  readonly required: number;
  readonly timeoutMs: number;
  readonly firstAnswerTimeoutMs: number;
  /** When the wait ended, on its clock. */
  readonly now: number;
}

/** The fields every terminal error has: each ID once, in `ready` or `pending`, and the counters. */
function accounts(
  wait: EndedWait,
  noResponse?: PendingReason,
): {
  ready: string[];
  pending: PendingInstance[];
  required: number;
  counters: WaitCounters;
} {
  return {
    ready: wait.state.readyIds(),
    pending: wait.state.pending(noResponse),
    required: wait.required,
    counters: wait.state.snapshot(wait.now),
  };
}

/** The low-level code of an error (`ECONNREFUSED`), from core's `causeCode` field. */
const causeCodeOf = (error: unknown): string | undefined => {
  const value =
    typeof error === 'object' && error !== null ? (error as { causeCode?: unknown }).causeCode : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
};

function unreachableError(wait: EndedWait, silent: RegionSilence): SourceUnreachableError {
  const last = silent.lastError;
  return new SourceUnreachableError(last, {
    firstAnswerTimeoutMs: wait.firstAnswerTimeoutMs,
    lastErrorCode: last === undefined ? undefined : errorKey(last),
    lastErrorCauseCode: causeCodeOf(last),
    endpoint: silent.endpoint,
    regions: silent.regions,
    failedCalls: silent.failedCalls,
    ...accounts(wait, NO_RESPONSE_BEFORE_FAILURE),
  });
}

/**
 * The error a wait rejects with for `failure`, built once, when the wait ends: every requested
 * ID exactly once (`ready`, or `pending` with its reason; IDs a failure left without an answer
 * have `errors: no response before the wait failed`) and the counters. An internal failure is
 * its error itself.
 */
export function failureError(failure: WaitFailure, wait: EndedWait): unknown {
  switch (failure.kind) {
    case 'timeout':
      return new CloudAssistantTimeoutError({ ...accounts(wait), timeoutMs: wait.timeoutMs });
    case 'quorum-unreachable': {
      // Split in two: those given up on, and those that could still have become ready.
      const unreachable: PendingInstance[] = [];
      const pending: PendingInstance[] = [];
      for (const s of wait.state.states) {
        if (!s.ready) (s.unreachable ? unreachable : pending).push(toPending(s));
      }
      return new QuorumUnreachableError({
        unreachable,
        pending,
        ready: wait.state.readyIds(),
        required: wait.required,
        counters: wait.state.snapshot(wait.now),
      });
    }
    case 'source-unreachable':
      return unreachableError(wait, silence(wait.slots));
    case 'source':
      return new StatusSourceError(failure.error, {
        apiCode: apiCodeOf(failure.error),
        causeCode: codeOf(failure.error),
        ...accounts(wait, NO_RESPONSE_BEFORE_FAILURE),
      });
    case 'predicate':
      return new ReadinessPredicateError(
        failure.instanceId,
        failure.error,
        accounts(wait, NO_RESPONSE_BEFORE_FAILURE),
      );
    case 'remediation-denied':
      return new RemediationError(failure.error, {
        action: failure.action,
        apiCode: apiCodeOf(failure.error),
        causeCode: codeOf(failure.error),
        ...accounts(wait),
      });
    case 'internal':
      return failure.error;
  }
}
