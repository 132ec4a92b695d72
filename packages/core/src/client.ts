/**
 * `createEcsClient`: signed RPC calls to one ECS region, with retries, a shared concurrency and
 * rate budget, validated responses and typed errors.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Dispatcher } from 'undici';
import {
  type CredentialsProvider,
  type DefaultCredentialsOptions,
  toCredentialsProvider,
} from './credentials.js';
import { resolveEndpoint, validateRegion } from './endpoints.js';
import {
  ClientClosedError,
  EcsApiError,
  ResponseValidationError,
  serverText,
  ThrottlingError,
} from './errors.js';
import { createLifecycleCalls, type DescribeInstanceStatusResult } from './lifecycle.js';
import { allKeys, checkOptionKeys } from './options.js';
import { type ActionBudget, type Outcome, type RateLimitOptions, RequestBudget } from './rate-limit.js';
import { markRateLimited } from './rate-limited-source.js';
import {
  isReadOnlyAction,
  isUnprocessedError,
  type RetryOptions,
  type RetryPolicy,
  resolveRetryPolicy,
  withRetry,
} from './retry.js';
import {
  bodyErrorCode,
  type DescribeCloudAssistantStatusResult,
  parseDescribeCloudAssistantStatus,
} from './schemas.js';
import {
  buildRpcV3Headers,
  buildV1Params,
  type Credentials,
  canonicalQueryString,
  encodeQuery,
  formatAcsDate,
  hmacKey,
  percentEncode,
} from './sign.js';
import { Transport } from './transport.js';
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
/** Pages in a row with no instance but a `NextToken` before the listing is given up as a loop. */
const MAX_EMPTY_PAGES = 10;

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

const defaults = {
  signatureVersion: 'v3',
  timeoutMs: 10_000,
  maxConcurrency: 16,
  maxRequestsPerSecond: Number.POSITIVE_INFINITY,
  maxResponseBytes: 10 * 1024 * 1024,
  keepAliveTimeoutMs: 30_000,
  allowInsecureHttp: false,
  allowUnknownRegion: false,
  userAgent: `cloud-assistant-gate/0.1.0 Node.js/${process.version}`,
  now: Date.now,
  random: Math.random,
} as const;

/** Every key of {@link EcsClientOptions}: anything else is refused (a typo would be ignored silently). */
const CLIENT_OPTION_KEYS = allKeys<EcsClientOptions>()([
  'region',
  'credentials',
  'credentialsChain',
  'endpoint',
  'allowInsecureHttp',
  'allowUnknownRegion',
  'signatureVersion',
  'timeoutMs',
  'retry',
  'maxConcurrency',
  'maxRequestsPerSecond',
  'rateLimit',
  'maxResponseBytes',
  'keepAliveTimeoutMs',
  'dispatcher',
  'userAgent',
  'now',
  'random',
]);

const MAX_IDS_PER_CALL = 100;

/**
 * `InstanceId.1=` … `InstanceId.100=` in the order `canonicalQueryString` sorts them (by UTF-16
 * code unit: 1, 10, 100, 11, …, 19, 2, 20, …), each with its index. The order of the first N of
 * them is this order with the indices above N left out, so one table serves every batch size.
 */
const SORTED_ID_KEYS: readonly (readonly [index: number, prefix: string])[] = Array.from(
  { length: MAX_IDS_PER_CALL },
  (_, i) => `InstanceId.${i + 1}`,
)
  .sort()
  .map((key) => [Number(key.slice('InstanceId.'.length)) - 1, `${key}=`] as const);

/**
 * The request parameters of one call, prepared once for all its attempts: for V3 the canonical
 * query (which is also the wire query), for V1 the parameters (signed with each attempt's own
 * date and nonce).
 */
type Prepared = { readonly query: string } | { readonly params: Readonly<Record<string, string>> };

/** What {@link Client.#sign} produces for one attempt. */
interface SignedAttempt {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
  /** The attempt's signature, redacted from the answer like the credentials. */
  readonly signature: string;
}

