import type { InstanceStatus } from '@cloud-assistant-gate/core';

/** Why an instance is not (yet) ready, as reported on a timeout or in a report. */
export type PendingReason =
  | 'agent-offline'
  | 'not-installed'
  | 'not-found'
  | `readiness-unmet: ${string}`
  | `errors: ${string}`;

/** One instance that was not ready when the wait ended. */
export interface PendingInstance {
  readonly instanceId: string;
  readonly reason: PendingReason;
  /** The last status the API returned for it, if it ever returned one. */
  readonly status?: InstanceStatus | undefined;
}

/** Counters shared by the report and the errors, so a failure carries the same figures as a success. */
export interface WaitCounters {
  /** Wall time from the start of the wait to its end, measured with the `now` seam. */
  readonly elapsedMs: number;
  /** Polling rounds started (bisection calls belong to the round that needed them). */
  readonly rounds: number;
  /**
   * HTTP attempts made for this wait: from `onAttempt` when the status source reports attempts
   * (retries and bisection included), otherwise one per batch call. A call cut short by the
   * deadline or a cancel counts once: it was started, and may or may not have reached the API.
   */
  readonly apiCalls: number;
  /** Attempts beyond the first of a call (only known when the source reports attempts). */
  readonly retries: number;
  /** Extra calls spent locating IDs that ECS does not know (`InvalidInstance.NotFound`). */
  readonly bisectionCalls: number;
  /** Attempts that were throttled (`Throttling*`). */
  readonly throttledCalls: number;
  /** Failed attempts or calls, counted by API code (e.g. `ServiceUnavailable`) or error code. */
  readonly errors: Readonly<Record<string, number>>;
}

/** Base class of every error the waiter creates. Check `code`, not `instanceof` alone. */
export class WaiterError extends Error {
  override readonly name: string = 'WaiterError';
  readonly code: string;

  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** One rejected entry of the input list. */
export interface InvalidInstanceId {
  /** Zero-based position in the input list. */
  readonly index: number;
  /** The value as given (non-strings are shown with `String()`). */
  readonly value: string;
  readonly reason: string;
}

/** The input list held values that are not ECS (`i-…`) or managed (`mi-…`) instance IDs. */
export class InvalidInstanceIdError extends WaiterError {
  override readonly name = 'InvalidInstanceIdError' as const;
  override readonly code = 'WAITER_INVALID_INSTANCE_ID' as const;
  /** Every bad entry with its position, not just the first. */
  readonly invalid: readonly InvalidInstanceId[];

  constructor(invalid: readonly InvalidInstanceId[]) {
    const shown = invalid
      .slice(0, 3)
      .map((entry) => `${JSON.stringify(entry.value)} at index ${entry.index} (${entry.reason})`)
      .join(', ');
    const more = invalid.length > 3 ? ` and ${invalid.length - 3} more` : '';
    super(
      `${invalid.length} instance ID${invalid.length === 1 ? ' is' : 's are'} not valid: ${shown}${more}; ` +
        'pass ECS IDs like i-bp1iudwa5b1tqa0abcde or managed instance IDs like mi-hz018jrc1o0abcd.',
      'WAITER_INVALID_INSTANCE_ID',
    );
    this.invalid = invalid;
  }
}

function describePending(pending: readonly PendingInstance[]): string {
  const shown = pending
    .slice(0, 3)
    .map((p) => `${p.instanceId} (${p.reason})`)
    .join(', ');
  return pending.length > 3 ? `${shown} and ${pending.length - 3} more` : shown;
}

/**
 * What every terminal error of a wait carries: each requested ID exactly once, in `ready` or in
 * `pending` (the quorum error also has `unreachable`), the `required` count and the wait's
 * counters, so a failure carries the same figures as a success.
 */
export abstract class WaitOutcomeError extends WaiterError implements WaitCounters {
  /** Instances that were ready, in input order. */
  readonly ready: readonly string[];
  /** Every instance that was not ready (and not `unreachable`), in input order, with the reason and its last status. */
  readonly pending: readonly PendingInstance[];
  /** How many ready instances the wait needed (`minReady` resolved against the list). */
  readonly required: number;
  readonly elapsedMs: number;
  readonly rounds: number;
  readonly apiCalls: number;
  readonly retries: number;
  readonly bisectionCalls: number;
  readonly throttledCalls: number;
  readonly errors: Readonly<Record<string, number>>;

