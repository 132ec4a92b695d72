/**
 * The lifecycle model's invariants, checked on the fleet's own records at every edge of its
 * timelines (the HTTP-level agreement is history.test.ts's job): the agent runs, and its first
 * beat of a run happens, only while the instance is `Running`; its runs are sorted and disjoint;
 * `agentState` says "online" exactly while it runs; a delivery lands only on a running agent; and
 * a start or reboot starts an installed agent. Operations come at clashing instants on purpose
 * (0, 1, 2 ms apart), where a scheduled stop and an agent start used to disagree.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FleetInternals } from '../src/fleet/fleet.js';
import type { SimInstance } from '../src/fleet/instance.js';
import type { LifecycleSpec } from '../src/fleet/spec.js';
import { type Distribution, type EcsSimulator, startEcsSimulator } from '../src/index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** The longest agent start after a boot here, so the boot rule can name a deadline. */
const MAX_AGENT_START_MS = 40_000;

const ms = fc.oneof(fc.constantFrom(0, 1, 2, 1_000), fc.integer({ min: 0, max: 40_000 }));
const distribution: fc.Arbitrary<Distribution> = fc.oneof(
  ms.map((v) => ({ kind: 'fixed' as const, ms: v })),
  fc
    .tuple(ms, ms)
    .map(([a, b]) => ({ kind: 'uniform' as const, minMs: Math.min(a, b), maxMs: Math.max(a, b) })),
);
const lifecycle: fc.Arbitrary<LifecycleSpec> = fc.record(
  { runningAfterMs: distribution, stoppingMs: distribution, startingMs: distribution },
  { requiredKeys: [] },
);
const KINDS = [
  'startAgent',
  'stopAgent',
  'installAgent',
  'stop',
  'start',
  'reboot',
  'markAgentInstalled',
  'add',
  'remove',
] as const;
const op = fc.record({
  kind: fc.constantFrom(...KINDS),
  pick: fc.nat(),
  afterMs: ms,
  advanceMs: ms,
  onlineAfterMs: fc.option(ms, { nil: null }),
  stopped: fc.boolean(),
});
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;
const fleetSpec = fc.record({
  count: fc.integer({ min: 1, max: 3 }),
  bootMs: distribution,
  stoppedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  neverOnlineShare: fc.double({ min: 0, max: 1, noNaN: true }),
  lifecycle,
});

let sim: EcsSimulator;
beforeAll(async () => {
  sim = await startEcsSimulator({
    speed: 0,
    startTime: T0,
    lifecycle: { agentStartMs: { kind: 'uniform', minMs: 0, maxMs: MAX_AGENT_START_MS } },
  });
});
afterAll(() => sim.close());

/** Applies `ops` (the hooks refuse some, with a RangeError: skipped); returns a log for messages. */
function apply(ops: readonly Op[]): string[] {
  const log: string[] = [];
  for (const o of ops) {
    sim.clock.advance(o.advanceMs);
    if (o.kind === 'add') {
      sim.fleet.addInstance({ onlineAfterMs: o.onlineAfterMs, stopped: o.stopped });
      log.push(`+${sim.clock.now() - T0} add onlineAfterMs=${o.onlineAfterMs} stopped=${o.stopped}`);
      continue;
    }
    const ids = sim.fleet.ids();
    if (ids.length === 0) continue;
    const id = ids[o.pick % ids.length]!;
    log.push(`+${sim.clock.now() - T0} ${o.kind} ${id} (${o.afterMs} ms)`);
    try {
      if (o.kind === 'startAgent') sim.fleet.startAgent(id, { afterMs: o.afterMs });
      else if (o.kind === 'stopAgent') sim.fleet.stopAgent(id, { afterMs: o.afterMs });
      else if (o.kind === 'installAgent') sim.fleet.installAgent(id, { durationMs: o.afterMs });
      else if (o.kind === 'stop') sim.fleet.stop(id, { afterMs: o.afterMs });
      else if (o.kind === 'start') sim.fleet.start(id, { afterMs: o.afterMs });
      else if (o.kind === 'reboot') sim.fleet.reboot(id);
      else if (o.kind === 'markAgentInstalled') sim.fleet.markAgentInstalled(id);
      else sim.fleet.removeInstance(id);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      log.push(`  refused: ${error.message}`);
    }
  }
  return log;
}

