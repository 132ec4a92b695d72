import type { SchedulerLike } from 'rxjs';
import { sleep } from './timers.js';

/** Below this the limiter stops halving: ECS's throttling guide suggests probing at about 1 QPS. */
export const MIN_REQUESTS_PER_SECOND = 1;

/**
 * Client-side spacing of call starts for one wait, with AIMD: the rate halves on a throttled
 * attempt (at most once per second, so one burst of 429s does not collapse it) and grows by one
 * request per second per successful call, back up to the configured maximum.
 */
export class RateLimiter {
  #rate: number;
  #nextAt = Number.NEGATIVE_INFINITY;
  #lastDecreaseAt = Number.NEGATIVE_INFINITY;
  readonly #max: number;
  readonly #scheduler: SchedulerLike;
  readonly #now: () => number;

  constructor(maxRequestsPerSecond: number, scheduler: SchedulerLike, now: () => number) {
    this.#max = maxRequestsPerSecond;
    this.#rate = maxRequestsPerSecond;
    this.#scheduler = scheduler;
    this.#now = now;
  }

  /** Current allowed rate, in requests per second. */
  get rate(): number {
    return this.#rate;
  }

  /** Resolves when the next call may start; rejects with `signal.reason` on abort. */
  async acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    const now = this.#now();
    const at = Math.max(now, this.#nextAt);
    this.#nextAt = at + 1000 / this.#rate;
    if (at > now) await sleep(this.#scheduler, at - now, signal);
  }

  onThrottled(): void {
    const now = this.#now();
    if (now - this.#lastDecreaseAt < 1000) return;
    this.#lastDecreaseAt = now;
    this.#rate = Math.max(Math.min(MIN_REQUESTS_PER_SECOND, this.#max), this.#rate / 2);
  }

  onSuccess(): void {
    this.#rate = Math.min(this.#max, this.#rate + 1);
  }
}
