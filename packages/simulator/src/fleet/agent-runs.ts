/**
 * When an instance's agent process runs, and what the API sees of it: heartbeats, the 2-minute
 * rule, the stretches of time it reads online, and when a command waiting for it is delivered.
 *
 * Heartbeats: while the agent runs it beats at the start of a run and then every 55, 60 or 65 s (a
 * per-instance rotation of that cycle, so the mean is 60 s as documented). `CloudAssistantStatus`
 * is "true" only while the last beat is less than 2 minutes old, so an agent that stops still
 * reads "true" for up to 2 minutes, as on ECS. Nothing here knows the instance's `Status`: the
 * instance (instance.ts) only ever gives it runs inside a stretch of `Running`.
 */

const HEARTBEAT_CYCLE_MS = 180_000;
/** The six orders of 55/60/65 s as cumulative offsets within one 180 s cycle. */
const BEAT_OFFSETS: readonly (readonly number[])[] = [
  [55, 60, 65],
  [55, 65, 60],
  [60, 55, 65],
  [60, 65, 55],
  [65, 55, 60],
  [65, 60, 55],
].map(([a, b]) => [0, a! * 1000, (a! + b!) * 1000]);
/** How long after its last heartbeat an agent still reads online. */
export const ONLINE_WINDOW_MS = 120_000;

export class AgentRuns {
  /**
   * Runs as [start, end, start, end, …] in simulated ms; end may be Infinity. Sorted and disjoint
   * (each run lies within one stretch of `Running`).
   */
  segments: number[] = [];
  readonly #beatOffsets: readonly number[];

  /** `beatRotation` picks the instance's order of 55/60/65 s gaps. */
  constructor(beatRotation: number) {
    this.#beatOffsets = BEAT_OFFSETS[beatRotation % 6]!;
  }

  /** Appends a run that starts after every other one. */
  push(start: number, end: number): void {
    this.segments.push(start, end);
  }

  /** Start of the first run (the first heartbeat), or undefined when none is scheduled. */
  first(): number | undefined {
    return this.segments.length > 0 ? this.segments[0] : undefined;
  }

  /** Forgets every run. */
  clear(): void {
    this.segments.length = 0;
  }

  /**
   * Simulated ms of the last heartbeat at or before `t`, or NaN if none yet. The latest run that
   * has started governs (run starts never decrease); it beats at its start and then on the
   * 55/60/65 s rotation until its end.
   */
  lastHeartbeat(t: number): number {
    const s = this.segments;
    for (let i = s.length - 2; i >= 0; i -= 2) {
      const start = s[i]!;
      if (start > t) continue;
      const end = s[i + 1]!;
      // A run is [start, end): an agent that stops at `end` does not beat at `end`.
      return t < end ? this.#beatAtOrBefore(start, t) : this.#beatBefore(start, end);
    }
    return Number.NaN;
  }