function describeInstance(inst: SimInstance, log: readonly string[]): string {
  const rel = (t: number) => (Number.isFinite(t) ? t - T0 : t);
  const power = inst.power.at.map(
    (t, i) => `${rel(t)}:${['Pd', 'Sg', 'R', 'Sp', 'Sd'][inst.power.state[i]!]}`,
  );
  return `\n${log.join('\n')}\nagent runs ${inst.runs.segments.map(rel).join(',')}\nstatus ${power.join(' ')}`;
}

function checkInstance(inst: SimInstance, log: readonly string[], bootRule: boolean): void {
  const why = () => describeInstance(inst, log);
  const s = inst.runs.segments;
  for (let i = 0; i < s.length; i += 2) {
    expect(s[i]! <= s[i + 1]!, `run ${i / 2} ends before it starts${why()}`).toBe(true);
    if (i + 2 < s.length)
      expect(s[i + 1]! <= s[i + 2]!, `runs ${i / 2} and ${i / 2 + 1} overlap${why()}`).toBe(true);
    // The first beat of every run, too (a run may be empty: beat once, then stop).
    expect(inst.statusAt(s[i]!), `agent run ${i / 2} begins${why()}`).toBe('Running');
  }
  const edges = new Set<number>();
  for (const t of [...s, ...inst.power.at]) {
    if (Number.isFinite(t)) for (const d of [-1, -0.5, 0, 0.5, 1]) edges.add(t + d);
  }
  for (const t of edges) {
    const runs = inst.running(t);
    if (runs) expect(inst.statusAt(t), `agent runs at +${t - T0}${why()}`).toBe('Running');
    // agentState answers for now; before a reinstall it cannot tell the past (install time is one value).
    if (t >= inst.installStart)
      expect(inst.state(t) === 'online', `agentState at +${t - T0}${why()}`).toBe(runs);
    const delivered = inst.deliveryTime(t, t + 60_000);
    if (!Number.isNaN(delivered))
      expect(inst.running(delivered), `delivery at +${delivered - T0}${why()}`).toBe(true);
  }
  if (!bootRule) return;
  // Every start or reboot (Stopping/Stopped → Starting → Running) with the agent installed by
  // Running starts it within MAX_AGENT_START_MS, unless the instance stops before then.
  const at = inst.power.at;
  const st = inst.power.state;
  for (let k = 2; k < at.length; k++) {
    if (st[k] !== 2 || st[k - 1] !== 1 || st[k - 2]! < 3) continue;
    const runningAt = at[k]!;
    const runEnd = k + 1 < at.length ? at[k + 1]! : Number.POSITIVE_INFINITY;
    if (!inst.installedAt(runningAt) || runEnd - runningAt <= MAX_AGENT_START_MS) continue;
    let started = false;
    for (let i = 0; i < s.length; i += 2) {
      if (s[i]! >= runningAt && s[i]! <= runningAt + MAX_AGENT_START_MS) started = true;
    }
    expect(started, `the boot that reaches Running at +${runningAt - T0} starts the agent${why()}`).toBe(
      true,
    );
  }
}

function property(withStopAgent: boolean) {
  return fc.property(fleetSpec, fc.array(op, { maxLength: 14 }), (spec, ops) => {
    sim.clock.set(T0);
    for (const id of sim.fleet.ids()) sim.fleet.removeInstance(id);
    sim.fleet.addInstances(spec);
    const log = apply(withStopAgent ? ops : ops.filter((o) => o.kind !== 'stopAgent'));
    const fleet = sim.fleet as FleetInternals;
    // stopAgent keeps the agent down through boots already scheduled, so the boot rule is
    // checked on histories without it.
    for (const id of fleet.ids()) checkInstance(fleet.find(id)!, log, !withStopAgent);
  });
}

it('the agent runs only while the instance is Running, whatever the hooks did and when', () => {
  fc.assert(property(true), { numRuns: 1_000 });
});

it('a start or reboot starts the installed agent, even when it was installed after the boot was scheduled', () => {
  fc.assert(property(false), { numRuns: 500 });
});