/** Longest excerpt of a body that is not JSON, in an error. */
const EXCERPT_CHARS = 200;
/** Longest API `Message` kept in an error: real ones are one or two sentences; a 9 MB one is not a message. */
export const MAX_API_MESSAGE_CHARS = 1024;
/** Longest `Code`, `RequestId` or `HostId` kept (`Recommend`: four times this). */
const MAX_CODE_CHARS = 128;

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Expected option \`${name}\` to be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Node timers overflow above 2^31 − 1 ms (TimeoutOverflowWarning, then they fire after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The largest `maxResponseBytes`: V8 cannot hold a much longer string than 2^29 characters. */
const MAX_RESPONSE_BYTES_LIMIT = 2 ** 28;
/** Below this, the pause between two requests would overflow a timer. */
const MIN_REQUESTS_PER_SECOND = 0.001;
/** The most attempts one call may make: past this a retry loop is a loop. */
const MAX_ATTEMPTS_LIMIT = 100;

function boundedInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Expected option \`${name}\` to be an integer in [${min}, ${max}], got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The bounds `retry` must respect on top of its own checks (in retry.ts): finite, and every
 * delay a timer can hold (no `Infinity`, nothing over 2^31 − 1 ms); at most 100 attempts.
 */
function checkRetryBounds(retry: unknown): void {
  if (typeof retry !== 'object' || retry === null) return;
  const r = retry as Record<string, unknown>;
  for (const [key, value] of Object.entries(r)) {
    if (typeof value !== 'number') continue;
    const max = key === 'maxAttempts' ? MAX_ATTEMPTS_LIMIT : MAX_TIMER_MS;
    if (!Number.isFinite(value) || value > max) {
      throw new RangeError(
        `Expected option \`retry.${key}\` to be a finite number ≤ ${max}${key === 'maxAttempts' ? '' : ' ms'}, got ${String(value)}`,
      );
    }
  }
}

function fn<T>(name: string, value: T): T {
  if (typeof value !== 'function')
    throw new TypeError(`Expected option \`${name}\` to be a function, got ${typeof value}`);
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new TypeError(`Expected option \`${name}\` to be a boolean, got ${typeof value}`);
  return value;
}

/** `instanceIds` checked: an array of at most 100 non-empty strings. */
function checkIds(ids: unknown): readonly string[] {
  if (!Array.isArray(ids))
    throw new TypeError(`Expected \`instanceIds\` to be an array of strings, got ${typeof ids}`);
  if (ids.length > MAX_IDS_PER_CALL) {
    throw new RangeError(
      `Expected at most ${MAX_IDS_PER_CALL} \`instanceIds\` per DescribeCloudAssistantStatus call, got ${ids.length}; split them into batches`,
    );
  }
  for (let i = 0; i < ids.length; i++) {
    const id: unknown = ids[i];
    if (typeof id !== 'string' || id === '') {
      throw new TypeError(
        `Expected \`instanceIds[${i}]\` to be a non-empty string, got ${JSON.stringify(id)}`,
      );
    }
  }
  return ids as readonly string[];
}

/** The parameters of one DescribeCloudAssistantStatus call (checked), as V1 signs them. */
export function describeParams(
  region: string,
  req: DescribeCloudAssistantStatusRequest,
): Record<string, string> {
  const params: Record<string, string> = { RegionId: region };
  if (req.instanceIds !== undefined) {
    const ids = checkIds(req.instanceIds);
    for (let i = 0; i < ids.length; i++) params[`InstanceId.${i + 1}`] = ids[i]!;
  }
  if (req.osType !== undefined) params.OSType = String(req.osType);
  if (req.maxResults !== undefined) params.MaxResults = String(positiveInteger('maxResults', req.maxResults));
  if (req.nextToken !== undefined) params.NextToken = String(req.nextToken);
  if (req.pageNumber !== undefined) params.PageNumber = String(positiveInteger('pageNumber', req.pageNumber));
  if (req.pageSize !== undefined) params.PageSize = String(positiveInteger('pageSize', req.pageSize));
  return params;
}

/**
 * `canonicalQueryString(describeParams(region, req))`, written directly (V3's hot path), given
 * `regionParam` = `RegionId=<encoded region>`: the `InstanceId.N` keys in their precomputed sorted
 * order, then the other parameters, whose names all sort after `InstanceId.*` and in the order
 * written here. Building a 101-key params object (dictionary mode in V8), listing and sorting its
 * keys cost more than the rest of signing.
 */
