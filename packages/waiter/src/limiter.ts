import type { SchedulerLike } from 'rxjs';
import { sleep } from './timers.js';

/** Below this the limiter stops halving: ECS's throttling guide suggests probing at about 1 QPS. */
export const MIN_REQUESTS_PER_SECOND = 1;

/**
 * Client-side spacing of call starts for one wait, with AIMD: the rate halves on a throttled
 * attempt (at most once per second, so one burst of 429s does not collapse it) and grows by one
 * request per second per successful call, back up to the configured maximum. When the API says
 * how long to back off (`retryAfterMs` of core's `ThrottlingError`), {@link RateLimiter.pause}
 * holds every call start, including calls already queued, until then (capped at `maxPauseMs`).
 *
 * With no maximum (`Infinity`, the waiter's default) calls start as soon as a worker is free
 * (the round's `concurrency` bounds them) until the first throttle; the rate then becomes half
 * of the call starts seen in the last second, and recovers additively from there.
 */
export class RateLimiter {
  #rate: number;
  #nextAt = Number.NEGATIVE_INFINITY;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  #blockedUntil = Number.NEGATIVE_INFINITY;
  /** Bumped by every pause that extends `#blockedUntil`, so queued acquirers notice it. */
  #pauses = 0;
  /** Call starts in the current and the previous one-second window, to estimate the rate. */
  #windowAt = Number.NEGATIVE_INFINITY;
  #windowStarts = 0;
  #previousStarts = 0;
  readonly #max: number;
  readonly #maxPauseMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #now: () => number;

  /** @param maxRequestsPerSecond `Infinity` for no cap until the first throttle. */
  constructor(
    maxRequestsPerSecond: number,
    scheduler: SchedulerLike,
    now: () => number,
    maxPauseMs: number = Number.POSITIVE_INFINITY,
  ) {
    this.#max = maxRequestsPerSecond;
    this.#rate = maxRequestsPerSecond;
    this.#scheduler = scheduler;
    this.#now = now;
    this.#maxPauseMs = maxPauseMs;
  }

  /** Current allowed rate, in requests per second. */
  get rate(): number {
    return this.#rate;
  }

  /** Resolves when the next call may start; rejects with `signal.reason` on abort. */
  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    for (;;) {
      const now = this.#now();
      const at = Math.max(now, this.#nextAt);
      this.#nextAt = at + 1000 / this.#rate;
      const pauses = this.#pauses;
      if (at > now) await sleep(this.#scheduler, at - now, signal);
      // A pause that arrived while this call was queued holds it too: take a new slot after it.
      if (this.#pauses === pauses || this.#now() >= this.#blockedUntil) {
        this.#countStart();
        return;
      }
    }
  }

  #countStart(): void {
    const now = this.#now();
    if (now - this.#windowAt >= 1000) {
      this.#previousStarts = now - this.#windowAt >= 2000 ? 0 : this.#windowStarts;
      this.#windowAt = now;
      this.#windowStarts = 0;
    }
    this.#windowStarts++;
  }

  /** Call starts in about the last second. */
  #recentRate(): number {
    const now = this.#now();
    const age = now - this.#windowAt;
    if (age >= 2000) return 0;
    if (age >= 1000) return this.#windowStarts;
    return this.#windowStarts + this.#previousStarts * (1 - age / 1000);
  }

  /** Holds every call start for `ms` (capped at `maxPauseMs`) from now: the API asked us to back off. */
  pause(ms: number): void {
    if (!Number.isFinite(ms) || ms <= 0) return;
    const until = this.#now() + Math.min(ms, this.#maxPauseMs);
    if (until <= this.#blockedUntil) return;
    this.#blockedUntil = until;
    this.#nextAt = Math.max(this.#nextAt, until);
    this.#pauses++;
  }

  onThrottled(): void {
    const now = this.#now();
    if (now - this.#lastDecreaseAt < 1000) return;
    this.#lastDecreaseAt = now;
    // Uncapped so far: halve the rate the calls actually started at.
    const from = Number.isFinite(this.#rate) ? this.#rate : this.#recentRate();
    this.#rate = Math.max(Math.min(MIN_REQUESTS_PER_SECOND, this.#max), from / 2);
  }

  onSuccess(): void {
    this.#rate = Math.min(this.#max, this.#rate + 1);
  }
}
