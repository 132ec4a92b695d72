/**
 * `createEcsClient`: signed RPC calls to one ECS region, with retries, a shared concurrency and
 * rate budget, validated responses and typed errors.
 */
import { type KeyObject, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { interpretAnswer } from './api-answer.js';
import { resolveClientOptions } from './client-options.js';
import {
  type CallOptions,
  DEFAULT_MAX_PAGES,
  type DescribeCloudAssistantStatusRequest,
  ECS_API_VERSION,
  type EcsClient,
  type EcsClientOptions,
  type ListCloudAssistantStatusRequest,
  type RpcParams,
} from './client-types.js';
import type { CredentialsProvider } from './credentials.js';
import { describeParams, describeQuery, flattenParams, positiveInteger } from './describe-params.js';
import { ClientClosedError, EcsApiError, ResponseValidationError } from './errors.js';
import { createLifecycleCalls } from './lifecycle.js';
import { wrongType } from './options.js';
import { type ActionBudget, type Outcome, RequestBudget } from './rate-limit.js';
import { markRateLimited } from './rate-limited-source.js';
import { isReadOnlyAction, isUnprocessedError, type RetryPolicy, withRetry } from './retry.js';
import { type DescribeCloudAssistantStatusResult, parseDescribeCloudAssistantStatus } from './schemas.js';
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
import { untilAborted } from './until-aborted.js';

/** Pages in a row with no instance but a `NextToken` before the listing is given up as a loop. */
const MAX_EMPTY_PAGES = 10;

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

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

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
    const s = resolveClientOptions(options);
    this.region = s.region;
    this.#regionParam = `RegionId=${percentEncode(s.region)}`;
    this.endpoint = s.endpoint.origin;
    this.#host = s.endpoint.host;
    this.#v1 = s.v1;
    this.#timeoutMs = s.timeoutMs;
    this.#retry = s.retry;
    this.#now = s.now;
    this.#random = s.random;
    this.#adaptive = s.rateLimit !== false;
    this.#budget = new RequestBudget({
      maxConcurrency: s.maxConcurrency,
      maxRequestsPerSecond: s.maxRequestsPerSecond,
      rateLimit: s.rateLimit,
      maxRetryAfterMs: s.retry.maxRetryAfterMs,
      random: s.random,
    });
    this.#credentials = s.credentials;
    this.#transport = new Transport({
      origin: s.endpoint.origin,
      host: s.endpoint.host,
      dispatcher: s.dispatcher,
      connections: s.maxConcurrency,
      maxResponseBytes: s.maxResponseBytes,
      keepAliveTimeoutMs: s.keepAliveTimeoutMs,
    });
    this.#staticHeaders = { accept: 'application/json', 'user-agent': s.userAgent };
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
      return Promise.reject(wrongType('idempotent', 'a boolean', idempotent));
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
      const result = interpretAnswer(action, res.statusCode, res.headers, res.body, secrets, parse);
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
