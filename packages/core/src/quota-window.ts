/**
 * ECS's quota windows as a client sees them: the server's clock (learnt from `Date` headers) and,
 * per action, the window-mode budget of the request budget (rate-limit.ts): how many calls got
 * through in each window, the budget per window learnt from that (AIMD), and the slots that
 * spread the budget over a window.
 */

/**
 * The server's clock as far as its `Date` headers tell: offset = server time − local time. Each
 * answer brackets it: the server's clock read at least `Date` while answering and less than
 * `Date + 1 s`, between the local times the request was sent and answered.
 */
export class ServerClock {
  #lo = Number.NEGATIVE_INFINITY;
  #hi = Number.POSITIVE_INFINITY;
  #dateText: string | undefined;
  #dateMs = 0;
  /** Server time − local time, ms: 0 while the headers allow it (a synchronised clock). */
  offset = 0;
  /** How far `offset` may be off once the headers have moved it (0 while it is 0). */
  uncertainty = 0;

  /**
   * One response's `Date` header (second resolution), with the local times the request was sent
   * and answered. A header equal to the previous one costs a string comparison; a new second is
   * parsed once.
   */
  observe(date: string | undefined, sentAt: number, answeredAt: number): void {
    if (date === undefined) return;
    if (date !== this.#dateText) {
      const ms = Date.parse(date);
      if (!Number.isFinite(ms)) return;
      this.#dateText = date;
      this.#dateMs = ms;
    }
    const lo = this.#dateMs - answeredAt;
    const hi = this.#dateMs + 1000 - sentAt;
    if (lo <= this.#lo && hi >= this.#hi) return;
    let newLo = Math.max(this.#lo, lo);
    let newHi = Math.min(this.#hi, hi);
    if (newLo > newHi) {
      // The clocks moved (a clock step, another server): start again from this sample.
      newLo = lo;
      newHi = hi;
    }
    this.#lo = newLo;
    this.#hi = newHi;
    // A synchronised clock (NTP) is closer than a second-resolution header can tell: keep 0
    // while the headers allow it, and move only as far as they require.
    this.offset = Math.max(newLo, Math.min(0, newHi));
    this.uncertainty = this.offset === 0 ? 0 : (newHi - newLo) / 2;
  }
}

/** The tuning a {@link QuotaWindows} needs (see `RateLimitOptions`). */
export interface WindowTuning {
  readonly windowMs: number;
  readonly jitterMs: number;
  readonly initialWindow: number;
  readonly windowDecreaseFactor: number;
  readonly windowIncrease: number;
}

/** How many windows in a row must use the whole budget before it grows (then faster each time). */
const CAPPED_WINDOWS_TO_GROW = 2;

/**
 * The windows of one action: calls accepted per server window (the current one and the one
 * before), and, once the action is in window mode, its budget per window and where in the
 * current window the next call may go.
 */
export class QuotaWindows {
  readonly #t: WindowTuning;
  readonly #clock: ServerClock;
  readonly #random: () => number;
  /** The budget per window, B (window mode). */
  budget = 1;
  #win = Number.NEGATIVE_INFINITY;
  #released = 0;
  #lead = 0;
  #capped = false;
  #cappedRun = 0;
  #throttledWin = Number.NEGATIVE_INFINITY;
  #accWin = Number.NEGATIVE_INFINITY;
  #accN = 0;
  #accPrevWin = Number.NEGATIVE_INFINITY;
  #accPrevN = 0;

  constructor(tuning: WindowTuning, clock: ServerClock, random: () => number) {
    this.#t = tuning;
    this.#clock = clock;
    this.#random = random;
  }

  /** The server window index at local time `t`. */
  at(t: number): number {
    return Math.floor((t + this.#clock.offset) / this.#t.windowMs);
  }

  /** The window the server counted a call in: the middle of its round trip. */
  of(sentAt: number, answeredAt: number): number {
    return this.at((sentAt + answeredAt) / 2);
  }

  /** Local time at which server window `k` starts. */
  turn(k: number): number {
    return k * this.#t.windowMs - this.#clock.offset;
  }

  /**
   * How far from a turn a window's calls stay: 1 % of the window for the clocks' error and the
   * network, plus the uncertainty of a corrected offset (at most a tenth of the window).
   */
  margin(): number {
    const w = this.#t.windowMs;
    return w / 100 + Math.min(w / 10, this.#clock.uncertainty);
  }

  /** Counts an accepted call in its window. */
  accepted(sentAt: number, answeredAt: number): void {
    const k = this.of(sentAt, answeredAt);
    if (k === this.#accWin) this.#accN++;
    else if (k > this.#accWin) {
      this.#accPrevWin = this.#accWin;
      this.#accPrevN = this.#accN;
      this.#accWin = k;
      this.#accN = 1;
    } else if (k === this.#accPrevWin) this.#accPrevN++;
  }

  /** Accepted calls in window `k` (the current or previous one), else 0. */
  acceptedIn(k: number): number {
    if (k === this.#accWin) return this.#accN;
    if (k === this.#accPrevWin) return this.#accPrevN;
    return 0;
  }

  /**
   * Window mode begins after a throttle in window `k`: what got through in it becomes the budget,
   * or the initial window if less got through (a client that arrived in a window others had
   * already used up has learnt nothing about its share, and one call per window would starve it).
   */
  enter(k: number): void {
    this.budget = Math.max(this.#t.initialWindow, this.acceptedIn(k));
    this.#throttledWin = k;
    this.#cappedRun = 0;
  }

  /** A throttle in window `k`: once per window, the budget becomes a fraction of what got through. */
  cut(k: number): void {
    if (k <= this.#throttledWin) return;
    this.#throttledWin = k;
    this.#cappedRun = 0;
    this.budget = Math.max(1, Math.min(this.budget, this.acceptedIn(k) * this.#t.windowDecreaseFactor));
  }

  /** Enters window `k`: counts what the last one did (AI), draws this one's lead. */
  #rollTo(k: number): void {
    if (k <= this.#win) return;
    if (k === this.#win + 1 && this.#capped && this.#throttledWin !== this.#win) {
      // Windows in a row that used the whole budget without a throttle: grow, faster the longer it
      // lasts (after n such windows, by n − 1 steps), so capacity others have freed is taken back
      // in a few windows, while a probe above the quota (about one throttled call per client)
      // stays rare when the share is right.
      this.#cappedRun++;
      if (this.#cappedRun >= CAPPED_WINDOWS_TO_GROW) {
        this.budget +=
          Math.max(1, this.budget * this.#t.windowIncrease) * (this.#cappedRun - CAPPED_WINDOWS_TO_GROW + 1);
      }
    } else {
      this.#cappedRun = 0;
    }
    this.#win = k;
    this.#released = 0;
    this.#capped = false;
    this.#lead = this.margin() + this.#random() * this.#t.jitterMs;
  }

  /**
   * The time of the next free slot at or after `at`: call i of a window goes at
   * `turn + lead + i × span / B`, at most B per window.
   */
  slot(at: number): number {
    let k = this.at(at);
    this.#rollTo(k);
    if (k < this.#win) k = this.#win;
    const whole = Math.max(1, Math.floor(this.budget));
    if (this.#released >= whole) {
      this.#capped = true;
      k = this.#win + 1;
      this.#rollTo(k);
    }
    const span = this.#t.windowMs - this.#lead - this.margin();
    return Math.max(at, this.turn(k) + this.#lead + (this.#released * Math.max(0, span)) / whole);
  }

  /** Counts a release at `now`. */
  release(now: number): void {
    this.#rollTo(this.at(now));
    this.#released++;
  }
}
