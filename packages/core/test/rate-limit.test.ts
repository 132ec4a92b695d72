import { describe, expect, it } from 'vitest';
import {
  type ActionBudget,
  RequestBudget,
  type RequestBudgetOptions,
  resolveRateLimit,
} from '../src/rate-limit.js';
import { FakeClock, jain, prng, simulate } from './quota-sim.js';

/** 2026-01-01T00:00:00Z: a turn of every window grid used here. */
const T0 = Date.UTC(2026, 0, 1);
const ACTION = 'DescribeCloudAssistantStatus';

function setup(options: RequestBudgetOptions = {}, start = T0) {
  const clock = new FakeClock(start);
  const budget = new RequestBudget({ random: () => 0.5, ...options, clock });
  return { clock, budget, action: budget.for(ACTION) };
}

/** Acquires, recording when each call was released (ms after `from`). */
function queue(action: ActionBudget, clock: FakeClock, n: number, released: number[], from = T0) {
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const wait = action.acquire();
    const done = () => {
      released.push(clock.now() - from);
    };
    if (wait === undefined) {
      done();
      all.push(Promise.resolve());
    } else all.push(wait.then(done));
  }
  return Promise.all(all);
}

/** Runs timers until `cond()` holds (or none is left). */
async function stepUntil(clock: FakeClock, cond: () => boolean) {
  await clock.flush();
  while (!cond() && (await clock.step())) {
    /* advance */
  }
}

async function run(clock: FakeClock, until: Promise<unknown>) {
  let done = false;
  void until.then(() => {
    done = true;
  });
  await clock.flush();
  while (!done && (await clock.step())) {
    /* advance */
  }
  await until;
}

describe('slow start', () => {
  it("lets a fresh action's first initialWindow calls go at once, with no promise", () => {
    const { action } = setup({ rateLimit: { initialWindow: 4 } });
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
    expect(action.acquire()).toBeInstanceOf(Promise);
  });

  it('paces the rest at initialWindow per slowStartMs, doubling while calls are accepted', async () => {
    const { clock, action } = setup({ rateLimit: { initialWindow: 4, slowStartMs: 250 } });
    const released: number[] = [];
    const done = queue(action, clock, 12, released);
    let answered = 0;
    await clock.flush();
    do {
      for (; answered < released.length; answered++) {
        const at = T0 + released[answered]!;
        action.settle(at, at, 'accepted');
      }
    } while (released.length < 12 && (await clock.step()));
    await done;
    expect(released.slice(0, 4)).toEqual([0, 0, 0, 0]);
    // 4 per 250 ms = 16/s: the 5th call about 62 ms after the bucket emptied, not at once.
    expect(released[4]).toBeGreaterThanOrEqual(60);
    // The pace grows: the last gaps are shorter than the first.
    const gaps = released.slice(5).map((t, i) => t - released[4 + i]!);
    expect(gaps.at(-1)!).toBeLessThan(gaps[0]!);
  });

  it('measures its period in round trips: initialWindow per slowStartRtts shortest round trips after the first answer', async () => {
    const { clock, action } = setup({
      rateLimit: { initialWindow: 2, slowStartMs: 200, slowStartRtts: 32 },
    });
    const released: number[] = [];
    const done = queue(action, clock, 3, released);
    await clock.flush();
    expect(released).toEqual([0, 0]);
    // Before an answer the pace is 2 per 200 ms. Both are answered after 20 ms: the period is
    // 32 × 20 = 640 ms, and the pace slows to 2 per 640 ms.
    clock.set(T0 + 20);
    action.settle(T0, T0 + 20, 'accepted');
    action.settle(T0, T0 + 20, 'accepted');
    expect(action.rate).toBeCloseTo(2000 / 640, 5);
    await run(clock, done);
    // 0.2 of a call's token by the answer (20 ms at 10/s), the rest at 3.125/s: 256 ms later.
    expect(released[2]).toBeGreaterThanOrEqual(20 + 250);
    expect(released[2]).toBeLessThanOrEqual(20 + 262);
  });

  it('caps the calls in flight at twice what its pace sends in the shortest round trip', async () => {
    const { clock, action } = setup({ rateLimit: { initialWindow: 2, slowStartMs: 10 } });
    for (let i = 0; i < 2; i++) expect(action.acquire()).toBeUndefined();
    // Answered in 5 ms: the period is 160 ms, the pace 2 per 160 ms, the cap max(2, 2 × 12.5/s × 5 ms).
    clock.set(T0 + 5);
    action.settle(T0, T0 + 5, 'accepted');
    action.settle(T0, T0 + 5, 'accepted');
    const released: number[] = [];
    void queue(action, clock, 6, released);
    // A second later the pace would have allowed a dozen calls, but none of these is answered.
    while (clock.now() < T0 + 1_000 && (await clock.step())) {
      /* advance */
    }
    clock.set(T0 + 1_000);
    await clock.flush();
    expect(released).toHaveLength(2);
    // An answer frees a place.
    const at = T0 + released[0]!;
    action.settle(at, T0 + 1_000, 'accepted');
    await clock.step();
    await clock.flush();
    expect(released.length).toBeGreaterThanOrEqual(3);
  });

  it('stops limiting once its in-flight cap reaches maxConcurrency', () => {
    const { clock, action } = setup({ maxConcurrency: 4, rateLimit: { initialWindow: 2, slowStartMs: 250 } });
    // Calls accepted every 10 ms, each answered in 5 ms: the pace doubles every 160 ms, and the
    // slow start is done once 2 × pace × 5 ms ≥ 4 calls, at 400/s rather than 1,000/s.
    let last = 0;
    for (let t = 5; t <= 3_000 && action.rate !== Number.POSITIVE_INFINITY; t += 10) {
      last = action.rate;
      clock.set(T0 + t);
      action.settle(T0 + t - 5, T0 + t, 'accepted');
    }
    expect(action.rate).toBe(Number.POSITIVE_INFINITY);
    expect(last).toBeGreaterThanOrEqual(300);
    expect(last).toBeLessThan(1_000);
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
  });

  it('stops limiting once it allows 1,000 calls a second (the hot path)', () => {
    const { clock, action } = setup({ rateLimit: { initialWindow: 4, slowStartMs: 250 } });
    // Two seconds of accepted calls: the pace doubles every 250 ms from 16/s, past 1,000/s.
    for (let t = 0; t <= 2000; t += 10) {
      clock.set(T0 + t);
      action.settle(T0 + t, T0 + t, 'accepted');
    }
    expect(action.rate).toBe(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 100; i++) expect(action.acquire()).toBeUndefined();
  });

  it('paces at maxRequestsPerSecond from the start when it is lower', async () => {
    const { clock, action } = setup({ maxRequestsPerSecond: 2, rateLimit: { initialWindow: 4 } });
    const released: number[] = [];
    await run(clock, queue(action, clock, 4, released));
    expect(released).toEqual([0, 500, 1000, 1500]);
  });
});

