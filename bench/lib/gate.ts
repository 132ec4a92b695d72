/**
 * One gate run against an in-process simulator on a fast simulated clock: our waiter with default
 * options (only the scheduler, and a seeded jitter, are injected), the simulator's fleet clock as
 * its clock. Used by benchmarks 2 and 3.
 */
import { createEcsClient, type StatusSource } from '@cloud-assistant-gate/core';
import type { EcsSimulator } from '@cloud-assistant-gate/simulator';
import { type ReadinessProgress, waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { seededRandom } from './report.js';
import { scaledScheduler } from './scaled-scheduler.js';

/**
 * The lower bound of a round's batch calls: ceil(known / 100) + ceil(suspects / 100), where
 * suspects (IDs ECS said it does not know, in 404 mode) are polled in batches of their own.
 */
export function roundBound(round: { readonly polled: number; readonly suspects: number }): number {
  return Math.ceil((round.polled - round.suspects) / 100) + Math.ceil(round.suspects / 100);
}

/** Simulated epoch ms at which the last of `ids` first reports online. */
export function lastOnlineAt(sim: EcsSimulator, ids: readonly string[]): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const id of ids) {
    const t = sim.fleet.onlineAt(id);
    if (t === undefined) throw new Error(`bench: ${id} never comes online`);
    if (t > last) last = t;
  }
  return last;
}

export interface GateRun {
  readonly startedAt: number;
  readonly resolvedAt: number;
  readonly lastOnlineAt: number;
  /** resolvedAt − lastOnlineAt, simulated ms. */
  readonly detectionMs: number;
  readonly rounds: readonly {
    readonly polled: number;
    /** Of `polled`, the IDs polled in batches of their own (NotFound suspects). */
    readonly suspects: number;
    readonly batchCalls: number;
    readonly elapsedMs: number;
  }[];
  /** Calls the waiter counted (HTTP attempts). */
  readonly apiCalls: number;
  readonly retries: number;
  readonly bisectionCalls: number;
  readonly throttledCalls: number;
  /** Duration of each status call in simulated ms (wall latency × speed). */
  readonly callLatenciesMs: readonly number[];
  readonly ready: number;
  /** Per instance: simulated ms from its first heartbeat to the response that made it ready. */
  readonly seenAfterMs: readonly number[];
}

export async function runGate(sim: EcsSimulator, ids: readonly string[], seed: number): Promise<GateRun> {
  const speed = sim.clock.speed;
  const now = () => sim.clock.now();
  const client = createEcsClient({ region: sim.region, endpoint: sim.url, credentials: sim.credentials });
  const callLatenciesMs: number[] = [];
  const timed: StatusSource = async (batch, opts) => {
    const t0 = now();
    try {
      return await client.statusSource(batch, opts);
    } finally {
      callLatenciesMs.push(now() - t0);
    }
  };
  const rounds: { polled: number; suspects: number; batchCalls: number; elapsedMs: number }[] = [];
  const startedAt = now();
  try {
    const report = await waitForCloudAssistant(ids, {
      client: timed,
      scheduler: scaledScheduler(now, speed),
      random: seededRandom(seed),
      onProgress: (p: ReadinessProgress) =>
        rounds.push({
          polled: p.polled,
          suspects: p.suspects,
          batchCalls: p.batchCalls,
          elapsedMs: p.elapsedMs,
        }),
    });
    const resolvedAt = now();
    const last = lastOnlineAt(sim, ids);
    return {
      startedAt,
      resolvedAt,
      lastOnlineAt: last,
      detectionMs: resolvedAt - last,
      rounds,
      apiCalls: report.apiCalls,
      retries: report.retries,
      bisectionCalls: report.bisectionCalls,
      throttledCalls: report.throttledCalls,
      callLatenciesMs,
      ready: report.ready.length,
      seenAfterMs: report.instances.flatMap((r) =>
        r.readyAt === undefined ? [] : [Date.parse(r.readyAt) - sim.fleet.onlineAt(r.instanceId)!],
      ),
    };
  } finally {
    await client.close();
  }
}
