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
 *    paced by a token bucket whose rate starts at `initialWindow` per `slowStartMs`, at most
 *    `initialWindow` per period once an answer gives a round trip, and doubles every period while
 *    calls are accepted; calls in flight are capped at twice what the pace sends in the shortest
 *    round trip. It stops limiting once that cap reaches `maxConcurrency` (1,000/s without one).
 *    The period is `slowStartRtts` round trips (the shortest seen), so that what the slow start
 *    overshoots when the quota runs out (the pace × one round trip) is a small share of what got
 *    through, whatever the latency.
 * 2. **Window** (ECS's documented model). On a `Throttling*` answer without `x-acs-retry-after`,
 *    the action's calls are held until the server's window has turned (the window grid is aligned
 *    with the server's `Date` header, and each return is jittered). What got through in the
 *    throttled window, A, is the level where the quota ran out; the action's budget per window B
 *    becomes `windowDecreaseFactor` × A. From then on at most B calls are sent per window (a
 *    fraction carried to the next window), spread evenly from the window's start, so that a
 *    client with a larger budget has the window's last slots and is the first to be throttled
 *    when the clients of an account ask for more than the quota. AIMD on B: a throttle cuts it
 *    to `windowDecreaseFactor` × what got through (once per window) and sets A to that; a window
 *    that used all of B without a throttle doubles B up to A, and above A windows in a row raise
 *    it, from the second on and faster each time (`windowIncrease` × B, at least one call, times
 *    n − 1 after n such windows).
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
 *
 * This file holds the queues, the concurrency slots, the holds and the mode switches; the rate
 * side (slow start, rate mode) is rate-pacer.ts, the windows (the server's clock from `Date`, the
 * per-window budget and its slots) quota-window.ts.
 */

import { QuotaWindows, ServerClock } from './quota-window.js';
import { RatePacer } from './rate-pacer.js';

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
   * @default 2
   */
  readonly initialWindow?: number | undefined;
  /**
   * Slow start: after the initial window the pace is at most `initialWindow` calls per period
   * and doubles every period while calls are accepted. The period is `slowStartRtts` round trips
   * (the shortest round trip of an accepted call), at most `windowMs / 12`.
   * @default 32
   */
  readonly slowStartRtts?: number | undefined;
  /**
   * Slow start: the first pace is `initialWindow` calls per `slowStartMs` (the period until the
   * first answer gives a round trip, which can only slow it).
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
   * in the throttled window (and grows back to what got through, doubling per full window).
   * @default 0.9
   */
  readonly windowDecreaseFactor?: number | undefined;
  /**
   * Window mode: once the budget is back to what got through in the last throttled window, two
   * windows in a row that used the whole budget without a throttle grow it by this fraction (at
   * least one call), and n such windows by n − 1 times that.
   * @default 0.05
   */
  readonly windowIncrease?: number | undefined;
  /**
   * A hold to the window's turn longer than this is first tested with one call (only until the
   * quota has shown itself to be window-shaped): a token bucket does not need a long hold.
   * @default windowMs / 30 (2 s for one-minute windows)
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
   * @default 1000 / windowMs (one call per window: 1/60 per second for one-minute windows)
   */
  readonly minRequestsPerSecond?: number | undefined;
}

export const rateLimitDefaults = {
  windowMs: 60_000,
  initialWindow: 2,
  slowStartRtts: 32,
  slowStartMs: 250,
  windowDecreaseFactor: 0.9,
  windowIncrease: 0.05,
  decreaseFactor: 0.7,
  recoveryMs: 1_500,
  utilization: 0.95,
} as const;

interface Tuning {
  readonly windowMs: number;
  readonly initialWindow: number;
  readonly slowStartRtts: number;
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
  const known = new Set([
    ...Object.keys(rateLimitDefaults),
    'jitterMs',
    'longHoldMs',
    'minRequestsPerSecond',
  ]);
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
    slowStartRtts: check('rateLimit.slowStartRtts', pick('slowStartRtts'), finitePositive, 'a number > 0'),
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
      o.longHoldMs ?? windowMs / 30,
      (v) => v >= 0 && v <= Number.POSITIVE_INFINITY,
      'a number of ms ≥ 0 (Infinity: never test)',
    ),
    decreaseFactor: check('rateLimit.decreaseFactor', pick('decreaseFactor'), fraction, 'in (0, 1)'),
    recoveryMs: check('rateLimit.recoveryMs', pick('recoveryMs'), finitePositive, 'a number > 0'),
    utilization: check('rateLimit.utilization', pick('utilization'), (v) => v > 0 && v <= 1, 'in (0, 1]'),
    minRequestsPerSecond: check(
      'rateLimit.minRequestsPerSecond',
      o.minRequestsPerSecond ?? 1000 / windowMs,
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
  /** @internal The server's clock, from the `Date` headers. */
  readonly server = new ServerClock();

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

  /** The bound on calls in flight across every action (`maxConcurrency`). */
  get maxConcurrency(): number {
    return this.#maxConcurrency;
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
   * and answered: it aligns the windows with the server's clock.
   */
  observeDate(date: string | undefined, sentAt: number, answeredAt: number): void {
    this.server.observe(date, sentAt, answeredAt);
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
  /** Window mode (else the rate pacer: slow start or rate mode). */
  #window = false;
  /** Calls of this action sent and not yet settled. */
  #sent = 0;
  /** Nothing limits this action (slow start done, no ceiling, no hold): the hot path. */
  #free = false;
  readonly #pacer: RatePacer;
  // The ceiling (maxRequestsPerSecond): the earliest time of the next release.
  #ceilingAt = Number.NEGATIVE_INFINITY;
  // Holds.
  #holdUntil = Number.NEGATIVE_INFINITY;
  /** Throttles of calls sent before this are old news. */
  #cutAt = Number.NEGATIVE_INFINITY;
  /** 0: none; 1: the next release is a test call; 2: the test call is in flight. */
  #probe = 0;
  #probeRate = 0;
  /** The pause before the test call, and after the last answer of the calls sent before it. */
  #probePauseMs = 0;
  /** The server window of the throttle that asked for the test call. */
  #probeK = 0;
  #windowEvidence = false;
  /** The action's quota windows (undefined without adaptation). */
  readonly #w: QuotaWindows | undefined;

  constructor(budget: RequestBudget, action: string) {
    this.#b = budget;
    this.action = action;
    this.#t = budget.tuning;
    const t = this.#t;
    this.#pacer = new RatePacer(t, budget.ceiling, budget.maxConcurrency);
    this.#w = t === undefined ? undefined : new QuotaWindows(t, budget.server, budget.random);
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
    return this.#window ? 'window' : this.#pacer.slowStart ? 'start' : 'rate';
  }

  /** The current pace in calls per second (slow start and rate mode; Infinity when unlimited). */
  get rate(): number {
    return this.#pacer.rate;
  }

  /** Window mode: the budget per window. */
  get windowBudget(): number {
    return this.#w?.budget ?? Number.POSITIVE_INFINITY;
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
      this.#pacer.rate === Number.POSITIVE_INFINITY &&
      this.#holdUntil === Number.NEGATIVE_INFINITY &&
      this.#probe === 0 &&
      !this.#window;
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
        if (b.takeSlot()) {
          this.#sent++;
          return undefined;
        }
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

  /** The earliest time (≥ now) the next call may be released. */
  #readyAt(now: number): number {
    // The test call waits for the answers of the calls sent before it (whatever they took of a
    // token bucket's refill is spent by then), and is then alone in flight: calls still in flight
    // could drain a bucket that refilled during the pause and make it look like a closed window.
    if (this.#probe === 2 || (this.#probe === 1 && this.#sent > 0)) return Number.POSITIVE_INFINITY;
    let at = now;
    if (this.#holdUntil > at) at = this.#holdUntil;
    else if (this.#holdUntil !== Number.NEGATIVE_INFINITY) {
      this.#holdUntil = Number.NEGATIVE_INFINITY;
      this.#updateFree();
    }
    if (this.#ceilingAt > at) at = this.#ceilingAt;
    if (this.#window) return this.#w!.slot(at);
    // Slow start: no more in flight than the pace fills in two shortest round trips, so that a
    // round trip far above the shortest (a loaded server) does not pile calls up in flight.
    if (this.#sent >= this.#pacer.inFlightCap()) return Number.POSITIVE_INFINITY;
    return this.#pacer.readyAt(at);
  }

  /** Counts a release at `now`. */
  #consume(now: number): void {
    this.#sent++;
    if (this.#b.ceiling !== Number.POSITIVE_INFINITY) {
      this.#ceilingAt = Math.max(this.#ceilingAt, now) + 1000 / this.#b.ceiling;
    }
    if (this.#probe === 1) {
      this.#probe = 2;
      this.#free = false;
    }
    if (this.#window) this.#w!.release(now);
    else this.#pacer.take(now);
  }

  // ---- feedback -----------------------------------------------------------------------------

  /**
   * Gives back the call's concurrency slot and learns from its answer. `sentAt` and `answeredAt`
   * are `clock.now()` when the call was released and answered; `retryAfterMs` is the server's
   * `x-acs-retry-after` of a throttle.
   */
  settle(sentAt: number, answeredAt: number, outcome: Outcome, retryAfterMs?: number): void {
    const b = this.#b;
    this.#sent--;
    // The last call sent before a pending test call has answered: the pause starts again, so that
    // a token bucket it drew on has refilled before the test.
    if (this.#probe === 1 && this.#sent === 0) this.#probeAfterPause(answeredAt);
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
    this.#w!.accepted(sentAt, answeredAt);
    if (this.#probe === 2) {
      // The test call went through: the quota is not a closed window. Pace by rate.
      this.#probe = 0;
      this.#pacer.resume(this.#probeRate, answeredAt);
      this.#holdUntil = Number.NEGATIVE_INFINITY;
      this.#updateFree();
      return;
    }
    if (!this.#window) this.#pacer.accepted(answeredAt, answeredAt - sentAt);
    if (this.#free !== (this.#pacer.rate === Number.POSITIVE_INFINITY)) this.#updateFree();
  }

  #throttled(sentAt: number, answeredAt: number, retryAfterMs: number | undefined): void {
    const t = this.#t!;
    const b = this.#b;
    const w = this.#w!;
    const now = answeredAt;
    const k = w.of(sentAt, answeredAt);
    const wasProbe = this.#probe === 2;
    if (wasProbe) this.#probe = 0;
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      const wait = Math.min(retryAfterMs, b.maxRetryAfterMs);
      // The time the server names: a turn of our window grid means the quota is window-shaped.
      const named = now + b.server.offset + wait;
      const fromTurn = named - Math.round(named / t.windowMs) * t.windowMs;
      const tolerance = Math.max(w.margin(), t.windowMs / 50, 1000);
      if (Math.abs(fromTurn) <= tolerance && wait >= Math.min(t.longHoldMs, t.windowMs / 4)) {
        this.#windowEvidence = true;
      }
      this.#hold(now + wait + b.random() * Math.min(wait / 10, t.jitterMs));
      if (this.#window || this.#windowEvidence) {
        this.#windowCut(k);
      } else if (sentAt >= this.#cutAt) {
        this.#rateCut(now);
      }
      this.#updateFree();
      return;
    }
    if (this.#window) {
      this.#windowCut(k);
      this.#hold(w.turn(Math.max(k, w.at(now)) + 1) + 1);
      this.#updateFree();
      return;
    }
    // Slow start or rate mode. A throttle of a call sent before our last reaction is old news.
    if (!wasProbe && sentAt <= this.#cutAt) return;
    const turnIn = w.turn(w.at(now) + 1) - now;
    if (wasProbe || this.#windowEvidence || turnIn <= t.longHoldMs) {
      // The window is closed (the test call was refused too, or the window turns soon anyway).
      if (wasProbe) this.#windowEvidence = true;
      this.#enterWindow(k);
      this.#hold(w.turn(Math.max(k, w.at(now)) + 1) + 1);
      this.#updateFree();
      return;
    }
    // A long hold: first test with one call whether the quota is window-shaped at all.
    this.#rateCut(now);
    this.#probeRate = this.#pacer.rate;
    this.#probe = 1;
    this.#probePauseMs = Math.min(t.longHoldMs, Math.max(100, 2000 / this.#pacer.rate));
    this.#probeK = k;
    this.#hold(now + this.#probePauseMs);
    this.#updateFree();
  }

  /**
   * The calls sent before a pending test call have all answered (the last at `answeredAt`): the
   * test goes one pause later, if that is still within the throttled window. A test sent after the
   * window turned would be accepted whatever the quota's shape and tell nothing, so then the
   * action holds until the turn as when a throttle comes shortly before it (window mode).
   */
  #probeAfterPause(answeredAt: number): void {
    const w = this.#w!;
    const turn = w.turn(this.#probeK + 1);
    if (answeredAt + this.#probePauseMs < turn) {
      this.#hold(answeredAt + this.#probePauseMs);
      return;
    }
    this.#probe = 0;
    this.#enterWindow(this.#probeK);
    this.#hold(turn + 1);
    this.#updateFree();
  }

  /** Rate mode's multiplicative cut from the rate the server accepted (see {@link RatePacer.cut}). */
  #rateCut(now: number): void {
    this.#pacer.cut(now);
    this.#cutAt = now;
  }

  /** Enters window mode after a throttle in server window `k` (see {@link QuotaWindows.enter}). */
  #enterWindow(k: number): void {
    this.#window = true;
    this.#w!.enter(k);
    this.#cutAt = this.#b.clock.now();
  }

  /** Window mode: once per window, the budget becomes a fraction of what got through. */
  #windowCut(k: number): void {
    if (!this.#window) this.#enterWindow(k);
    else this.#w!.cut(k);
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