describe('window mode (ECS: per-minute windows, no x-acs-retry-after)', () => {
  const windowMs = 60_000;

  it('holds every call until the window turns, then sends at most what got through, spread over the window', async () => {
    const { clock, action } = setup({ rateLimit: { windowMs, initialWindow: 4, jitterMs: 3000 } });
    // 10 s into a window: 4 calls go and are accepted, the 5th is throttled; the window turns in 50 s.
    const start = T0 + 10_000;
    clock.set(start);
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
    for (let i = 0; i < 4; i++) action.settle(start, start + 50, 'accepted');
    // The 5th: sent after slow start's pace allowed it; throttled. The window turns in ~50 s,
    // longer than longHoldMs: one test call first.
    const released: number[] = [];
    const done = queue(action, clock, 9, released, T0);
    await clock.flush();
    expect(released).toEqual([]);
    await stepUntil(clock, () => released.length === 1);
    const fifthAt = T0 + released[0]!;
    action.settle(fifthAt, fifthAt + 50, 'throttled');
    // The test call, after a short pause: throttled too, so the quota is window-shaped.
    await stepUntil(clock, () => released.length === 2);
    // (longHoldMs: windowMs / 30 = 2 s after the throttle's answer, at most)
    expect(released[1]! - (released[0]! + 50)).toBeLessThanOrEqual(2000);
    expect(action.mode).toBe('rate');
    const probeAt = T0 + released[1]!;
    action.settle(probeAt, probeAt + 50, 'throttled');
    expect(action.mode).toBe('window');
    // 4 got through: the budget is 0.9 × 4 (3 calls in the next window, 0.6 carried).
    expect(action.windowBudget).toBeCloseTo(3.6, 5);
    expect(action.holdUntil).toBeGreaterThanOrEqual(T0 + windowMs);
    // Nothing more until the turn; then 3 calls in the window, spread over it.
    const answerAll = async () => {
      let answered = 2;
      while (released.length < 9) {
        if (!(await clock.step())) break;
        for (; answered < released.length; answered++) {
          const at = T0 + released[answered]!;
          action.settle(at, at + 50, 'accepted');
        }
      }
    };
    await answerAll();
    await done;
    const next = released.slice(2).map((t) => t - windowMs);
    expect(next.slice(0, 3).every((t) => t >= 600 && t < windowMs)).toBe(true);
    // Spread: about a third of the window apart (the span minus the lead and margin).
    for (let i = 1; i < 3; i++) expect(next[i]! - next[i - 1]!).toBeGreaterThan(16_000);
    // The next window's calls start after the next turn: the full window doubled the budget back
    // to the 4 that got through (and the 0.6 carried stays below a call).
    expect(next[3]).toBeGreaterThanOrEqual(windowMs + 600);
    expect(next.slice(3, 7).every((t) => t >= windowMs + 600 && t < 2 * windowMs)).toBe(true);
  });

  it('sends the test call only once the calls sent before it have answered, and after a pause from then', async () => {
    // A token bucket that calls still in flight drain would refuse a test call sent beside them,
    // and the budget would take it for a closed window (a hold of up to a minute). Found as a
    // flaky waiter-simulator test (10/s bucket, burst 3: 900 of 1,000 ready at its deadline).
    const { clock, action } = setup({ rateLimit: { windowMs, initialWindow: 4 } });
    const start = T0 + 10_000;
    clock.set(start);
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
    const released: number[] = [];
    const done = queue(action, clock, 1, released, T0);
    // One of the four is throttled while three are still in flight: a test call is due.
    action.settle(start, start + 50, 'throttled');
    // Long past the pause, nothing goes while the three are in flight.
    for (let i = 0; i < 20 && (await clock.step()); i++) if (clock.now() > start + 5_000) break;
    clock.set(Math.max(clock.now(), start + 5_000));
    await clock.flush();
    expect(released).toEqual([]);
    // The last of them answers at +5 s: the test call goes one pause (≤ longHoldMs, 2 s) later.
    const lastAnswer = start + 5_000;
    action.settle(start, start + 100, 'accepted');
    action.settle(start, start + 100, 'accepted');
    expect(released).toEqual([]);
    action.settle(start, lastAnswer, 'accepted');
    await stepUntil(clock, () => released.length === 1);
    await done;
    const probeAt = T0 + released[0]!;
    expect(probeAt).toBeGreaterThanOrEqual(lastAnswer + 100);
    expect(probeAt).toBeLessThanOrEqual(lastAnswer + 2_000);
    // It goes through: the quota is not a closed window, and the action paces by rate.
    action.settle(probeAt, probeAt + 50, 'accepted');
    expect(action.mode).toBe('rate');
    expect(action.holdUntil).toBe(Number.NEGATIVE_INFINITY);
  });

  it('sends no test call that could only go after the window turned: window mode instead', async () => {
    // Accepted after the turn, a test call would pass whatever the quota's shape.
    const { clock, action } = setup({ rateLimit: { windowMs, initialWindow: 4 } });
    const start = T0 + 10_000;
    clock.set(start);
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
    const released: number[] = [];
    const done = queue(action, clock, 1, released, T0);
    action.settle(start, start + 50, 'throttled');
    action.settle(start, start + 100, 'accepted');
    action.settle(start, start + 100, 'accepted');
    await clock.flush();
    expect(released).toEqual([]);
    // The last call in flight answers after the turn (T0 + 60 s, plus its margin).
    clock.set(T0 + windowMs + 1_000);
    action.settle(start, T0 + windowMs + 1_000, 'accepted');
    expect(action.mode).toBe('window');
    await stepUntil(clock, () => released.length === 1);
    await done;
    expect(released[0]).toBeGreaterThanOrEqual(windowMs);
  });

  it('goes straight to the hold (no test call) when the window turns within longHoldMs', () => {
    const { clock, action } = setup({ rateLimit: { windowMs, initialWindow: 2, longHoldMs: 2000 } });
    clock.set(T0 + 59_000);
    expect(action.acquire()).toBeUndefined();
    action.settle(T0 + 59_000, T0 + 59_010, 'throttled');
    expect(action.mode).toBe('window');
    expect(action.holdUntil).toBe(T0 + windowMs + 1);
  });

  it('aligns windows with the server clock from its Date header', () => {
    // The local clock is 10.4 s behind the server's.
    const local = T0 + 30_000;
    const serverNow = local + 10_400;
    const { budget, action } = setup(
      { rateLimit: { windowMs, initialWindow: 1, longHoldMs: 60_000 } },
      local,
    );
    budget.observeDate(new Date(Math.floor(serverNow / 1000) * 1000).toUTCString(), local, local + 20);
    expect(action.acquire()).toBeUndefined();
    action.settle(local, local + 20, 'throttled');
    // The server's window turns at T0 + 60 s of its clock, i.e. ~10.4 s earlier on ours.
    const turnLocal = T0 + windowMs - 10_400;
    expect(Math.abs(action.holdUntil - turnLocal)).toBeLessThanOrEqual(1000);
  });

  it('cuts the budget to a fraction of what got through, doubles it back to that level, then grows it after two full windows', async () => {
    const { clock, action } = setup({
      rateLimit: {
        windowMs: 1000,
        initialWindow: 10,
        windowDecreaseFactor: 0.9,
        windowIncrease: 0.05,
        // The quota is known to be window-shaped: no test call.
        longHoldMs: Number.POSITIVE_INFINITY,
      },
    });
    // Window 0: 10 accepted, then a throttle: 10 is where the quota ran out; the budget is 9.
    for (let i = 0; i < 10; i++) expect(action.acquire()).toBeUndefined();
    for (let i = 0; i < 10; i++) action.settle(T0, T0 + 5, 'accepted');
    expect(action.acquire()).toBeInstanceOf(Promise);
    await clock.step();
    action.settle(clock.now(), clock.now() + 5, 'throttled');
    expect(action.mode).toBe('window');
    expect(action.windowBudget).toBe(9);
    // Keep 50 calls queued; answer each as accepted.
    const released: number[] = [];
    const done = queue(action, clock, 50, released);
    let answered = 0;
    while (released.length < 50 && (await clock.step())) {
      for (; answered < released.length; answered++) {
        const at = T0 + released[answered]!;
        action.settle(at, at + 5, 'accepted');
      }
    }
    await done;
    const perWindow = new Map<number, number>();
    for (const t of released)
      perWindow.set(Math.floor(t / 1000), (perWindow.get(Math.floor(t / 1000)) ?? 0) + 1);
    // Window 1 sends 9 (the queued retry of the throttle among them); a full window doubles the
    // budget, up to the 10 that got through; two full windows at that level add one call.
    expect(perWindow.get(1)).toBe(9);
    expect(perWindow.get(2)).toBe(10);
    expect(perWindow.get(3)).toBe(10);
    expect(perWindow.get(4)).toBe(11);
    // A throttle in window 7 after 8 got through: the budget (13 by then) becomes 0.9 × 8.
    expect(action.windowBudget).toBe(13);
    const at = T0 + 7500;
    for (let i = 0; i < 8; i++) action.settle(at, at + 5, 'accepted');
    action.settle(at, at + 5, 'throttled');
    expect(action.windowBudget).toBeCloseTo(7.2, 5);
    // A throttle early in a window (1 of a budget of 7.2 through) cuts by at most half.
    const early = T0 + 8200;
    action.settle(early, early + 5, 'accepted');
    action.settle(early, early + 5, 'throttled');
    expect(action.windowBudget).toBeCloseTo(0.9 * 3.6, 5);
  });
});

