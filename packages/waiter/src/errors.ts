import type { InstanceStatus } from '@cloud-assistant-gate/core';
import type { OptionNames } from '@cloud-assistant-gate/core/options';
import type { InvalidStatusReadingError } from './readings.js';
import type { RemediationRecord } from './remediate.js';

/**
 * Why an instance is not (yet) ready, as reported on a timeout or in a report:
 * - `no-heartbeat-yet`: offline with no agent version and never seen online in this wait. The
 *   instance may still be booting, or its image may lack the agent: DescribeCloudAssistantStatus
 *   cannot tell which. (Earlier builds reported it as `not-installed`, which nothing proved; see
 *   the CHANGELOG.)
 * - `not-installed`: proven missing: the instance-status lookup found it Running long enough
 *   without any heartbeat (see `instance-check.ts`).
 * - `agent-offline`: the agent is known (a version, or seen online) but has no recent heartbeat.
 * - `not-found`: ECS does not know the ID (yet).
 * - `instance-stopped`, `instance-starting`, `instance-stopping`, `instance-not-running`: from the
 *   instance-status lookup (DescribeInstanceStatus) at the end of a failed wait or during it.
 * - `agent-installed-reboot-required`, `install-failed: …`, `reboot-failed: …`: from opt-in
 *   remediation.
 * - `readiness-unmet: …`: online, but a `readiness` condition does not hold.
 * - `errors: …`: the calls for it failed (`errors: ServiceUnavailable ×3`), or got no answer.
 */
export type PendingReason =
  | 'agent-offline'
  | 'not-installed'
  | 'no-heartbeat-yet'
  | 'not-found'
  | 'instance-stopped'
  | 'instance-starting'
  | 'instance-stopping'
  | 'instance-not-running'
  | 'agent-installed-reboot-required'
  | `install-failed: ${string}`
  | `reboot-failed: ${string}`
  | `readiness-unmet: ${string}`
  | `errors: ${string}`;

/** A region a wait asked whose API never answered (see {@link SourceUnreachableError}). */
export interface UnreachableRegion {
  /** The region's name, when known (a bare status function has none). */
  readonly region: string | undefined;
  /** Where its calls went, when known. */
  readonly endpoint: string | undefined;
}

/** One instance that was not ready when the wait ended. */
export interface PendingInstance {
  readonly instanceId: string;
  readonly reason: PendingReason;
  /** Its region: given with the ID, located by the wait, or the wait's only region. */
  readonly region?: string | undefined;
  /** The last status the API returned for it, if it ever returned one. */
  readonly status?: InstanceStatus | undefined;
  /** Its lifecycle `Status` (`Running`, `Stopped`, …) from the instance-status lookup, when one ran. */
  readonly instanceStatus?: string | undefined;
  /** What opt-in remediation did to it, if anything. */
  readonly remediation?: RemediationRecord | undefined;
}

/** Counters shared by the report and the errors, so a failure carries the same figures as a success. */
export interface WaitCounters {
  /** Wall time from the start of the wait to its end, measured with the `now` seam. */
  readonly elapsedMs: number;
  /** Polling rounds started (bisection calls belong to the round that needed them). */
  readonly rounds: number;
  /**
   * HTTP attempts made for this wait: from `onAttempt` when the status source reports attempts
   * (retries, bisection and requests abandoned at the deadline included), otherwise one per batch
   * call that settled. A call aborted before its source reported an attempt is not counted: a
   * core client reports every request it sent, so for it that means nothing was sent (for
   * example while credentials were still being read).
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
  /**
   * DescribeInstanceStatus attempts (instance-status lookups), not in `apiCalls`. 0 unless the
   * wait failed, ran long, or `stoppedInstances: 'fail'` or `remediate` asked for lookups.
   */
  readonly instanceStatusCalls: number;
  /** InstallCloudAssistant, RebootInstances and pre-reboot status attempts of remediation, not in `apiCalls`. */
  readonly remediationCalls: number;
}

/**
 * A message that names options of the wait (`raise timeoutMs`): `name` says an option the
 * reader's way, so a CLI can say `raise --timeout` without rewriting the text.
 */
export type NamedMessage = (name: (option: string) => string) => string;

/** Base class of every error the waiter creates. Check `code`, not `instanceof` alone. */
export class WaiterError extends Error {
  override readonly name: string = 'WaiterError';
  readonly code: string;
  readonly #message: NamedMessage | undefined;

  /** `message` is a {@link NamedMessage} when it names options (see {@link messageWith}). */
  constructor(message: string | NamedMessage, code: string, options?: ErrorOptions) {
    super(typeof message === 'string' ? message : message((option) => option), options);
    this.code = code;
    this.#message = typeof message === 'string' ? undefined : message;
  }

