/**
 * The simulated clock the fleet runs on: boots, heartbeats and the "online within 2 minutes"
 * rule. It runs `speed` times faster than the wall clock (speed 60 = one simulated minute per
 * wall second) and can be moved forward by hand with `advance(ms)`. Signature timestamps are
 * checked against the wall clock, never against this one.
 */
export interface SimulatedClock {
  /** Simulated time, epoch milliseconds. */
  now(): number;
  /** Simulated time as a `Date`. */
  date(): Date;
  /** Moves simulated time forward by `ms` (tests use this with speed 0 for full control). */
  advance(ms: number): void;
  /** Jumps to a simulated time (forward or back). */
  set(epochMs: number): void;
  /** Simulated milliseconds per wall millisecond; 0 freezes the clock. */
  readonly speed: number;
  setSpeed(speed: number): void;
}

export interface SimulatedClockOptions {
  /**
   * Simulated time at start, epoch ms or ISO string.
   * @default the wall clock at start
   */
  readonly startTime?: number | string | undefined;
  /**
   * Simulated ms per wall ms.
   * @default 1
   */
  readonly speed?: number | undefined;
  /**
   * The wall clock the speed factor applies to.
   * @default Date.now
   */
  readonly wallNow?: (() => number) | undefined;
}

function checkSpeed(speed: number): number {
  if (!Number.isFinite(speed) || speed < 0)
    throw new RangeError(`clock speed must be a finite number ≥ 0, got ${speed}`);
  return speed;
}

export function createSimulatedClock(options: SimulatedClockOptions = {}): SimulatedClock {
  const wallNow = options.wallNow ?? Date.now;
  let speed = checkSpeed(options.speed ?? 1);
  const start =
    options.startTime === undefined
      ? wallNow()
      : typeof options.startTime === 'number'
        ? options.startTime
        : Date.parse(options.startTime);
  if (!Number.isFinite(start))
    throw new RangeError(`clock startTime is not a valid time: ${String(options.startTime)}`);
  // simulated = base + (wall - wallBase) * speed; rebased whenever speed or time is changed by hand.
  let base = start;
  let wallBase = wallNow();
  const now = (): number => (speed === 0 ? base : base + (wallNow() - wallBase) * speed);
  return {
    now,
    date: () => new Date(now()),
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`clock.advance needs a finite ms ≥ 0, got ${ms}`);
      base = now() + ms;
      wallBase = wallNow();
    },
    set(epochMs) {
      if (!Number.isFinite(epochMs))
        throw new RangeError(`clock.set needs a finite epoch ms, got ${epochMs}`);
      base = epochMs;
      wallBase = wallNow();
    },
    get speed() {
      return speed;
    },
    setSpeed(next) {
      checkSpeed(next);
      base = now();
      wallBase = wallNow();
      speed = next;
    },
  };
}