describe('x-acs-retry-after', () => {
  it('holds every queued call of the action for that long', async () => {
    const { clock, action } = setup({ rateLimit: { windowMs: 60_000, initialWindow: 3 } });
    for (let i = 0; i < 3; i++) expect(action.acquire()).toBeUndefined();
    const released: number[] = [];
    const done = queue(action, clock, 3, released);
    action.settle(T0, T0 + 40, 'throttled', 3000);
    action.settle(T0, T0 + 40, 'accepted');
    action.settle(T0, T0 + 40, 'accepted');
    await run(clock, done);
    expect(Math.min(...released)).toBeGreaterThanOrEqual(3040);
    expect(Math.min(...released)).toBeLessThanOrEqual(3040 + 300);
  });

  it('switches to window mode when the time it names is a turn of the window grid', () => {
    const { action } = setup({ rateLimit: { windowMs: 60_000, initialWindow: 1 } });
    expect(action.acquire()).toBeUndefined();
    // Answered 45 s into the window; the server says come back in 15 s: the turn.
    action.settle(T0 + 45_000, T0 + 45_000, 'throttled', 15_000);
    expect(action.mode).toBe('window');
    expect(action.holdUntil).toBeGreaterThanOrEqual(T0 + 60_000);
  });

  it('is honoured with adaptation off too (rateLimit: false)', () => {
    const { action } = setup({ rateLimit: false });
    expect(action.acquire()).toBeUndefined();
    action.settle(T0, T0 + 10, 'throttled', 500);
    expect(action.holdUntil).toBe(T0 + 510);
    expect(action.acquire()).toBeInstanceOf(Promise);
  });
});

