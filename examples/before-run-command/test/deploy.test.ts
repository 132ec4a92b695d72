import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import { isCloudAssistantTimeoutError } from '@cloud-assistant-gate/waiter';
import { describe, expect, it } from 'vitest';
import { deploy } from '../src/deploy.js';

describe('before-run-command', () => {
  it('sends RunCommand only once every agent is online', async () => {
    const sim = await startEcsSimulator({
      seed: 2,
      speed: 50,
      fleets: [{ count: 30, bootMs: { kind: 'uniform', minMs: 10_000, maxMs: 60_000 } }],
    });
    try {
      const ids = sim.fleet.ids();
      const { report, invokeIds } = await deploy({
        region: sim.region,
        endpoint: sim.endpoint,
        credentials: sim.credentials,
        instanceIds: ids,
        command: 'echo hi',
        timeoutMs: 30_000,
      });
      expect(report.ready).toHaveLength(30);
      expect(invokeIds).toHaveLength(1);
      for (const id of ids) expect(sim.fleet.isOnline(id)).toBe(true);
      expect(sim.stats.byAction['RunCommand']).toBe(1);
    } finally {
      await sim.close();
    }
  });

  it('sends nothing and says which instance was not ready when the wait times out', async () => {
    const sim = await startEcsSimulator({ seed: 2 });
    const up = sim.fleet.addInstance({ onlineAfterMs: 0 });
    const down = sim.fleet.addInstance({ onlineAfterMs: null });
    try {
      const error = await deploy({
        region: sim.region,
        endpoint: sim.endpoint,
        credentials: sim.credentials,
        instanceIds: [up, down],
        command: 'echo hi',
        timeoutMs: 2_500,
      }).catch((e: unknown) => e);
      expect(isCloudAssistantTimeoutError(error)).toBe(true);
      if (!isCloudAssistantTimeoutError(error)) return;
      // The end-of-wait lookup saw it Running; 2.5 s cannot prove the agent missing: "not yet".
      expect(error.pending.map((p) => [p.instanceId, p.reason, p.instanceStatus])).toEqual([
        [down, 'no-heartbeat-yet', 'Running'],
      ]);
    } finally {
      await sim.close();
    }
  });
});
