/**
 * An instance's `Status` over simulated time (DescribeInstanceStatus, RebootInstance pages):
 * `Pending` → `Starting` → `Running` after creation; a stop goes `Stopping` → `Stopped`, a start
 * `Starting` → `Running`, a reboot `Stopping` → `Starting` → `Running`. Kept as a list of
 * transitions, never as a current value: any instant is answered from the list, and a change
 * rewrites only the future (every transition at or after it is dropped first).
 */

/** An ECS instance's `Status` as DescribeInstanceStatus reports it. */
export type InstanceStatus = 'Pending' | 'Starting' | 'Running' | 'Stopping' | 'Stopped';

const STATUSES: readonly InstanceStatus[] = ['Pending', 'Starting', 'Running', 'Stopping', 'Stopped'];
const PENDING = 0;
const STARTING = 1;
const RUNNING = 2;
const STOPPING = 3;
const STOPPED = 4;
/** `Pending` lasts at most this long after creation, the rest of the boot is `Starting`. */
const MAX_PENDING_MS = 5_000;

export class PowerTimeline {
  /** Transition times, ascending: at `at[i]` the status becomes `STATUSES[state[i]]`. */
  readonly at: number[] = [];
  /** Indexes into `Pending, Starting, Running, Stopping, Stopped`. */
  readonly state: number[] = [];
  /**
   * Boots by a start or reboot: their `Running` time → how long after it the agent starts, if
   * installed. Created at the first such boot: most instances never have one, and an empty Map
   * per instance is a good part of a 100,000-instance fleet's memory.
   */
  #bootAgentMs: Map<number, number> | undefined;

  /** The `Status` at `t` (`Pending` before the first transition). */
  statusAt(t: number): InstanceStatus {
    const at = this.at;
    for (let i = at.length - 1; i >= 0; i--) if (at[i]! <= t) return STATUSES[this.state[i]!]!;
    return 'Pending';
  }

  /**
   * `t` if the instance is Running at `t`; when it is booting (`Pending`/`Starting`), the moment
   * that boot reaches `Running`; NaN if it is stopping or stopped.
   */
  runningFrom(t: number): number {
    const s = this.statusAt(t);
    if (s === 'Running') return t;
    if (s === 'Stopping' || s === 'Stopped') return Number.NaN;
    const at = this.at;
    for (let i = 0; i < at.length; i++) if (at[i]! > t && this.state[i] === RUNNING) return at[i]!;
    return Number.NaN;
  }

  /**
   * The end of the stretch of `Running` that contains `t`: the next transition to another
   * status (Infinity if none is scheduled).
   */
  runEnd(t: number): number {
    const at = this.at;
    for (let i = 0; i < at.length; i++) if (at[i]! > t && this.state[i] !== RUNNING) return at[i]!;
    return Number.POSITIVE_INFINITY;
  }

  /** When the boot current at `t` began (its `Pending` or `Starting`; `createdAt` if none). */
  bootStart(t: number, createdAt: number): number {
    const at = this.at;
    for (let i = at.length - 1; i >= 0; i--) {
      if (at[i]! > t) continue;
      const st = this.state[i]!;
      if (st === PENDING || st === STARTING) return at[i]!;
    }
    return at.length > 0 ? at[0]! : createdAt;
  }

  /** The boot at creation: `Pending`, `Starting`, then `Running` at `runningAt` (or `Stopped` at once). */
  init(createdAt: number, runningAt: number, stopped: boolean): void {
    if (stopped) {
      this.#set(createdAt, STOPPED);
      return;
    }
    this.#set(createdAt, PENDING);
    const pendingUntil = Math.min(
      runningAt,
      createdAt + Math.min(MAX_PENDING_MS, (runningAt - createdAt) / 2),
    );
    this.#set(pendingUntil, STARTING);
    this.#set(runningAt, RUNNING);
  }

  /**
   * `Stopping` at `at`, `Stopped` `stoppingMs` later, dropping every transition from `at` on.
   * Returns false (and does nothing) if the instance is already `Stopping` or `Stopped` at `at`.
   */
  powerOff(at: number, stoppingMs: number): boolean {
    const s = this.statusAt(at);
    if (s === 'Stopping' || s === 'Stopped') return false;
    this.#set(at, STOPPING);
    this.#set(at + stoppingMs, STOPPED);
    return true;
  }

  /**
   * A boot of a stopped instance at `at`, or when its stop completes if it is `Stopping` then:
   * `Starting`, and `Running` `startingMs` later, whose agent (if installed) starts `agentStartMs`
   * after that (see {@link bootsAfter}). Returns when `Starting` begins, or NaN (doing nothing)
   * if the instance is not stopping or stopped at `at`.
   */
  powerOn(at: number, startingMs: number, agentStartMs: number): number {
    const s = this.statusAt(at);
    if (s !== 'Stopping' && s !== 'Stopped') return Number.NaN;
    let begin = at;
    if (s === 'Stopping') {
      const i = this.at.findIndex((x, k) => x > at && this.state[k] === STOPPED);
      begin = i >= 0 ? this.at[i]! : at;
    }
    this.#set(begin, STARTING);
    const runningAt = begin + startingMs;
    this.#set(runningAt, RUNNING);
    this.#bootAgentMs ??= new Map();
    this.#bootAgentMs.set(runningAt, agentStartMs);
    return begin;
  }

  /**
   * The boots by a start or reboot that reach `Running` after `from`, with how long after that
   * an installed agent starts, in time order.
   */
  bootsAfter(from: number): { readonly runningAt: number; readonly agentStartMs: number }[] {
    const out: { runningAt: number; agentStartMs: number }[] = [];
    if (this.#bootAgentMs === undefined) return out;
    const at = this.at;
    for (let i = 0; i < at.length; i++) {
      const runningAt = at[i]!;
      const agentStartMs = this.#bootAgentMs.get(runningAt);
      if (runningAt <= from || this.state[i] !== RUNNING || agentStartMs === undefined) continue;
      out.push({ runningAt, agentStartMs });
    }
    return out;
  }

  #set(at: number, state: number): void {
    const times = this.at;
    const states = this.state;
    while (times.length > 0 && times[times.length - 1]! >= at) {
      const popped = times.pop()!;
      this.#bootAgentMs?.delete(popped);
      states.pop();
    }
    if (states.length > 0 && states[states.length - 1] === state) return;
    times.push(at);
    states.push(state);
  }
}
