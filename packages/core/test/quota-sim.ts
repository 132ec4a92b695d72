/**
 * A discrete-event simulation for the request budget's strategy tests: a fake clock with timers,
 * a server with ECS's window quota (per account and action, windows aligned to its clock) or a
 * token bucket, and clients (each its own {@link RequestBudget}) whose workers send a fixed number
 * of calls, as waits do: acquire, answer after a latency, settle, retry a throttled call.
 */
import { type BudgetClock, RequestBudget, type RequestBudgetOptions } from '../src/rate-limit.js';

export type QuotaModel =
  | { readonly kind: 'window'; readonly windowMs: number; readonly limit: number }
  | { readonly kind: 'bucket'; readonly ratePerSecond: number; readonly burst: number };

export interface SimClient {
  /** When its workers start, in ms after the simulation start. */
  readonly startMs: number;
  /** Calls it must get through. */
  readonly calls: number;
  /** Calls in flight at once (the waiter's `concurrency`). */
  readonly concurrency: number;
  /** Several clients may share one budget (waits on one core client): same `budget` key. */
  readonly budget?: string;
}

export interface SimResult {
  readonly sent: number;
  readonly throttled: number;
  readonly perClient: readonly {
    readonly granted: number;
    readonly throttled: number;
    /** ms from its start to its last granted call's answer. */
    readonly elapsedMs: number;
    /** Granted and throttled calls per server window index (the window the server decided in). */
    readonly windows: ReadonlyMap<number, { granted: number; throttled: number }>;
  }[];
  /** ms from the first start to the last answer. */
  readonly totalMs: number;
  /** Granted calls per server window index. */
  readonly grantedPerWindow: ReadonlyMap<number, number>;
}

