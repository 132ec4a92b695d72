import { createEcsClient } from '@cloud-assistant-gate/core';
import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { describe, expect, it } from 'vitest';
import { bootstrapFleet } from '../src/bootstrap.js';

describe('fleet-bootstrap', () => {
  it('starts commands on early instances before the slowest is up, and reports the stragglers', async () => {
    const sim = await startEcsSimulator({
      seed: 6,
      // Boots spread over 0.5–6 s of wall time, so even on a loaded machine the first round
      // (well under a second in) sees only part of the fleet.
      speed: 10,
      fleets: [{ count: 120, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 60_000 } }],
    });
    const never = sim.fleet.addInstance({ onlineAfterMs: null });
    const client = createEcsClient({
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: sim.credentials,
    });
    try {
      const result = await bootstrapFleet({
        client,
        instanceIds: [...sim.fleet.ids()],
        command: 'echo hi',
        timeoutMs: 12_000,
      });
      const sent = result.batches.flatMap((b) => b.instanceIds);
      expect(new Set(sent).size).toBe(120);
      expect(sent).not.toContain(never);
      expect(result.batches.length).toBeGreaterThan(1);
      for (const b of result.batches) expect(b.instanceIds.length).toBeLessThanOrEqual(100);
      // The first batch went out well before the last instance came up.
      expect(result.batches[0]!.atMs).toBeLessThan(result.batches.at(-1)!.atMs);
      expect(result.stragglers).toEqual([{ instanceId: never, reason: 'no-heartbeat-yet' }]);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});
