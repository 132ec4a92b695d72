/**
 * The rate side of an action's request budget (rate-limit.ts): a token bucket whose rate is the
 * slow start's at first (`initialWindow` calls at once, then a pace that doubles every period
 * while calls are accepted, until it stops limiting), and, once a quota has shown itself not to
 * be window-shaped, AIMD on the rate the server accepted.
 *
 * The slow start's period is measured in round trips (`slowStartRtts` × the shortest round trip
 * of an accepted call; `slowStartMs` until the first answer), because what a slow start
 * overshoots when the quota runs out is the calls sent during one round trip: pace × round trip.
 * With the period a fixed multiple of the round trip, that overshoot is a fixed small share of
 * what got through (about ln 2 / `slowStartRtts`), on a loopback simulator as at ECS's latency,
 * and clients that start a second apart at ECS's latency (80 ms calls: a period of 2.6 s) reach
 * similar paces before the quota runs out rather than the earliest taking most of it.
 */

/** The tuning a {@link RatePacer} needs (see `RateLimitOptions`). */
export interface RateTuning {
  readonly windowMs: number;
  readonly initialWindow: number;
  readonly slowStartMs: number;
  readonly slowStartRtts: number;
  readonly decreaseFactor: number;
  readonly recoveryMs: number;
  readonly utilization: number;
  readonly minRequestsPerSecond: number;
}

/**
 * Slow start stops limiting once its in-flight cap reaches the client's `maxConcurrency` (the
 * pace then adds nothing to that bound), or, without such a bound, once it allows this many
 * calls per second.
 */
const FREE_RATE = 1_000;
/** The accepted rate is measured over about this long. */
const METER_MS = 1_000;
/** Rate mode: cruise at the estimate this long after it was confirmed, before probing above it. */
const RATE_HOLD_MS = 5_000;
/** Rate mode: growth above the estimate, per second, as a fraction of it. */
const RATE_PROBE_PER_SECOND = 0.03;

export class RatePacer {
  readonly #t: RateTuning | undefined;
  readonly #ceiling: number;
  readonly #maxInFlight: number;
  /** Slow start (true) or AIMD on the rate (false). */
  slowStart: boolean;
  /** Calls per second; Infinity when nothing limits. */
  rate: number;
  #tokens: number;
  #capacity: number;
  #refillAt = Number.NaN;
  #growAt = Number.NaN;
  #good = Number.POSITIVE_INFINITY;
  #confirmed = false;
  #cruiseUntil = 0;
  #meter = 0;
  #meterAt = Number.NaN;
  /** The shortest round trip of an accepted call (ms); NaN before the first. */
  minRttMs = Number.NaN;

  /**
   * Without `tuning` (no adaptation) it paces at the ceiling and never changes. `maxInFlight`
   * is the client's bound on calls in flight.
   */
  constructor(tuning: RateTuning | undefined, ceiling: number, maxInFlight = Number.POSITIVE_INFINITY) {
    this.#t = tuning;
    this.#ceiling = ceiling;
    this.#maxInFlight = maxInFlight;
    this.slowStart = tuning !== undefined;
    if (tuning === undefined) {
      this.rate = ceiling;
      this.#capacity = 1;
      this.#tokens = 1;
    } else {
      this.rate = Math.min(ceiling, (tuning.initialWindow * 1000) / tuning.slowStartMs);
      this.#capacity = tuning.initialWindow;
      this.#tokens = tuning.initialWindow;
    }
  }

