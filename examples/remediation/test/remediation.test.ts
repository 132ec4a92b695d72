import { startEcsSimulator } from '@cloud-assistant-gate/simulator';
import type { RemediationRecord } from '@cloud-assistant-gate/waiter';
import { describe, expect, it } from 'vitest';
import { gateWithRemediation } from '../src/remediate.js';

describe('remediation example', () => {
  it('installs and reboots the instances without the agent, refuses Red Hat, never touches the healthy ones', async () => {
    const sim = await startEcsSimulator({
      seed: 21,
      speed: 60,
      fleets: [
        { count: 12, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 20_000 } },
        { count: 3, neverOnlineShare: 1 },
        { count: 1, neverOnlineShare: 1, osName: 'Red Hat Enterprise Linux 9.2 64 bit' },
      ],
    });
    try {
      const ids = sim.fleet.ids();
      const agentless = ids.filter((id) => sim.fleet.agentState(id) === 'not-installed');
      const redhat = agentless.at(-1)!;
      const announced: RemediationRecord[] = [];
      const result = await gateWithRemediation({
        connection: { region: sim.region, endpoint: sim.endpoint, credentials: sim.credentials },
        instanceIds: ids,
        allowReboot: true,
        afterMs: 500,
        timing: { minDelayMs: 50, maxDelayMs: 300 },
        timeoutMs: 30_000,
        minReady: ids.length - 1,
        onRemediation: (r) => announced.push(r),
      });
      expect(result.ready).toHaveLength(ids.length - 1);
      expect(result.notReady).toEqual([
        { instanceId: redhat, reason: 'install-failed: Operation.Forbidden' },
      ]);
      expect(result.remediations.map((r) => r.instanceId).sort()).toEqual([...agentless].sort());
      for (const r of result.remediations) {
        expect(r.outcome).toBe(r.instanceId === redhat ? 'install-failed' : 'installed-and-rebooted');
      }
      expect(announced.map((r) => r.instanceId).sort()).toEqual([...agentless].sort());
      // Only the agentless ones were rebooted (in one call, or two when their boots ended a round
      // apart), and their agents are up now; a healthy agent was never interrupted.
      expect(sim.stats.count({ action: 'RebootInstances' })).toBeLessThanOrEqual(2);
      for (const id of agentless.slice(0, -1)) expect(sim.fleet.agentState(id)).toBe('online');
      for (const id of ids.filter((x) => !agentless.includes(x))) {
        expect(sim.fleet.onlineIntervals(id)).toEqual([{ fromMs: expect.any(Number), toMs: null }]);
      }
    } finally {
      await sim.close();
    }
  });
});
