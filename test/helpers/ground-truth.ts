/**
 * Ground truth for the fault matrix: what the simulator had online, and when.
 *
 * Uses the simulator's public history API: `fleet.onlineIntervals(id)` (the simulated times in
 * which DescribeCloudAssistantStatus reports the instance online, visibility included) and
 * `fleet.onlineAt(id)` (the first heartbeat). No casts into the fleet's internals.
 */
import type { InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import type { EcsSimulator } from '@cloud-assistant-gate/simulator';

/**
 * Whether the simulator would have answered `CloudAssistantStatus: "true"` for `id` at some
 * simulated instant in [t0, t1]: some online interval [fromMs, toMs) meets that range.
 */
export function wasOnlineBetween(sim: EcsSimulator, id: string, t0: number, t1: number): boolean {
  return sim.fleet.onlineIntervals(id).some((i) => i.fromMs <= t1 && (i.toMs === null || i.toMs > t0));
}

/** One completed status call seen through {@link recordingSource}. */
export interface RecordedCall {
  /** Simulated time just before the call and just after it returned. */
  readonly simT0: number;
  readonly simT1: number;
  /** Wall time (Date.now) just after it returned. */
  readonly wallT1: number;
  readonly requested: readonly string[];
  readonly statuses: readonly InstanceStatus[];
}

/**
 * Wraps a status source so that every completed call is recorded with its simulated-time
 * bracket. Transparent: the same IDs, signal and `onAttempt` reach the inner source.
 */
export function recordingSource(
  sim: EcsSimulator,
  inner: StatusSource,
): { source: StatusSource; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const source: StatusSource = async (ids, opts) => {
    const simT0 = sim.clock.now();
    const statuses = await inner(ids, opts);
    calls.push({ simT0, simT1: sim.clock.now(), wallT1: Date.now(), requested: [...ids], statuses });
    return statuses;
  };
  return { source, calls };
}

/** Problems found when comparing readings and a ready list with the simulator's truth. */
export function groundTruthViolations(
  sim: EcsSimulator,
  calls: readonly RecordedCall[],
  ready: readonly { readonly instanceId: string; readonly readyAtMs?: number | undefined }[],
): string[] {
  const problems: string[] = [];
  // 1. Every reading that said "online" was online at that moment (core and the simulator agree).
  // 2. Every reading concerns an ID that was asked for in that call.
  const firstOnline = new Map<string, RecordedCall>();
  for (const call of calls) {
    const asked = new Set(call.requested);
    for (const st of call.statuses) {
      if (!asked.has(st.instanceId))
        problems.push(`reading for ${st.instanceId} that the call did not ask for`);
      if (!st.cloudAssistantStatus) continue;
      if (!wasOnlineBetween(sim, st.instanceId, call.simT0, call.simT1)) {
        problems.push(
          `${st.instanceId} read online at sim ${call.simT0}..${call.simT1} but the simulator had it offline`,
        );
      }
      if (!firstOnline.has(st.instanceId)) firstOnline.set(st.instanceId, call);
    }
  }
  // 3. Every ready instance had an online reading before it was declared ready, and the
  //    simulator's first heartbeat came before that (public API: fleet.onlineAt).
  for (const r of ready) {
    const call = firstOnline.get(r.instanceId);
    if (call === undefined) {
      problems.push(`${r.instanceId} reported ready without any online reading`);
      continue;
    }
    if (r.readyAtMs !== undefined && r.readyAtMs < call.wallT1 - 1) {
      problems.push(`${r.instanceId} reported ready at ${r.readyAtMs}, before its first online reading`);
    }
    const onlineAt = sim.fleet.has(r.instanceId) ? sim.fleet.onlineAt(r.instanceId) : undefined;
    if (onlineAt === undefined || onlineAt > call.simT1) {
      problems.push(`${r.instanceId} reported ready but the simulator never had its agent up by then`);
    }
  }
  return problems;
}
