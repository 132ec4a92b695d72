/**
 * One wait over several regions, against a simulator serving two: IDs with their region, bare IDs
 * located by the wait, an ID known in no region; the report and the progress events carry each
 * instance's region, and the calls of locating are what the README says.
 */
import { createEcsClient } from '@cloud-assistant-gate/core';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  isQuorumUnreachableError,
  type QuorumUnreachableError,
  type ReadinessProgress,
  waitForCloudAssistant,
  watchCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { afterEach, describe, expect, it } from 'vitest';

const HZ = 'cn-hangzhou';
const BJ = 'cn-beijing';
const DESCRIBE = 'DescribeCloudAssistantStatus';
const fast = { minDelayMs: 50, maxDelayMs: 250, timeoutMs: 20_000 } as const;

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Two regions on one endpoint: 120 instances in Hangzhou, 80 in Beijing, agents up in 5–30 s (×60). */
async function twoRegions(notFoundMode: 'error' | 'omit' = 'error'): Promise<EcsSimulator> {
  sim = await startEcsSimulator({
    speed: 60,
    seed: `regions-${notFoundMode}`,
    region: HZ,
    regions: [HZ, BJ],
    notFoundMode,
    fleets: [
      { region: HZ, count: 120, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 30_000 } },
      { region: BJ, count: 80, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 30_000 } },
    ],
  });
  return sim;
}

const via = (s: EcsSimulator) => ({ endpoint: s.endpoint, credentials: s.credentials });

