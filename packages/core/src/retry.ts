/**
 * Retrying one call. The loop is ours rather than p-retry's: a throttled attempt is not slept on
 * here but handed back to the client's request budget, which holds every queued call of the
 * action until the quota allows (see rate-limit.ts), so the delay of a throttled retry is 0; the
 * other delays are full-jitter exponential backoff (p-retry's `randomize` is a [1, 2]× factor,
 * not full jitter) or the server's `x-acs-retry-after`; the first attempt must cost nothing
 * beyond the attempt itself (no option object, no closure); and a client's `close()` must end a
 * retry delay at once. What was left for p-retry was counting to `maxAttempts`.
 */
import { type EcsError, isEcsError, isThrottlingError, transportErrorCode } from './errors.js';
import { checkInteger, checkMilliseconds, wrongType } from './options.js';

/** How one call is retried. Every field is optional; see each `@default`. */
export interface RetryOptions {
  /**
   * Attempts in total, the first included (`1` = no retries).
   * @default 4
   */
  readonly maxAttempts?: number;
  /**
   * Backoff base: retry *n* waits a random time in `[0, min(maxDelayMs, baseDelayMs·2^(n-1)))`.
   * @default 200
   */
  readonly baseDelayMs?: number;
  /**
   * Backoff base after a `Throttling*` error (the limiter also slows down the whole client).
   * @default 500
   */
  readonly throttlingBaseDelayMs?: number;
  /**
   * Cap on one backoff delay.
   * @default 10000
   */
  readonly maxDelayMs?: number;
  /**
   * Cap on a delay asked for by the server in `x-acs-retry-after` (one ECS quota window).
   * @default 60000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * Bound on retrying one call: no retry starts once this long has passed since the first
   * attempt started. A retry that has started may then wait its turn in the client's request
   * budget (a throttled action is held until the quota's window turns); bound the whole call
   * with `signal`.
   * @default 60000
   */
  readonly maxTotalMs?: number;
}

export const retryDefaults = {
  maxAttempts: 4,
  baseDelayMs: 200,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
  maxTotalMs: 60_000,
} as const satisfies Required<RetryOptions>;

export type RetryPolicy = { readonly [K in keyof RetryOptions]-?: number };

/** The most attempts one call may make: past this a retry loop is a loop. */
const MAX_ATTEMPTS_LIMIT = 100;

/**
 * Validates `retry` and fills the defaults. `false` means one attempt. Every delay must fit a
 * timer (finite, at most 2^31 − 1 ms), and `maxAttempts` is at most 100.
 */
