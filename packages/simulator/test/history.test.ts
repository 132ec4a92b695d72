/**
 * Ground truth at any simulated time: `fleet.wasOnline`, `fleet.wasVisible`, `fleet.onlineIntervals`,
 * `fleet.instanceStatusAt`, checked against what DescribeCloudAssistantStatus and
 * DescribeInstanceStatus actually answer, through agent operations and instance stops, starts,
 * reboots and installs; and `reportTimes`.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Distribution,
  type EcsSimulator,
  type FleetSpec,
  type OnlineInterval,
  startEcsSimulator,
} from '../src/index.js';
import { call, describe as describeStatus } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Item {
  InstanceId: string;
  CloudAssistantStatus: string;
  LastHeartbeatTime?: string;
  LastInvokedTime?: string;
}
interface Body {
  Code?: string;
  InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: Item[] };
}

let sims: EcsSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});
async function start(options: Parameters<typeof startEcsSimulator>[0]): Promise<EcsSimulator> {
  const sim = await startEcsSimulator(options);
  sims.push(sim);
  return sim;
}

/** Every instance's Status, as DescribeInstanceStatus lists it now. */
async function listStatuses(sim: EcsSimulator): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let page = 1; ; page++) {
    const res = await call(sim, 'DescribeInstanceStatus', {
      RegionId: sim.region,
      PageNumber: String(page),
      PageSize: '50',
    });
    expect(res.status).toBe(200);
    const items = res.json<{
      InstanceStatuses: { InstanceStatus: { InstanceId: string; Status: string }[] };
    }>().InstanceStatuses.InstanceStatus;
    for (const item of items) out.set(item.InstanceId, item.Status);
    if (items.length < 50) return out;
  }
}

/** Every visible instance, as the API lists it now (paging without IDs). */
async function listAll(sim: EcsSimulator): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  for (let page = 1; ; page++) {
    const res = await describeStatus(sim, { PageNumber: String(page), PageSize: '50' });
    expect(res.status).toBe(200);
    const items = res.json<Body>().InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus;
    for (const item of items) out.set(item.InstanceId, item);
    if (items.length < 50) return out;
  }
}

const inInterval = (list: readonly OnlineInterval[], t: number) =>
  list.some((i) => i.fromMs <= t && (i.toMs === null || t < i.toMs));

// ---- arbitraries: random fleets and a random history of agent operations ----

const distribution: fc.Arbitrary<Distribution> = fc.oneof(
  fc.record({ kind: fc.constant('fixed' as const), ms: fc.integer({ min: 0, max: 300_000 }) }),
  fc
    .tuple(fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 0, max: 300_000 }))
    .map(([a, b]) => ({ kind: 'uniform' as const, minMs: Math.min(a, b), maxMs: Math.max(a, b) })),
  fc.record({
    kind: fc.constant('lognormal' as const),
    medianMs: fc.integer({ min: 1, max: 200_000 }),
    sigma: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
);

const fleetSpec: fc.Arbitrary<FleetSpec> = fc.record({
  count: fc.integer({ min: 1, max: 12 }),
  bootMs: distribution,
  neverOnlineShare: fc.double({ min: 0, max: 1, noNaN: true }),
  flappingShare: fc.double({ min: 0, max: 1, noNaN: true }),
  flapping: fc.record({
    upMs: distribution,
    downMs: distribution,
    cycles: fc.integer({ min: 0, max: 4 }),
    stayDown: fc.boolean(),
  }),
  appearAfterMs: distribution,
  ageMs: fc.integer({ min: 0, max: 400_000 }),
  stoppedShare: fc.double({ min: 0, max: 1, noNaN: true }),
  lifecycle: fc.record(
    {
      runningAfterMs: distribution,
      stoppingMs: distribution,
      startingMs: distribution,
      agentStartMs: distribution,
    },
    { requiredKeys: [] },
  ),
});

type Op =
  | { kind: 'start' | 'stop'; pick: number; afterMs: number; advanceMs: number }
  | { kind: 'install'; pick: number; afterMs: number; advanceMs: number }
  | { kind: 'power-stop' | 'power-start'; pick: number; afterMs: number; advanceMs: number }
  | { kind: 'reboot' | 'api-install'; pick: number; advanceMs: number }
  | {
      kind: 'add';
      onlineAfterMs: number | null;
      offlineAfterMs?: number;
      appearAfterMs: number;
      advanceMs: number;
    }
  | { kind: 'remove'; pick: number; advanceMs: number };

const advanceMs = fc.integer({ min: 0, max: 400_000 });
const agentOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('start' as const, 'stop' as const, 'install' as const),
    pick: fc.nat(),
    afterMs: fc.integer({ min: 0, max: 300_000 }),
    advanceMs,
  }),
  fc.record({
    kind: fc.constantFrom('power-stop' as const, 'power-start' as const),
    pick: fc.nat(),
    afterMs: fc.integer({ min: 0, max: 300_000 }),
    advanceMs,
  }),
  fc.record({ kind: fc.constantFrom('reboot' as const, 'api-install' as const), pick: fc.nat(), advanceMs }),
  fc.record(
    {
      kind: fc.constant('add' as const),
      onlineAfterMs: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: null }),
      offlineAfterMs: fc.integer({ min: 0, max: 600_000 }),
      appearAfterMs: fc.integer({ min: 0, max: 60_000 }),
      advanceMs,
    },
    { requiredKeys: ['kind', 'onlineAfterMs', 'appearAfterMs', 'advanceMs'] },
  ),
);
const removeOp: fc.Arbitrary<Op> = fc.record({
  kind: fc.constant('remove' as const),
  pick: fc.nat(),
  advanceMs,
});

