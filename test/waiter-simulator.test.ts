import { type EcsSimulator, startEcsSimulator } from '@cloud-assistant-gate/simulator';
import {
  type CloudAssistantTimeoutError,
  isCloudAssistantTimeoutError,
  isQuorumUnreachableError,
  isStatusSourceError,
  type QuorumUnreachableError,
  type ReadinessProgress,
  type StatusSourceError,
  waitForCloudAssistant,
} from '@cloud-assistant-gate/waiter';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../packages/waiter/src/cli/main.js';
import { pausesOnVirtualClock } from './helpers/virtual-pauses.js';

const DESCRIBE = 'DescribeCloudAssistantStatus';
let sim: EcsSimulator | undefined;

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Wall-clock timings scaled for a simulator running 60× faster than real time. */
const fast = { minDelayMs: 50, maxDelayMs: 250, timeoutMs: 30_000 } as const;

const via = (s: EcsSimulator) => ({ region: s.region, endpoint: s.endpoint, credentials: s.credentials });

interface ServerCounts {
  /** DescribeCloudAssistantStatus requests the simulator answered. */
  readonly calls: number;
  /** Of those, answered `InvalidInstance.NotFound`. */
  readonly notFound: number;
}
const serverCounts = (s: EcsSimulator): ServerCounts => ({
  calls: s.stats.count({ action: DESCRIBE }),
  notFound: s.stats.count({ action: DESCRIBE, code: 'InvalidInstance.NotFound' }),
});

/**
 * Holds the waiter's call count to the simulator's at the end of every round, from `server`, the
 * simulator's counts taken in `onProgress`: a round's event fires once all its calls are answered
 * (and counted by the simulator) and before the next round's first call, so the two agree exactly.
 * A wait that times out on the wall clock may have its last round cut short by the deadline, its
 * calls aborted in flight: the waiter counts those (they were sent), the simulator may or may not
 * have seen them, depending on how far each got; so with `'last may be cut'` that round only has
 * to fall between the two.
 */
function checkRoundsAgainstSimulator(
  s: EcsSimulator,
  progress: readonly ReadinessProgress[],
  server: readonly ServerCounts[],
  rounds: 'all complete' | 'last may be cut',
): void {
  const last = progress.at(-1)!;
  const complete = rounds === 'all complete' || last.done ? progress.length : progress.length - 1;
  expect(complete).toBeGreaterThanOrEqual(1);
  for (let i = 0; i < complete; i++) {
    expect(progress[i]!.apiCalls, `calls after round ${i + 1}, waiter vs simulator`).toBe(server[i]!.calls);
  }
  const answered = s.stats.count({ action: DESCRIBE });
  if (complete === progress.length) {
    expect(answered).toBe(last.apiCalls);
  } else {
    expect(answered).toBeGreaterThanOrEqual(server[complete - 1]!.calls);
    expect(answered).toBeLessThanOrEqual(last.apiCalls);
  }
}

