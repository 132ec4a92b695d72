/**
 * `rateLimitedSource`: the client's request budget around a status source that does not go
 * through a core client (one built on the official SDK, a cache, a test double), so that it still
 * backs off when ECS throttles: slow start, holds until the quota window turns, and the learnt
 * budget per window, exactly as a core client paces `DescribeCloudAssistantStatus`.
 */
import { type BudgetClock, type Outcome, type RateLimitOptions, RequestBudget } from './rate-limit.js';
import type { AttemptEvent, StatusSource } from './types.js';

/** Marks a status source whose calls are already paced by a request budget. */
const RATE_LIMITED: unique symbol = Symbol.for('cloud-assistant-gate.rate-limited-source');

/** @internal Brands `source` as already budgeted (a core client's `statusSource`). */
export function markRateLimited<S extends StatusSource>(source: S): S {
  Object.defineProperty(source, RATE_LIMITED, { value: true });
  return source;
}

/**
 * Whether a status source's calls are already paced by a request budget: a core client's
 * `statusSource`, or a source returned by {@link rateLimitedSource}. The waiter wraps any other
 * function source in a budget of its own.
 */
export function isRateLimitedSource(source: unknown): boolean {
  return typeof source === 'function' && (source as { [RATE_LIMITED]?: unknown })[RATE_LIMITED] === true;
}

/** Options of {@link rateLimitedSource}. */
export interface RateLimitedSourceOptions {
  /**
   * Ceiling of the call rate.
   * @default Infinity
   */
  readonly maxRequestsPerSecond?: number | undefined;
  /**
   * Calls in flight at once through this source.
   * @default Infinity (the caller's concurrency bounds them)
   */
  readonly maxConcurrency?: number | undefined;
  /**
   * Tuning of the budget, as for a core client (`false`: only the ceiling and
   * `x-acs-retry-after`).
   * @default the core client's defaults
   */
  readonly rateLimit?: RateLimitOptions | false | undefined;
  /**
   * The longest hold accepted from an error's `retryAfterMs`.
   * @default 60000
   */
  readonly maxRetryAfterMs?: number | undefined;
  /**
   * Test seam: the clock and timers the budget runs on (the waiter passes its scheduler's).
   * @default Date.now and Node's timers
   */
  readonly clock?: BudgetClock | undefined;
  /**
   * Test seam: uniform random numbers in [0, 1) for the jitter.
   * @default Math.random
   */
  readonly random?: (() => number) | undefined;
}

interface ErrorShape {
  readonly code?: unknown;
  readonly apiCode?: unknown;
  readonly statusCode?: unknown;
  readonly retryAfterMs?: unknown;
}

/**
 * How a failed call of a foreign source is read: a throttle when its `code` is core's
 * `ECS_THROTTLED`, when its `apiCode` or `code` contains `Throttling` (the official SDK puts the
 * API code in `code`), or when its `statusCode` is 429; `retryAfterMs` (a number of ms) is the
 * server's `x-acs-retry-after`. Any other error with a `statusCode` was answered by the server;
 * one without says nothing about the quota.
 */
function outcomeOf(error: unknown): { outcome: Outcome; retryAfterMs: number | undefined } {
  const e: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const named = (v: unknown) => typeof v === 'string' && v.includes('Throttling');
  const throttled = e.code === 'ECS_THROTTLED' || named(e.apiCode) || named(e.code) || e.statusCode === 429;
  const retryAfterMs =
    typeof e.retryAfterMs === 'number' && Number.isFinite(e.retryAfterMs) && e.retryAfterMs > 0
      ? e.retryAfterMs
      : undefined;
  if (throttled) return { outcome: 'throttled', retryAfterMs };
  return { outcome: typeof e.statusCode === 'number' ? 'accepted' : 'no-answer', retryAfterMs: undefined };
}

/**
 * Wraps a status source in a request budget of its own (see the core README, "Request budget"):
 * its calls are paced like a core client's `DescribeCloudAssistantStatus` calls, held when a call
 * is throttled, and released as the quota allows. Throttled calls are not retried here: the error
 * reaches the caller (a wait polls those IDs again next round) while the other calls wait.
 * Share one wrapped source between waits to share its budget. A source that reports its HTTP
 * attempts through `onAttempt` (one built on a core client, which paces itself) is passed straight
 * through once it has reported one, so that a throttle is not held twice.
 *
 * @example
 * ```ts
 * import { rateLimitedSource } from '@cloud-assistant-gate/core';
 * import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
 *
 * const source = rateLimitedSource(mySdkBackedSource, { maxRequestsPerSecond: 20 });
 * await Promise.all([waitForCloudAssistant(a, { client: source }), waitForCloudAssistant(b, { client: source })]);
 * ```
 */
export function rateLimitedSource(
  source: StatusSource,
  options: RateLimitedSourceOptions = {},
): StatusSource {
  if (typeof source !== 'function') {
    throw new TypeError(
      `Expected a status source function (ids, { signal }) => Promise<InstanceStatus[]>, got ${typeof source}`,
    );
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Expected the options of rateLimitedSource to be an object, got ${String(options)}`);
  }
  const budget = new RequestBudget({
    maxConcurrency: options.maxConcurrency,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    rateLimit: options.rateLimit,
    maxRetryAfterMs: options.maxRetryAfterMs,
    clock: options.clock,
    random: options.random,
  });
  const action = budget.for('DescribeCloudAssistantStatus');
  const clock = budget.clock;
  // A source that reports HTTP attempts goes through a core client, which has a budget of its
  // own: two budgets would hold the same throttle twice, so from then on calls pass straight through.
  let paced = true;
  return markRateLimited(async (ids, opts) => {
    if (!paced) return source(ids, opts);
    const wait = action.acquire(opts.signal);
    if (wait !== undefined) await wait;
    const sentAt = clock.now();
    let outcome: Outcome = 'no-answer';
    let retryAfterMs: number | undefined;
    let reported = false;
    const outer = opts.onAttempt;
    const onAttempt = (event: AttemptEvent): void => {
      reported = true;
      outer?.(event);
    };
    try {
      const statuses = await source(ids, { signal: opts.signal, onAttempt });
      outcome = 'accepted';
      return statuses;
    } catch (error) {
      if (!opts.signal.aborted) ({ outcome, retryAfterMs } = outcomeOf(error));
      throw error;
    } finally {
      if (reported) {
        paced = false;
        outcome = 'no-answer';
      }
      action.settle(sentAt, clock.now(), outcome, retryAfterMs);
    }
  });
}
