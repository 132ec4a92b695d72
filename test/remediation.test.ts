/**
 * Opt-in remediation of a missing agent against the simulator: install without reboot consent
 * (installed, never rebooted), install and reboot (the agent comes up and the wait succeeds), an
 * OS the API cannot install on (isolated, its neighbours remediated), agents that were ever seen
 * (never rebooted), permissions denied for every remediation (the wait fails fast), and nothing
 * of ours left running afterwards.
 */
import { createEcsClient, type EcsClient } from '@cloud-assistant-gate/core';
import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isRemediationError,
  type ReadinessProgress,
  type RemediationError,
  type RemediationRecord,
  waitForCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { afterEach, describe, expect, it } from 'vitest';

const INSTALL = 'InstallCloudAssistant';
const REBOOT = 'RebootInstances';
let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const fast = { minDelayMs: 50, maxDelayMs: 200 } as const;
/** 300 ms of the wait's clock; at speed 60 that is 18 s of simulated time. */
const AFTER_MS = 300;

const healthy = (n: number) =>
  Array.from({ length: n }, (_, i) => `i-bp1healthy0000000${String(i).padStart(2, '0')}`);
const agentless = (n: number) =>
  Array.from({ length: n }, (_, i) => `i-bp1noagent0000000${String(i).padStart(2, '0')}`);

async function fleet(extra: Parameters<typeof startEcsSimulator>[0] = {}): Promise<EcsSimulator> {
  sim = await startEcsSimulator({
    speed: 60,
    seed: 'remediation',
    // Reboots take 5–15 s to stop, 10–25 s to start, and the agent ~20 s more (simulated).
    instances: [
      ...healthy(4).map((id) => ({ id, onlineAfterMs: 2_000 })),
      ...agentless(3).map((id) => ({ id, onlineAfterMs: null })),
    ],
    ...extra,
  });
  return sim;
}

const via = (s: EcsSimulator) => ({ region: s.region, endpoint: s.endpoint, credentials: s.credentials });

/** A core client whose install and reboot capabilities record the IDs they were given. */
function recording(s: EcsSimulator, credentials = s.credentials) {
  const ecs = createEcsClient({ region: s.region, endpoint: s.endpoint, credentials });
  const installed: string[] = [];
  const rebooted: string[] = [];
  const client = {
    region: ecs.region,
    statusSource: ecs.statusSource,
    instanceStatus: ecs.instanceStatus,
    installAgent: (ids: readonly string[], o: Parameters<EcsClient['installAgent']>[1]) => {
      installed.push(...ids);
      return ecs.installAgent(ids, o);
    },
    reboot: (ids: readonly string[], o: Parameters<EcsClient['reboot']>[1]) => {
      rebooted.push(...ids);
      return ecs.reboot(ids, o);
    },
  };
  return { ecs, client, installed, rebooted };
}