describe('a quota that is not window-shaped (token bucket)', () => {
  it('paces by rate after the test call goes through', async () => {
    const { clock, action } = setup({ rateLimit: { windowMs: 60_000, initialWindow: 4 } });
    clock.set(T0 + 10_000);
    const t = clock.now();
    for (let i = 0; i < 4; i++) expect(action.acquire()).toBeUndefined();
    for (let i = 0; i < 4; i++) action.settle(t, t + 5, 'accepted');
    const released: number[] = [];
    const done = queue(action, clock, 6, released, t);
    await stepUntil(clock, () => released.length === 1);
    action.settle(t + released[0]!, t + released[0]! + 5, 'throttled');
    await stepUntil(clock, () => released.length === 2);
    action.settle(t + released[1]!, t + released[1]! + 5, 'accepted');
    expect(action.mode).toBe('rate');
    let answered = 2;
    while (released.length < 6 && (await clock.step())) {
      for (; answered < released.length; answered++) {
        action.settle(t + released[answered]!, t + released[answered]! + 5, 'accepted');
      }
    }
    await done;
    // Paced, not held until the minute turns.
    expect(released.at(-1)!).toBeLessThan(20_000);
  });
});

describe('concurrency, abort and close', () => {
  it('bounds calls in flight across actions; a held action does not hold slots', async () => {
    const clock = new FakeClock(T0);
    const budget = new RequestBudget({ clock, maxConcurrency: 2, random: () => 0.5 });
    const a = budget.for('DescribeCloudAssistantStatus');
    const b = budget.for('RunCommand');
    expect(a.acquire()).toBeUndefined();
    expect(a.acquire()).toBeUndefined();
    const third = b.acquire();
    expect(third).toBeInstanceOf(Promise);
    let ran = false;
    void third!.then(() => {
      ran = true;
    });
    // One of a's calls is throttled (window mode, held a minute): its slot goes to b's call.
    a.settle(T0, T0 + 5, 'throttled');
    await clock.flush();
    expect(ran).toBe(true);
    expect(budget.inFlight).toBe(2);
  });

  it('takes a queued call out when its signal aborts, rejecting with the reason', async () => {
    const { action } = setup({ maxRequestsPerSecond: 1, rateLimit: { initialWindow: 1 } });
    expect(action.acquire()).toBeUndefined();
    const controller = new AbortController();
    const queued = action.acquire(controller.signal);
    expect(action.pending).toBe(1);
    controller.abort('gone');
    await expect(queued).rejects.toBe('gone');
    expect(action.pending).toBe(0);
  });

  it('rejects everything queued on close and leaves no timer', async () => {
    const { clock, budget, action } = setup({ maxRequestsPerSecond: 1, rateLimit: { initialWindow: 1 } });
    action.acquire();
    const queued = action.acquire();
    expect(clock.pendingTimers).toBe(1);
    budget.close(new Error('closed'));
    await expect(queued).rejects.toThrow('closed');
    expect(clock.pendingTimers).toBe(0);
    await expect(action.acquire()).rejects.toThrow('closed');
  });
});

