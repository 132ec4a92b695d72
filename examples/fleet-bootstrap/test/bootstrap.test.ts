import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { describe, expect, it } from 'vitest';
import { bootstrapFleet } from '../src/bootstrap.js';

describe('fleet-bootstrap', () => {
  it('starts commands on early instances of both regions before the slowest is up, each in its region, and reports the stragglers', async () => {
    const sim = await startEcsSimulator({
      seed: 6,
      // Boots spread over 0.5–6 s of wall time, so even on a loaded machine the first round
      // (well under a second in) sees only part of the fleet.
      speed: 10,
      region: 'cn-hangzhou',
      regions: ['cn-hangzhou', 'cn-beijing'],
      fleets: [
        { region: 'cn-hangzhou', count: 80, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } },
        { region: 'cn-beijing', count: 40, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } },
      ],
    });
    const never = sim.fleet.addInstance({ region: 'cn-beijing', onlineAfterMs: null });
    const clients = sim.regions.map((region) =>
      createEcsClient({ region, endpoint: sim.endpoint, credentials: sim.credentials }),
    );
    try {
      const hz = sim.fleet.ids({ region: 'cn-hangzhou' });
      const bj = sim.fleet.ids({ region: 'cn-beijing' });
      const result = await bootstrapFleet({
        clients,
        // Beijing IDs bare, found by the wait in the second region; half of Hangzhou's pre-assigned.
        instanceIds: [...hz.slice(0, 40).map((id) => `cn-hangzhou:${id}`), ...bj, ...hz.slice(40)],
        command: 'echo hi',
        timeoutMs: 12_000,
      });
      const sent = result.batches.flatMap((b) => b.instanceIds);
      expect(new Set(sent).size).toBe(120);
      expect(sent).not.toContain(never);
      expect(result.batches.length).toBeGreaterThan(2);
      for (const b of result.batches) {
        expect(b.instanceIds.length).toBeLessThanOrEqual(100);
        for (const id of b.instanceIds) expect((b.region === 'cn-beijing' ? bj : hz).includes(id)).toBe(true);
      }
      expect(new Set(result.batches.map((b) => b.region))).toEqual(new Set(['cn-hangzhou', 'cn-beijing']));
      // The first batch went out well before the last instance came up.
      expect(result.batches[0]!.atMs).toBeLessThan(result.batches.at(-1)!.atMs);
      // The end-of-wait lookup saw it Running; 12 s cannot prove the agent missing: not yet.
      expect(result.stragglers).toEqual([
        { instanceId: never, region: 'cn-beijing', reason: 'no-heartbeat-yet' },
      ]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await sim.close();
    }
  });
});
