/**
 * The cost–latency frontier of benchmark 2: every schedule is replayed in virtual time against the
 * same fleet's ground truth (each instance's agent is online from `onlineAt` on), with calls that
 * answer instantly. That is generous to every schedule alike and leaves only the schedule: how
 * many calls it makes, and how long after its agent came online each instance is seen online.
 *
 * - Our waiter runs unchanged on a virtual-time scheduler (its `scheduler` seam; the request
 *   budget it puts around a plain function source runs on the same clock).
 * - The other schedules are written out from their documented behaviour (see each function).
 * - The oracle knows every `onlineAt` and places as few calls as possible so that the p95 of the
 *   per-instance detection latency stays within a given bound.
 */
import type { InstanceStatus } from '@cloud-assistant-gate/core';
import { type WaitForCloudAssistantOptions, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { percentile } from './report.js';

type Scheduler = NonNullable<WaitForCloudAssistantOptions['scheduler']>;

interface Action {
  closed: boolean;
  schedule(state?: unknown, delay?: number): Action;
  unsubscribe(): void;
  add(): void;
  remove(): void;
}

/** A virtual-time clock and rxjs-compatible scheduler: timers fire in order, instantly. */
export class VirtualTime {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number) {
    this.#now = start;
  }

  now = (): number => this.#now;

  #add(at: number, fn: () => void): number {
    const id = ++this.#seq;
    this.#timers.set(id, { at, fn });
    return id;
  }

  readonly scheduler: Scheduler = (() => {
    const self = this;
    return {
      now: () => self.#now,
      schedule(work: (this: Action, state?: unknown) => void, delay = 0, state?: unknown): Action {
        let id: number | undefined;
        const action: Action = {
          closed: false,
          schedule(nextState?: unknown, nextDelay = 0) {
            if (action.closed) return action;
            if (id !== undefined) self.#timers.delete(id);
            id = self.#add(self.#now + Math.max(0, nextDelay), () => {
              id = undefined;
              if (action.closed) return;
              work.call(action, nextState);
              if (id === undefined) action.closed = true;
            });
            return action;
          },
          unsubscribe() {
            action.closed = true;
            if (id !== undefined) self.#timers.delete(id);
            id = undefined;
          },
          add() {},
          remove() {},
        };
        return action.schedule(state, delay);
      },
    } as unknown as Scheduler;
  })();

  /** Runs timers in order (letting promise callbacks run in between) until `done` settles. */
  async run<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    void done.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (settled) return done;
      let next: { id: number; at: number; fn: () => void } | undefined;
      for (const [id, t] of this.#timers) {
        if (next === undefined || t.at < next.at || (t.at === next.at && id < next.id)) next = { id, ...t };
      }
      if (next === undefined) return done;
      this.#timers.delete(next.id);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
  }
}

/** Where a schedule ends up: its calls and each instance's detection latency. */
export interface FrontierPoint {
  readonly name: string;
  readonly kind: 'ours' | 'ours-default' | 'baseline' | 'oracle';
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  /** When every instance was seen online, ms after the start. */
  readonly doneAfterMs: number;
}

export interface Fleet {
  readonly ids: readonly string[];
  /** Epoch ms each agent first reports online (`fleet.onlineAt`). */
  readonly onlineAt: ReadonlyMap<string, number>;
  /** Epoch ms the instances were created and the waits start. */
  readonly start: number;
}

function point(
  name: string,
  kind: FrontierPoint['kind'],
  calls: number,
  latencies: number[],
  doneAfterMs: number,
): FrontierPoint {
  latencies.sort((a, b) => a - b);
  return {
    name,
    kind,
    calls,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    doneAfterMs,
  };
}

