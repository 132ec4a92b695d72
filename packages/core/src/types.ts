/**
 * One reading of one instance's Cloud Assistant agent: the camelCase form of an item of
 * `InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus`, with `CloudAssistantStatus`
 * ("true"/"false" on the wire) as a boolean. Optional fields are absent when the API left them out.
 */
export interface InstanceStatus {
  readonly instanceId: string;
  /** `true` when the agent sent a heartbeat within the last 2 minutes. */
  readonly cloudAssistantStatus: boolean;
  /** Agent version, e.g. `2.2.3.189`; empty while the agent is not installed or not running. */
  readonly cloudAssistantVersion: string;
  /** ISO 8601 time of the last heartbeat (updated every 55, 60 or 65 s). */
  readonly lastHeartbeatTime?: string | undefined;
  readonly lastInvokedTime?: string | undefined;
  readonly activeTaskCount?: number | undefined;
  readonly invocationCount?: number | undefined;
  /** `Linux`, `Windows` or `FreeBSD`. */
  readonly osType?: string | undefined;
  readonly supportSessionManager?: boolean | undefined;
}

/** What every request attempt reports, retries included (for counting calls and throttling). */
export interface AttemptEvent {
  readonly action: string;
  /** 1 for the first attempt of a call, 2 for its first retry, ... */
  readonly attempt: number;
  readonly durationMs: number;
  readonly statusCode?: number | undefined;
  /** The API error code, when the attempt failed with one. */
  readonly apiCode?: string | undefined;
  /** Our stable error code, when the attempt failed. */
  readonly errorCode?: string | undefined;
  /**
   * The low-level code behind a network or timeout failure (`ECONNREFUSED`,
   * `UND_ERR_HEADERS_TIMEOUT`, …), so a progress display can say why without parsing messages.
   */
  readonly causeCode?: string | undefined;
  readonly throttled: boolean;
  /**
   * The wait in ms the server asked for in `x-acs-retry-after`, when the attempt failed with an
   * answer that carried one (ECS may send it with `Throttling*` errors; UNVERIFIED). The client's
   * request budget already holds every queued call of the action for it; this is for the record.
   * Absent otherwise.
   */
  readonly retryAfterMs?: number | undefined;
  /**
   * The request was sent, then abandoned because the call's signal aborted (a wait's deadline or
   * cancel): an attempt that reached the API (or may have), with no answer and no error of its own.
   * An attempt aborted before anything was sent (waiting for the rate limit or for credentials) is
   * not reported at all.
   */
  readonly aborted?: boolean | undefined;
}

/**
 * The only thing the waiter needs from ECS: statuses for up to 100 IDs. A core client provides
 * one (`client.statusSource`); tests and users may pass their own.
 */
export type StatusSource = (
  instanceIds: readonly string[],
  options: { readonly signal: AbortSignal; readonly onAttempt?: ((event: AttemptEvent) => void) | undefined },
) => Promise<readonly InstanceStatus[]>;

/** The lifecycle status of one ECS instance, as `DescribeInstanceStatus` reports it. */
export interface EcsInstanceStatus {
  readonly instanceId: string;
  /** `Pending`, `Starting`, `Running`, `Stopping` or `Stopped` (ECS may add others). */
  readonly status: string;
}

/**
 * `DescribeInstanceStatus` for up to 100 IDs (paged inside as the API requires): the status of
 * every instance ECS knows; unknown IDs are left out. A core client provides one
 * (`client.instanceStatus`); the waiter uses it to say why an instance is not ready.
 */
export type InstanceStatusLookup = (
  instanceIds: readonly string[],
  options: { readonly signal: AbortSignal; readonly onAttempt?: ((event: AttemptEvent) => void) | undefined },
) => Promise<readonly EcsInstanceStatus[]>;

/**
 * `InstallCloudAssistant` for up to 50 IDs. Resolves when ECS accepted the request; the agent
 * starts only after the instance's next boot. Rejects with the API error (one instance it cannot
 * install on fails the whole request). A core client provides one (`client.installAgent`).
 */
export type AgentInstaller = (
  instanceIds: readonly string[],
  options: { readonly signal: AbortSignal; readonly onAttempt?: ((event: AttemptEvent) => void) | undefined },
) => Promise<void>;

/** What a reboot did to one instance. */
export interface RebootResult {
  readonly instanceId: string;
  /** ECS accepted the reboot of this instance. */
  readonly ok: boolean;
  /** The per-instance error code when it did not (e.g. `IncorrectInstanceStatus`). */
  readonly apiCode?: string | undefined;
}

/**
 * `RebootInstances` for up to 100 IDs, each instance on its own (`BatchOptimization:
 * SuccessFirst`): one result per instance. Rejects only when the whole request fails
 * (permissions, parameters). A core client provides one (`client.reboot`).
 */
export type InstanceRebooter = (
  instanceIds: readonly string[],
  options: { readonly signal: AbortSignal; readonly onAttempt?: ((event: AttemptEvent) => void) | undefined },
) => Promise<readonly RebootResult[]>;