export function describeQuery(regionParam: string, req: DescribeCloudAssistantStatusRequest): string {
  let q = '';
  if (req.instanceIds !== undefined) {
    const ids = checkIds(req.instanceIds);
    const n = ids.length;
    for (let k = 0; k < SORTED_ID_KEYS.length; k++) {
      const [index, prefix] = SORTED_ID_KEYS[k]!;
      if (index >= n) continue;
      q += q === '' ? prefix : `&${prefix}`;
      q += percentEncode(ids[index]!);
    }
    if (q !== '') q += '&';
  }
  if (req.maxResults !== undefined)
    q += `MaxResults=${percentEncode(String(positiveInteger('maxResults', req.maxResults)))}&`;
  if (req.nextToken !== undefined) q += `NextToken=${percentEncode(String(req.nextToken))}&`;
  if (req.osType !== undefined) q += `OSType=${percentEncode(String(req.osType))}&`;
  if (req.pageNumber !== undefined)
    q += `PageNumber=${percentEncode(String(positiveInteger('pageNumber', req.pageNumber)))}&`;
  if (req.pageSize !== undefined)
    q += `PageSize=${percentEncode(String(positiveInteger('pageSize', req.pageSize)))}&`;
  return q + regionParam;
}

/** Flattens RPC parameters to strings; arrays become `Key.1..N`. */
export function flattenParams(params: RpcParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(params)) {
    const value = params[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) out[`${key}.${i + 1}`] = String(value[i]);
    } else {
      out[key] = String(value);
    }
  }
  return out;
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** `promise`, or `signal.reason` as soon as `signal` aborts (the promise is left to settle alone). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

class Client implements EcsClient {
  readonly region: string;
  readonly endpoint: string;
  readonly statusSource: StatusSource;
  readonly describeInstanceStatus: EcsClient['describeInstanceStatus'];
  readonly instanceStatus: InstanceStatusLookup;
  readonly installAgent: AgentInstaller;
  readonly reboot: InstanceRebooter;
  readonly #host: string;
  readonly #v1: boolean;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #budget: RequestBudget;
  readonly #adaptive: boolean;
  /** Aborted by `close()`: ends retry delays. */
  readonly #closing = new AbortController();
  readonly #transport: Transport;
  readonly #credentials: CredentialsProvider;
  readonly #staticHeaders: Readonly<Record<string, string>>;
  readonly #now: () => number;
  readonly #random: () => number;
  /** `RegionId=<region>`, the last parameter of every DescribeCloudAssistantStatus query. */
  readonly #regionParam: string;
  #closed = false;
  #dateSecond = Number.NaN;
  #dateText = '';
  #keySecret: string | undefined;
  #key: KeyObject | undefined;