  /**
   * The message with the options it names (`timeoutMs`, `minReady`, `firstAnswerTimeoutMs`) said
   * as `names` says, e.g. a CLI's flags (`raise --timeout`); an option `names` has no name for
   * keeps its own. The same as `message` for an error that names no option.
   */
  messageWith(names: OptionNames): string {
    return this.#message === undefined ? this.message : this.#message((option) => names(option) ?? option);
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

/**
 * What to do about the stragglers, from the kinds of reasons among them (most common first), so
 * that instances that are merely still booting are not sent to check an agent installation.
 */
export function adviceFor(
  pending: readonly PendingInstance[],
  name: (option: string) => string = (option) => option,
): string {
  const counts = new Map<string, number>();
  for (const p of pending) {
    const kind = p.reason.startsWith('readiness-unmet')
      ? 'readiness-unmet'
      : p.reason.startsWith('errors')
        ? 'errors'
        : p.reason;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const advice: Record<string, string> = {
    'no-heartbeat-yet': `no-heartbeat-yet: still booting, or no agent on the image; raise ${name('timeoutMs')} if they were just created`,
    'agent-offline': 'agent-offline: check the instance is running and its agent service started',
    'not-found': 'not-found: check the IDs and the region',
    'readiness-unmet': 'readiness-unmet: check the readiness options',
    errors: 'errors: the API failed for them, retry later',
  };
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([kind]) => advice[kind])
    .filter((a) => a !== undefined)
    .join('; ');
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
  readonly instanceStatusCalls: number;
  readonly remediationCalls: number;

  constructor(
    message: string | NamedMessage,
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
    this.instanceStatusCalls = c?.instanceStatusCalls ?? 0;
    this.remediationCalls = c?.remediationCalls ?? 0;
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
      (name) =>
        `Cloud Assistant was not ready on ${pending.length} of ${pending.length + ready.length} instances ` +
        `after ${Math.round(timeoutMs / 1000)} s (${ready.length} ready, ${required} needed): ` +
        `${describePending(pending)}; ${adviceFor(pending, name) || `raise ${name('timeoutMs')}`}.`,
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
  /**
   * Instances that can never become ready in this wait: not found (at once with `notFound:
   * 'fail'`, or past the not-found grace), or `Stopped` with `stoppedInstances: 'fail'`.
   */
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
      (name) =>
        `At most ${possible} of ${required} required instances can become ready because ` +
        `${unreachable.length} cannot: ${describePending(unreachable)}; ` +
        `check the instance IDs, their regions and that the instances are running, or lower ${name('minReady')}.`,
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
      fields.causeCode === 'WAITER_INVALID_STATUS' && cause instanceof Error
        ? // A custom source's bug, not an API answer: say what it returned (the message holds no secret).
          `The status source returned what the wait cannot use, which waiting cannot fix${counts}: ${cause.message}`
        : `DescribeCloudAssistantStatus failed with ${what}, which waiting cannot fix${counts}; ` +
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
 * No call of the wait got an answer from the API within `firstAnswerTimeoutMs` of the start: a
 * wrong or unreachable endpoint, a closed port, a server that accepts and never answers, a proxy
 * in the way. Waiting longer would only look like slow agents until the deadline, so the wait
 * stops early with the last error. Once the API has answered (statuses, `InvalidInstance.NotFound`
 * or `Throttling*`), later outages are ridden out until `timeoutMs` as before.
 *
 * The last failed call's error is `cause` (its message is not copied); `lastErrorCode` is its API
 * or error code, `lastErrorCauseCode` the low-level code (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`),
 * `endpoint` where the calls went when the wait knows it (a core client, or `region`) and there
 * is one, and `regions` each region the wait asked with its endpoint. With several regions the
 * wait fails fast only when none of them answered (one answering proves the setup can work); the
 * last error is the latest of any region. Like the other terminal errors it accounts for every
 * requested ID and carries the counters.
 */
export class SourceUnreachableError extends WaitOutcomeError {
  override readonly name = 'SourceUnreachableError' as const;
  override readonly code = 'WAITER_SOURCE_UNREACHABLE' as const;
  readonly firstAnswerTimeoutMs: number;
  /** The last failed call's API or error code (`ECS_NETWORK_ERROR`, `ServiceUnavailable`), if a call failed. */
  readonly lastErrorCode: string | undefined;
  /** The low-level code of the last failure (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`), when it has one. */
  readonly lastErrorCauseCode: string | undefined;
  /** The endpoint the calls went to, when known and when there is one (one region asked). */
  readonly endpoint: string | undefined;
  /** Every region the wait asked and never heard from, with its endpoint when known. */
  readonly regions: readonly UnreachableRegion[];

  constructor(
    lastError: unknown,
    fields: {
      firstAnswerTimeoutMs: number;
      lastErrorCode: string | undefined;
      lastErrorCauseCode: string | undefined;
      endpoint: string | undefined;
      regions?: readonly UnreachableRegion[] | undefined;
      failedCalls: number;
      ready: readonly string[];
      pending: readonly PendingInstance[];
      required: number;
      counters: WaitCounters;
    },
  ) {
    const seconds = Math.round(fields.firstAnswerTimeoutMs / 1000);
    const regions = fields.regions ?? [];
    const where =
      regions.length > 1
        ? ` in any of ${regions.length} regions (${regions
            .map((r) => `${r.region ?? 'unnamed'}${r.endpoint === undefined ? '' : ` at ${r.endpoint}`}`)
            .join(', ')})`
        : fields.endpoint === undefined
          ? ''
          : ` at ${fields.endpoint}`;
    const last =
      fields.lastErrorCode === undefined
        ? 'the first call is still waiting for an answer'
        : `${fields.failedCalls} failed call${fields.failedCalls === 1 ? '' : 's'}, the last with ${fields.lastErrorCode}` +
          (fields.lastErrorCauseCode === undefined || fields.lastErrorCauseCode === fields.lastErrorCode
            ? ''
            : ` (${fields.lastErrorCauseCode})`);
    super(
      (name) =>
        `No answer from the ECS API${where} in the first ${seconds} s (${last}); ` +
        `check the endpoint and region, the network and any proxy, or raise ${name('firstAnswerTimeoutMs')}.`,
      'WAITER_SOURCE_UNREACHABLE',
      fields,
      lastError === undefined ? undefined : { cause: lastError },
    );
    this.firstAnswerTimeoutMs = fields.firstAnswerTimeoutMs;
    this.lastErrorCode = fields.lastErrorCode;
    this.lastErrorCauseCode = fields.lastErrorCauseCode;
    this.endpoint = fields.endpoint;
    this.regions = regions.map((r) => ({ region: r.region, endpoint: r.endpoint }));
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

  /** Built once, when the wait ends (see `failure.ts`), with every ID accounted for. */
  constructor(
    instanceId: string,
    cause: unknown,
    fields: {
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
      fields,
      { cause },
    );
    this.instanceId = instanceId;
  }
}

/**
 * Opt-in remediation was denied for every instance it tried (a permission error such as
 * `Forbidden.RAM` on InstallCloudAssistant or RebootInstances, and no remediation succeeded), so
 * the wait fails at once, like on any other permanent error. The first denial is `cause`; its
 * message is not copied. Like the other terminal errors it accounts for every requested ID.
 */
export class RemediationError extends WaitOutcomeError {
  override readonly name = 'RemediationError' as const;
  override readonly code = 'WAITER_REMEDIATION_DENIED' as const;
  /** `InstallCloudAssistant` or `RebootInstances`. */
  readonly action: string;
  /** The API error code of the denial (e.g. `Forbidden.RAM`), when it has one. */
  readonly apiCode: string | undefined;
  /** The stable `code` of the cause (e.g. `ECS_API_ERROR`), when it has one. */
  readonly causeCode: string | undefined;

  constructor(
    cause: unknown,
    fields: {
      action: string;
      apiCode: string | undefined;
      causeCode: string | undefined;
      ready: readonly string[];
      pending: readonly PendingInstance[];
      required: number;
      counters: WaitCounters;
    },
  ) {
    const what = fields.apiCode ?? fields.causeCode ?? 'an error';
    const permission =
      fields.action === 'InstallCloudAssistant' ? 'ecs:InstallCloudAssistant' : 'ecs:RebootInstances';
    super(
      `${fields.action} failed with ${what} for every instance the wait tried to remediate, which waiting ` +
        `cannot fix; grant ${permission} to these credentials (RAM policy) or turn remediation off.`,
      'WAITER_REMEDIATION_DENIED',
      fields,
      { cause },
    );
    this.action = fields.action;
    this.apiCode = fields.apiCode;
    this.causeCode = fields.causeCode;
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
  'WAITER_SOURCE_UNREACHABLE',
  'WAITER_PREDICATE_FAILED',
  'WAITER_REMEDIATION_DENIED',
  'WAITER_INVALID_STATUS',
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
/** True for {@link RemediationError} (checks `code`). */
export function isRemediationError(error: unknown): error is RemediationError {
  return hasCode(error, 'WAITER_REMEDIATION_DENIED');
}
/** True for {@link StatusSourceError} (checks `code`). */
export function isStatusSourceError(error: unknown): error is StatusSourceError {
  return hasCode(error, 'WAITER_SOURCE_FAILED');
}
/** True for {@link SourceUnreachableError} (checks `code`). */
export function isSourceUnreachableError(error: unknown): error is SourceUnreachableError {
  return hasCode(error, 'WAITER_SOURCE_UNREACHABLE');
}
/** True for {@link InvalidStatusReadingError} (checks `code`): a status source broke its contract. */
export function isInvalidStatusReadingError(error: unknown): error is InvalidStatusReadingError {
  return hasCode(error, 'WAITER_INVALID_STATUS');
}