describe('waiter against the simulator', () => {
  it('waits for 1,000 instances arriving over time; calls match sim.stats; nothing offline reported ready', async () => {
    sim = await startEcsSimulator({
      speed: 60,
      seed: 'waiter-1000',
      fleets: [
        { count: 1000, managedShare: 0.05, bootMs: { kind: 'lognormal', medianMs: 45_000, sigma: 0.35 } },
      ],
    });
    const s = sim;
    const ids = s.fleet.ids();
    const progress: ReadinessProgress[] = [];
    const wronglyReady: string[] = [];
    const report = await waitForCloudAssistant(ids, {
      ...via(s),
      ...fast,
      onProgress: (p) => {
        progress.push(p);
        for (const id of p.newlyReady) if (!s.fleet.isOnline(id)) wronglyReady.push(id);
      },
    });
    expect(report.ready).toHaveLength(1000);
    expect(wronglyReady).toEqual([]);
    const sumOfBatches = progress.reduce((sum, p) => sum + Math.ceil(p.polled / 100), 0);
    expect(s.stats.count({ action: DESCRIBE })).toBe(sumOfBatches + report.retries);
    expect(report.apiCalls).toBe(s.stats.count({ action: DESCRIBE }));
    expect(report.bisectionCalls).toBe(0);
    console.log(
      `simulator, 1,000 instances (60× speed): ${report.rounds} rounds, ${report.apiCalls} calls, ` +
        `${report.elapsedMs} ms wall, first round ${progress[0]?.batchCalls} calls, last ${progress.at(-1)?.batchCalls}`,
    );
  });

  it.each([
    ['error', 1],
    ['omit', 0],
  ] as const)(
    'finds an unknown ID (notFoundMode %s) with about log2 extra calls',
    async (mode, expectBisection) => {
      sim = await startEcsSimulator({ notFoundMode: mode, fleets: [{ count: 299, ageMs: 600_000 }] });
      const ids = sim.fleet.ids();
      const unknown = 'i-doesnotexist0000001';
      ids.splice(137, 0, unknown);
      const error = await waitForCloudAssistant(ids, { ...via(sim), ...fast, notFound: 'fail' }).catch(
        (e: unknown) => e,
      );
      expect(isQuorumUnreachableError(error)).toBe(true);
      const q = error as QuorumUnreachableError;
      expect(q.unreachable.map((p) => [p.instanceId, p.reason])).toEqual([[unknown, 'not-found']]);
      expect(q.ready).toHaveLength(299);
      const calls = sim.stats.count({ action: DESCRIBE });
      expect(calls).toBe(q.apiCalls);
      expect(calls).toBe(3 + q.bisectionCalls);
      if (expectBisection) {
        expect(q.bisectionCalls).toBeGreaterThanOrEqual(6);
        expect(q.bisectionCalls).toBeLessThanOrEqual(8);
        expect(
          sim.stats.count({ action: DESCRIBE, code: 'InvalidInstance.NotFound' }),
        ).toBeGreaterThanOrEqual(2);
      } else {
        expect(q.bisectionCalls).toBe(0);
      }
      console.log(`notFoundMode ${mode}: ${q.bisectionCalls} bisection calls for 1 unknown ID among 300`);
    },
  );

  it.each(['error', 'omit'] as const)(
    "1 unknown ID among 300 with notFound 'wait' (notFoundMode %s): at most 1 extra call per round after the first",
    async (mode) => {
      sim = await startEcsSimulator({
        notFoundMode: mode,
        fleets: [{ count: 299, ageMs: 600_000, neverOnlineShare: 1 }],
      });
      const s = sim;
      const ids = s.fleet.ids();
      const unknown = 'i-doesnotexist0000002';
      ids.splice(137, 0, unknown);
      const progress: ReadinessProgress[] = [];
      const server: ServerCounts[] = [];
      const error = await waitForCloudAssistant(ids, {
        ...via(s),
        minDelayMs: 50,
        maxDelayMs: 100,
        timeoutMs: 1_500,
        notFoundGraceMs: 60_000,
        // The wait's time is virtual: its pauses take no wall-clock time and its deadline timer
        // never cuts a round, so the rounds it runs do not depend on how loaded the machine is
        // (on the wall clock, a busy machine got 2 rounds in, or the first round cut short).
        scheduler: pausesOnVirtualClock(1_500),
        random: () => 0.5,
        onProgress: (p) => {
          progress.push(p);
          server.push(serverCounts(s));
        },
      }).catch((e: unknown) => e);
      expect(isCloudAssistantTimeoutError(error)).toBe(true);
      const t = error as CloudAssistantTimeoutError;
      // Every requested ID exactly once.
      expect(t.pending.map((p) => p.instanceId).sort()).toEqual([...ids].sort());
      expect(t.pending.find((p) => p.instanceId === unknown)?.reason).toBe('not-found');
      expect(progress.length).toBeGreaterThanOrEqual(4);
      const calls = progress.map((p, i) => p.apiCalls - (i === 0 ? 0 : progress[i - 1]!.apiCalls));
      expect(t.retries).toBe(0);
      // Every round after the first costs the 3 batches of the 299 known IDs plus 1 for the
      // suspect in error mode (polled apart after the first 404), nothing extra in omit mode (it
      // stays packed with the others).
      const extra = mode === 'error' ? 1 : 0;
      for (const [i, p] of progress.entries()) {
        if (i === 0) continue;
        expect(p.suspects).toBe(extra);
        expect(p.batchCalls).toBe(Math.ceil((p.polled - p.suspects) / 100) + extra);
        expect(calls[i], `calls in round ${i + 1}`).toBe(3 + extra);
      }
      // Bisection (error mode) happened in the first round only.
      expect(t.bisectionCalls).toBe(calls[0]! - 3);
      if (mode === 'error') expect(t.bisectionCalls).toBeLessThanOrEqual(8);
      else expect(t.bisectionCalls).toBe(0);
      expect(t.apiCalls).toBe(
        progress.reduce((sum, p) => sum + p.batchCalls, 0) + t.bisectionCalls + t.retries,
      );
      // The accounting holds against the simulator's own count, round by round.
      checkRoundsAgainstSimulator(s, progress, server, 'all complete');
      // NotFound answers: the first round's batch and bisection probes (error mode), then the
      // suspect's own call once per round; known batches never fail with NotFound after the first
      // round. The waiter counted each one it got.
      server.forEach((counts, i) => {
        const notFound = counts.notFound - (i === 0 ? 0 : server[i - 1]!.notFound);
        if (i === 0) {
          expect(notFound).toBeGreaterThanOrEqual(extra);
          expect(notFound).toBeLessThanOrEqual(extra * (1 + t.bisectionCalls));
        } else {
          expect(notFound, `NotFound answers in round ${i + 1}`).toBe(extra);
        }
      });
      expect(t.errors['InvalidInstance.NotFound'] ?? 0).toBe(serverCounts(s).notFound);
      console.log(
        `notFoundMode ${mode}, 1 unknown of 300 for ${progress.length} rounds: ${t.apiCalls} calls ` +
          `(${t.bisectionCalls} bisection), per round ${calls.join(' ')}`,
      );
    },
  );

  it('takes the region from ALIBABA_CLOUD_REGION_ID (injected env) and credentials from the default chain', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 120, ageMs: 600_000 }] });
    const report = await waitForCloudAssistant(sim.fleet.ids(), {
      endpoint: sim.endpoint,
      ...fast,
      env: {
        ALIBABA_CLOUD_REGION_ID: sim.region,
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sim.credentials.accessKeySecret,
        // Never reach for the metadata service (100.100.100.200) from a test.
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
      },
    });
    expect(report.ready).toHaveLength(120);
    expect(report.apiCalls).toBe(2);
    expect(sim.stats.count({ action: DESCRIBE })).toBe(2);
  });

  it('times out with an exact report for instances whose agent never comes online', async () => {
    sim = await startEcsSimulator({
      speed: 60,
      seed: 'never',
      fleets: [
        { count: 200, neverOnlineShare: 0.03, bootMs: { kind: 'uniform', minMs: 5_000, maxMs: 30_000 } },
      ],
    });
    const s = sim;
    const ids = s.fleet.ids();
    const progress: ReadinessProgress[] = [];
    const server: ServerCounts[] = [];
    const error = await waitForCloudAssistant(ids, {
      ...via(s),
      minDelayMs: 50,
      maxDelayMs: 250,
      timeoutMs: 3_000,
      onProgress: (p) => {
        progress.push(p);
        server.push(serverCounts(s));
      },
    }).catch((e: unknown) => e);
    expect(isCloudAssistantTimeoutError(error)).toBe(true);
    const t = error as CloudAssistantTimeoutError;
    const offline = ids.filter((id) => !s.fleet.isOnline(id));
    expect(offline.length).toBeGreaterThan(0);
    expect(t.pending.map((p) => p.instanceId)).toEqual(offline);
    // The end-of-wait lookup saw them Running; 3 s is too short to prove an agent missing (two
    // lookups a minute apart), so an agent never seen is only "not yet".
    expect(t.pending.every((p) => p.reason === 'no-heartbeat-yet' || p.reason === 'agent-offline')).toBe(
      true,
    );
    expect(t.pending.every((p) => p.instanceStatus === 'Running' && p.region === s.region)).toBe(true);
    expect(t.ready).toHaveLength(200 - offline.length);
    expect(t.apiCalls).toBe(progress.at(-1)!.apiCalls);
    checkRoundsAgainstSimulator(s, progress, server, 'last may be cut');
    // One lookup of the stragglers (≤ 50 known IDs: one page), counted apart from the polling.
    expect(t.instanceStatusCalls).toBe(1);
    expect(s.stats.count({ action: 'DescribeInstanceStatus' })).toBe(1);
  });

  it('rejects at once on bad credentials, with the API error as cause', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 10 }] });
    const error = await waitForCloudAssistant(sim.fleet.ids(), {
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: { accessKeyId: 'testid', accessKeySecret: 'wrong' },
      ...fast,
    }).catch((e: unknown) => e);
    expect(isStatusSourceError(error)).toBe(true);
    expect((error as StatusSourceError).apiCode).toBe('SignatureDoesNotMatch');
    expect((error as StatusSourceError).cause).toMatchObject({ apiCode: 'SignatureDoesNotMatch' });
    expect(sim.stats.count({ action: DESCRIBE })).toBe(1);
  });

  it('aborted mid-wait: no request after the abort, and no timer of ours left', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 150, neverOnlineShare: 1 }] });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT')), 400);
    const error = await waitForCloudAssistant(sim.fleet.ids(), {
      ...via(sim),
      ...fast,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toEqual(new Error('SIGINT'));
    const calls = sim.stats.count({ action: DESCRIBE });
    await new Promise((r) => setTimeout(r, 600));
    expect(sim.stats.count({ action: DESCRIBE })).toBe(calls);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(
      before,
    );
  });

  it('tolerates 20 % injected 5xx: core retries, the waiter counts attempts and retries exactly', async () => {
    sim = await startEcsSimulator({
      speed: 60,
      seed: 'faults',
      fleets: [{ count: 1000, bootMs: { kind: 'uniform', minMs: 10_000, maxMs: 60_000 } }],
      faults: { serviceUnavailable: { probability: 0.2 } },
    });
    const progress: ReadinessProgress[] = [];
    const report = await waitForCloudAssistant(sim.fleet.ids(), {
      ...via(sim),
      ...fast,
      onProgress: (p) => progress.push(p),
    });
    expect(report.ready).toHaveLength(1000);
    const calls = sim.stats.count({ action: DESCRIBE });
    expect(report.apiCalls).toBe(calls);
    expect(report.errors['ServiceUnavailable']).toBe(
      sim.stats.count({ action: DESCRIBE, code: 'ServiceUnavailable' }),
    );
    expect(report.retries).toBeGreaterThan(0);
    // Every HTTP attempt is either the first attempt of a batch call or a retry (no bisection here).
    const sumOfBatches = progress.reduce((sum, p) => sum + p.batchCalls, 0);
    expect(calls).toBe(sumOfBatches + report.retries);
    console.log(
      `20 % 5xx: ${calls} attempts = ${sumOfBatches} batch calls + ${report.retries} retries; ` +
        `${report.errors['ServiceUnavailable']} ServiceUnavailable`,
    );
  });

  it('slows down under throttling and still completes, counting throttled attempts', async () => {
    sim = await startEcsSimulator({
      fleets: [{ count: 1000, ageMs: 600_000 }],
      faults: { rateLimit: { ratePerSecond: 10, burst: 3 } },
    });
    const report = await waitForCloudAssistant(sim.fleet.ids(), {
      ...via(sim),
      ...fast,
      maxRequestsPerSecond: 100,
      concurrency: 8,
    });
    expect(report.ready).toHaveLength(1000);
    const throttled = sim.stats.count({ action: DESCRIBE, code: 'Throttling.User' });
    expect(throttled).toBeGreaterThan(0);
    expect(report.throttledCalls).toBe(throttled);
    expect(report.apiCalls).toBe(sim.stats.count({ action: DESCRIBE }));
    console.log(
      `throttling at 10/s: ${report.apiCalls} attempts, ${throttled} throttled, ${report.elapsedMs} ms`,
    );
  });

  it('completes for 100,000 instances (memory reported)', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 100_000, ageMs: 600_000 }] });
    const ids = sim.fleet.ids();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = heapBefore;
    const report = await waitForCloudAssistant(ids, {
      ...via(sim),
      ...fast,
      timeoutMs: 120_000,
      maxRequestsPerSecond: 5000,
      concurrency: 16,
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      },
    });
    expect(report.ready).toHaveLength(100_000);
    expect(report.apiCalls).toBe(1000);
    expect(sim.stats.count({ action: DESCRIBE })).toBe(1000);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
    console.log(
      `100,000 instances: ${report.apiCalls} calls in ${report.elapsedMs} ms; heap ${mb(heapBefore)} MB before, ` +
        `${mb(peak)} MB at the end of the round (simulator in the same process), rss ${mb(process.memoryUsage().rss)} MB`,
    );
  });

  it('concurrency 32 through a core client: no MaxListenersExceededWarning', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 6_400, ageMs: 600_000 }] });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const report = await waitForCloudAssistant(sim.fleet.ids(), { ...via(sim), ...fast, concurrency: 32 });
      expect(report.ready).toHaveLength(6_400);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('CLI: a permanent API error still lists every instance, ready or not, with --json', async () => {
    sim = await startEcsSimulator({ fleets: [{ count: 5, ageMs: 600_000 }] });
    const ids = sim.fleet.ids();
    let stdout = '';
    let stderr = '';
    const code = await runCli({
      argv: ['wait', '--region', sim.region, '--endpoint', sim.endpoint, '--json', ...ids],
      env: {
        ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
        ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
        HOME: '/nonexistent',
        ALIBABA_CLOUD_ACCESS_KEY_ID: sim.credentials.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong-secret-1234',
      },
      stdout: {
        write: (t: string) => {
          stdout += t;
        },
      },
      stderr: {
        write: (t: string) => {
          stderr += t;
        },
      },
    });
    expect(code).toBe(3);
    const json = JSON.parse(stdout) as {
      outcome: string;
      total: number;
      readyCount: number;
      ready: string[];
      notReady: { instanceId: string; reason: string }[];
      error: { apiCode: string };
    };
    expect(json).toMatchObject({ outcome: 'error', total: 5, readyCount: 0, ready: [] });
    expect(json.error.apiCode).toBe('SignatureDoesNotMatch');
    expect(json.notReady.map((p) => p.instanceId)).toEqual(ids);
    expect(new Set(json.notReady.map((p) => p.reason))).toEqual(new Set(['errors: SignatureDoesNotMatch']));
    // Said once: with nothing ready and every instance failing the same way, a per-instance line
    // would only repeat the error (the JSON report still lists every instance).
    expect(stderr.match(/SignatureDoesNotMatch/g)?.length).toBeGreaterThanOrEqual(1);
    expect(stderr).not.toMatch(/ready when it failed/);
    expect(`${stdout}${stderr}`).not.toContain('wrong-secret-1234');
  });
});
