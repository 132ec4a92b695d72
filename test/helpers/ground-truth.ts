/**
 * Ground truth for the fault matrix: what the simulator had online, and when.
 *
 * The public `Fleet` API answers "online now" (`isOnline`) and "first heartbeat" (`onlineAt`),
 * which is not enough to judge a reading taken a few simulated seconds ago of an agent that
 * flaps. The simulator's fleet object also carries `find(id)` (its internal record, with
 * `online(t)` and the running `segments`); it is not part of the exported types, so this module
 * reads it through a narrow structural type and fails loudly if it ever disappears.
 * What the suite needs from the simulator, publicly: `fleet.wasOnline(id, simTimeMs)` or
 * `fleet.onlineIntervals(id)`.
 */
import type { InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import type { EcsSimulator } from '@cloud-assistant-gate/simulator';

interface InternalInstance {
  readonly segments: readonly number[];
  online(t: number): boolean;
  visible(t: number): boolean;
}
interface FleetWithFind {
  find(id: string): InternalInstance | undefined;
}

function internal(sim: EcsSimulator, id: string): InternalInstance | undefined {
  const fleet = sim.fleet as unknown as Partial<FleetWithFind>;
  if (typeof fleet.find !== 'function') {
    throw new Error(
      'simulator fleet has no find(id): the ground-truth check needs fleet.wasOnline(id, t) or fleet.onlineIntervals(id)',
    );
  }
  return fleet.find(id);
}

/**
 * Whether the simulator would have answered `CloudAssistantStatus: "true"` for `id` at some
 * simulated instant in [t0, t1]. Online periods start at a running segment's start (the first
 * heartbeat), so an online period meets the interval iff the instance is online at an end of it
 * or a segment starts inside it.
 */
export function wasOnlineBetween(sim: EcsSimulator, id: string, t0: number, t1: number): boolean {
  const inst = internal(sim, id);
  if (inst === undefined) return false;
  const check = (t: number) => inst.visible(t) && inst.online(t);
  if (check(t0) || check(t1)) return true;
  const s = inst.segments;
  for (let i = 0; i < s.length; i += 2) {
    const start = s[i]!;
    if (start >= t0 && start <= t1 && check(start)) return true;
  }
  return false;
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
