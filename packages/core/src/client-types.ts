/**
 * What a caller of `createEcsClient` sees: the {@link EcsClient} interface, its options and the
 * request types of its calls. The implementation is in client.ts; the option checks in
 * client-options.ts.
 */
import type { Dispatcher } from 'undici';
import type { CredentialsProvider, DefaultCredentialsOptions } from './credentials.js';
import type { DescribeInstanceStatusResult } from './lifecycle.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { RetryOptions } from './retry.js';
import type { DescribeCloudAssistantStatusResult } from './schemas.js';
import type { Credentials } from './sign.js';
import type {
  AgentInstaller,
  AttemptEvent,
  InstanceRebooter,
  InstanceStatus,
  InstanceStatusLookup,
  StatusSource,
} from './types.js';

/** The ECS API version every call uses. */
export const ECS_API_VERSION = '2014-05-26';

/** Parameters of an RPC action; arrays are flattened as `Key.1..N`, `undefined` is left out. */
export type RpcParams = Readonly<
  Record<string, string | number | boolean | readonly (string | number)[] | undefined>
>;

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call: rejects with `signal.reason`, no further request is sent. */
  readonly signal?: AbortSignal | undefined;
  /** Called once per HTTP attempt, retries included. */
  readonly onAttempt?: ((event: AttemptEvent) => void) | undefined;
  /**
   * Whether sending the request twice is harmless. An idempotent call is retried on every
   * retryable error (timeouts, resets, 5xx, throttling, …). Any other call is retried only when
   * the failed attempt provably was not processed: `Throttling*`, a connection refused or never
   * established (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `EAI_AGAIN`), or credentials that
   * could not be obtained. A timed-out `RunCommand` is not sent again: it may be running.
   * Set `true` for a write made idempotent by a `ClientToken`.
   * @default true for read-only actions (names starting with `Describe`, `List`, `Get`, `Query`
   * or `Check`), false otherwise
   */
  readonly idempotent?: boolean | undefined;
}

export interface DescribeCloudAssistantStatusRequest extends CallOptions {
  /** Up to 100 instance IDs; more is a `RangeError` before any request. */
  readonly instanceIds?: readonly string[] | undefined;
  /** `Linux`, `Windows` or `FreeBSD`. */
  readonly osType?: string | undefined;
  /** Page size for NextToken paging (ignored by the API when `instanceIds` is set). */
  readonly maxResults?: number | undefined;
  readonly nextToken?: string | undefined;
  /** Deprecated by the API in favour of `nextToken`. */
  readonly pageNumber?: number | undefined;
  /** Deprecated by the API in favour of `maxResults`. */
  readonly pageSize?: number | undefined;
}

export interface ListCloudAssistantStatusRequest extends CallOptions {
  readonly osType?: string | undefined;
  /**
   * Page size.
   * @default 50
   */
  readonly maxResults?: number | undefined;
  /**
   * The most pages read: a server that keeps handing out a new `NextToken` is stopped with a
   * {@link ResponseValidationError} on `NextToken` instead of growing memory without end. The
   * default covers 1,000,000 instances at 50 per page.
   * @default 20000
   */
  readonly maxPages?: number | undefined;
}

export type { DescribeInstanceStatusResult } from './lifecycle.js';
/** The default of {@link ListCloudAssistantStatusRequest.maxPages}. */
export const DEFAULT_MAX_PAGES = 20_000;

export type { DescribeCloudAssistantStatusResult } from './schemas.js';

export interface DescribeInstanceStatusRequest extends CallOptions {
  /** Up to 100 instance IDs; none lists the region. */
  readonly instanceIds?: readonly string[] | undefined;
  /** @default 1 */
  readonly pageNumber?: number | undefined;
  /** 1–50. @default 50 */
  readonly pageSize?: number | undefined;
}

/** A client for one region. Share one per region: it holds the connection pool and the request budget. */
export interface EcsClient {
  readonly region: string;
  /** The base URL actually used, e.g. `https://ecs.cn-beijing.aliyuncs.com`. */
  readonly endpoint: string;
  /** One DescribeCloudAssistantStatus call. */
  describeCloudAssistantStatus(
    req: DescribeCloudAssistantStatusRequest,
  ): Promise<DescribeCloudAssistantStatusResult>;
  /** Every instance's status in the region, page by page (NextToken/MaxResults). */
  listCloudAssistantStatus(req?: ListCloudAssistantStatusRequest): AsyncIterable<InstanceStatus>;
  /**
   * Any signed RPC action of ECS 2014-05-26 (RunCommand, SendFile, DescribeInvocations, …). `RegionId`
   * defaults to the client's region. Actions that are not read-only are retried only on failures
   * that provably were not processed, unless `options.idempotent` is `true` (see {@link CallOptions.idempotent}).
   */
  call(action: string, params: RpcParams, options?: CallOptions): Promise<Record<string, unknown>>;
  /** `ids → describeCloudAssistantStatus({ instanceIds: ids }).instances`, for the waiter. */
  readonly statusSource: StatusSource;
  /**
   * One page of `DescribeInstanceStatus` (`PageSize` 1–50, default 50): the lifecycle `Status` of
   * up to 100 instances (unknown IDs are left out), or of every instance in the region without IDs.
   */
  describeInstanceStatus(req: DescribeInstanceStatusRequest): Promise<DescribeInstanceStatusResult>;
  /**
   * For the waiter: `DescribeInstanceStatus` of up to 100 IDs, paged inside (ceil(known / 50)
   * calls, at least one); only requested IDs come back, each once.
   */
  readonly instanceStatus: InstanceStatusLookup;
  /**
   * For the waiter's opt-in remediation: `InstallCloudAssistant` for up to 50 IDs (the agent
   * starts only after the instance's next boot). Not retried unless the failure provably was not
   * processed.
   */
  readonly installAgent: AgentInstaller;
  /**
   * For the waiter's opt-in remediation: `RebootInstances` for up to 100 IDs with
   * `BatchOptimization: SuccessFirst` (each instance on its own), one result per instance. This
   * reboots running instances: only call it when that is wanted.
   */
  readonly reboot: InstanceRebooter;
  /**
   * Closes the client: every call queued, waiting to retry or in flight rejects at once with a
   * `ClientClosedError` (code `ECS_CLIENT_CLOSED`), no timer of the client is left, and its
   * connection pool is destroyed. Later calls reject the same way.
   */
  close(): Promise<void>;
}

