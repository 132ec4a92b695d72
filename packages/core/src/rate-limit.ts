/**
 * The request budget of one client: when each call may be sent. ECS throttles per account,
 * region and API (action), in windows of the server's clock ("if an API operation is throttled
 * at minute T, it can be called again as of minute T+1"), so the budget is per client (one region)
 * and, inside it, per action; every caller of the client shares it, whichever wait sent the call.
 * It also bounds the calls in flight across the client (`maxConcurrency`).
 *
 * Each action goes through up to three modes (see the core README, "Request budget"):
 *
 * 1. **Slow start.** A fresh action may send `initialWindow` calls at once; after them calls are
 *    paced by a token bucket whose rate starts at `initialWindow` per `slowStartMs` and doubles
 *    every `slowStartMs` while calls are accepted, until it no longer limits anything (1,000/s).
 * 2. **Window** (ECS's documented model). On a `Throttling*` answer without `x-acs-retry-after`,
 *    the action's calls are held until the server's window has turned (the window grid is aligned
 *    with the server's `Date` header, and each return is jittered). What got through in the
 *    throttled window becomes the action's budget per window, B; from then on at most B calls are
 *    sent per window, spread evenly over it rather than bursting into it. AIMD on B: a throttle
 *    cuts it to `windowDecreaseFactor` × what got through; two windows in a row that used all of
 *    B without a throttle raise it by `windowIncrease` × B (at least one call).
 * 3. **Rate.** A hold longer than `longHoldMs` is first tested with one call after a short pause:
 *    if it is accepted, the quota is not a closed window (a token bucket, say) and the action is
 *    paced AIMD-style instead: the rate is cut to `decreaseFactor` × the rate the server accepted,
 *    climbs back to `utilization` × that within `recoveryMs`, then probes slowly upward. If the
 *    test call is throttled too, the quota is window-shaped: window mode, and no more tests.
 *
 * `x-acs-retry-after` holds the action's calls exactly that long (jittered by at most a tenth, and
 * capped by `maxRetryAfterMs`); when the time it names is a turn of the window grid, the action
 * switches to window mode.
 *
 * The budget never sleeps for nothing: a timer exists only while a call is queued, it is ref'd (a
 * queued call must keep the process alive) and `close()` clears it and rejects every queued call.
 * A call that may go at once costs no allocation and no promise.
 */

