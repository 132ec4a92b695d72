/**
 * The client's adaptive request budget. ECS throttles per account, region and action, so every
 * caller sharing a client shares one limiter.
 *
 * Requests are paced (evenly spaced at the current rate, FIFO). The rate starts at
 * `maxRequestsPerSecond` (unlimited by default) and adapts AIMD-style:
 * - on a `Throttling*` answer to a request sent after the last cut, the rate the server evidently
 *   accepts is estimated as the number of non-throttled answers in the last `windowMs`; that becomes
 *   the "known good" rate and the current rate is cut to `decreaseFactor ×` it;
 * - while calls succeed the rate grows linearly back to `utilization ×` that estimate within
 *   `recoveryMs`, cruises there for `holdMs`, then probes beyond it slowly (`probeIncreasePerSecond` of it per second, accelerating the longer no
 *   throttle comes) to find a raised quota or correct an estimate made during a quiet spell.
 * Throttles answering requests sent before the last cut, or arriving within `windowMs` of it, are
 * ignored: they report the old rate or a server window that is still exhausted, and cutting again
 * for them would collapse the rate.
 * The pacing timer is ref'd (a queued request must keep the process alive) and exists only while
 * something is queued; a queued request leaves the queue when its signal aborts, and `close()`
 * clears everything.
 */

/** Tuning of the adaptive rate limit; the defaults suit a quota of a few to a few hundred QPS. */
export interface RateLimitOptions {
  /**
   * Multiplicative cut applied to the estimated accepted rate on throttling.
   * @default 0.7
   */
  readonly decreaseFactor?: number;
  /**
   * Time to climb back from a cut to the last known good rate, linearly.
   * @default 1500
   */
  readonly recoveryMs?: number;
  /**
   * Above the last known good rate, growth per second as a fraction of it.
   * @default 0.03
   */
  readonly probeIncreasePerSecond?: number;
  /**
   * Fraction of the estimated accepted rate to cruise at after a throttle (headroom against jitter).
   * @default 0.95
   */
  readonly utilization?: number;
  /**
   * Time spent cruising at that rate before probing above it.
   * @default 5000
   */
  readonly holdMs?: number;
  /**
   * The rate never drops below this.
   * @default 0.5
   */
  readonly minRequestsPerSecond?: number;
  /**
   * Window over which accepted requests are counted to estimate the server's rate.
   * @default 1000
   */
  readonly windowMs?: number;
}

export const rateLimitDefaults = {
  decreaseFactor: 0.7,
  recoveryMs: 1500,
  probeIncreasePerSecond: 0.03,
  utilization: 0.95,
  holdMs: 5000,
  minRequestsPerSecond: 0.5,
  windowMs: 1000,
} as const satisfies Required<RateLimitOptions>;

type Resolved = { readonly [K in keyof RateLimitOptions]-?: number };

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function check(name: string, value: unknown, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) {
    throw new RangeError(`Expected option \`${name}\` to be ${expected}, got ${String(value)}`);
  }
  return value;
}

export class AdaptiveRateLimiter {
  readonly #options: Resolved;
  readonly #ceiling: number;
  readonly #now: () => number;
  /** Current allowed requests per second; Infinity until the first throttle (without a ceiling). */
  #rate: number;
  /** The rate the server accepted when it last throttled us. */
  #knownGood = Number.POSITIVE_INFINITY;
  #lastCutAt = Number.NEGATIVE_INFINITY;
  #lastGrowAt = 0;
  #probeSince = 0;
  #confirmed = false;
  #nextAt = 0;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Completion times of recent accepted requests, oldest first from #head. */
  #accepted: number[] = [];
  #head = 0;
  #closed = false;