/** Options of {@link createEcsClient}. */
export interface EcsClientOptions {
  /** Region ID, e.g. `cn-hangzhou`. Must be a known region unless `endpoint` or `allowUnknownRegion` is given. */
  readonly region: string;
  /**
   * An AccessKey pair (with an optional STS `securityToken`) or a function returning one, called
   * before every attempt.
   * @default the default chain: env, ~/.aliyun/config.json, ~/.alibabacloud/credentials, ECS RAM role
   */
  readonly credentials?: Credentials | CredentialsProvider | undefined;
  /**
   * Seams of the default credentials chain (`env`, `homeDir`, `imdsEndpoint`, …); ignored with `credentials`.
   * @default {}
   */
  readonly credentialsChain?: DefaultCredentialsOptions | undefined;
  /**
   * A full URL (`https://host`, `http://127.0.0.1:8080`) or a bare host (HTTPS).
   * @default the official SDK's endpoint for `region`
   */
  readonly endpoint?: string | undefined;
  /**
   * Allow plain `http://` to a host that is not loopback.
   * @default false
   */
  readonly allowInsecureHttp?: boolean | undefined;
  /**
   * Accept a well-formed region ID this package does not know (endpoint `ecs.<region>.aliyuncs.com`).
   * @default false
   */
  readonly allowUnknownRegion?: boolean | undefined;
  /**
   * `v3` (ACS3-HMAC-SHA256, the official SDK's default) or `v1` (HMAC-SHA1, `SignatureVersion=1.0`).
   * V1 is sent as a POST form body, as pop-core sends POST, so its `SecurityToken` and `Signature`
   * never appear in a URL (`NODE_DEBUG=undici`, proxy and access logs record URLs).
   * @default 'v3'
   */
  readonly signatureVersion?: 'v3' | 'v1' | undefined;
  /**
   * Timeout of one HTTP attempt (connect, headers and body).
   * @default 10000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * Retry policy of one call; `false` for a single attempt.
   * @default { maxAttempts: 4, baseDelayMs: 200, throttlingBaseDelayMs: 500, maxDelayMs: 10000, maxRetryAfterMs: 60000, maxTotalMs: 60000 }
   */
  readonly retry?: RetryOptions | false | undefined;
  /**
   * Calls in flight at once across the client (also the pool's socket count). A call waiting out a
   * throttle or a retry delay does not hold one.
   * @default 16
   */
  readonly maxConcurrency?: number | undefined;
  /**
   * Ceiling of each action's request rate (ECS counts each action apart). The request budget
   * stays below it and lowers the pace further when throttled.
   * @default Infinity (paced only by slow start and by what the API accepts)
   */
  readonly maxRequestsPerSecond?: number | undefined;
  /**
   * Tuning of the client's request budget, which every caller of the client shares, per action:
   * slow start, then on throttling a budget per quota window (`windowMs`, one minute by default:
   * ECS's documented model) or, for quotas that are not window-shaped, AIMD on the rate. `false`
   * turns adaptation off: only `maxRequestsPerSecond`, `maxConcurrency` and `x-acs-retry-after`
   * pace calls, and throttled calls are retried after a backoff. See the core README, "Request
   * budget".
   * @default { windowMs: 60000, initialWindow: 2, slowStartRtts: 32, slowStartMs: 250, jitterMs: windowMs / 20, windowDecreaseFactor: 0.9, windowIncrease: 0.05, longHoldMs: windowMs / 30, decreaseFactor: 0.7, recoveryMs: 1500, utilization: 0.95, minRequestsPerSecond: 1000 / windowMs }
   */
  readonly rateLimit?: RateLimitOptions | false | undefined;
  /**
   * Largest response body accepted.
   * @default 10485760 (10 MiB)
   */
  readonly maxResponseBytes?: number | undefined;
  /**
   * How long an idle pooled connection is kept.
   * @default 30000
   */
  readonly keepAliveTimeoutMs?: number | undefined;
  /**
   * An undici dispatcher to send through instead of the client's own pool (not closed by `close()`).
   * @default a new undici Pool per client
   */
  readonly dispatcher?: Dispatcher | undefined;
  /**
   * `user-agent` header.
   * @default 'cloud-assistant-gate/0.1.0 Node.js/<version>'
   */
  readonly userAgent?: string | undefined;
  /**
   * Wall clock in ms for the signature date.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
  /**
   * Random numbers in [0, 1) for the backoff jitter.
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
}