/** Our waiter, unchanged, in virtual time with `options` (defaults otherwise). */
export async function replayOurs(
  fleet: Fleet,
  name: string,
  options: Partial<WaitForCloudAssistantOptions>,
  random: () => number,
  kind: FrontierPoint['kind'] = 'ours',
): Promise<FrontierPoint> {
  const vt = new VirtualTime(fleet.start);
  let calls = 0;
  const source = async (ids: readonly string[]): Promise<InstanceStatus[]> => {
    calls++;
    const t = vt.now();
    return ids.map((id) => ({
      instanceId: id,
      cloudAssistantStatus: t >= fleet.onlineAt.get(id)!,
      cloudAssistantVersion: '2.2.3.189',
    }));
  };
  const report = await vt.run(
    waitForCloudAssistant(fleet.ids, {
      client: source,
      scheduler: vt.scheduler,
      random,
      timeoutMs: 3_600_000,
      ...options,
    }),
  );
  const latencies = report.instances.map((r) => Date.parse(r.readyAt!) - fleet.onlineAt.get(r.instanceId)!);
  return point(name, kind, calls, latencies, vt.now() - fleet.start);
}

/**
 * A schedule that polls fixed batches of `batchSize` IDs (in list order), each batch on its own
 * timeline `pollTimes(batchIndex)` (ms after the start, increasing) until every ID in it has read
 * online: the calls of one batch at each time are counted, and each ID is seen at the first poll
 * at or after its `onlineAt`.
 */
function replayFixedBatches(
  fleet: Fleet,
  name: string,
  batchSize: number,
  pollTimes: (batch: number) => Iterable<number>,
): FrontierPoint {
  let calls = 0;
  let doneAfterMs = 0;
  const latencies: number[] = [];
  for (let b = 0; b * batchSize < fleet.ids.length; b++) {
    const batch = fleet.ids.slice(b * batchSize, (b + 1) * batchSize);
    const due = batch.map((id) => fleet.onlineAt.get(id)! - fleet.start);
    const last = Math.max(...due);
    for (const t of pollTimes(b)) {
      calls++;
      if (t >= last) {
        for (const d of due) {
          // Seen at the first poll at or after it came online: find it on the same timeline.
          latencies.push(firstPollAtOrAfter(pollTimes(b), d) - d);
        }
        doneAfterMs = Math.max(doneAfterMs, t);
        break;
      }
    }
  }
  return point(name, 'baseline', calls, latencies, doneAfterMs);
}

function firstPollAtOrAfter(times: Iterable<number>, d: number): number {
  for (const t of times) if (t >= d) return t;
  return Number.POSITIVE_INFINITY;
}

function* every(firstMs: number, intervalMs: number): Iterable<number> {
  for (let t = firstMs; ; t += intervalMs) yield t;
}

/** The hand-written loop: each batch of 100 polled every 5 s from the start until all of it is online. */
export function naiveLoop(fleet: Fleet): FrontierPoint {
  return replayFixedBatches(fleet, 'naive loop: batches of 100 every 5 s', 100, () => every(0, 5_000));
}

/**
 * The aliyun CLI's `--waiter expr=… to=true interval=5`: the expression must evaluate to one
 * string, so a waiter follows one instance (`…InstanceCloudAssistantStatus[0].CloudAssistantStatus`):
 * one CLI process and one call per instance every 5 s.
 */
export function aliyunCli(fleet: Fleet): FrontierPoint {
  return replayFixedBatches(fleet, 'aliyun CLI --waiter interval=5 (one instance per waiter)', 1, () =>
    every(0, 5_000),
  );
}

/**
 * Terraform's `StateChangeConf` as the alicloud provider sets it up for a readiness check (Delay
 * 3 s, MinTimeout 6 s, the SDK's 10 s cap): the first refresh after 3 s, then waits of
 * 100 ms · 2^n clamped to [6 s, 10 s]; per batch of 100 (generous: a resource per instance would
 * cost 100× more calls).
 */
export function terraform(fleet: Fleet): FrontierPoint {
  return replayFixedBatches(
    fleet,
    'Terraform StateChangeConf 3/6/10 s (per batch of 100)',
    100,
    function* () {
      let t = 3_000;
      for (let n = 0; ; n++) {
        yield t;
        t += Math.min(10_000, Math.max(6_000, 100 * 2 ** n));
      }
    },
  );
}