describe('options', () => {
  it('derive the jitter, the long-hold test and the rate floor from windowMs', () => {
    const t = resolveRateLimit({ windowMs: 1_000 });
    expect(t.jitterMs).toBe(50);
    expect(t.longHoldMs).toBeCloseTo(1_000 / 30, 10);
    expect(t.minRequestsPerSecond).toBe(1);
    const minute = resolveRateLimit(undefined);
    expect(minute.longHoldMs).toBe(2_000);
    expect(minute.minRequestsPerSecond).toBeCloseTo(1 / 60, 10);
    expect(minute.initialWindow).toBe(2);
    expect(minute.slowStartRtts).toBe(32);
  });

  it('are checked, naming the option', () => {
    expect(() => new RequestBudget({ maxRequestsPerSecond: 0 })).toThrow(/maxRequestsPerSecond/);
    expect(() => resolveRateLimit({ decreaseFactor: 1.5 })).toThrow(/rateLimit\.decreaseFactor/);
    expect(() => resolveRateLimit({ windowMs: 0 })).toThrow(/rateLimit\.windowMs/);
    expect(() => resolveRateLimit({ initialWindow: 2.5 })).toThrow(/rateLimit\.initialWindow/);
    expect(() => resolveRateLimit({ jitterMs: 70_000 })).toThrow(/rateLimit\.jitterMs/);
    expect(() => resolveRateLimit({ slowStartRtts: 0 })).toThrow(/rateLimit\.slowStartRtts/);
    expect(() => resolveRateLimit({ holdMs: 1 } as never)).toThrow(/Unknown option `rateLimit\.holdMs`/);
  });
});