/** A fake clock: timers run in order of their time, microtasks drained after each. */
export class FakeClock implements BudgetClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number) {
    this.#now = start;
  }

  now = (): number => this.#now;

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#timers.delete(handle as number);
  };

  /** Moves the clock forward to `t` without running timers (for tests that drive time by hand). */
  set(t: number): void {
    if (t > this.#now) this.#now = t;
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Runs the earliest timer; false when none is left. */
  async step(): Promise<boolean> {
    let id = -1;
    let best: { at: number; fn: () => void } | undefined;
    for (const [k, t] of this.#timers) {
      if (best === undefined || t.at < best.at || (t.at === best.at && k < id)) {
        best = t;
        id = k;
      }
    }
    if (best === undefined) return false;
    this.#timers.delete(id);
    if (best.at > this.#now) this.#now = best.at;
    best.fn();
    for (let i = 0; i < 20; i++) await Promise.resolve();
    return true;
  }

  /** Lets promise callbacks run without moving the clock. */
  async flush(): Promise<void> {
    for (let i = 0; i < 20; i++) await Promise.resolve();
  }
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function server(model: QuotaModel, clock: FakeClock) {
  let win = Number.NaN;
  let used = 0;
  let tokens = model.kind === 'bucket' ? model.burst : 0;
  let at = clock.now();
  const grantedPerWindow = new Map<number, number>();
  const windowMs = model.kind === 'window' ? model.windowMs : 1000;
  return {
    grantedPerWindow,
    /** true: granted. */
    take(): boolean {
      const t = clock.now();
      let ok: boolean;
      if (model.kind === 'window') {
        const k = Math.floor(t / model.windowMs);
        if (k !== win) {
          win = k;
          used = 0;
        }
        ok = used < model.limit;
        if (ok) used++;
      } else {
        tokens = Math.min(model.burst, tokens + ((t - at) * model.ratePerSecond) / 1000);
        at = t;
        ok = tokens >= 1;
        if (ok) tokens--;
      }
      if (ok) {
        const k = Math.floor(t / windowMs);
        grantedPerWindow.set(k, (grantedPerWindow.get(k) ?? 0) + 1);
      }
      return ok;
    },
  };
}

/** The server's `Date` header at time t: second resolution. */
const dateHeader = (t: number) => new Date(Math.floor(t / 1000) * 1000).toUTCString();

export async function simulate(options: {
  readonly model: QuotaModel;
  readonly clients: readonly SimClient[];
  /**
   * Latency of one call, ms (the server decides half-way): a number, or `[min, max]` for a
   * uniformly random latency per call.
   */
  readonly latencyMs?: number | readonly [number, number];
  /**
   * Like a core client under a waiter: a call is attempted at most this many times (throttles
   * requeue it in the budget); then it fails, and the worker sends it again as a fresh call after
   * `roundDelayMs` (the waiter polls those IDs in its next round). Default: retried until accepted.
   */
  readonly maxAttempts?: number;
  readonly roundDelayMs?: number;
  /**
   * Like the core client's `retry.maxTotalMs`: a throttled call is not retried when the budget's
   * hold would end this long after its first attempt started; it fails as after `maxAttempts`.
   */
  readonly maxTotalMs?: number;
  readonly start?: number;
  readonly seed?: number;
  readonly budget?: Omit<RequestBudgetOptions, 'clock' | 'random'>;
  /** Local clock minus the server's, ms (the client learns the offset from `Date`). */
  readonly skewMs?: number;
  readonly maxMs?: number;
}): Promise<SimResult> {
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const clock = new FakeClock(start);
  const skew = options.skewMs ?? 0;
  const local: BudgetClock = {
    now: () => clock.now() + skew,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
  };
  const srv = server(options.model, clock);
  const rand = prng(options.seed ?? 1);
  const lat = options.latencyMs ?? 5;
  const latency = typeof lat === 'number' ? () => lat : () => lat[0] + rand() * (lat[1] - lat[0]);
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const budgets = new Map<string, RequestBudget>();
  const budgetFor = (key: string) => {
    let b = budgets.get(key);
    if (b === undefined) {
      b = new RequestBudget({ ...options.budget, clock: local, random: prng(Math.floor(rand() * 1e9)) });
      budgets.set(key, b);
    }
    return b;
  };
  let sent = 0;
  let throttled = 0;
  let lastAnswer = start;
  const per = options.clients.map(() => ({
    granted: 0,
    throttled: 0,
    elapsedMs: 0,
    windows: new Map<number, { granted: number; throttled: number }>(),
  }));
  const windowMs = options.model.kind === 'window' ? options.model.windowMs : 1000;
  const sleep = (ms: number) => new Promise<void>((r) => clock.setTimeout(r, ms));
  const runClient = async (c: SimClient, i: number) => {
    await sleep(c.startMs);
    const began = clock.now();
    const budget = budgetFor(c.budget ?? `client-${i}`);
    const action = budget.for('DescribeCloudAssistantStatus');
    let next = 0;
    const worker = async () => {
      while (next < c.calls) {
        next++;
        let retry = false;
        let attempts = 0;
        let firstAt = 0;
        for (;;) {
          if (
            attempts >= maxAttempts ||
            (retry &&
              local.now() - firstAt + action.heldForMs() >= (options.maxTotalMs ?? Number.POSITIVE_INFINITY))
          ) {
            // The call failed; the waiter polls its IDs again in its next round.
            await sleep(options.roundDelayMs ?? 0);
            attempts = 0;
            retry = false;
          }
          if (attempts === 0) firstAt = local.now();
          attempts++;
          const wait = retry ? action.requeue() : action.acquire();
          if (wait !== undefined) await wait;
          const sentAt = local.now();
          sent++;
          const l = latency();
          await sleep(l / 2);
          const ok = srv.take();
          const k = Math.floor(clock.now() / windowMs);
          const w = per[i]!.windows.get(k) ?? { granted: 0, throttled: 0 };
          per[i]!.windows.set(k, w);
          if (ok) w.granted++;
          else w.throttled++;
          const date = dateHeader(clock.now());
          await sleep(l / 2);
          const answeredAt = local.now();
          budget.observeDate(date, sentAt, answeredAt);
          action.settle(sentAt, answeredAt, ok ? 'accepted' : 'throttled');
          lastAnswer = clock.now();
          if ((options as { trace?: boolean }).trace)
            console.log(
              `${clock.now() - start} c${i} ${ok ? 'ok' : 'THROTTLED'} sent ${sentAt - start} mode ${action.mode} B ${action.windowBudget.toFixed(2)} rate ${action.rate.toFixed(1)}`,
            );
          if (ok) {
            per[i]!.granted++;
            per[i]!.elapsedMs = clock.now() - began;
            break;
          }
          throttled++;
          per[i]!.throttled++;
          retry = true;
        }
      }
    };
    await Promise.all(Array.from({ length: c.concurrency }, worker));
  };
  let done = false;
  const all = Promise.all(options.clients.map(runClient)).then(() => {
    done = true;
  });
  const maxMs = options.maxMs ?? 3_600_000;
  await clock.flush();
  while (!done) {
    if (!(await clock.step())) break;
    if (clock.now() - start > maxMs) throw new Error(`simulation ran past ${maxMs} ms`);
  }
  await all;
  return {
    sent,
    throttled,
    perClient: per,
    totalMs: lastAnswer - start,
    grantedPerWindow: srv.grantedPerWindow,
  };
}

/** Jain's fairness index of `xs`: 1 when all equal, 1/n when one has everything. */
export function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}