  constructor(options: EcsClientOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('Expected the ECS client options to be an object with at least `region`');
    }
    checkOptionKeys(options, CLIENT_OPTION_KEYS, 'createEcsClient');
    const o = options;
    const allowUnknownRegion = bool(
      'allowUnknownRegion',
      o.allowUnknownRegion ?? defaults.allowUnknownRegion,
    );
    this.region = validateRegion(o.region, allowUnknownRegion || o.endpoint !== undefined);
    this.#regionParam = `RegionId=${percentEncode(this.region)}`;
    const allowInsecureHttp = bool('allowInsecureHttp', o.allowInsecureHttp ?? defaults.allowInsecureHttp);
    const resolved = resolveEndpoint(this.region, o.endpoint, allowInsecureHttp);
    this.endpoint = resolved.origin;
    this.#host = resolved.host;
    const signatureVersion = o.signatureVersion ?? defaults.signatureVersion;
    if (signatureVersion !== 'v3' && signatureVersion !== 'v1') {
      throw new RangeError(
        `Expected option \`signatureVersion\` to be 'v3' or 'v1', got ${JSON.stringify(signatureVersion)}`,
      );
    }
    this.#v1 = signatureVersion === 'v1';
    this.#timeoutMs = boundedInteger('timeoutMs', o.timeoutMs ?? defaults.timeoutMs, 1, MAX_TIMER_MS);
    checkRetryBounds(o.retry);
    this.#retry = resolveRetryPolicy(o.retry);
    const maxConcurrency = positiveInteger('maxConcurrency', o.maxConcurrency ?? defaults.maxConcurrency);
    const maxResponseBytes = boundedInteger(
      'maxResponseBytes',
      o.maxResponseBytes ?? defaults.maxResponseBytes,
      1,
      MAX_RESPONSE_BYTES_LIMIT,
    );
    const keepAliveTimeoutMs = boundedInteger(
      'keepAliveTimeoutMs',
      o.keepAliveTimeoutMs ?? defaults.keepAliveTimeoutMs,
      1,
      MAX_TIMER_MS,
    );
    const rps = o.maxRequestsPerSecond;
    if (rps !== undefined && typeof rps === 'number' && rps > 0 && rps < MIN_REQUESTS_PER_SECOND) {
      // The pause between two requests would overflow a timer.
      throw new RangeError(
        `Expected option \`maxRequestsPerSecond\` to be at least ${MIN_REQUESTS_PER_SECOND} (or Infinity), got ${rps}`,
      );
    }
    this.#now = fn('now', o.now ?? defaults.now);
    this.#random = fn('random', o.random ?? defaults.random);
    if (
      o.rateLimit !== undefined &&
      o.rateLimit !== false &&
      (typeof o.rateLimit !== 'object' || o.rateLimit === null)
    ) {
      throw new TypeError(
        `Expected option \`rateLimit\` to be an object or false, got ${String(o.rateLimit)}`,
      );
    }
    this.#adaptive = o.rateLimit !== false;
    this.#budget = new RequestBudget({
      maxConcurrency,
      maxRequestsPerSecond: o.maxRequestsPerSecond ?? defaults.maxRequestsPerSecond,
      rateLimit: o.rateLimit ?? {},
      maxRetryAfterMs: this.#retry.maxRetryAfterMs,
      random: this.#random,
    });
    if (o.dispatcher !== undefined && (typeof o.dispatcher !== 'object' || o.dispatcher === null)) {
      throw new TypeError(
        `Expected option \`dispatcher\` to be an undici Dispatcher, got ${typeof o.dispatcher}`,
      );
    }
    const userAgent = o.userAgent ?? defaults.userAgent;
    if (typeof userAgent !== 'string')
      throw new TypeError(`Expected option \`userAgent\` to be a string, got ${typeof userAgent}`);
    if (
      o.credentials !== undefined &&
      typeof o.credentials !== 'function' &&
      typeof o.credentials !== 'object'
    ) {
      throw new TypeError(
        `Expected option \`credentials\` to be an object or a function, got ${typeof o.credentials}`,
      );
    }
    this.#credentials = toCredentialsProvider(o.credentials, o.credentialsChain);
    this.#transport = new Transport({
      origin: resolved.origin,
      host: resolved.host,
      dispatcher: o.dispatcher,
      connections: maxConcurrency,
      maxResponseBytes,
      keepAliveTimeoutMs,
    });
    this.#staticHeaders = { accept: 'application/json', 'user-agent': userAgent };
    // Branded: a wait given this source uses the client's budget and adds none of its own.
    this.statusSource = markRateLimited(
      async (ids, opts) =>
        (
          await this.describeCloudAssistantStatus({
            instanceIds: ids,
            signal: opts.signal,
            onAttempt: opts.onAttempt,
          })
        ).instances,
    );
    const lifecycle = createLifecycleCalls((action, params, options) => this.call(action, params, options));
    this.describeInstanceStatus = lifecycle.describeInstanceStatus;
    this.instanceStatus = lifecycle.instanceStatus;
    this.installAgent = lifecycle.installAgent;
    this.reboot = lifecycle.reboot;
  }

  async describeCloudAssistantStatus(
    req: DescribeCloudAssistantStatusRequest,
  ): Promise<DescribeCloudAssistantStatusResult> {
    req?.signal?.throwIfAborted();
    const r = req ?? {};
    const prepared: Prepared = this.#v1
      ? { params: describeParams(this.region, r) }
      : { query: describeQuery(this.#regionParam, r) };
    return this.#execute('DescribeCloudAssistantStatus', prepared, r, parseDescribeCloudAssistantStatus);
  }

  async *listCloudAssistantStatus(req: ListCloudAssistantStatusRequest = {}): AsyncIterable<InstanceStatus> {
    const maxResults = positiveInteger('maxResults', req.maxResults ?? 50);
    const maxPages = positiveInteger('maxPages', req.maxPages ?? DEFAULT_MAX_PAGES);
    const seen = new Set<string>();
    let nextToken: string | undefined;
    let pages = 0;
    let emptyPages = 0;
    const stop = (problem: string): ResponseValidationError =>
      new ResponseValidationError('NextToken', problem, 'DescribeCloudAssistantStatus', { retryable: false });
    do {
      if (pages >= maxPages) {
        throw stop(
          `still came after ${maxPages} pages (maxPages, ${maxPages * maxResults} instances at ${maxResults} a page); stopping. Raise maxPages if the region really holds more`,
        );
      }
      const page = await this.describeCloudAssistantStatus({
        osType: req.osType,
        maxResults,
        nextToken,
        signal: req.signal,
        onAttempt: req.onAttempt,
      });
      pages++;
      yield* page.instances;
      nextToken = page.nextToken;
      if (nextToken !== undefined) {
        if (seen.has(nextToken))
          throw stop(`repeats the token of an earlier page (after ${pages} pages); stopping`);
        seen.add(nextToken);
        emptyPages = page.instances.length === 0 ? emptyPages + 1 : 0;
        if (emptyPages >= MAX_EMPTY_PAGES) {
          throw stop(`came with ${MAX_EMPTY_PAGES} empty pages in a row (after ${pages} pages); stopping`);
        }
      }
    } while (nextToken !== undefined);
  }

  async call(action: string, params: RpcParams, options: CallOptions = {}): Promise<Record<string, unknown>> {
    options?.signal?.throwIfAborted();
    if (typeof action !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(action)) {
      throw new TypeError(
        `Expected \`action\` to be an API action name such as "RunCommand", got ${JSON.stringify(action)}`,
      );
    }
    if (typeof params !== 'object' || params === null) {
      throw new TypeError(
        `Expected \`params\` to be an object, got ${params === null ? 'null' : typeof params}`,
      );
    }
    const flat = flattenParams(params);
    if (flat.RegionId === undefined) flat.RegionId = this.region;
    const prepared: Prepared = this.#v1 ? { params: flat } : { query: canonicalQueryString(flat) };
    return this.#execute(action, prepared, options ?? {}, (body) => {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new EcsApiError({
          apiCode: 'NonJsonResponse',
          statusCode: 200,
          action,
          excerpt: '(not a JSON object)',
        });
      }
      return body as Record<string, unknown>;
    });
  }

  /**
   * Sends the call through the request budget (which also bounds the calls in flight), retrying
   * it as the policy says. Throttled attempts go back to the head of the action's queue.
   */
  #execute<T>(
    action: string,
    prepared: Prepared,
    options: CallOptions,
    parse: (body: unknown) => T,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new ClientClosedError(action));
    const { signal, idempotent } = options;
    if (idempotent !== undefined && typeof idempotent !== 'boolean') {
      return Promise.reject(
        new TypeError(`Expected option \`idempotent\` to be a boolean, got ${typeof idempotent}`),
      );
    }
    const retryIf = (idempotent ?? isReadOnlyAction(action)) ? undefined : isUnprocessedError;
    const budget = this.#budget.for(action);
    return withRetry((attempt) => this.#attempt(budget, action, prepared, options, attempt, parse), {
      policy: this.#retry,
      random: this.#random,
      signal,
      closed: this.#closing.signal,
      retryIf,
      throttleHoldMs: this.#adaptive ? () => budget.heldForMs() : undefined,
    });
  }

  async #attempt<T>(
    budget: ActionBudget,
    action: string,
    prepared: Prepared,
    options: CallOptions,
    attempt: number,
    parse: (body: unknown) => T,
  ): Promise<T> {
    const { signal, onAttempt } = options;
    const wait = attempt === 1 ? budget.acquire(signal) : budget.requeue(signal);
    if (wait !== undefined) await wait;
    // From here the call holds one of the client's concurrency slots, given back by settle().
    const clock = this.#budget.clock;
    const sentAt = clock.now();
    const started = performance.now();
    let outcome: Outcome = 'no-answer';
    let retryAfterMs: number | undefined;
    let statusCode: number | undefined;
    let answeredAt = Number.NaN;
    let dispatched = false;
    try {
      // The lookup may read files or ask the metadata service: the call's signal (a wait's
      // deadline) releases the call at once, whatever the provider does.
      const credentials = await untilAborted(
        this.#credentials(signal === undefined ? undefined : { signal }),
        signal,
      );
      signal?.throwIfAborted();
      const signed = this.#sign(action, prepared, credentials);
      dispatched = true;
      const res = await this.#transport.request({
        method: 'POST',
        path: signed.path,
        headers: signed.headers,
        body: signed.body,
        timeoutMs: this.#timeoutMs,
        signal,
        action,
      });
      answeredAt = clock.now();
      statusCode = res.statusCode;
      outcome = 'accepted';
      const date = res.headers.date;
      this.#budget.observeDate(typeof date === 'string' ? date : undefined, sentAt, answeredAt);
      const secrets = [credentials.accessKeySecret, credentials.securityToken, signed.signature];
      const result = this.#interpret(action, res.statusCode, res.headers, res.body, secrets, parse);
      onAttempt?.({ action, attempt, durationMs: performance.now() - started, statusCode, throttled: false });
      return result;
    } catch (error) {
      if (signal?.aborted) {
        // A request that was sent and then abandoned is still an attempt (a waiter counts its API
        // calls from these), but not an error of the API.
        if (dispatched) {
          onAttempt?.({
            action,
            attempt,
            durationMs: performance.now() - started,
            statusCode,
            throttled: false,
            aborted: true,
          });
        }
        throw signal.reason;
      }
      const e = error as Partial<EcsApiError> & { code?: string; causeCode?: unknown };
      const throttled = e.code === 'ECS_THROTTLED';
      if (throttled && statusCode !== undefined) {
        outcome = 'throttled';
        retryAfterMs = e.retryAfterMs;
      }
      if (onAttempt !== undefined) {
        const event: Mutable<AttemptEvent> = {
          action,
          attempt,
          durationMs: performance.now() - started,
          statusCode,
          apiCode: e.apiCode,
          errorCode: e.code,
          throttled,
        };
        if (typeof e.retryAfterMs === 'number') event.retryAfterMs = e.retryAfterMs;
        if (typeof e.causeCode === 'string') event.causeCode = e.causeCode;
        onAttempt(event);
      }
      throw error;
    } finally {
      budget.settle(sentAt, Number.isNaN(answeredAt) ? clock.now() : answeredAt, outcome, retryAfterMs);
    }
  }

  /**
   * A fresh date and nonce for every attempt. Returns the path, headers and body to send, and the
   * attempt's signature (a secret of its own: redacted from whatever the server answers).
   *
   * V1 goes as a POST form body (`application/x-www-form-urlencoded`, path `/`), as pop-core
   * sends POST: its `SecurityToken` and `Signature` then never appear in a URL, which undici's
   * `NODE_DEBUG=undici` log, proxies and access logs record. V3 keeps them in headers; its query
   * holds only the call's parameters.
   */
  #sign(action: string, prepared: Prepared, credentials: Credentials): SignedAttempt {
    const now = this.#now();
    const nonce = randomUUID();
    if (!('query' in prepared)) {
      const all = buildV1Params({
        method: 'POST',
        action,
        version: ECS_API_VERSION,
        params: prepared.params,
        date: new Date(now),
        nonce,
        credentials,
      });
      return {
        path: '/',
        headers: {
          host: this.#host,
          'x-acs-action': action,
          'x-acs-version': ECS_API_VERSION,
          'content-type': 'application/x-www-form-urlencoded',
          ...this.#staticHeaders,
        },
        body: encodeQuery(all),
        signature: all.Signature!,
      };
    }
    // The sorted, RFC 3986-encoded canonical query is also a valid wire query: encoded once per call.
    const headers = buildRpcV3Headers({
      host: this.#host,
      action,
      version: ECS_API_VERSION,
      canonicalQuery: prepared.query,
      date: this.#date(now),
      nonce,
      credentials,
      unsignedHeaders: this.#staticHeaders,
      key: this.#hmacKey(credentials.accessKeySecret),
    });
    const auth = headers.authorization!;
    return {
      path: `/?${prepared.query}`,
      headers,
      body: undefined,
      signature: auth.slice(auth.lastIndexOf('Signature=') + 'Signature='.length),
    };
  }

  /** `formatAcsDate` of the time, formatted once per second of it. */
  #date(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#dateText = formatAcsDate(new Date(second * 1000));
    }
    return this.#dateText;
  }

  /** The HMAC key of the current secret, rebuilt only when the secret changes (rotation). */
  #hmacKey(secret: string): KeyObject {
    if (secret !== this.#keySecret || this.#key === undefined) {
      this.#key = hmacKey(secret);
      this.#keySecret = secret;
    }
    return this.#key;
  }

  /**
   * Turns one HTTP answer into a result or an error. Server text reaches an error only through
   * {@link serverText}: redacted (the credentials and this attempt's signature, whole and in
   * pieces) and bounded.
   */
  #interpret<T>(
    action: string,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    secrets: readonly (string | undefined)[],
    parse: (body: unknown) => T,
  ): T {
    let body: unknown;
    let json = true;
    try {
      body = JSON.parse(text);
    } catch {
      json = false;
    }
    if (!json || typeof body !== 'object' || body === null) {
      // A 2xx whose body is not JSON was cut short or mangled on the way (like a body that fails
      // the schema): transient. Otherwise the status decides (5xx/429 retryable).
      const ok = statusCode >= 200 && statusCode < 300;
      throw new EcsApiError(
        {
          apiCode: 'NonJsonResponse',
          statusCode,
          action,
          excerpt: serverText(text, secrets, { maxChars: EXCERPT_CHARS, collapseWhitespace: true }),
        },
        ok ? { retryable: true } : {},
      );
    }
    const ok = statusCode >= 200 && statusCode < 300;
    // An error can come with HTTP 200 (some gateways answer so): a body with an error `Code` is
    // that error whatever the status, never an empty result.
    if (ok && bodyErrorCode(body) === undefined) return parse(body);
    const b = body as Record<string, unknown>;
    const bounded = (value: unknown, maxChars: number): string | undefined =>
      typeof value === 'string' && value !== '' ? serverText(value, secrets, { maxChars }) : undefined;
    const apiCode =
      bounded(typeof b.Code === 'number' ? String(b.Code) : b.Code, MAX_CODE_CHARS) ?? `HTTP${statusCode}`;
    const rawRetryAfter = headerValue(headers, 'x-acs-retry-after');
    const retryAfter = rawRetryAfter === undefined ? Number.NaN : Number.parseInt(rawRetryAfter, 10);
    const fields = {
      apiCode,
      apiMessage: bounded(b.Message, MAX_API_MESSAGE_CHARS),
      statusCode,
      requestId:
        bounded(b.RequestId, MAX_CODE_CHARS) ??
        bounded(headerValue(headers, 'x-acs-request-id'), MAX_CODE_CHARS),
      hostId: bounded(b.HostId, MAX_CODE_CHARS),
      recommend: bounded(b.Recommend, MAX_CODE_CHARS * 4),
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
      action,
    };
    throw apiCode.includes('Throttling') ? new ThrottlingError(fields) : new EcsApiError(fields);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new ClientClosedError();
    this.#budget.close(reason);
    this.#closing.abort(reason);
    await this.#transport.close(reason);
  }

  /** Only the region and endpoint: never credentials or options. */
  [inspect.custom](): string {
    return `EcsClient { region: ${JSON.stringify(this.region)}, endpoint: ${JSON.stringify(this.endpoint)} }`;
  }

  toJSON(): Record<string, unknown> {
    return { region: this.region, endpoint: this.endpoint };
  }
}

/**
 * Creates a client for one ECS region. Options are checked at once (`TypeError`/`RangeError`
 * naming the option); credentials are resolved lazily on the first call.
 *
 * @example
 * ```ts
 * import { createEcsClient, isThrottlingError } from '@cloud-assistant-gate/core';
 *
 * const ecs = createEcsClient({ region: 'cn-hangzhou' }); // credentials from the default chain
 * try {
 *   const { instances } = await ecs.describeCloudAssistantStatus({ instanceIds: ['i-bp1abc'] });
 *   console.log(instances.filter((s) => s.cloudAssistantStatus).map((s) => s.instanceId));
 * } finally {
 *   await ecs.close();
 * }
 * ```
 */
export function createEcsClient(options: EcsClientOptions): EcsClient {
  return new Client(options);
}