  constructor(
    maxRequestsPerSecond: number,
    options: RateLimitOptions = {},
    now: () => number = performance.now.bind(performance),
  ) {
    this.#ceiling = check(
      'maxRequestsPerSecond',
      maxRequestsPerSecond,
      (v) => v > 0,
      'a number > 0 (or Infinity)',
    );
    const o = { ...rateLimitDefaults };
    for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, unknown>)[k] = v;
    this.#options = {
      decreaseFactor: check('rateLimit.decreaseFactor', o.decreaseFactor, (v) => v > 0 && v < 1, 'in (0, 1)'),
      recoveryMs: check('rateLimit.recoveryMs', o.recoveryMs, (v) => v > 0 && v < Infinity, 'a number > 0'),
      probeIncreasePerSecond: check(
        'rateLimit.probeIncreasePerSecond',
        o.probeIncreasePerSecond,
        (v) => v >= 0 && v < Infinity,
        'a number ≥ 0',
      ),
      utilization: check('rateLimit.utilization', o.utilization, (v) => v > 0 && v <= 1, 'in (0, 1]'),
      holdMs: check('rateLimit.holdMs', o.holdMs, (v) => v >= 0 && v < Infinity, 'a number ≥ 0'),
      minRequestsPerSecond: check(
        'rateLimit.minRequestsPerSecond',
        o.minRequestsPerSecond,
        (v) => v > 0 && v < Infinity,
        'a number > 0',
      ),
      windowMs: check('rateLimit.windowMs', o.windowMs, (v) => v > 0 && v < Infinity, 'a number > 0'),
    };
    this.#rate = this.#ceiling;
    this.#now = now;
  }

  /** The current allowed rate in requests per second (Infinity while unlimited). */
  get rate(): number {
    return this.#rate;
  }

  /** Requests waiting for their turn. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * Resolves when a request may be sent. Returns `undefined` synchronously (no promise) when it
   * may be sent right away, so the unthrottled hot path allocates nothing.
   */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    if (this.#closed) return Promise.reject(new Error('rate limiter is closed'));
    if (this.#queue.length === 0 && this.#take(this.#now())) return undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
          this.#schedule();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /** Takes the next send slot if it has come. */
  #take(now: number): boolean {
    if (this.#rate === Number.POSITIVE_INFINITY) return true;
    if (now < this.#nextAt) return false;
    const interval = 1000 / this.#rate;
    // Keep the schedule when a timer fired a little late; restart it after an idle spell.
    this.#nextAt = (now - this.#nextAt > interval ? now : this.#nextAt) + interval;
    return true;
  }

  #schedule(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const now = this.#now();
    while (this.#queue.length > 0 && this.#take(now)) this.#release(this.#queue.shift()!);
    if (this.#queue.length === 0) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#schedule();
      },
      Math.max(1, Math.ceil(this.#nextAt - now)),
    );
  }

  #release(waiter: Waiter): void {
    if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
    waiter.resolve();
  }

  /**
   * Feeds back one answer. `sentAt` is when the request was released (same clock as `now`);
   * `throttled` whether the API answered `Throttling*`.
   */
  record(sentAt: number, throttled: boolean): void {
    const now = this.#now();
    const windowStart = now - this.#options.windowMs;
    while (this.#head < this.#accepted.length && this.#accepted[this.#head]! < windowStart) this.#head++;
    if (this.#head > 1024) {
      this.#accepted = this.#accepted.slice(this.#head);
      this.#head = 0;
    }
    if (!throttled) {
      this.#accepted.push(now);
      this.#grow(now);
      return;
    }
    if (sentAt < this.#lastCutAt || now - this.#lastCutAt < this.#options.windowMs) return;
    const acceptedRate = ((this.#accepted.length - this.#head) * 1000) / this.#options.windowMs;
    const { minRequestsPerSecond: min, decreaseFactor } = this.#options;
    const current =
      this.#rate === Number.POSITIVE_INFINITY
        ? acceptedRate
        : Math.min(this.#rate, acceptedRate || this.#rate);
    this.#confirmed = this.#knownGood !== Number.POSITIVE_INFINITY;
    this.#knownGood = Math.max(min, current * this.#options.utilization);
    this.#rate = Math.min(this.#ceiling, Math.max(min, current * decreaseFactor));
    this.#lastCutAt = now;
    this.#lastGrowAt = now;
    // Space the next request by the new interval from now.
    this.#nextAt = Math.max(this.#nextAt, now + 1000 / this.#rate);
    this.#schedule();
  }

  #grow(now: number): void {
    if (this.#rate >= this.#ceiling) return;
    const dt = now - this.#lastGrowAt;
    this.#lastGrowAt = now;
    if (dt <= 0) return;
    const good = this.#knownGood;
    const o = this.#options;
    let rate = this.#rate;
    if (rate < good) {
      rate = Math.min(good, rate + (good * (1 - o.decreaseFactor) * dt) / o.recoveryMs);
      // Hold only once the estimate has been confirmed by a second throttle near it.
      if (rate >= good) this.#probeSince = now + (this.#confirmed ? o.holdMs : 0);
    } else if (now > this.#probeSince) {
      // Probing accelerates the longer nothing is throttled (a quota may have been raised, or the
      // estimate came from a quiet spell): slope = base × (1 + seconds spent probing).
      const base = Math.max(o.probeIncreasePerSecond * good, o.minRequestsPerSecond);
      rate += (base * (1 + (now - this.#probeSince) / 1000) * Math.min(dt, now - this.#probeSince)) / 1000;
    }
    this.#rate = Math.min(this.#ceiling, rate);
  }

  /** Rejects everything queued and clears the timer. */
  close(reason: unknown): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#queue.splice(0)) {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }
}