describe('the strategy against simulated quotas (fake clock)', () => {
  // Windows of 1 s with 32 calls each: ECS's one-minute windows compressed 60×, with the start
  // spread compressed alike (a 1 s spread becomes 17 ms).
  const windowMs = 1000;
  const limit = 32;
  const phase = 425;
  const budget = { rateLimit: { windowMs } };

  it('one client: few throttles, near the ideal time', async () => {
    const r = await simulate({
      model: { kind: 'window', windowMs, limit },
      clients: [{ startMs: phase, calls: 100, concurrency: 4 }],
      budget,
    });
    expect(r.throttled / r.sent).toBeLessThanOrEqual(0.05);
    expect(r.perClient[0]!.elapsedMs / ((100 / limit) * windowMs)).toBeLessThanOrEqual(1.2);
    // Never more than the quota in any window.
    for (const n of r.grantedPerWindow.values()) expect(n).toBeLessThanOrEqual(limit);
  });

  it('four waits on one client share one budget', async () => {
    const r = await simulate({
      model: { kind: 'window', windowMs, limit },
      clients: Array.from({ length: 4 }, () => ({
        startMs: phase,
        calls: 25,
        concurrency: 4,
        budget: 'one',
      })),
      budget,
    });
    expect(r.throttled / r.sent).toBeLessThanOrEqual(0.05);
  });

  it('eight clients on one account converge: few throttles, nobody starved', async () => {
    const rand = prng(3);
    const r = await simulate({
      model: { kind: 'window', windowMs, limit },
      clients: Array.from({ length: 8 }, () => ({
        startMs: phase + Math.floor(rand() * 17),
        calls: 13,
        concurrency: 4,
      })),
      budget,
    });
    expect(r.throttled / r.sent).toBeLessThanOrEqual(0.1);
    const times = r.perClient.map((p) => p.elapsedMs);
    expect(Math.max(...times) / Math.min(...times)).toBeLessThanOrEqual(1.5);
    expect(jain(r.perClient.map((p) => p.granted / p.elapsedMs))).toBeGreaterThan(0.95);
  });

  it('a token bucket of the same rate is paced too', async () => {
    const r = await simulate({
      model: { kind: 'bucket', ratePerSecond: limit, burst: limit },
      clients: [{ startMs: phase, calls: 100, concurrency: 4 }],
      budget,
    });
    expect(r.throttled / r.sent).toBeLessThanOrEqual(0.05);
    expect(r.perClient[0]!.elapsedMs / ((100 / limit) * 1000)).toBeLessThanOrEqual(1.2);
  });
});

describe('the strategy at ECS scale (one-minute windows, 80 ms calls)', () => {
  it('one wait of 100 calls against 20 per minute: only the first window overshoots, within the ideal time', async () => {
    const r = await simulate({
      model: { kind: 'window', windowMs: 60_000, limit: 20 },
      clients: [{ startMs: 25_000, calls: 100, concurrency: 4 }],
      latencyMs: 80,
    });
    // The calls in flight when the first throttle answers (at most the 4 workers) and the one
    // test call of a long hold; nothing after the first window (the 5 % would be 5).
    expect(r.throttled).toBeLessThanOrEqual(6);
    const windows = [...r.grantedPerWindow.keys()].sort((a, b) => a - b);
    expect(windows.length).toBeLessThanOrEqual(6);
    expect(r.perClient[0]!.elapsedMs / (5 * 60_000)).toBeLessThanOrEqual(1.2);
    for (const n of r.grantedPerWindow.values()) expect(n).toBeLessThanOrEqual(20);
  });
});