/** Applies the history on a frozen clock; returns the simulated time after the last operation. */
function apply(sim: EcsSimulator, ops: readonly Op[]): number {
  for (const op of ops) {
    sim.clock.advance(op.advanceMs);
    const ids = sim.fleet.ids();
    if (op.kind === 'add') {
      sim.fleet.addInstance({
        onlineAfterMs: op.onlineAfterMs,
        appearAfterMs: op.appearAfterMs,
        ...(op.offlineAfterMs === undefined ? {} : { offlineAfterMs: op.offlineAfterMs }),
      });
      continue;
    }
    if (ids.length === 0) continue;
    const id = ids[op.pick % ids.length]!;
    const now = sim.clock.now();
    // The agent hooks refuse an instance that is down at the time they act: skip those.
    const downAt = (t: number) => ['Stopping', 'Stopped'].includes(sim.fleet.instanceStatusAt(id, t) ?? '');
    if (op.kind === 'start') {
      if (!downAt(now + op.afterMs)) sim.fleet.startAgent(id, { afterMs: op.afterMs });
    } else if (op.kind === 'stop') sim.fleet.stopAgent(id, { afterMs: op.afterMs });
    else if (op.kind === 'install') {
      if (!downAt(now + op.afterMs)) sim.fleet.installAgent(id, { durationMs: op.afterMs });
    } else if (op.kind === 'power-stop') sim.fleet.stop(id, { afterMs: op.afterMs });
    else if (op.kind === 'power-start') sim.fleet.start(id, { afterMs: op.afterMs });
    else if (op.kind === 'reboot') {
      if (sim.fleet.instanceStatus(id) === 'Running') sim.fleet.reboot(id);
    } else if (op.kind === 'api-install') sim.fleet.markAgentInstalled(id);
    else sim.fleet.removeInstance(id);
  }
  return sim.clock.now();
}

/** Query times around the fleet's history, including the exact edges of online intervals. */
function probeTimes(sim: EcsSimulator, ids: readonly string[], extra: readonly number[]): number[] {
  const times = [...extra];
  for (const id of ids) {
    for (const i of sim.fleet.onlineIntervals(id)) {
      times.push(i.fromMs, i.fromMs - 1);
      if (i.toMs !== null) times.push(i.toMs, i.toMs - 1);
    }
  }
  return times;
}

/**
 * Applies `ops` to a simulator built from `fleets`, then at each of `offsets` checks the ground
 * truth (`fleet.wasOnline`, `wasVisible`, `instanceStatusAt`, `agentState`) against what the API
 * answers: DescribeCloudAssistantStatus and DescribeInstanceStatus over HTTP.
 */