export function resolveRetryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { ...retryDefaults, maxAttempts: 1 };
  if (options === undefined) return retryDefaults;
  if (typeof options !== 'object' || options === null) {
    throw wrongType('retry', 'an object or false', options);
  }
  const o = { ...retryDefaults, ...stripUndefined(options) };
  const ms = (key: Exclude<keyof RetryPolicy, 'maxAttempts'>): number =>
    checkMilliseconds(`retry.${key}`, o[key]);
  return {
    maxAttempts: checkInteger('retry.maxAttempts', o.maxAttempts, { min: 1, max: MAX_ATTEMPTS_LIMIT }),
    baseDelayMs: ms('baseDelayMs'),
    throttlingBaseDelayMs: ms('throttlingBaseDelayMs'),
    maxDelayMs: ms('maxDelayMs'),
    maxRetryAfterMs: ms('maxRetryAfterMs'),
    maxTotalMs: ms('maxTotalMs'),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Whether an error is worth another attempt: only our errors marked `retryable`. */
export function shouldRetryError(error: unknown): error is EcsError {
  return isEcsError(error) && error.retryable;
}

/**
 * Whether an action only reads (`Describe*`, `List*`, `Get*`, `Query*`, `Check*`), so that sending
 * it twice is harmless and every retryable failure may be retried.
 */
export function isReadOnlyAction(action: string): boolean {
  return /^(?:Describe|List|Get|Query|Check)(?![a-z])/.test(action);
}

/**
 * Low-level codes that can only happen before the request was written to a connection: the
 * connection was never made. A reset, a broken pipe or a socket error on a kept-alive connection
 * may come after ECS received the request, so they are not here.
 */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether a failed attempt provably was not processed by ECS, so that even an action that changes
 * something (`RunCommand`, `SendFile`, …) may be sent again: a `Throttling*` rejection (refused by
 * the gateway before the action ran), a connection that was never established (refused, connect
 * timeout, name resolution), or credentials that could not be obtained (nothing was sent).
 *
 * Everything else may have been processed: our own per-attempt timeout (the request may be running),
 * a reset or socket error after sending, an invalid 2xx body, and 5xx answers, `ServiceUnavailable`
 * included: ECS also answers 503 when a backend timed out on a request it had accepted, so a 503
 * does not prove the action did not run.
 */
export function isUnprocessedError(error: EcsError): boolean {
  if (error.code === 'ECS_THROTTLED' || error.code === 'ECS_CREDENTIALS') return true;
  if (error.code !== 'ECS_NETWORK_ERROR' && error.code !== 'ECS_TIMEOUT') return false;
  // Our own timer fired: the request may have been sent, whatever stage it was in.
  if ((error as { timeoutMs?: unknown }).timeoutMs !== undefined) return false;
  const code = (error as { causeCode?: unknown }).causeCode ?? transportErrorCode(error.cause);
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

/**
 * The delay before retry number `retry` (1 = the first retry): the server's `x-acs-retry-after`
 * (capped by `maxRetryAfterMs`) when it sent one, otherwise full jitter,
 * `random() · min(maxDelayMs, base · 2^(retry-1))`.
 */
export function retryDelayMs(
  error: EcsError,
  retry: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof retryAfterMs === 'number' && retryAfterMs >= 0)
    return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const base = isThrottlingError(error) ? policy.throttlingBaseDelayMs : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * A sleep that rejects with the reason of whichever signal aborts first, and keeps neither timer
 * nor listener after. The timer is ref'd: a call waiting out a retry delay must keep the process
 * alive (idle pooled sockets do not), and the timer is gone once the sleep ends or is aborted.
 */
export function sleep(ms: number, signal?: AbortSignal, other?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (other?.aborted) return Promise.reject(other.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = (reason: unknown): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      other?.removeEventListener('abort', onOther);
      reject(reason);
    };
    const onAbort = (): void => stop(signal?.reason);
    const onOther = (): void => stop(other?.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      other?.removeEventListener('abort', onOther);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    other?.addEventListener('abort', onOther, { once: true });
  });
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Aborted when the client closes: ends a retry delay with its reason. */
  readonly closed?: AbortSignal | undefined;
  /**
   * A further condition on a retryable error (e.g. {@link isUnprocessedError} for an action that is
   * not idempotent); without it every retryable error is retried.
   */
  readonly retryIf?: ((error: EcsError) => boolean) | undefined;
  /**
   * Set when the client's request budget holds a throttled action's calls: a throttled attempt is
   * then retried without a sleep of its own (the retry waits its turn in the budget), and this
   * says how long the budget holds the action from now, which counts against `maxTotalMs`.
   * Without it a throttle is backed off here like any other failure.
   */
  readonly throttleHoldMs?: (() => number) | undefined;
  /** Called before sleeping `delayMs` ahead of attempt `attempt + 1`. */
  readonly onRetry?: ((error: EcsError, attempt: number, delayMs: number) => void) | undefined;
}

/**
 * Runs `attempt(n)` (n = 1, 2, …) until it succeeds, fails with an error that is not worth
 * retrying, runs out of `maxAttempts`, or the next retry would start after `maxTotalMs` (for a
 * throttle: the budget's hold would end after it). Only our
 * errors marked `retryable` are retried (never a plain TypeError: a bug). Rejects with
 * `signal.reason` on abort, and with the close reason when `closed` aborts during a delay.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, context: RetryContext): Promise<T> {
  const { policy, signal } = context;
  if (policy.maxAttempts === 1) return attempt(1);
  signal?.throwIfAborted();
  const start = performance.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!(error instanceof Error)) {
        throw new TypeError(`Non-error was thrown: "${String(error)}". You should only throw errors.`);
      }
      if (n >= policy.maxAttempts || !shouldRetryError(error)) throw error;
      if (context.retryIf !== undefined && !context.retryIf(error)) throw error;
      const held = context.throttleHoldMs !== undefined && isThrottlingError(error);
      const delayMs = held ? context.throttleHoldMs!() : retryDelayMs(error, n, policy, context.random);
      if (performance.now() - start + delayMs >= policy.maxTotalMs) throw error;
      context.onRetry?.(error, n, delayMs);
      if (!held) await sleep(delayMs, signal, context.closed);
    }
  }
}
