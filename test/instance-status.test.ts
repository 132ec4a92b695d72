/**
 * Reasons that say what is wrong with the instance (DescribeInstanceStatus), against the
 * simulator: stopped, starting and stopping instances named as such at the end of a failed wait;
 * `stoppedInstances: 'fail'` giving up on a stopped instance early; a lookup that fails (no
 * permission) never changing the outcome. (The proof of a missing agent, two lookups a grace
 * apart, is unit-tested in packages/waiter/test/instance-check.test.ts on a fake clock.)
 */
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  type QuorumUnreachableError,
  waitForCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { afterEach, describe, expect, it } from 'vitest';

const LOOKUP = 'DescribeInstanceStatus';
let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const via = (s: EcsSimulator) => ({ region: s.region, endpoint: s.endpoint, credentials: s.credentials });
const fast = { minDelayMs: 50, maxDelayMs: 200 } as const;

/** 6 healthy instances, 2 stopped, 1 without the agent, 1 being stopped, 1 whose boot is slow. */
async function mixed(healthyAfterMs = 1_000): Promise<{
  s: EcsSimulator;
  ok: string[];
  stopped: string[];
  agentless: string;
  stopping: string;
  starting: string;
}> {
  const s = await startEcsSimulator({
    speed: 60,
    seed: 'lifecycle',
    instances: [
      ...Array.from({ length: 6 }, (_, i) => ({
        id: `i-bp1healthy00000000${i}`,
        onlineAfterMs: healthyAfterMs,
      })),
      { id: 'i-bp1stopped000000001', stopped: true },
      { id: 'i-bp1stopped000000002', stopped: true, onlineAfterMs: null },
      { id: 'i-bp1noagent000000001', onlineAfterMs: null },
      {
        id: 'i-bp1stopping00000001',
        onlineAfterMs: null,
        lifecycle: { stoppingMs: { kind: 'fixed', ms: 3_600_000 } },
      },
      { id: 'i-bp1slowboot00000001', runningAfterMs: 3_600_000, onlineAfterMs: 3_600_000 },
    ],
  });
  sim = s;
  s.fleet.stop('i-bp1stopping00000001');
  return {
    s,
    ok: Array.from({ length: 6 }, (_, i) => `i-bp1healthy00000000${i}`),
    stopped: ['i-bp1stopped000000001', 'i-bp1stopped000000002'],
    agentless: 'i-bp1noagent000000001',
    stopping: 'i-bp1stopping00000001',
    starting: 'i-bp1slowboot00000001',
  };
}

describe('instance-status reasons (simulator)', () => {
  it('a timeout names stopped, stopping and starting instances as such, and an agent not seen yet as no-heartbeat-yet', async () => {
    const { s, ok, stopped, agentless, stopping, starting } = await mixed();
    const ids = [...ok, ...stopped, agentless, stopping, starting];
    const error = await waitForCloudAssistant(ids, { ...via(s), ...fast, timeoutMs: 1_500 }).catch(
      (e: unknown) => e,
    );
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    const t = error as CloudAssistantTimeoutError;
    expect(t.ready).toEqual(ok);
    const reasons = Object.fromEntries(t.pending.map((p) => [p.instanceId, [p.reason, p.instanceStatus]]));
    expect(reasons).toEqual({
      [stopped[0]!]: ['instance-stopped', 'Stopped'],
      [stopped[1]!]: ['instance-stopped', 'Stopped'],
      [agentless]: ['no-heartbeat-yet', 'Running'],
      [stopping]: ['instance-stopping', 'Stopping'],
      [starting]: ['instance-starting', 'Starting'],
    });
    // Ground truth agrees.
    for (const p of t.pending) expect(s.fleet.instanceStatus(p.instanceId)).toBe(p.instanceStatus);
    // One end-of-wait lookup: 5 stragglers, one call, counted apart from the polls.
    expect(t.instanceStatusCalls).toBe(1);
    expect(s.stats.count({ action: LOOKUP })).toBe(1);
    expect(t.message).toContain('(instance-stopped)');
  });

  it("stoppedInstances: 'fail' gives up on stopped instances at once, so the quorum fails early", async () => {
    const { s, ok, stopped } = await mixed();
    const started = Date.now();
    const error = await waitForCloudAssistant([...ok, ...stopped], {
      ...via(s),
      ...fast,
      timeoutMs: 60_000,
      stoppedInstances: 'fail',
    }).catch((e: unknown) => e);
    expect(isQuorumUnreachableError(error)).toBe(true);
    const q = error as QuorumUnreachableError;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(q.rounds).toBe(1);
    expect(q.unreachable.map((p) => [p.instanceId, p.reason])).toEqual(
      stopped.map((id) => [id, 'instance-stopped']),
    );
    // The first round's lookup asked about the agents not online: 2 stopped + 6 still booting.
    expect(s.stats.count({ action: LOOKUP })).toBe(q.instanceStatusCalls);
  });

  it("stoppedInstances: 'fail' with a quorum the healthy ones meet: the stopped ones are listed, the wait succeeds", async () => {
    // Healthy agents up 30 s (simulated) in: the quorum is not met in the first round, whose
    // lookup finds the stopped ones (a quorum met at once would end the wait before any lookup).
    const { s, ok, stopped } = await mixed(30_000);
    const report = await waitForCloudAssistant([...ok, ...stopped], {
      ...via(s),
      ...fast,
      timeoutMs: 20_000,
      stoppedInstances: 'fail',
      minReady: 6,
    });
    expect(report.ready).toEqual(ok);
    expect(
      report.instances.filter((i) => !i.ready).map((i) => [i.instanceId, i.reason, i.instanceStatus]),
    ).toEqual(stopped.map((id) => [id, 'instance-stopped', 'Stopped']));
  });

  it('a lookup without permission never changes the outcome: the agent reasons stay', async () => {
    sim = await startEcsSimulator({
      speed: 60,
      credentials: [
        {
          accessKeyId: 'noinst',
          accessKeySecret: 'secret-noinst',
          deniedActions: ['DescribeInstanceStatus'],
        },
      ],
      instances: [{ id: 'i-bp1noagent000000009', onlineAfterMs: null }, { id: 'i-bp1healthy000000009' }],
    });
    const error = await waitForCloudAssistant(['i-bp1healthy000000009', 'i-bp1noagent000000009'], {
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: { accessKeyId: 'noinst', accessKeySecret: 'secret-noinst' },
      ...fast,
      timeoutMs: 1_000,
      stoppedInstances: 'fail',
    }).catch((e: unknown) => e);
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    const t = error as CloudAssistantTimeoutError;
    expect(t.pending).toEqual([
      // The engine's own reason: without a lookup nothing proves the agent missing.
      expect.objectContaining({ instanceId: 'i-bp1noagent000000009', reason: 'no-heartbeat-yet' }),
    ]);
    expect(t.pending[0]!.instanceStatus).toBeUndefined();
    // Denied once: no more lookups for the rest of the wait (not one per round, not at the end).
    expect(sim.stats.count({ action: LOOKUP, code: 'Forbidden.RAM' })).toBe(1);
    expect(t.instanceStatusCalls).toBe(1);
  });
});