  constructor(
    message: string,
    code: string,
    fields: {
      ready: readonly string[];
      pending: readonly PendingInstance[];
      required: number;
      counters: WaitCounters | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(message, code, options);
    this.ready = fields.ready;
    this.pending = fields.pending;
    this.required = fields.required;
    const c = fields.counters;
    this.elapsedMs = c?.elapsedMs ?? 0;
    this.rounds = c?.rounds ?? 0;
    this.apiCalls = c?.apiCalls ?? 0;
    this.retries = c?.retries ?? 0;
    this.bisectionCalls = c?.bisectionCalls ?? 0;
    this.throttledCalls = c?.throttledCalls ?? 0;
    this.errors = c?.errors ?? {};
  }
}

/** The deadline passed before enough instances were ready. */
export class CloudAssistantTimeoutError extends WaitOutcomeError {
  override readonly name = 'CloudAssistantTimeoutError' as const;
  override readonly code = 'WAITER_TIMEOUT' as const;
  readonly timeoutMs: number;

  constructor(fields: {
    pending: readonly PendingInstance[];
    ready: readonly string[];
    required: number;
    timeoutMs: number;
    counters: WaitCounters;
  }) {
    const { pending, ready, required, timeoutMs } = fields;
    super(
      `Cloud Assistant was not ready on ${pending.length} of ${pending.length + ready.length} instances ` +
        `after ${Math.round(timeoutMs / 1000)} s (${ready.length} ready, ${required} needed): ` +
        `${describePending(pending)}; check that these instances are running and have the agent installed, ` +
        'or raise timeoutMs.',
      'WAITER_TIMEOUT',
      fields,
    );
    this.timeoutMs = timeoutMs;
  }
}

/** `minReady` can no longer be met, so waiting longer is pointless (raised before the deadline). */
export class QuorumUnreachableError extends WaitOutcomeError {
  override readonly name = 'QuorumUnreachableError' as const;
  override readonly code = 'WAITER_QUORUM_UNREACHABLE' as const;
  /** Instances that can never become ready in this wait (not found, or past the not-found grace). */
  readonly unreachable: readonly PendingInstance[];

  constructor(fields: {
    unreachable: readonly PendingInstance[];
    pending: readonly PendingInstance[];
    ready: readonly string[];
    required: number;
    counters: WaitCounters;
  }) {
    const { unreachable, pending, ready, required } = fields;
    const possible = ready.length + pending.length;
    super(
      `At most ${possible} of ${required} required instances can become ready because ` +
        `${unreachable.length} cannot: ${describePending(unreachable)}; ` +
        'check the instance IDs and region, or lower minReady.',
      'WAITER_QUORUM_UNREACHABLE',
      fields,
    );
    this.unreachable = unreachable;
  }
}

/**
 * The status source failed in a way retrying cannot fix (credentials, signature, permission,
 * unsupported region, invalid parameter, ...). The original error is `cause`; its message is not
 * copied, because API messages can echo request details such as the string to sign.
 *
 * Like the timeout error, it accounts for every requested ID exactly once: in `ready`, or in
 * `pending` with the reason it is not ready (the IDs of the call that failed carry its code, e.g.
 * `errors: Forbidden.RAM`; IDs of calls the failure cut short, `errors: no response before the
 * wait failed`), and it carries the wait's counters.
 */
export class StatusSourceError extends WaitOutcomeError {
  override readonly name = 'StatusSourceError' as const;
  override readonly code = 'WAITER_SOURCE_FAILED' as const;
  /** The API error code of the cause (e.g. `Forbidden.RAM`), when it has one. */
  readonly apiCode: string | undefined;
  /** The stable `code` of the cause (e.g. `ECS_API_ERROR`, `ECS_CREDENTIALS`), when it has one. */
  readonly causeCode: string | undefined;