  #beatAtOrBefore(start: number, until: number): number {
    const elapsed = until - start;
    const cycles = Math.floor(elapsed / HEARTBEAT_CYCLE_MS);
    const rem = elapsed - cycles * HEARTBEAT_CYCLE_MS;
    const o = this.#beatOffsets;
    const within = rem >= o[2]! ? o[2]! : rem >= o[1]! ? o[1]! : 0;
    return start + cycles * HEARTBEAT_CYCLE_MS + within;
  }

  /** The last beat of a run [start, end) strictly before `end` (the beat at `start` at least). */
  #beatBefore(start: number, end: number): number {
    const hb = this.#beatAtOrBefore(start, end);
    if (hb < end || hb === start) return hb;
    // `end` falls exactly on a beat: the one before it, in this cycle or the previous one.
    const elapsed = hb - start;
    const cycles = Math.floor(elapsed / HEARTBEAT_CYCLE_MS);
    const within = elapsed - cycles * HEARTBEAT_CYCLE_MS;
    const o = this.#beatOffsets;
    if (within >= o[2]!) return start + cycles * HEARTBEAT_CYCLE_MS + o[1]!;
    if (within >= o[1]!) return start + cycles * HEARTBEAT_CYCLE_MS;
    return start + (cycles - 1) * HEARTBEAT_CYCLE_MS + o[2]!;
  }

  /** Whether the last heartbeat at or before `t` is under 2 minutes old (visibility aside). */
  online(t: number): boolean {
    const hb = this.lastHeartbeat(t);
    // Written as `t < hb + window` so that intervals() ends on exactly the same float.
    return !Number.isNaN(hb) && t < hb + ONLINE_WINDOW_MS;
  }

  /**
   * The stretches of simulated time in which `online(t)` holds and `visibleFrom <= t < removedAt`,
   * as half-open [from, to) pairs (`to` may be Infinity). Run i governs [start_i, start_i+1);
   * within it the agent is online from its start (the first beat) until 2 minutes after its last
   * beat, since beats inside a run are at most 65 s apart.
   */
  intervals(visibleFrom: number, removedAt: number): [number, number][] {
    const s = this.segments;
    const raw: [number, number][] = [];
    for (let i = 0; i < s.length; i += 2) {
      const start = s[i]!;
      const governedUntil = i + 2 < s.length ? s[i + 2]! : Number.POSITIVE_INFINITY;
      if (!(governedUntil > start)) continue;
      const end = s[i + 1]!;
      const offAt =
        end === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : this.#beatBefore(start, end) + ONLINE_WINDOW_MS;
      const to = Math.min(offAt, governedUntil);
      const last = raw[raw.length - 1];
      if (last !== undefined && last[1] >= start) last[1] = Math.max(last[1], to);
      else raw.push([start, to]);
    }
    const out: [number, number][] = [];
    for (const [from, to] of raw) {
      const a = Math.max(from, visibleFrom);
      const b = Math.min(to, removedAt);
      if (a < b) out.push([a, b]);
    }
    return out;
  }

  /** Whether the agent process runs at `t`. */
  running(t: number): boolean {
    const s = this.segments;
    for (let i = 0; i < s.length; i += 2) if (s[i]! <= t && t < s[i + 1]!) return true;
    return false;
  }

  /** Whether a run starts in [from, to). */
  startsIn(from: number, to: number): boolean {
    const s = this.segments;
    for (let i = 0; i < s.length; i += 2) if (s[i]! >= from && s[i]! < to) return true;
    return false;
  }

  /** Inserts the run [start, end) in order (the caller makes sure it overlaps no other run). */
  insert(start: number, end: number): void {
    const s = this.segments;
    let i = s.length;
    while (i > 0 && s[i - 2]! > start) i -= 2;
    s.splice(i, 0, start, end);
  }

  /** Drops the runs that start after `at` (`inclusive`: at or after it). */
  dropAfter(at: number, inclusive = false): void {
    const s = this.segments;
    if (inclusive) while (s.length > 0 && s[s.length - 2]! >= at) s.length -= 2;
    else while (s.length > 0 && s[s.length - 2]! > at) s.length -= 2;
  }

  /** The agent stops at `at`: later runs are dropped, a run going on then ends then. */
  stopAt(at: number): void {
    this.dropAfter(at);
    const s = this.segments;
    if (s.length > 0 && s[s.length - 1]! > at) s[s.length - 1] = at;
  }

  /**
   * The agent runs from `at` until `end`: runs starting in (at, end) are dropped, and a run going
   * on at `at` is extended to `end` instead (no new heartbeat phase).
   */
  runFrom(at: number, end: number): void {
    const s = this.segments;
    const kept: number[] = [];
    const later: number[] = [];
    for (let i = 0; i < s.length; i += 2) {
      if (s[i]! <= at) kept.push(s[i]!, s[i + 1]!);
      else if (s[i]! >= end) later.push(s[i]!, s[i + 1]!);
    }
    if (kept.length > 0 && kept[kept.length - 1]! > at) kept[kept.length - 1] = end;
    else kept.push(at, end);
    this.segments = [...kept, ...later];
  }

  /** The first instant in `[from, until]` at which the agent runs, or NaN. */
  firstRunningIn(from: number, until: number): number {
    const s = this.segments;
    for (let i = 0; i < s.length; i += 2) {
      const b = s[i + 1]!;
      if (b <= from) continue;
      const x = Math.max(s[i]!, from);
      if (x > until) return Number.NaN;
      if (x < b) return x;
    }
    return Number.NaN;
  }
}