/** The clock and timers of a budget. A test seam: the waiter passes its rxjs scheduler's. */
export interface BudgetClock {
  /** Wall-clock time in ms since the epoch (compared with the server's `Date` header). */
  now(): number;
  /** Runs `callback` after `ms`; the returned handle is passed to `clearTimeout`. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `Date.now` and Node's (ref'd) timers, looked up at each call (fake timers replace them). */
export const systemClock: BudgetClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Tuning of the request budget. Each field is optional; the defaults follow ECS's documented
 * model (one-minute windows per account, region and API).
 */
export interface RateLimitOptions {
  /**
   * Length of the server's quota window. ECS documents per-minute windows; the figure is
   * UNVERIFIED for `DescribeCloudAssistantStatus`, so it is configurable. Windows are aligned to
   * the server's clock (its `Date` header), as ECS's minutes are.
   * @default 60000
   */
  readonly windowMs?: number | undefined;
  /**
   * Calls a fresh action may send at once, before slow start paces the rest.
   * @default 4
   */
  readonly initialWindow?: number | undefined;
  /**
   * Slow start: the pace after the initial window starts at `initialWindow` calls per
   * `slowStartMs` and doubles every `slowStartMs` while calls are accepted.
   * @default 250
   */
  readonly slowStartMs?: number | undefined;
  /**
   * After a hold until the window turns, the action comes back at a random time up to this long
   * after the turn (so that many clients do not return at the same instant). Also the random
   * lead of each window's first call.
   * @default windowMs / 20 (3 s for one-minute windows)
   */
  readonly jitterMs?: number | undefined;
  /**
   * Window mode: on a throttle, the budget per window becomes this fraction of what got through
   * in the throttled window.
   * @default 0.9
   */
  readonly windowDecreaseFactor?: number | undefined;
  /**
   * Window mode: after two windows in a row that used the whole budget without a throttle, it
   * grows by this fraction (at least one call).
   * @default 0.05
   */
  readonly windowIncrease?: number | undefined;
  /**
   * A hold to the window's turn longer than this is first tested with one call (only until the
   * quota has shown itself to be window-shaped): a token bucket does not need a long hold.
   * @default 2000
   */
  readonly longHoldMs?: number | undefined;
  /**
   * Rate mode: multiplicative cut applied to the accepted rate on a throttle.
   * @default 0.7
   */
  readonly decreaseFactor?: number | undefined;
  /**
   * Rate mode: time to climb back from a cut to the last known good rate, linearly.
   * @default 1500
   */
  readonly recoveryMs?: number | undefined;
  /**
   * Rate mode: fraction of the estimated accepted rate to cruise at after a throttle.
   * @default 0.95
   */
  readonly utilization?: number | undefined;
  /**
   * Rate mode: the rate never drops below this.
   * @default 0.5
   */
  readonly minRequestsPerSecond?: number | undefined;
}

export const rateLimitDefaults = {
  windowMs: 60_000,
  initialWindow: 4,
  slowStartMs: 250,
  windowDecreaseFactor: 0.9,
  windowIncrease: 0.05,
  longHoldMs: 2_000,
  decreaseFactor: 0.7,
  recoveryMs: 1_500,
  utilization: 0.95,
  minRequestsPerSecond: 0.5,
} as const;

interface Tuning {
  readonly windowMs: number;
  readonly initialWindow: number;
  readonly slowStartMs: number;
  readonly jitterMs: number;
  readonly windowDecreaseFactor: number;
  readonly windowIncrease: number;
  readonly longHoldMs: number;
  readonly decreaseFactor: number;
  readonly recoveryMs: number;
  readonly utilization: number;
  readonly minRequestsPerSecond: number;
}

/** Options of a {@link RequestBudget}. */
export interface RequestBudgetOptions {
  /** Calls in flight at once across every action. @default Infinity */
  readonly maxConcurrency?: number | undefined;
  /** Ceiling of each action's request rate. @default Infinity */
  readonly maxRequestsPerSecond?: number | undefined;
  /** Adaptation; `false` keeps only the ceiling, the concurrency bound and `x-acs-retry-after`. */
  readonly rateLimit?: RateLimitOptions | false | undefined;
  /** The longest hold accepted from `x-acs-retry-after`. @default 60000 */
  readonly maxRetryAfterMs?: number | undefined;
  /** @default systemClock */
  readonly clock?: BudgetClock | undefined;
  /** Uniform random numbers in [0, 1), for the jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
}

/**
 * What became of one sent call: `'accepted'` (any answer that is not a throttle, API errors
 * included), `'throttled'` (`Throttling*`), or `'no-answer'` (network error, timeout, abort: it
 * says nothing about the quota).
 */
export type Outcome = 'accepted' | 'throttled' | 'no-answer';

const MODE_START = 0;
const MODE_RATE = 1;
const MODE_WINDOW = 2;
/** Slow start stops limiting once it allows this many calls per second. */
const FREE_RATE = 1_000;
/** Rate mode: the accepted rate is measured over about this long. */
const METER_MS = 1_000;
/** Rate mode: cruise at the estimate this long after it was confirmed, before probing above it. */
const RATE_HOLD_MS = 5_000;
/** Rate mode: growth above the estimate, per second, as a fraction of it. */
const RATE_PROBE_PER_SECOND = 0.03;
/** Window mode: how many windows in a row must use the whole budget before it grows. */
const CAPPED_WINDOWS_TO_GROW = 2;

function check(name: string, value: unknown, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) {
    throw new RangeError(`Expected option \`${name}\` to be ${expected}, got ${String(value)}`);
  }
  return value;
}

const finitePositive = (v: number) => v > 0 && v < Number.POSITIVE_INFINITY;
const fraction = (v: number) => v > 0 && v < 1;

/** Validates `rateLimit` and fills the defaults. */
export function resolveRateLimit(options: RateLimitOptions | undefined): Tuning {
  const o = options ?? {};
  if (typeof o !== 'object' || o === null) {
    throw new TypeError(`Expected option \`rateLimit\` to be an object or false, got ${String(o)}`);
  }
  const known = new Set([...Object.keys(rateLimitDefaults), 'jitterMs']);
  for (const key of Object.keys(o)) {
    if (!known.has(key)) {
      throw new TypeError(
        `Unknown option \`rateLimit.${key}\`; expected one of ${[...known].sort().join(', ')}`,
      );
    }
  }
  const pick = <K extends keyof typeof rateLimitDefaults>(k: K): unknown => o[k] ?? rateLimitDefaults[k];
  const windowMs = check('rateLimit.windowMs', pick('windowMs'), finitePositive, 'a number of ms > 0');
  return {
    windowMs,
    initialWindow: check(
      'rateLimit.initialWindow',
      pick('initialWindow'),
      (v) => Number.isInteger(v) && v >= 1,
      'an integer ≥ 1',
    ),
    slowStartMs: check('rateLimit.slowStartMs', pick('slowStartMs'), finitePositive, 'a number of ms > 0'),
    jitterMs: check(
      'rateLimit.jitterMs',
      o.jitterMs ?? windowMs / 20,
      (v) => v >= 0 && v < windowMs,
      'a number of ms ≥ 0 and below windowMs',
    ),
    windowDecreaseFactor: check(
      'rateLimit.windowDecreaseFactor',
      pick('windowDecreaseFactor'),
      (v) => v > 0 && v <= 1,
      'in (0, 1]',
    ),
    windowIncrease: check(
      'rateLimit.windowIncrease',
      pick('windowIncrease'),
      (v) => v >= 0 && v < Number.POSITIVE_INFINITY,
      'a number ≥ 0',
    ),
    longHoldMs: check(
      'rateLimit.longHoldMs',
      pick('longHoldMs'),
      (v) => v >= 0 && v <= Number.POSITIVE_INFINITY,
      'a number of ms ≥ 0 (Infinity: never test)',
    ),
    decreaseFactor: check('rateLimit.decreaseFactor', pick('decreaseFactor'), fraction, 'in (0, 1)'),
    recoveryMs: check('rateLimit.recoveryMs', pick('recoveryMs'), finitePositive, 'a number > 0'),
    utilization: check('rateLimit.utilization', pick('utilization'), (v) => v > 0 && v <= 1, 'in (0, 1]'),
    minRequestsPerSecond: check(
      'rateLimit.minRequestsPerSecond',
      pick('minRequestsPerSecond'),
      finitePositive,
      'a number > 0',
    ),
  };
}

interface Waiter {
  readonly action: ActionBudget;
  readonly seq: number;
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * The request budget of one client (see the file comment). `for(action)` gives the per-action
 * budget that calls {@link ActionBudget.acquire} before sending and {@link ActionBudget.settle}
 * after; `observeDate` feeds the server's `Date` header to the window alignment.
 */
export class RequestBudget {
  /** @internal */ readonly clock: BudgetClock;
  /** @internal */ readonly random: () => number;
  /** @internal */ readonly tuning: Tuning | undefined;
  /** @internal */ readonly ceiling: number;
  /** @internal */ readonly maxRetryAfterMs: number;
  readonly #maxConcurrency: number;
  readonly #actions = new Map<string, ActionBudget>();
  #lastName = '';
  #last: ActionBudget | undefined;
  /** Calls holding a concurrency slot. */
  #inFlight = 0;
  /** Actions with a queued call that waits only for a concurrency slot. */
  readonly #blocked = new Set<ActionBudget>();
  /** @internal */ seq = 0;
  #closed = false;
  #closedReason: unknown;
  // The server's clock: offset = server time − local time, known to lie in [#lo, #hi] from the
  // second-resolution `Date` headers seen so far (each one brackets the server's clock).
  #lo = Number.NEGATIVE_INFINITY;
  #hi = Number.POSITIVE_INFINITY;
  #dateText: string | undefined;
  #dateMs = 0;
  /** @internal */ offset = 0;
  /** @internal How far off `offset` may be, beyond a synchronised clock's error. */
  offsetUncertainty = 0;

