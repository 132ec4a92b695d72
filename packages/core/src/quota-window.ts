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

/** How many windows in a row above the last throttled level must use the whole budget before it grows. */
const CAPPED_WINDOWS_TO_GROW = 2;
/**
 * A throttle cuts the budget by at most this factor (before `windowDecreaseFactor`): what got
 * through before an early throttle can be far below the window's share (a token-bucket quota
 * drained by the window before), and AIMD halves.
 */
const CUT_FLOOR = 0.5;

/**
 * The windows of one action: calls accepted per server window (the current one and the one
 * before), and, once the action is in window mode, its budget per window and where in the
 * current window the next call may go.
 */
export class QuotaWindows {
  readonly #t: WindowTuning;
  readonly #clock: ServerClock;
  readonly #random: () => number;
  /** The budget per window, B (window mode); a fraction is carried from window to window. */
  budget = 1;
  /**
   * What got through in the last throttled window: where the quota ran out. Below it a full
   * window doubles the budget; above it the budget grows additively.
   */
  level = 1;
  #win = Number.NEGATIVE_INFINITY;
  /** Slots of the current window: the budget plus the fraction carried, rounded down. */
  #slots = 1;
  #carry = 0;
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
   * Window mode begins after a throttle in window `k`: what got through in it, A, is where the
   * quota ran out, and the budget becomes `windowDecreaseFactor` × A (at least one call). A
   * client that got little through (it started after others had used the window) starts low,
   * and doubles back up to A only through full windows without a throttle: budgets learnt in
   * one race are kept in proportion to it rather than topped up to a common floor, which
   * would ask the next window for more than the quota.
   */
  enter(k: number): void {
    const a = this.acceptedIn(k);
    this.level = Math.max(1, a);
    this.budget = Math.max(1, a * this.#t.windowDecreaseFactor);
    this.#throttledWin = k;
    this.#cappedRun = 0;
  }

  /**
   * A throttle in window `k`: once per window, what got through (at least half the budget)
   * becomes the level and the budget a fraction of it.
   */
  cut(k: number): void {
    if (k <= this.#throttledWin) return;
    this.#throttledWin = k;
    this.#cappedRun = 0;
    const a = Math.max(this.acceptedIn(k), this.budget * CUT_FLOOR);
    this.level = Math.max(1, a);
    this.budget = Math.max(1, Math.min(this.budget, a * this.#t.windowDecreaseFactor));
  }

  /** Enters window `k`: grows the budget after a full window, counts its slots, draws its lead. */
  #rollTo(k: number): void {
    if (k <= this.#win) return;
    const next = k === this.#win + 1;
    if (next && this.#capped && this.#throttledWin !== this.#win) {
      if (this.budget < this.level) {
        // Below where the quota last ran out: back up quickly, like a slow start.
        this.budget = Math.min(this.level, this.budget * 2);
        this.#cappedRun = 0;
      } else {
        // Above it: windows in a row that used the whole budget grow it, faster the longer it
        // lasts (after n such windows, by n − 1 steps), so capacity others have freed is taken
        // back in a few windows, while a probe above the quota (about one throttled call per
        // client) stays rare when the share is right.
        this.#cappedRun++;
        if (this.#cappedRun >= CAPPED_WINDOWS_TO_GROW) {
          this.budget +=
            Math.max(1, this.budget * this.#t.windowIncrease) *
            (this.#cappedRun - CAPPED_WINDOWS_TO_GROW + 1);
        }
      }
    } else {
      this.#cappedRun = 0;
    }
    // A budget of 2.5 gives 2 and 3 calls in turn; a window that was not used to the end
    // (no demand, or a throttle) carries nothing.
    const total = this.budget + (next && this.#capped ? this.#carry : 0);
    this.#slots = Math.max(1, Math.floor(total));
    this.#carry = Math.max(0, total - this.#slots);
    this.#win = k;
    this.#released = 0;
    this.#capped = false;
    this.#lead = this.margin() + this.#random() * this.#t.jitterMs;
  }

  /**
   * The time of the next free slot at or after `at`: call i of a window goes at
   * `turn + lead + i × span / slots`, at most `slots` per window.
   */
  slot(at: number): number {
    let k = this.at(at);
    this.#rollTo(k);
    if (k < this.#win) k = this.#win;
    if (this.#released >= this.#slots) {
      this.#capped = true;
      k = this.#win + 1;
      this.#rollTo(k);
    }
    const span = this.#t.windowMs - this.#lead - this.margin();
    return Math.max(at, this.turn(k) + this.#lead + (this.#released * Math.max(0, span)) / this.#slots);
  }

  /** Counts a release at `now`. */
  release(now: number): void {
    this.#rollTo(this.at(now));
    this.#released++;
  }
}