describe('opt-in remediation (simulator)', () => {
  it('without reboot consent it installs, never reboots, and says a reboot is required', async () => {
    const s = await fleet();
    const started = Date.now();
    const progress: ReadinessProgress[] = [];
    const error = await waitForCloudAssistant([...healthy(4), ...agentless(3)], {
      ...via(s),
      ...fast,
      timeoutMs: 2_500,
      remediate: { install: true, afterMs: AFTER_MS },
      onProgress: (p) => progress.push(p),
    }).catch((e: unknown) => e);
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    const t = error as CloudAssistantTimeoutError;
    expect(t.ready).toEqual(healthy(4));
    expect(t.pending.map((p) => [p.instanceId, p.reason])).toEqual(
      agentless(3).map((id) => [id, 'agent-installed-reboot-required']),
    );
    for (const p of t.pending) {
      expect(p.remediation).toMatchObject({ outcome: 'installed-reboot-required', region: s.region });
      expect(p.remediation?.rebootedAt).toBeUndefined();
      // Installed only after the instance had been seen Running for the grace.
      expect(Date.parse(p.remediation!.installedAt!) - started).toBeGreaterThanOrEqual(AFTER_MS);
      // Ground truth: installed, waiting for a boot; the instance was never rebooted.
      expect(s.fleet.agentState(p.instanceId)).toBe('installed');
      expect(s.fleet.instanceStatus(p.instanceId)).toBe('Running');
    }
    expect(s.stats.count({ action: INSTALL })).toBe(1);
    expect(s.stats.count({ action: REBOOT })).toBe(0);
    // The progress events announced it, once per instance.
    const announced = progress.flatMap((p) => p.remediated);
    expect(announced.map((r) => r.instanceId)).toEqual(agentless(3));
    expect(t.remediationCalls).toBe(1);
  });

  it('with reboot consent it installs, reboots, and the agents come up: the wait succeeds', async () => {
    const s = await fleet();
    const started = Date.now();
    const report = await waitForCloudAssistant([...healthy(4), ...agentless(3)], {
      ...via(s),
      ...fast,
      timeoutMs: 20_000,
      remediate: { install: true, reboot: true, afterMs: AFTER_MS },
    });
    expect(report.ready).toEqual([...healthy(4), ...agentless(3)]);
    expect(report.remediations.map((r) => [r.instanceId, r.outcome])).toEqual(
      agentless(3).map((id) => [id, 'installed-and-rebooted']),
    );
    for (const r of report.remediations) {
      expect(Date.parse(r.installedAt!)).toBeGreaterThanOrEqual(started + AFTER_MS);
      expect(Date.parse(r.rebootedAt!)).toBeGreaterThanOrEqual(Date.parse(r.installedAt!));
      expect(s.fleet.agentState(r.instanceId)).toBe('online');
    }
    for (const i of report.instances) {
      expect(i.remediation === undefined).toBe(healthy(4).includes(i.instanceId));
    }
    // One install batch, one reboot batch; the pre-reboot re-read of the agents is the third call.
    expect(s.stats.count({ action: INSTALL })).toBe(1);
    expect(s.stats.count({ action: REBOOT })).toBe(1);
    expect(report.remediationCalls).toBe(3);
    console.log(
      `remediation with reboot: ready after ${report.elapsedMs} ms wall, ${report.apiCalls} polls, ` +
        `${report.instanceStatusCalls} lookups, ${report.remediationCalls} remediation calls`,
    );
  });

  it('an install refused for the OS (Red Hat) is isolated: the others are remediated and come up', async () => {
    const s = await fleet({
      instances: [
        ...healthy(2).map((id) => ({ id, onlineAfterMs: 2_000 })),
        ...agentless(3).map((id) => ({ id, onlineAfterMs: null })),
        { id: 'i-bp1redhat000000000001', onlineAfterMs: null, osName: 'Red Hat Enterprise Linux 9.2 64 bit' },
      ],
    });
    const ids = [...healthy(2), ...agentless(3).slice(0, 2), 'i-bp1redhat000000000001', agentless(3)[2]!];
    const report = await waitForCloudAssistant(ids, {
      ...via(s),
      ...fast,
      timeoutMs: 20_000,
      minReady: 5,
      remediate: { install: true, reboot: true, afterMs: AFTER_MS },
    });
    expect(report.ready).toEqual(ids.filter((id) => id !== 'i-bp1redhat000000000001'));
    const redhat = report.instances.find((i) => i.instanceId === 'i-bp1redhat000000000001')!;
    expect(redhat.reason).toBe('install-failed: Operation.Forbidden');
    expect(redhat.remediation).toMatchObject({
      outcome: 'install-failed',
      error: 'InstallCloudAssistant: Operation.Forbidden',
    });
    expect(redhat.remediation?.installedAt).toBeUndefined();
    expect(s.fleet.instanceStatus('i-bp1redhat000000000001')).toBe('Running');
    // One batch of 4 failing, then halves: at most 1 + 2·1·ceil(log2 4) = 5 install calls.
    expect(s.stats.count({ action: INSTALL })).toBeLessThanOrEqual(5);
    expect(s.stats.count({ action: INSTALL, code: 'Operation.Forbidden' })).toBeGreaterThanOrEqual(1);
  });

  it('never reboots an agent that was ever seen, online in the wait or before it (flapping)', async () => {
    // i-…flap1: its agent beat long ago and went offline (LastHeartbeatTime shows it);
    // i-…flap2: online during the wait, held back by a readiness check, then offline.
    const s = await fleet({
      instances: [
        { id: 'i-bp1flap0000000000001', onlineAfterMs: 0, offlineAfterMs: 30_000 },
        { id: 'i-bp1flap0000000000002', onlineAfterMs: 0, offlineAfterMs: 400_000, agentVersion: '1.0.0.1' },
        ...agentless(2).map((id) => ({ id, onlineAfterMs: null })),
      ],
    });
    s.clock.advance(5 * 60_000); // flap1 is long offline; flap2 is online until 400 s
    const { ecs, client, installed, rebooted } = recording(s);
    try {
      const error = await waitForCloudAssistant(
        ['i-bp1flap0000000000001', 'i-bp1flap0000000000002', ...agentless(2)],
        {
          client,
          ...fast,
          timeoutMs: 4_000,
          readiness: { minAgentVersion: '2.0' },
          remediate: { install: true, reboot: true, afterMs: AFTER_MS },
        },
      ).catch((e: unknown) => e);
      expect(isCloudAssistantTimeoutError(error)).toBe(true);
      // flap2 went offline during the wait (400 s simulated = ~1.7 s of this wait at ×60).
      expect(s.fleet.onlineIntervals('i-bp1flap0000000000002').every((i) => i.toMs !== null)).toBe(true);
      expect(installed.sort()).toEqual(agentless(2));
      expect(rebooted.sort()).toEqual(agentless(2));
      const t = error as CloudAssistantTimeoutError;
      const flaps = t.pending.filter((p) => p.instanceId.startsWith('i-bp1flap'));
      expect(flaps.map((p) => p.remediation)).toEqual([undefined, undefined]);
      expect(flaps.map((p) => p.reason)).toEqual(['agent-offline', 'agent-offline']);
    } finally {
      await ecs.close();
    }
  });

  it('fails fast when every remediation is denied (Forbidden.RAM on InstallCloudAssistant)', async () => {
    const s = await fleet({
      credentials: [{ accessKeyId: 'ci', accessKeySecret: 'ci-secret-123', deniedActions: [INSTALL] }],
    });
    const started = Date.now();
    const error = await waitForCloudAssistant([...healthy(4), ...agentless(3)], {
      region: s.region,
      endpoint: s.endpoint,
      credentials: { accessKeyId: 'ci', accessKeySecret: 'ci-secret-123' },
      ...fast,
      timeoutMs: 60_000,
      remediate: { install: true, reboot: true, afterMs: AFTER_MS },
    }).catch((e: unknown) => e);
    expect(isRemediationError(error)).toBe(true);
    const r = error as RemediationError;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r).toMatchObject({ code: 'WAITER_REMEDIATION_DENIED', action: INSTALL, apiCode: 'Forbidden.RAM' });
    expect(r.message).toMatch(/grant ecs:InstallCloudAssistant/);
    expect(r.message).not.toContain('ci-secret-123');
    expect(r.pending.filter((p) => p.instanceId.includes('noagent')).map((p) => p.reason)).toEqual(
      agentless(3).map(() => 'install-failed: Forbidden.RAM'),
    );
    // A permission error is not split: one denied call.
    expect(s.stats.count({ action: INSTALL })).toBe(1);
    expect(s.stats.count({ action: REBOOT })).toBe(0);
  });

  it('fails fast when the reboots are denied (installs done, no instance rebooted)', async () => {
    const s = await fleet({
      credentials: [{ accessKeyId: 'ci', accessKeySecret: 'ci-secret-123', deniedActions: [REBOOT] }],
    });
    const error = await waitForCloudAssistant(agentless(3), {
      region: s.region,
      endpoint: s.endpoint,
      credentials: { accessKeyId: 'ci', accessKeySecret: 'ci-secret-123' },
      ...fast,
      timeoutMs: 60_000,
      remediate: { install: true, reboot: true, afterMs: AFTER_MS },
    }).catch((e: unknown) => e);
    expect(isRemediationError(error)).toBe(true);
    expect(error).toMatchObject({ action: REBOOT, apiCode: 'Forbidden.RAM' });
    const pending = (error as RemediationError).pending;
    expect(pending.map((p) => p.reason)).toEqual(agentless(3).map(() => 'reboot-failed: Forbidden.RAM'));
    expect(pending.map((p) => (p.remediation as RemediationRecord).installedAt !== undefined)).toEqual([
      true,
      true,
      true,
    ]);
    for (const id of agentless(3)) expect(s.fleet.agentState(id)).toBe('installed');
  });

  it('is off by default: an agentless instance is only waited for', async () => {
    const s = await fleet();
    await waitForCloudAssistant(agentless(1), { ...via(s), ...fast, timeoutMs: 1_000 }).catch(
      () => undefined,
    );
    expect(s.stats.count({ action: INSTALL }) + s.stats.count({ action: REBOOT })).toBe(0);
  });
});