/**
 * AWS smithy `createWaiter` (minDelay 2 s, maxDelay 120 s): the first check at once, then before
 * attempt n a delay uniform in [minDelay, min(maxDelay, minDelay · 2^(n−1))]; per batch of 100,
 * each batch its own waiter with its own (seeded) jitter.
 */
export function smithy(fleet: Fleet, random: () => number): FrontierPoint {
  const timelines = new Map<number, number[]>();
  const timeline = (b: number): number[] => {
    let times = timelines.get(b);
    if (times === undefined) {
      times = [0];
      let t = 0;
      for (let n = 1; t < 3_600_000; n++) {
        const ceiling = Math.min(120_000, 2_000 * 2 ** (n - 1));
        t += 2_000 + random() * (ceiling - 2_000);
        times.push(t);
      }
      timelines.set(b, times);
    }
    return times;
  };
  return replayFixedBatches(fleet, 'AWS smithy waiter 2–120 s exponential (per batch of 100)', 100, timeline);
}

/**
 * The oracle for a p95 bound `boundMs`. It knows when every agent comes online, but polls like a
 * waiter: a round asks about every instance it has not yet seen online, in batches of 100, so a
 * round costs ceil(unseen / 100) calls; it only chooses when the rounds happen. (An oracle that
 * also picked which IDs to ask about would need just ceil(N / 100) calls, one per 100 agents as
 * they arrive, which no waiter can approach without knowing the boot times.)
 *
 * For every instance to be seen within the bound, the cheapest timing is greedy: each round as
 * late as the earliest unseen agent allows (its boot + the bound), since a later round finds fewer
 * instances unseen. p95 lets 5 % of the instances be seen later: the oracle tries giving up the
 * first h % of boots (seen by the first round the others need) and the last 5 − h % (seen by one
 * round at the last boot), for h = 0, 0.25, …, 5, and keeps the cheapest.
 */
export function oracle(fleet: Fleet, boundMs: number): FrontierPoint {
  const times = fleet.ids.map((id) => fleet.onlineAt.get(id)! - fleet.start).sort((a, b) => a - b);
  const n = times.length;
  const allowed = Math.floor(n * 0.05);
  let best: { calls: number; rounds: number[] } | undefined;
  for (let step = 0; step <= 20; step++) {
    const head = Math.min(allowed, Math.floor((allowed * step) / 20));
    const tail = allowed - head;
    const rounds: number[] = [];
    let i = head;
    const lastKept = n - tail;
    while (i < lastKept) {
      const at = times[i]! + boundMs;
      rounds.push(at);
      while (i < lastKept && times[i]! <= at) i++;
    }
    if (rounds.length === 0 || rounds.at(-1)! < times[n - 1]!) rounds.push(times[n - 1]!);
    // Cost: each round asks about everything not seen at an earlier round.
    let calls = 0;
    let seen = 0;
    for (const at of rounds) {
      calls += Math.ceil((n - seen) / 100);
      while (seen < n && times[seen]! <= at) seen++;
    }
    if (best === undefined || calls < best.calls) best = { calls, rounds };
  }
  const { calls, rounds } = best!;
  const latencies: number[] = [];
  let r = 0;
  for (const t of times) {
    while (rounds[r]! < t) r++;
    latencies.push(rounds[r]! - t);
  }
  return point(`oracle (p95 ≤ ${(boundMs / 1000).toFixed(1)} s)`, 'oracle', calls, latencies, rounds.at(-1)!);
}

/** The oracle's calls for a p95 no worse than `p95Ms` (the largest bound that meets it). */
export function oracleAt(fleet: Fleet, p95Ms: number): FrontierPoint {
  let lo = 0;
  let hi = Math.max(1, p95Ms) * 2;
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    if (oracle(fleet, mid).p95Ms <= p95Ms) lo = mid;
    else hi = mid;
  }
  return oracle(fleet, lo);
}