  #tokensAt(t: number): number {
    if (Number.isNaN(this.#refillAt)) return this.#tokens;
    return Math.min(this.#capacity, this.#tokens + ((t - this.#refillAt) * this.rate) / 1000);
  }

  /**
   * Slow start: the most calls in flight, twice what the pace sends in the shortest round trip
   * (at least `initialWindow`); Infinity otherwise, and before the first answer.
   */
  inFlightCap(): number {
    if (!this.slowStart || this.rate === Number.POSITIVE_INFINITY || Number.isNaN(this.minRttMs)) {
      return Number.POSITIVE_INFINITY;
    }
    return Math.max(this.#t!.initialWindow, Math.ceil((2 * this.rate * this.minRttMs) / 1000));
  }

  /** The earliest time at or after `at` a call may go. */
  readyAt(at: number): number {
    if (this.rate === Number.POSITIVE_INFINITY) return at;
    const tokens = this.#tokensAt(at);
    return tokens >= 1 ? at : at + ((1 - tokens) * 1000) / this.rate;
  }

  /** A call went at `now`. */
  take(now: number): void {
    if (this.rate === Number.POSITIVE_INFINITY) return;
    this.#tokens = this.#tokensAt(now) - 1;
    this.#refillAt = now;
  }

  /**
   * The slow start's doubling period: `slowStartRtts` shortest round trips (at most a twelfth of
   * the window, so the pace still doubles several times within one), or `slowStartMs` before the
   * first answer.
   */
  period(t: RateTuning): number {
    if (Number.isNaN(this.minRttMs)) return t.slowStartMs;
    return Math.min(t.windowMs / 12, Math.max(1, t.slowStartRtts * this.minRttMs));
  }

  /**
   * A call was accepted at `now`, `rttMs` after it was sent: the measured rate, the shortest
   * round trip, and the pace's growth.
   */
  accepted(now: number, rttMs: number): void {
    if (rttMs >= 0 && !(rttMs >= this.minRttMs)) {
      const first = Number.isNaN(this.minRttMs);
      this.minRttMs = rttMs;
      // The first round trip sets the slow start's pace: initialWindow per period.
      if (first && this.slowStart && this.#t !== undefined && this.rate !== Number.POSITIVE_INFINITY) {
        this.#tokens = this.#tokensAt(now);
        this.#refillAt = now;
        this.rate = Math.min(this.rate, (this.#t.initialWindow * 1000) / this.period(this.#t));
      }
    }
    if (Number.isNaN(this.#meterAt)) this.#meter = 1;
    else this.#meter = this.#meter * Math.exp(-(now - this.#meterAt) / METER_MS) + 1;
    this.#meterAt = now;
    if (this.rate === Number.POSITIVE_INFINITY || this.#t === undefined) return;
    if (this.slowStart) this.#growStart(now, this.#t);
    else this.#growRate(now, this.#t);
  }

  /** Slow start: the pace doubles every period of accepted calls. */
  #growStart(now: number, t: RateTuning): void {
    const period = this.period(t);
    const dt = Number.isNaN(this.#growAt) ? 0 : Math.min(now - this.#growAt, period);
    this.#growAt = now;
    if (dt <= 0) return;
    this.#tokens = this.#tokensAt(now);
    this.#refillAt = now;
    this.rate *= 2 ** (dt / period);
    this.#capacity = Math.max(t.initialWindow, (this.rate * period) / 1000 / 4);
    const free =
      this.#maxInFlight === Number.POSITIVE_INFINITY
        ? this.rate >= FREE_RATE
        : (2 * this.rate * this.minRttMs) / 1000 >= this.#maxInFlight;
    if (free) {
      this.rate = this.#ceiling;
      this.#capacity = 1;
      this.#tokens = 1;
      this.#refillAt = Number.NaN;
    } else if (this.rate >= this.#ceiling) {
      this.rate = this.#ceiling;
    }
  }

  /** Rate mode: linear recovery to the known good rate, a cruise, then a slow upward probe. */
  #growRate(now: number, t: RateTuning): void {
    const dt = now - this.#growAt;
    this.#growAt = now;
    if (dt <= 0 || this.rate >= this.#ceiling) return;
    this.#tokens = this.#tokensAt(now);
    this.#refillAt = now;
    const good = this.#good;
    let rate = this.rate;
    if (rate < good) {
      rate = Math.min(good, rate + (good * (1 - t.decreaseFactor) * dt) / t.recoveryMs);
      if (rate >= good) this.#cruiseUntil = now + (this.#confirmed ? RATE_HOLD_MS : 0);
    } else if (now > this.#cruiseUntil) {
      const base = Math.max(RATE_PROBE_PER_SECOND * good, t.minRequestsPerSecond);
      const probing = now - this.#cruiseUntil;
      rate += (base * (1 + probing / 1000) * Math.min(dt, probing)) / 1000;
    }
    this.rate = Math.min(this.#ceiling, rate);
  }

  /**
   * A throttle at `now`: the multiplicative cut from the rate the server accepted (halved first
   * when it ends the slow start, which overshoots by up to twice, as TCP's ssthresh does); the
   * pacer is in rate mode from then on.
   */
  cut(now: number): void {
    const t = this.#t;
    if (t === undefined) return;
    const measured = Number.isNaN(this.#meterAt)
      ? 0
      : (this.#meter * Math.exp(-(now - this.#meterAt) / METER_MS) * 1000) / METER_MS;
    const fromStart = this.slowStart;
    // The pace overshoots by up to twice at the end of a slow start (it doubled in the last
    // period), as TCP's window does: halve it. A measured accepted rate below the pace is what
    // the server let through, with nothing to halve.
    let current: number;
    if (this.rate !== Number.POSITIVE_INFINITY && (measured === 0 || this.rate <= measured)) {
      current = fromStart ? this.rate / 2 : this.rate;
    } else current = measured;
    current = Math.max(t.minRequestsPerSecond, current);
    this.#confirmed = !fromStart && this.#good !== Number.POSITIVE_INFINITY;
    this.#good = Math.max(t.minRequestsPerSecond, current * t.utilization);
    this.slowStart = false;
    this.rate = Math.min(this.#ceiling, Math.max(t.minRequestsPerSecond, current * t.decreaseFactor));
    this.#capacity = 1;
    this.#tokens = Math.min(this.#tokensAt(now), 0);
    this.#refillAt = now;
    this.#growAt = now;
  }

  /** Rate mode from `now` on, at `rate` (after a test call went through). */
  resume(rate: number, now: number): void {
    this.slowStart = false;
    this.rate = Math.min(this.#ceiling, rate);
    this.#capacity = 1;
    this.#tokens = 0;
    this.#refillAt = now;
    this.#growAt = now;
  }
}