describe('a wait over several regions (simulator serving cn-hangzhou and cn-beijing)', () => {
  it.each(['error', 'omit'] as const)(
    'locates bare IDs, keeps pre-assigned ones in their region, and names an ID known in no region (notFoundMode %s)',
    async (mode) => {
      const s = await twoRegions(mode);
      const hz = s.fleet.ids({ region: HZ });
      const bj = s.fleet.ids({ region: BJ });
      const unknown = 'i-knowninnoregion000001';
      // Bare IDs of both regions interleaved, some Beijing IDs with their region, one unknown ID.
      const input: string[] = [];
      for (let i = 0; i < 120; i++) {
        input.push(hz[i]!);
        if (i < 50) input.push(bj[i]!);
      }
      for (const id of bj.slice(50)) input.push(`${BJ}:${id}`);
      input.splice(77, 0, unknown);
      const progress: ReadinessProgress[] = [];
      const error = await waitForCloudAssistant(input, {
        regions: [HZ, BJ],
        ...via(s),
        ...fast,
        notFound: 'fail',
        onProgress: (p) => progress.push(p),
      }).catch((e: unknown) => e);

      // The unknown ID was tried in both regions in the first round, then given up on.
      expect(isQuorumUnreachableError(error)).toBe(true);
      const q = error as QuorumUnreachableError;
      expect(q.unreachable).toEqual([expect.objectContaining({ instanceId: unknown, reason: 'not-found' })]);
      expect(q.unreachable[0]!.region).toBeUndefined();
      // Located within the first rounds (each round's locating calls are capped per region).
      expect(q.rounds).toBeLessThanOrEqual(3);
      // Every other instance is accounted for, ready or pending, with its true region.
      const all = [...q.ready, ...q.pending.map((p) => p.instanceId)];
      expect(all.sort()).toEqual([...hz, ...bj].sort());
      for (const p of q.pending) expect(p.region).toBe(hz.includes(p.instanceId) ? HZ : BJ);
      // Ready ones were online in the region the events said.
      for (const p of progress) {
        for (const r of p.newlyReadyInstances) {
          expect(r.region).toBe(hz.includes(r.instanceId) ? HZ : BJ);
          expect(s.fleet.isOnline(r.instanceId)).toBe(true);
        }
      }
      expect(q.apiCalls).toBe(s.stats.count({ action: DESCRIBE }));
      console.log(
        `2 regions, notFoundMode ${mode}: 170 bare IDs (50 of them in the 2nd region) + 30 pre-assigned + 1 unknown: ` +
          `${q.rounds} rounds, ${q.apiCalls} calls (${q.bisectionCalls} locating/bisection)`,
      );
    },
  );

  it('waits for a mixed fleet to the end: one report, every instance with its region, calls counted per region', async () => {
    const s = await twoRegions();
    const hz = s.fleet.ids({ region: HZ });
    const bj = s.fleet.ids({ region: BJ });
    const input = [
      ...hz.slice(0, 60),
      ...bj.slice(0, 40).map((id) => ({ instanceId: id, region: BJ })),
      ...hz.slice(60),
      ...bj.slice(40),
    ];
    const report = await waitForCloudAssistant(input, { regions: [HZ, BJ], ...via(s), ...fast });
    expect(report.ready).toHaveLength(200);
    expect(report.regions).toEqual([HZ, BJ]);
    for (const i of report.instances) expect(i.region).toBe(hz.includes(i.instanceId) ? HZ : BJ);
    // Input order is kept across regions.
    expect(report.instances.map((i) => i.instanceId)).toEqual(
      input.map((x) => (typeof x === 'string' ? x : x.instanceId)),
    );
    expect(report.apiCalls).toBe(s.stats.count({ action: DESCRIBE }));
    expect(report.instanceStatusCalls).toBe(0);
  });

  it('a region named only by IDs is added to the wait; bare IDs need a listed region', async () => {
    const s = await twoRegions();
    const bj = s.fleet.ids({ region: BJ }).slice(0, 5);
    const report = await waitForCloudAssistant(
      bj.map((id) => `${BJ}:${id}`),
      { ...via(s), ...fast, env: { ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true' } },
    );
    expect(report.regions).toEqual([BJ]);
    expect(report.ready).toEqual(bj);
    // With the env region as the listed one, Beijing comes after it.
    const hz = s.fleet.ids({ region: HZ }).slice(0, 3);
    const mixed = await waitForCloudAssistant([...hz, `${BJ}:${bj[0]}`], {
      ...via(s),
      ...fast,
      env: { ALIBABA_CLOUD_REGION_ID: HZ },
    });
    expect(mixed.regions).toEqual([HZ, BJ]);
    expect(mixed.instances.map((i) => i.region)).toEqual([HZ, HZ, HZ, BJ]);
  });

  it('shares caller clients per region (clients option), and watchCloudAssistant carries regions too', async () => {
    const s = await twoRegions();
    const a = createEcsClient({ region: HZ, endpoint: s.endpoint, credentials: s.credentials });
    const b = createEcsClient({ region: BJ, endpoint: s.endpoint, credentials: s.credentials });
    try {
      const ids = [...s.fleet.ids({ region: BJ }).slice(0, 10), ...s.fleet.ids({ region: HZ }).slice(0, 10)];
      const seen = new Map<string, string | undefined>();
      const last = await new Promise<ReadinessProgress>((resolve, reject) => {
        let final: ReadinessProgress | undefined;
        watchCloudAssistant(ids, { clients: { [HZ]: a, [BJ]: b }, ...fast }).subscribe({
          next: (p) => {
            final = p;
            for (const r of p.newlyReadyInstances) seen.set(r.instanceId, r.region);
          },
          error: reject,
          complete: () => resolve(final!),
        });
      });
      expect(last.done).toBe(true);
      expect(seen.size).toBe(20);
      for (const id of ids) expect(seen.get(id)).toBe(s.fleet.ids({ region: BJ }).includes(id) ? BJ : HZ);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('refuses an ID whose region the wait has no client for, and an ID given in two regions', async () => {
    const s = await twoRegions();
    const a = createEcsClient({ region: HZ, endpoint: s.endpoint, credentials: s.credentials });
    try {
      await expect(waitForCloudAssistant([`${BJ}:i-2zeabc`], { client: a })).rejects.toThrow(
        /name the region cn-beijing, but options\.client is for cn-hangzhou/,
      );
      await expect(
        waitForCloudAssistant([`${HZ}:i-bp1abc`, `${BJ}:i-bp1abc`], { regions: [HZ, BJ], ...via(s) }),
      ).rejects.toMatchObject({ code: 'WAITER_INVALID_INSTANCE_ID' });
      expect(s.stats.total).toBe(0);
    } finally {
      await a.close();
    }
  });
});