describe('nothing of ours is left running after remediation or a multi-region wait', () => {
  const counts = () => {
    const m = new Map<string, number>();
    for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
    return m;
  };
  const leftover = async (baseline: Map<string, number>) => {
    for (let i = 0; i < 50; i++) {
      const extra = [...counts()].filter(([k, n]) => n > (baseline.get(k) ?? 0));
      if (extra.length === 0) return [];
      await new Promise((r) => setTimeout(r, 20));
    }
    return [...counts()].filter(([k, n]) => n > (baseline.get(k) ?? 0)).map(([k]) => k);
  };

  it.each([
    ['a remediation with reboot that succeeds', 'ok'],
    ['a remediation aborted mid-wait', 'abort'],
    ['a multi-region wait that times out (two clients and the end-of-wait lookup)', 'regions'],
  ] as const)('%s', async (_name, kind) => {
    const s = kind === 'regions' ? await fleet({ regions: ['cn-hangzhou', 'cn-beijing'] }) : await fleet();
    await new Promise((r) => setTimeout(r, 50));
    const baseline = counts();
    const ac = new AbortController();
    if (kind === 'abort') setTimeout(() => ac.abort(new Error('stop')), 400);
    const ids = kind === 'regions' ? [...agentless(3), 'cn-beijing:i-2zeunknown00000001'] : agentless(3);
    await waitForCloudAssistant(ids, {
      ...(kind === 'regions' ? { regions: ['cn-hangzhou', 'cn-beijing'] } : { region: s.region }),
      endpoint: s.endpoint,
      credentials: s.credentials,
      ...fast,
      timeoutMs: kind === 'regions' ? 1_000 : 20_000,
      signal: ac.signal,
      ...(kind === 'regions' ? {} : { remediate: { install: true, reboot: true, afterMs: AFTER_MS } }),
    }).catch(() => undefined);
    expect(await leftover(baseline)).toEqual([]);
  });
});
