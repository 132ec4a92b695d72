/**
 * Retrying one call: p-retry drives the attempts; the delay between them is ours (full-jitter
 * exponential backoff, or the server's `x-acs-retry-after`, capped), slept inside `shouldRetry` so
 * that no delay is spent on an error that will not be retried, and so the delay can respect the
 * total-time budget exactly.
 */
import pRetry from 'p-retry';
import { type EcsError, isEcsError, isThrottlingError, transportErrorCode } from './errors.js';

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
   * Cap on a delay asked for by the server in `x-acs-retry-after`.
   * @default 30000
   */
  readonly maxRetryAfterMs?: number;
  /**
   * Bound on the whole call, attempts and delays included: no retry starts after it.
   * @default 60000
   */
  readonly maxTotalMs?: number;
}

export const retryDefaults = {
  maxAttempts: 4,
  baseDelayMs: 200,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 30_000,
  maxTotalMs: 60_000,
} as const satisfies Required<RetryOptions>;

export type RetryPolicy = { readonly [K in keyof RetryOptions]-?: number };

function checkNumber(name: string, value: unknown, min: number, integer: boolean): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    throw new RangeError(
      `Expected option \`retry.${name}\` to be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/** Validates `retry` and fills the defaults. `false` means one attempt. */
export function resolveRetryPolicy(options: RetryOptions | false | undefined): RetryPolicy {
  if (options === false) return { ...retryDefaults, maxAttempts: 1 };
  if (options === undefined) return retryDefaults;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected option \`retry\` to be an object or false, got ${String(options)}`);
  }
  const o = { ...retryDefaults, ...stripUndefined(options) };
  return {
    maxAttempts: checkNumber('maxAttempts', o.maxAttempts, 1, true),
    baseDelayMs: checkNumber('baseDelayMs', o.baseDelayMs, 0, false),
    throttlingBaseDelayMs: checkNumber('throttlingBaseDelayMs', o.throttlingBaseDelayMs, 0, false),
    maxDelayMs: checkNumber('maxDelayMs', o.maxDelayMs, 0, false),
    maxRetryAfterMs: checkNumber('maxRetryAfterMs', o.maxRetryAfterMs, 0, false),
    maxTotalMs: checkNumber('maxTotalMs', o.maxTotalMs, 0, false),
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
 * A sleep that rejects with `signal.reason` on abort, and keeps neither timer nor listener after.
 * The timer is ref'd: a call waiting out a retry delay must keep the process alive (idle pooled
 * sockets do not), and the timer is gone once the sleep ends or is aborted.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly signal?: AbortSignal | undefined;
  /**
   * A further condition on a retryable error (e.g. {@link isUnprocessedError} for an action that is
   * not idempotent); without it every retryable error is retried.
   */
  readonly retryIf?: ((error: EcsError) => boolean) | undefined;
  /** Called before sleeping `delayMs` ahead of attempt `attempt + 1`. */
  readonly onRetry?: ((error: EcsError, attempt: number, delayMs: number) => void) | undefined;
}

/**
 * Runs `attempt(n)` (n = 1, 2, …) until it succeeds, fails with a non-retryable error, runs out of
 * attempts, or the next delay would pass `maxTotalMs`. Rejects with `signal.reason` on abort.
 *
 * The first attempt runs directly: p-retry (option spreading, validation, its attempt loop) is set
 * up only once that attempt has failed with an error worth retrying, which is what keeps a call
 * that succeeds at once (nearly every call) cheap. The decisions are the ones p-retry would make.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, context: RetryContext): Promise<T> {
  const { policy, signal } = context;
  if (policy.maxAttempts === 1) return attempt(1);
  const start = performance.now();
  signal?.throwIfAborted();
  let first: unknown;
  try {
    const result = await attempt(1);
    signal?.throwIfAborted();
    return result;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    first = error;
  }
  // What p-retry does with a failed attempt, and our shouldRetry below: only our retryable errors
  // (never a plain TypeError), within the time budget, after our delay.
  if (!(first instanceof Error)) {
    throw new TypeError(`Non-error was thrown: "${String(first)}". You should only throw errors.`);
  }
  const retryIf = context.retryIf;
  if (!shouldRetryError(first) || (retryIf !== undefined && !retryIf(first))) throw first;
  const firstDelayMs = retryDelayMs(first, 1, policy, context.random);
  if (performance.now() - start + firstDelayMs >= policy.maxTotalMs) throw first;
  context.onRetry?.(first, 1, firstDelayMs);
  try {
    await sleep(firstDelayMs, signal);
    // The attempt after a slept delay always runs; the budget is checked when it fails.
    const remainingMs = Math.max(0, policy.maxTotalMs - (performance.now() - start));
    return await pRetry((n) => attempt(n + 1), {
      retries: policy.maxAttempts - 2,
      // p-retry's own delay is off: ours is slept in shouldRetry, after p-retry's budget checks.
      minTimeout: 0,
      factor: 1,
      maxRetryTime: remainingMs,
      signal,
      shouldRetry: async ({ error, attemptNumber }) => {
        if (!shouldRetryError(error) || (retryIf !== undefined && !retryIf(error))) return false;
        const retry = attemptNumber + 1;
        const delayMs = retryDelayMs(error, retry, policy, context.random);
        if (performance.now() - start + delayMs >= policy.maxTotalMs) return false;
        context.onRetry?.(error, retry, delayMs);
        await sleep(delayMs, signal);
        return true;
      },
    });
  } catch (error) {
    // p-retry turns a non-Error abort reason into a TypeError; the caller's reason wins.
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}