async function checkAgreement(
  fleets: readonly FleetSpec[],
  ops: readonly Op[],
  offsets: readonly number[],
  seed: number,
): Promise<void> {
  const sim = await start({ speed: 0, startTime: T0, seed, notFoundMode: 'omit', fleets });
  try {
    apply(sim, ops);
    const ids = sim.fleet.ids();
    // A few probes over HTTP, the rest in process through the same code path.
    for (const t of offsets.map((o) => T0 + o)) {
      sim.clock.set(t);
      const listed = await listAll(sim);
      const statuses = await listStatuses(sim);
      for (const id of ids) {
        expect(statuses.get(id), `${id} Status at ${t}`).toBe(
          sim.fleet.wasVisible(id, t) ? sim.fleet.instanceStatusAt(id, t) : undefined,
        );
        // The agent runs only while the instance is Running.
        if (sim.fleet.agentState(id) === 'online')
          expect(sim.fleet.instanceStatusAt(id, t), `${id} Status while its agent runs at ${t}`).toBe(
            'Running',
          );
        const item = listed.get(id);
        expect(item !== undefined, `${id} visible at ${t}`).toBe(sim.fleet.wasVisible(id, t));
        expect(item?.CloudAssistantStatus === 'true', `${id} online at ${t}`).toBe(
          sim.fleet.wasOnline(id, t),
        );
        expect(sim.fleet.isOnline(id)).toBe(sim.fleet.wasOnline(id, t));
        expect(sim.fleet.isVisible(id)).toBe(sim.fleet.wasVisible(id, t));
      }
    }
  } finally {
    await sim.close();
    sims = sims.filter((s) => s !== sim);
  }
}