  constructor(options: RequestBudgetOptions = {}) {
    this.#maxConcurrency = check(
      'maxConcurrency',
      options.maxConcurrency ?? Number.POSITIVE_INFINITY,
      (v) => v >= 1 && (Number.isInteger(v) || v === Number.POSITIVE_INFINITY),
      'a positive integer',
    );
    this.ceiling = check(
      'maxRequestsPerSecond',
      options.maxRequestsPerSecond ?? Number.POSITIVE_INFINITY,
      (v) => v > 0,
      'a number > 0 (or Infinity)',
    );
    this.maxRetryAfterMs = check(
      'maxRetryAfterMs',
      options.maxRetryAfterMs ?? 60_000,
      (v) => v >= 0,
      'a number ≥ 0',
    );
    const rateLimit = options.rateLimit;
    this.tuning = rateLimit === false ? undefined : resolveRateLimit(rateLimit);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  /** The budget of one action (created on first use). */
  for(action: string): ActionBudget {
    if (action === this.#lastName && this.#last !== undefined) return this.#last;
    let budget = this.#actions.get(action);
    if (budget === undefined) {
      budget = new ActionBudget(this, action);
      this.#actions.set(action, budget);
    }
    this.#lastName = action;
    this.#last = budget;
    return budget;
  }

  /** Calls holding a slot (sent or about to be). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Queued calls over every action. */
  get pending(): number {
    let n = 0;
    for (const b of this.#actions.values()) n += b.pending;
    return n;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** @internal */
  get closedReason(): unknown {
    return this.#closedReason;
  }

  /** @internal Takes a concurrency slot if one is free. */
  takeSlot(): boolean {
    if (this.#inFlight >= this.#maxConcurrency) return false;
    this.#inFlight++;
    return true;
  }

  /** @internal `action` has a call ready to go but no slot: it is pumped when one frees up. */
  block(action: ActionBudget): void {
    this.#blocked.add(action);
  }

  /** @internal A slot was given back: the oldest call waiting only for a slot takes it. */
  releaseSlot(): void {
    this.#inFlight--;
    if (this.#blocked.size === 0 || this.#closed) return;
    // Oldest waiting call first, whatever its action; an action whose head is not due yet arms
    // its timer and lets the next one have the slot.
    const waiting = [...this.#blocked].sort((a, b) => a.headSeq - b.headSeq);
    this.#blocked.clear();
    for (const b of waiting) {
      if (this.#inFlight >= this.#maxConcurrency) {
        this.#blocked.add(b);
        continue;
      }
      b.pump();
    }
  }

  /**
   * One response's `Date` header (second resolution), with the local times the request was sent
   * and answered: the server's clock was at least `date` while answering and below `date + 1 s`,
   * which brackets the offset between the clocks. A header equal to the previous one costs a
   * string comparison; a new second is parsed once.
   */
  observeDate(date: string | undefined, sentAt: number, answeredAt: number): void {
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
    this.offsetUncertainty = this.offset === 0 ? 0 : (newHi - newLo) / 2;
  }

  /** Rejects every queued call with `reason` and clears every timer; later calls reject too. */
  close(reason: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closedReason = reason;
    this.#blocked.clear();
    for (const b of this.#actions.values()) b.close(reason);
  }
}

/** The budget of one action of one client. */
export class ActionBudget {
  readonly action: string;
  readonly #b: RequestBudget;
  readonly #t: Tuning | undefined;
  #queue: Waiter[] = [];
  #head = 0;
  #timer: unknown;
  #timerAt = Number.POSITIVE_INFINITY;
  #mode = MODE_START;
  /** Nothing limits this action (slow start done, no ceiling, no hold): the hot path. */
  #free = false;
  // Token bucket of slow start and rate mode.
  #rate: number;
  #tokens: number;
  #capacity: number;
  #refillAt = Number.NaN;
  #growAt = Number.NaN;
  // The ceiling (maxRequestsPerSecond): the earliest time of the next release.
  #ceilingAt = Number.NEGATIVE_INFINITY;
  // Holds.
  #holdUntil = Number.NEGATIVE_INFINITY;
  /** Throttles of calls sent before this are old news. */
  #cutAt = Number.NEGATIVE_INFINITY;
  /** 0: none; 1: the next release is a test call; 2: the test call is in flight. */
  #probe = 0;
  #probeRate = 0;
  #windowEvidence = false;
  // Rate mode (AIMD on the rate).
  #good = Number.POSITIVE_INFINITY;
  #confirmed = false;
  #cruiseUntil = 0;
  #meter = 0;
  #meterAt = Number.NaN;
  // Window mode.
  #budget = 1;
  #win = Number.NEGATIVE_INFINITY;
  #released = 0;
  #lead = 0;
  #capped = false;
  #cappedRun = 0;
  #throttledWin = Number.NEGATIVE_INFINITY;
  // Accepted calls per server window (the current one and the one before), for learning.
  #accWin = Number.NEGATIVE_INFINITY;
  #accN = 0;
  #accPrevWin = Number.NEGATIVE_INFINITY;
  #accPrevN = 0;

  constructor(budget: RequestBudget, action: string) {
    this.#b = budget;
    this.action = action;
    this.#t = budget.tuning;
    const t = this.#t;
    if (t === undefined) {
      this.#rate = budget.ceiling;
      this.#capacity = 1;
      this.#tokens = 1;
      this.#mode = MODE_RATE;
    } else {
      this.#rate = Math.min(budget.ceiling, (t.initialWindow * 1000) / t.slowStartMs);
      this.#capacity = t.initialWindow;
      this.#tokens = t.initialWindow;
    }
    this.#updateFree();
  }

  /** Queued calls. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** @internal The sequence number of the oldest queued call. */
  get headSeq(): number {
    return this.#queue[this.#head]?.seq ?? Number.POSITIVE_INFINITY;
  }

  /** `'start'`, `'rate'` or `'window'`. */
  get mode(): 'start' | 'rate' | 'window' {
    return this.#mode === MODE_START ? 'start' : this.#mode === MODE_RATE ? 'rate' : 'window';
  }

  /** The current pace in calls per second (slow start and rate mode; Infinity when unlimited). */
  get rate(): number {
    return this.#rate;
  }

  /** Window mode: the budget per window. */
  get windowBudget(): number {
    return this.#budget;
  }

  /** No call is released before this time (`clock.now()` scale); -Infinity when not held. */
  get holdUntil(): number {
    return this.#holdUntil;
  }

  /** How long from now the action's calls are held (0 when they are not). */
  heldForMs(): number {
    return Math.max(0, this.#holdUntil - this.#b.clock.now());
  }

  #updateFree(): void {
    this.#free =
      this.#rate === Number.POSITIVE_INFINITY &&
      this.#holdUntil === Number.NEGATIVE_INFINITY &&
      this.#probe === 0 &&
      this.#mode !== MODE_WINDOW;
  }

  /**
   * Resolves when a call may be sent, holding one of the client's concurrency slots; give it back
   * with {@link settle}. Returns `undefined` (no promise) when the call may go at once. Rejects
   * with `signal.reason` on abort (the call leaves the queue) and with the close reason when the
   * budget is closed.
   */
  acquire(signal?: AbortSignal): Promise<void> | undefined {
    const b = this.#b;
    if (b.closed) return Promise.reject(b.closedReason);
    if (this.#head === this.#queue.length) {
      if (this.#free) {
        if (b.takeSlot()) return undefined;
      } else {
        const now = b.clock.now();
        if (this.#readyAt(now) <= now && b.takeSlot()) {
          this.#consume(now);
          return undefined;
        }
      }
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { action: this, seq: b.seq++, resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter, this.#head);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.pump();
    });
  }

  /**
   * Requeues a call at the head of the queue (its retry after a throttle): older than anything
   * queued behind it. Same contract as {@link acquire}.
   */
  requeue(signal?: AbortSignal): Promise<void> | undefined {
    if (this.#head === this.#queue.length) return this.acquire(signal);
    const b = this.#b;
    if (b.closed) return Promise.reject(b.closedReason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const first = this.#queue[this.#head]!;
      const waiter: Waiter = {
        action: this,
        seq: first.seq - 0.5,
        resolve,
        reject,
        signal,
        onAbort: undefined,
      };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const i = this.#queue.indexOf(waiter, this.#head);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      if (this.#head > 0) this.#queue[--this.#head] = waiter;
      else this.#queue.unshift(waiter);
      this.pump();
    });
  }

  /** @internal Releases every queued call that may go now; arms the timer for the next one. */
  pump(): void {
    const b = this.#b;
    if (b.closed) return;
    while (this.#head < this.#queue.length) {
      const now = b.clock.now();
      const at = this.#readyAt(now);
      if (at > now) {
        this.#arm(at, now);
        return;
      }
      if (!b.takeSlot()) {
        b.block(this);
        return;
      }
      this.#consume(now);
      const waiter = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined as unknown as Waiter;
      if (this.#head > 64 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (waiter.signal !== undefined && waiter.onAbort !== undefined) {
        waiter.signal.removeEventListener('abort', waiter.onAbort);
      }
      waiter.resolve();
    }
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    this.#disarm();
  }

  #arm(at: number, now: number): void {
    if (this.#timer !== undefined) {
      if (this.#timerAt <= at) return;
      this.#b.clock.clearTimeout(this.#timer);
    }
    this.#timerAt = at;
    // An infinite wait (a test call in flight) is ended by its answer, not by a timer.
    if (at === Number.POSITIVE_INFINITY) {
      this.#timer = undefined;
      return;
    }
    this.#timer = this.#b.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(1, Math.ceil(at - now)),
    );
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#b.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  // ---- pacing -------------------------------------------------------------------------------

  /** The server window index at local time `t`. */
  #windowAt(t: number): number {
    return Math.floor((t + this.#b.offset) / this.#t!.windowMs);
  }

  /** Local time at which server window `k` starts. */
  #turn(k: number): number {
    return k * this.#t!.windowMs - this.#b.offset;
  }

  /**
   * How far from a turn a window's calls stay: 1 % of the window for the clocks' error and the
   * network, plus the uncertainty of a corrected offset (at most a tenth of the window).
   */
  #margin(): number {
    const t = this.#t!;
    return t.windowMs / 100 + Math.min(t.windowMs / 10, this.#b.offsetUncertainty);
  }

  /** Enters window `k` (window mode): counts what the last one did, draws this one's lead. */
  #rollTo(k: number): void {
    if (k <= this.#win) return;
    const t = this.#t!;
    if (k === this.#win + 1 && this.#capped && this.#throttledWin !== this.#win) {
      this.#cappedRun++;
      if (this.#cappedRun >= CAPPED_WINDOWS_TO_GROW) {
        this.#budget += Math.max(1, this.#budget * t.windowIncrease);
        this.#cappedRun = 0;
      }
    } else {
      this.#cappedRun = 0;
    }
    this.#win = k;
    this.#released = 0;
    this.#capped = false;
    this.#lead = this.#margin() + this.#b.random() * t.jitterMs;
  }

  /** The earliest time (≥ now) the next call may be released. */
  #readyAt(now: number): number {
    if (this.#probe === 2) return Number.POSITIVE_INFINITY;
    let at = now;
    if (this.#holdUntil > at) at = this.#holdUntil;
    else if (this.#holdUntil !== Number.NEGATIVE_INFINITY) {
      this.#holdUntil = Number.NEGATIVE_INFINITY;
      this.#updateFree();
    }
    if (this.#ceilingAt > at) at = this.#ceilingAt;
    if (this.#mode === MODE_WINDOW) return this.#windowSlot(at);
    if (this.#rate === Number.POSITIVE_INFINITY) return at;
    const tokens = this.#tokensAt(at);
    return tokens >= 1 ? at : at + ((1 - tokens) * 1000) / this.#rate;
  }

  #tokensAt(t: number): number {
    if (Number.isNaN(this.#refillAt)) return this.#tokens;
    return Math.min(this.#capacity, this.#tokens + ((t - this.#refillAt) * this.#rate) / 1000);
  }

  /** Window mode: the time of the next free slot at or after `at`. */
  #windowSlot(at: number): number {
    const t = this.#t!;
    let k = this.#windowAt(at);
    this.#rollTo(k);
    if (k < this.#win) k = this.#win;
    const whole = Math.max(1, Math.floor(this.#budget));
    if (this.#released >= whole) {
      this.#capped = true;
      k = this.#win + 1;
      this.#rollTo(k);
    }
    const span = t.windowMs - this.#lead - this.#margin();
    const slot = this.#turn(k) + this.#lead + (this.#released * Math.max(0, span)) / whole;
    return Math.max(slot, at);
  }

  /** Counts a release at `now`. */
  #consume(now: number): void {
    if (this.#b.ceiling !== Number.POSITIVE_INFINITY) {
      this.#ceilingAt = Math.max(this.#ceilingAt, now) + 1000 / this.#b.ceiling;
    }
    if (this.#probe === 1) {
      this.#probe = 2;
      this.#free = false;
    }
    if (this.#mode === MODE_WINDOW) {
      this.#rollTo(this.#windowAt(now));
      this.#released++;
      return;
    }
    if (this.#rate === Number.POSITIVE_INFINITY) return;
    this.#tokens = this.#tokensAt(now) - 1;
    this.#refillAt = now;
  }

  // ---- feedback -----------------------------------------------------------------------------

  /**
   * Gives back the call's concurrency slot and learns from its answer. `sentAt` and `answeredAt`
   * are `clock.now()` when the call was released and answered; `retryAfterMs` is the server's
   * `x-acs-retry-after` of a throttle.
   */
  settle(sentAt: number, answeredAt: number, outcome: Outcome, retryAfterMs?: number): void {
    const b = this.#b;
    if (this.#t !== undefined && outcome !== 'no-answer') {
      if (outcome === 'accepted') this.#accepted(sentAt, answeredAt);
      else this.#throttled(sentAt, answeredAt, retryAfterMs);
    } else if (outcome === 'throttled' && retryAfterMs !== undefined && retryAfterMs > 0) {
      // No adaptation, but the server's word on when to come back still holds.
      this.#hold(answeredAt + Math.min(retryAfterMs, b.maxRetryAfterMs));
    } else if (this.#probe === 2) {
      this.#probe = 0;
      this.#updateFree();
    }
    b.releaseSlot();
    if (this.#head < this.#queue.length) this.pump();
  }

  #hold(until: number): void {
    if (until > this.#holdUntil) this.#holdUntil = until;
    this.#free = false;
  }

  #accepted(sentAt: number, answeredAt: number): void {
    const t = this.#t!;
    const k = Math.floor(((sentAt + answeredAt) / 2 + this.#b.offset) / t.windowMs);
    if (k === this.#accWin) this.#accN++;
    else if (k > this.#accWin) {
      this.#accPrevWin = this.#accWin;
      this.#accPrevN = this.#accN;
      this.#accWin = k;
      this.#accN = 1;
    } else if (k === this.#accPrevWin) this.#accPrevN++;
    if (this.#probe === 2) {
      // The test call went through: the quota is not a closed window. Pace by rate.
      this.#probe = 0;
      this.#mode = MODE_RATE;
      this.#rate = Math.min(this.#b.ceiling, this.#probeRate);
      this.#capacity = 1;
      this.#tokens = 0;
      this.#refillAt = answeredAt;
      this.#growAt = answeredAt;
      this.#holdUntil = Number.NEGATIVE_INFINITY;
      this.#updateFree();
      return;
    }
    if (this.#mode === MODE_WINDOW) return;
    const now = answeredAt;
    // The accepted rate, decayed over about a second.
    if (Number.isNaN(this.#meterAt)) this.#meter = 1;
    else this.#meter = this.#meter * Math.exp(-(now - this.#meterAt) / METER_MS) + 1;
    this.#meterAt = now;
    if (this.#rate === Number.POSITIVE_INFINITY) return;
    if (this.#mode === MODE_START) this.#growStart(now);
    else this.#growRate(now);
  }

  /** Slow start: the pace doubles every `slowStartMs` of accepted calls. */
  #growStart(now: number): void {
    const t = this.#t!;
    const dt = Number.isNaN(this.#growAt) ? 0 : Math.min(now - this.#growAt, t.slowStartMs);
    this.#growAt = now;
    if (dt <= 0) return;
    this.#tokens = this.#tokensAt(now);
    this.#refillAt = now;
    this.#rate *= 2 ** (dt / t.slowStartMs);
    this.#capacity = Math.max(t.initialWindow, (this.#rate * t.slowStartMs) / 1000 / 4);
    if (this.#rate >= FREE_RATE) {
      this.#rate = this.#b.ceiling;
      this.#capacity = 1;
      this.#tokens = 1;
      this.#refillAt = Number.NaN;
      this.#updateFree();
    } else if (this.#rate >= this.#b.ceiling) {
      this.#rate = this.#b.ceiling;
    }
  }

  /** Rate mode: linear recovery to the known good rate, a cruise, then a slow upward probe. */
  #growRate(now: number): void {
    const t = this.#t!;
    const dt = now - this.#growAt;
    this.#growAt = now;
    if (dt <= 0 || this.#rate >= this.#b.ceiling) return;
    this.#tokens = this.#tokensAt(now);
    this.#refillAt = now;
    const good = this.#good;
    let rate = this.#rate;
    if (rate < good) {
      rate = Math.min(good, rate + (good * (1 - t.decreaseFactor) * dt) / t.recoveryMs);
      if (rate >= good) this.#cruiseUntil = now + (this.#confirmed ? RATE_HOLD_MS : 0);
    } else if (now > this.#cruiseUntil) {
      const base = Math.max(RATE_PROBE_PER_SECOND * good, t.minRequestsPerSecond);
      const probing = now - this.#cruiseUntil;
      rate += (base * (1 + probing / 1000) * Math.min(dt, probing)) / 1000;
    }
    this.#rate = Math.min(this.#b.ceiling, rate);
  }

  /** Accepted calls in server window `k` (the current or previous one), else 0. */
  #acceptedIn(k: number): number {
    if (k === this.#accWin) return this.#accN;
    if (k === this.#accPrevWin) return this.#accPrevN;
    return 0;
  }

  #throttled(sentAt: number, answeredAt: number, retryAfterMs: number | undefined): void {
    const t = this.#t!;
    const b = this.#b;
    const now = answeredAt;
    const k = Math.floor(((sentAt + answeredAt) / 2 + b.offset) / t.windowMs);
    const wasProbe = this.#probe === 2;
    if (wasProbe) this.#probe = 0;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      const wait = Math.min(retryAfterMs, b.maxRetryAfterMs);
      // The time the server names: a turn of our window grid means the quota is window-shaped.
      const named = now + b.offset + wait;
      const fromTurn = named - Math.round(named / t.windowMs) * t.windowMs;
      const tolerance = Math.max(this.#margin(), t.windowMs / 50, 1000);
      if (Math.abs(fromTurn) <= tolerance && wait >= Math.min(t.longHoldMs, t.windowMs / 4)) {
        this.#windowEvidence = true;
      }
      this.#hold(now + wait + b.random() * Math.min(wait / 10, t.jitterMs));
      if (this.#mode === MODE_WINDOW || this.#windowEvidence) {
        this.#windowCut(k);
      } else if (sentAt >= this.#cutAt) {
        this.#rateCut(now);
      }
      this.#updateFree();
      return;
    }
    if (this.#mode === MODE_WINDOW) {
      this.#windowCut(k);
      this.#hold(this.#turn(Math.max(k, this.#windowAt(now)) + 1) + 1);
      this.#updateFree();
      return;
    }
    // Slow start or rate mode. A throttle of a call sent before our last reaction is old news.
    if (!wasProbe && sentAt < this.#cutAt) return;
    const turnIn = this.#turn(this.#windowAt(now) + 1) - now;
    if (wasProbe || this.#windowEvidence || turnIn <= t.longHoldMs) {
      // The window is closed (the test call was refused too, or the window turns soon anyway).
      if (wasProbe) this.#windowEvidence = true;
      this.#enterWindow(k);
      this.#hold(this.#turn(Math.max(k, this.#windowAt(now)) + 1) + 1);
      this.#updateFree();
      return;
    }
    // A long hold: first test with one call whether the quota is window-shaped at all.
    this.#rateCut(now);
    this.#probeRate = this.#rate;
    this.#probe = 1;
    this.#hold(now + Math.min(t.longHoldMs, Math.max(100, 2000 / this.#rate)));
    this.#updateFree();
  }

  /** Rate mode's multiplicative cut from the rate the server accepted. */
  #rateCut(now: number): void {
    const t = this.#t!;
    const measured = Number.isNaN(this.#meterAt)
      ? 0
      : (this.#meter * Math.exp(-(now - this.#meterAt) / METER_MS) * 1000) / METER_MS;
    const fromStart = this.#mode === MODE_START;
    let current =
      this.#rate === Number.POSITIVE_INFINITY ? measured : Math.min(this.#rate, measured || this.#rate);
    // Slow start overshoots by up to twice: halve the estimate, as TCP's ssthresh does.
    if (fromStart) current /= 2;
    current = Math.max(t.minRequestsPerSecond, current);
    this.#confirmed = !fromStart && this.#good !== Number.POSITIVE_INFINITY;
    this.#good = Math.max(t.minRequestsPerSecond, current * t.utilization);
    this.#mode = MODE_RATE;
    this.#rate = Math.min(this.#b.ceiling, Math.max(t.minRequestsPerSecond, current * t.decreaseFactor));
    this.#capacity = 1;
    this.#tokens = Math.min(this.#tokensAt(now), 0);
    this.#refillAt = now;
    this.#cutAt = now;
    this.#growAt = now;
  }

  /**
   * Enters window mode with what got through in server window `k` as the budget, or the initial
   * window if less got through: a client that arrived in a window others had already used up has
   * learnt nothing about its share, and one call per window would starve it.
   */
  #enterWindow(k: number): void {
    this.#mode = MODE_WINDOW;
    this.#budget = Math.max(this.#t!.initialWindow, this.#acceptedIn(k));
    this.#throttledWin = k;
    this.#cappedRun = 0;
    this.#cutAt = this.#b.clock.now();
  }

  /** Window mode: once per window, the budget becomes a fraction of what got through. */
  #windowCut(k: number): void {
    if (this.#mode !== MODE_WINDOW) {
      this.#enterWindow(k);
      return;
    }
    if (k <= this.#throttledWin) return;
    this.#throttledWin = k;
    this.#cappedRun = 0;
    const got = this.#acceptedIn(k);
    this.#budget = Math.max(1, Math.min(this.#budget, got * this.#t!.windowDecreaseFactor));
  }

  /** Rejects every queued call and clears the timer. */
  close(reason: unknown): void {
    this.#disarm();
    const queue = this.#queue;
    const head = this.#head;
    this.#queue = [];
    this.#head = 0;
    for (let i = head; i < queue.length; i++) {
      const waiter = queue[i]!;
      if (waiter.signal !== undefined && waiter.onAbort !== undefined) {
        waiter.signal.removeEventListener('abort', waiter.onAbort);
      }
      waiter.reject(reason);
    }
  }
}
