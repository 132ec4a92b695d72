import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { describe, expect, it } from 'vitest';
import { bootstrapFleet } from '../src/bootstrap.js';

describe('fleet-bootstrap', () => {
  it('starts commands on early instances of both regions before the slowest is up, each in its region, and reports the stragglers', async () => {
    const wallStart = Date.now();
    const sim = await startEcsSimulator({
      seed: 6,
      // Boots spread over 1–12 s of wall time: even when the first rounds find nothing (the second
      // may come 6 s in, after the default backoff) part of the fleet is still booting.
      speed: 5,
      region: 'cn-hangzhou',
      regions: ['cn-hangzhou', 'cn-beijing'],
      fleets: [
        { region: 'cn-hangzhou', count: 80, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } },
        { region: 'cn-beijing', count: 40, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } },
      ],
    });
    const simStart = sim.clock.now() - (Date.now() - wallStart) * 5;
    const never = sim.fleet.addInstance({ region: 'cn-beijing', onlineAfterMs: null });
    const clients = sim.regions.map((region) =>
      createEcsClient({ region, endpoint: sim.endpoint, credentials: sim.credentials }),
    );
    try {
      const hz = sim.fleet.ids({ region: 'cn-hangzhou' });
      const bj = sim.fleet.ids({ region: 'cn-beijing' });
      const started = Date.now();
      const result = await bootstrapFleet({
        clients,
        // Beijing IDs bare, found by the wait in the second region; half of Hangzhou's pre-assigned.
        instanceIds: [...hz.slice(0, 40).map((id) => `cn-hangzhou:${id}`), ...bj, ...hz.slice(40)],
        command: 'echo hi',
        timeoutMs: 16_000,
      });
      const sent = result.batches.flatMap((b) => b.instanceIds);
      expect(new Set(sent).size).toBe(120);
      expect(sent).not.toContain(never);
      expect(result.batches.length).toBeGreaterThanOrEqual(2);
      for (const b of result.batches) {
        expect(b.instanceIds.length).toBeLessThanOrEqual(100);
        for (const id of b.instanceIds) expect((b.region === 'cn-beijing' ? bj : hz).includes(id)).toBe(true);
      }
      expect(new Set(result.batches.map((b) => b.region))).toEqual(new Set(['cn-hangzhou', 'cn-beijing']));
      // The first batch went out before the last agent came up (wall ms after the start: the
      // simulated clock runs 5× and the fleet was created with it).
      const lastOnlineAt = Math.max(
        ...[...hz, ...bj].filter((id) => id !== never).map((id) => sim.fleet.onlineAt(id)!),
      );
      const lastUpMs = (lastOnlineAt - simStart) / 5 - (started - wallStart);
      expect(Math.min(...result.batches.map((b) => b.atMs))).toBeLessThan(lastUpMs);
      // The end-of-wait lookup saw it Running; 16 s cannot prove the agent missing: not yet.
      expect(result.stragglers).toEqual([
        { instanceId: never, region: 'cn-beijing', reason: 'no-heartbeat-yet' },
      ]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await sim.close();
    }
  });
});