describe('fleet.wasOnline agrees with DescribeCloudAssistantStatus', () => {
  it('for random fleets, histories and times (clock frozen, moved with clock.set)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fleetSpec, { minLength: 1, maxLength: 3 }),
        fc.array(agentOp, { maxLength: 12 }),
        fc.array(fc.integer({ min: -120_000, max: 3 * 3_600_000 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        checkAgreement,
      ),
      { numRuns: 40 },
    );
  }, 60_000);

  it('for the counterexample of seed 216316333: an agent started while a stop is scheduled stops with the instance', async () => {
    // The instance runs from T0 with its agent up; a stop is scheduled for T0 + 1 ms, then the
    // agent is (re)started at T0. The start used to open an agent run with no end, so at T0 + 1 ms
    // the instance was Stopping while its agent still ran.
    const fleet: FleetSpec = {
      count: 1,
      bootMs: { kind: 'fixed', ms: 0 },
      neverOnlineShare: 0,
      flappingShare: 0,
      flapping: {
        upMs: { kind: 'uniform', minMs: 0, maxMs: 0 },
        downMs: { kind: 'fixed', ms: 0 },
        cycles: 0,
        stayDown: false,
      },
      appearAfterMs: { kind: 'uniform', minMs: 0, maxMs: 0 },
      ageMs: 0,
      stoppedShare: 0,
      lifecycle: {},
    };
    const ops: Op[] = [
      { kind: 'power-stop', pick: 0, afterMs: 1, advanceMs: 0 },
      { kind: 'start', pick: 0, afterMs: 0, advanceMs: 0 },
    ];
    await checkAgreement([fleet], ops, [1], 0);
    // And in detail: the agent stops when the instance starts stopping; its last beat (T0) still
    // reads "true" for 2 minutes, as on ECS.
    const sim = await start({ speed: 0, startTime: T0, seed: 0, fleets: [fleet] });
    apply(sim, ops);
    const id = sim.fleet.ids()[0]!;
    sim.clock.set(T0 + 1);
    expect(sim.fleet.instanceStatus(id)).toBe('Stopping');
    expect(sim.fleet.agentState(id)).toBe('stopped');
    expect(sim.fleet.onlineIntervals(id)).toEqual([{ fromMs: T0, toMs: T0 + 120_000 }]);
    expect(sim.fleet.isOnline(id)).toBe(true);
    sim.clock.set(T0 + 3_600_000);
    expect(sim.fleet.instanceStatus(id)).toBe('Stopped');
    expect(sim.fleet.isOnline(id)).toBe(false);
  });

  it('fleet.status, the item the API would return, agrees at interval edges', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fleetSpec, { minLength: 1, maxLength: 2 }),
        fc.array(agentOp, { maxLength: 8 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (fleets, ops, seed) => {
          const sim = await start({ speed: 0, startTime: T0, seed, fleets });
          try {
            apply(sim, ops);
            const ids = sim.fleet.ids();
            for (const t of probeTimes(sim, ids, [T0])) {
              sim.clock.set(t);
              for (const id of ids) {
                const st = sim.fleet.status(id);
                expect(st !== undefined).toBe(sim.fleet.wasVisible(id, t));
                expect(st?.CloudAssistantStatus === 'true').toBe(sim.fleet.wasOnline(id, t));
              }
            }
          } finally {
            await sim.close();
            sims = sims.filter((s) => s !== sim);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});

describe('fleet.onlineIntervals', () => {
  it('are sorted, disjoint, non-adjacent, and exactly the times wasOnline is true', async () => {
    const sim = await start({ speed: 0, startTime: T0 });
    await fc.assert(
      fc.property(
        fc.array(fleetSpec, { minLength: 1, maxLength: 3 }),
        fc.array(fc.oneof(agentOp, removeOp), { maxLength: 15 }),
        fc.array(fc.integer({ min: -600_000, max: 4 * 3_600_000 }), { maxLength: 30 }),
        (fleets, ops, offsets) => {
          sim.clock.set(T0);
          for (const id of sim.fleet.ids()) sim.fleet.removeInstance(id);
          const known = fleets.flatMap((spec) => sim.fleet.addInstances(spec));
          const before = new Set(sim.fleet.ids());
          apply(sim, ops);
          for (const id of sim.fleet.ids()) if (!before.has(id)) known.push(id);
          for (const id of known) {
            const list = sim.fleet.onlineIntervals(id);
            for (let i = 0; i < list.length; i++) {
              const cur = list[i]!;
              expect(cur.toMs === null || cur.fromMs < cur.toMs).toBe(true);
              if (i > 0) expect(list[i - 1]!.toMs).not.toBeNull();
              if (i > 0) expect(list[i - 1]!.toMs!).toBeLessThan(cur.fromMs);
              if (i < list.length - 1) expect(cur.toMs).not.toBeNull();
              // Edges: from is inclusive, to exclusive.
              expect(sim.fleet.wasOnline(id, cur.fromMs)).toBe(true);
              if (cur.toMs !== null) {
                expect(sim.fleet.wasOnline(id, cur.toMs)).toBe(false);
                if (cur.toMs - cur.fromMs > 1) expect(sim.fleet.wasOnline(id, cur.toMs - 1e-3)).toBe(true);
              }
            }
            for (const t of [...offsets.map((o) => T0 + o), ...probeTimes(sim, [id], [])]) {
              expect(inInterval(list, t), `${id} at ${t}`).toBe(sim.fleet.wasOnline(id, t));
            }
            // Through stops, starts, reboots and installs, the agent runs only while the instance is Running.
            if (sim.fleet.has(id)) {
              const after = sim.clock.now();
              for (const t of [...offsets.map((o) => T0 + o), ...probeTimes(sim, [id], [])]) {
                sim.clock.set(t);
                if (sim.fleet.agentState(id) === 'online')
                  expect(sim.fleet.instanceStatusAt(id, t), `${id} at ${t}`).toBe('Running');
              }
              sim.clock.set(after);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('describe a flapping agent exactly', async () => {
    const sim = await start({ speed: 0, startTime: T0 });
    // Up at +30 s for 100 s, then down; started again at +400 s for good.
    const id = sim.fleet.addInstance({ onlineAfterMs: 30_000, offlineAfterMs: 100_000 });
    sim.clock.advance(400_000);
    sim.fleet.startAgent(id);
    // Beats at +30 s, then +85/90/95 s depending on the rotation, the last one before +130 s.
    const [first, second] = sim.fleet.onlineIntervals(id);
    expect(first!.fromMs).toBe(T0 + 30_000);
    const lastBeat = first!.toMs! - 120_000;
    expect([85_000, 90_000, 95_000].map((d) => T0 + d)).toContain(lastBeat);
    expect(second).toEqual({ fromMs: T0 + 400_000, toMs: null });
    expect(sim.fleet.wasOnline(id, T0 + 29_999)).toBe(false);
    expect(sim.fleet.wasOnline(id, T0 + 130_000)).toBe(true); // stopped, but the last beat is fresh
    expect(sim.fleet.wasOnline(id, first!.toMs!)).toBe(false);
    expect(sim.fleet.wasOnline(id, T0 + 399_999)).toBe(false);
    expect(sim.fleet.wasOnline(id, T0 + 10 * 3_600_000)).toBe(true);
    expect(sim.fleet.onlineAt(id)).toBe(T0 + 30_000);
  });

  it('start where the instance appears in the API, even if the agent beat earlier', async () => {
    const sim = await start({ speed: 0, startTime: T0 });
    const id = sim.fleet.addInstance({ onlineAfterMs: 0, appearAfterMs: 20_000 });
    expect(sim.fleet.onlineIntervals(id)).toEqual([{ fromMs: T0 + 20_000, toMs: null }]);
    expect(sim.fleet.wasVisible(id, T0 + 19_999)).toBe(false);
    expect(sim.fleet.wasOnline(id, T0 + 10_000)).toBe(false);
    expect(sim.fleet.wasOnline(id, T0 + 20_000)).toBe(true);
  });

  it('are empty for an agent that never comes online and for an ID never seen', async () => {
    const sim = await start({ speed: 0, startTime: T0 });
    const id = sim.fleet.addInstance({ onlineAfterMs: null });
    expect(sim.fleet.onlineIntervals(id)).toEqual([]);
    expect(sim.fleet.wasVisible(id, T0)).toBe(true);
    expect(sim.fleet.wasOnline(id, T0 + 3_600_000)).toBe(false);
    expect(sim.fleet.onlineIntervals('i-nope')).toEqual([]);
    expect(sim.fleet.wasOnline('i-nope', T0)).toBe(false);
    expect(sim.fleet.wasVisible('i-nope', T0)).toBe(false);
  });
});

describe('removal keeps the past', () => {
  it('answers as before up to the removal and false from then on', async () => {
    const sim = await start({ speed: 0, startTime: T0 });
    await fc.assert(
      fc.property(
        fleetSpec,
        fc.array(agentOp, { maxLength: 8 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.array(fc.integer({ min: -600_000, max: 4 * 3_600_000 }), { minLength: 1, maxLength: 20 }),
        (spec, ops, removeAfter, offsets) => {
          sim.clock.set(T0);
          for (const id of sim.fleet.ids()) sim.fleet.removeInstance(id);
          sim.fleet.addInstances(spec);
          apply(sim, ops);
          const ids = sim.fleet.ids();
          const times = offsets.map((o) => T0 + o);
          const before = ids.map((id) => ({
            intervals: sim.fleet.onlineIntervals(id),
            online: times.map((t) => sim.fleet.wasOnline(id, t)),
            visible: times.map((t) => sim.fleet.wasVisible(id, t)),
          }));
          sim.clock.advance(removeAfter);
          const removedAt = sim.clock.now();
          for (const id of ids) sim.fleet.removeInstance(id);
          ids.forEach((id, k) => {
            expect(sim.fleet.has(id)).toBe(false);
            expect(sim.fleet.isVisible(id)).toBe(false);
            times.forEach((t, j) => {
              const was = t < removedAt;
              expect(sim.fleet.wasOnline(id, t)).toBe(was && before[k]!.online[j]!);
              expect(sim.fleet.wasVisible(id, t)).toBe(was && before[k]!.visible[j]!);
            });
            const clipped = before[k]!.intervals.flatMap((i) => {
              const to = i.toMs === null ? removedAt : Math.min(i.toMs, removedAt);
              return i.fromMs < to ? [{ fromMs: i.fromMs, toMs: to }] : [];
            });
            expect(sim.fleet.onlineIntervals(id)).toEqual(clipped);
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('reportTimes', () => {
  const ageOf = (item: Item | undefined, wallNow: number) =>
    item?.LastHeartbeatTime === undefined ? Number.NaN : wallNow - Date.parse(item.LastHeartbeatTime);

  /** One agent that beat at start and stopped 1 s later, read `readAfterMs` simulated ms on. */
  async function staleReading(reportTimes: 'simulated' | 'wall' | undefined, readAfterMs: number) {
    const wall = Date.now();
    const sim = await start({
      speed: 0,
      now: () => wall,
      ...(reportTimes === undefined ? {} : { reportTimes }),
    });
    const id = sim.fleet.addInstance({ onlineAfterMs: 0, offlineAfterMs: 1000 });
    sim.clock.advance(readAfterMs); // what a speed factor does: simulated time runs ahead of the wall
    const res = await describeStatus(sim, {}, [id]);
    const item = res.json<Body>().InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0];
    return { sim, id, item, wall };
  }

  it('"simulated" (default) reports simulated instants, so a stale beat looks like it is in the future', async () => {
    const { sim, item, wall } = await staleReading(undefined, 100_000);
    expect(sim.reportTimes).toBe('simulated');
    expect(item?.CloudAssistantStatus).toBe('true'); // the 2-minute rule: still "true"
    // The beat was 100 simulated seconds ago, but the wall clock has not moved: a
    // max-heartbeat-age check sees an age under a second (the report is truncated to seconds).
    expect(ageOf(item, wall)).toBeLessThan(1000);
  });

  it('"wall" reports a beat X simulated ms old as X ms before the wall clock, so age checks bite', async () => {
    const { sim, id, item, wall } = await staleReading('wall', 100_000);
    expect(sim.reportTimes).toBe('wall');
    expect(item?.CloudAssistantStatus).toBe('true');
    const age = ageOf(item, wall);
    // Reported to the second, as ECS does: 100 s, give or take the truncated milliseconds.
    expect(age).toBeGreaterThanOrEqual(100_000);
    expect(age).toBeLessThan(101_000);
    expect(age > 70_000).toBe(true); // a maxHeartbeatAgeMs of 70 s rejects this agent
    expect(sim.fleet.status(id)?.LastHeartbeatTime).toBe(item?.LastHeartbeatTime);

    const fresh = sim.fleet.addInstance({ onlineAfterMs: 0 });
    sim.clock.advance(30_000);
    const res = await describeStatus(sim, {}, [fresh]);
    const freshAge = ageOf(
      res.json<Body>().InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0],
      wall,
    );
    expect(freshAge).toBeGreaterThanOrEqual(30_000);
    expect(freshAge).toBeLessThan(70_000); // a healthy agent passes the same check
  });

  it('"wall" applies to invocation times too, and re-anchors each response', async () => {
    let wall = Date.now();
    const sim = await start({ speed: 0, now: () => wall, reportTimes: 'wall' });
    const id = sim.fleet.addInstance({ onlineAfterMs: 0 });
    const run = await call(sim, 'RunCommand', {
      RegionId: sim.region,
      Type: 'RunShellScript',
      CommandContent: 'true',
      'InstanceId.1': id,
    });
    expect(run.status).toBe(200);
    const { InvokeId } = run.json<{ InvokeId: string }>();
    sim.clock.advance(300_000);
    wall += 1000; // one wall second later, five simulated minutes later
    const inv = await call(sim, 'DescribeInvocations', { RegionId: sim.region, InvokeId });
    const created = inv.json<{ Invocations: { Invocation: { CreationTime: string }[] } }>().Invocations
      .Invocation[0]!.CreationTime;
    expect(wall - Date.parse(created)).toBeGreaterThanOrEqual(300_000);
    expect(wall - Date.parse(created)).toBeLessThan(301_000);
    const res = await describeStatus(sim, {}, [id]);
    const item = res.json<Body>().InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0]!;
    expect(wall - Date.parse(item.LastInvokedTime!)).toBeGreaterThanOrEqual(300_000);
    expect(wall - Date.parse(item.LastInvokedTime!)).toBeLessThan(301_000);
  });

  it('is validated', async () => {
    await expect(startEcsSimulator({ reportTimes: 'local' as 'wall' })).rejects.toThrow(/reportTimes/);
  });
});