  /**
   * `pending`, `required` and `counters` are optional for code that built this error before they
   * existed: then no instance is listed as pending and the counters are zero.
   */
  constructor(
    cause: unknown,
    fields: {
      apiCode: string | undefined;
      causeCode: string | undefined;
      ready: readonly string[];
      pending?: readonly PendingInstance[] | undefined;
      required?: number | undefined;
      counters?: WaitCounters | undefined;
    },
  ) {
    const what = fields.apiCode ?? fields.causeCode ?? (cause instanceof Error ? cause.name : typeof cause);
    const pending = fields.pending ?? [];
    const counts =
      pending.length === 0
        ? ''
        : ` (${fields.ready.length} of ${fields.ready.length + pending.length} instances were ready)`;
    super(
      `DescribeCloudAssistantStatus failed with ${what}, which waiting cannot fix${counts}; ` +
        'check the credentials, the RAM permission ecs:DescribeCloudAssistantStatus and the region (see cause).',
      'WAITER_SOURCE_FAILED',
      {
        ready: fields.ready,
        pending,
        required: fields.required ?? fields.ready.length + pending.length,
        counters: fields.counters,
      },
      { cause },
    );
    this.apiCode = fields.apiCode;
    this.causeCode = fields.causeCode;
  }
}

/**
 * `readiness.predicate` threw. A bug in the predicate is not something waiting can fix, so the
 * wait rejects at once rather than report the instance as not ready until the deadline. The
 * thrown value is `cause`.
 *
 * Like the other terminal errors, the wait's error accounts for every requested ID exactly once
 * (`ready`, or `pending` with its reason; IDs the failure left without an answer have
 * `errors: no response before the wait failed`) and carries `required` and the counters.
 */
export class ReadinessPredicateError extends WaitOutcomeError {
  override readonly name = 'ReadinessPredicateError' as const;
  override readonly code = 'WAITER_PREDICATE_FAILED' as const;
  /** The instance whose status the predicate was judging. */
  readonly instanceId: string;

  /**
   * Without `fields` (as the sink throws it, before the wait accounts for the IDs) `ready` and
   * `pending` are empty and the counters zero.
   */
  constructor(
    instanceId: string,
    cause: unknown,
    fields?: {
      ready: readonly string[];
      pending: readonly PendingInstance[];
      required: number;
      counters: WaitCounters;
    },
  ) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      `readiness.predicate threw on the status of ${instanceId} (${what}); ` +
        'fix the predicate so that it returns true, false or a reason for every status.',
      'WAITER_PREDICATE_FAILED',
      fields ?? { ready: [], pending: [], required: 0, counters: undefined },
      { cause },
    );
    this.instanceId = instanceId;
  }
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

const waiterCodes = new Set([
  'WAITER_INVALID_INSTANCE_ID',
  'WAITER_TIMEOUT',
  'WAITER_QUORUM_UNREACHABLE',
  'WAITER_SOURCE_FAILED',
  'WAITER_PREDICATE_FAILED',
]);

/** True for any error created by the waiter (checks `code`). */
export function isWaiterError(error: unknown): error is WaiterError {
  return (
    typeof error === 'object' &&
    error !== null &&
    waiterCodes.has((error as { code?: unknown }).code as string) &&
    error instanceof Error
  );
}
/** True for {@link InvalidInstanceIdError} (checks `code`). */
export function isInvalidInstanceIdError(error: unknown): error is InvalidInstanceIdError {
  return hasCode(error, 'WAITER_INVALID_INSTANCE_ID');
}
/** True for {@link CloudAssistantTimeoutError} (checks `code`). */
export function isCloudAssistantTimeoutError(error: unknown): error is CloudAssistantTimeoutError {
  return hasCode(error, 'WAITER_TIMEOUT');
}
/** True for {@link QuorumUnreachableError} (checks `code`). */
export function isQuorumUnreachableError(error: unknown): error is QuorumUnreachableError {
  return hasCode(error, 'WAITER_QUORUM_UNREACHABLE');
}
/** True for {@link ReadinessPredicateError} (checks `code`). */
export function isReadinessPredicateError(error: unknown): error is ReadinessPredicateError {
  return hasCode(error, 'WAITER_PREDICATE_FAILED');
}
/** True for {@link StatusSourceError} (checks `code`). */
export function isStatusSourceError(error: unknown): error is StatusSourceError {
  return hasCode(error, 'WAITER_SOURCE_FAILED');
}
