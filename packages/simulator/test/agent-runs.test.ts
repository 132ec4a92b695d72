/**
 * The pure heartbeat model of fleet/agent-runs.ts: what it claims about beats and the 2-minute
 * rule, checked on random run schedules (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentRuns, ONLINE_WINDOW_MS } from '../src/fleet/agent-runs.js';

/** Sorted, disjoint runs built from (gap before, length) pairs; the last may never end. */
const schedule = fc.record({
  rotation: fc.integer({ min: 0, max: 5 }),
  runs: fc.array(fc.tuple(fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 1, max: 600_000 })), {
    maxLength: 6,
  }),
  openEnded: fc.boolean(),
});

function build(s: { rotation: number; runs: [number, number][]; openEnded: boolean }): AgentRuns {
  const runs = new AgentRuns(s.rotation);
  let t = 1_000_000;
  s.runs.forEach(([gap, length], i) => {
    const start = t + gap;
    const end = s.openEnded && i === s.runs.length - 1 ? Number.POSITIVE_INFINITY : start + length;
    runs.push(start, end);
    t = end;
  });
  return runs;
}

/** Instants worth asking about: every run edge and 2-minute edge, and a little either side. */
function probes(runs: AgentRuns): number[] {
  const out = new Set<number>([0]);
  for (const x of runs.segments) {
    if (!Number.isFinite(x)) continue;
    for (const base of [x, x + ONLINE_WINDOW_MS, x + 55_000, x + 180_000])
      for (const d of [-1, 0, 1]) out.add(base + d);
  }
  return [...out];
}

describe('AgentRuns', () => {
  it('beats at most 65 s apart while it runs, and never after its run ends', () => {
    fc.assert(
      fc.property(schedule, (s) => {
        const runs = build(s);
        const seg = runs.segments;
        for (const t of probes(runs)) {
          const hb = runs.lastHeartbeat(t);
          if (Number.isNaN(hb)) {
            expect(seg.length === 0 || t < seg[0]!).toBe(true);
            continue;
          }
          expect(hb).toBeLessThanOrEqual(t);
          // Every beat falls inside a run: none after the agent stopped.
          expect(runs.running(hb)).toBe(true);
          if (runs.running(t)) expect(t - hb).toBeLessThan(65_000);
        }
      }),
      // Found by CI: a run ending exactly on a beat (3 cycles + 60 s) beat at its end instant.
      { examples: [[{ rotation: 2, runs: [[0, 600_000]], openEnded: false }]] },
    );
  });

  it('reports as online intervals exactly the instants online(t) holds while visible', () => {
    fc.assert(
      fc.property(
        schedule,
        fc.integer({ min: 0, max: 3_000_000 }),
        fc.option(fc.integer({ min: 0, max: 4_000_000 }), { nil: undefined }),
        (s, visibleFrom, removedAfter) => {
          const runs = build(s);
          const removedAt =
            removedAfter === undefined ? Number.POSITIVE_INFINITY : visibleFrom + removedAfter;
          const intervals = runs.intervals(visibleFrom, removedAt);
          for (let i = 0; i < intervals.length; i++) {
            const [from, to] = intervals[i]!;
            expect(from).toBeLessThan(to);
            // Disjoint and not adjacent: two touching stretches would be one.
            if (i > 0) expect(intervals[i - 1]![1]).toBeLessThan(from);
          }
          for (const t of [...probes(runs), visibleFrom, visibleFrom - 1, removedAt, removedAt - 1]) {
            if (!Number.isFinite(t)) continue;
            const expected = runs.online(t) && t >= visibleFrom && t < removedAt;
            const inside = intervals.some(([from, to]) => from <= t && t < to);
            expect(inside, `t=${t}`).toBe(expected);
          }
        },
      ),
    );
  });

  it('stays online for 2 minutes after the agent stops, then goes offline', () => {
    const runs = new AgentRuns(0);
    runs.push(0, 10_000);
    expect(runs.online(0)).toBe(true);
    expect(runs.online(ONLINE_WINDOW_MS - 1)).toBe(true);
    expect(runs.online(ONLINE_WINDOW_MS)).toBe(false);
    expect(runs.intervals(0, Number.POSITIVE_INFINITY)).toEqual([[0, ONLINE_WINDOW_MS]]);
  });
});
