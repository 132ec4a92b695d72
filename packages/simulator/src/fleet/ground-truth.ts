/**
 * The fleet's ground truth: what the API would say about an instance now or at any simulated
 * time, answered from the timelines as they stand (tests compare a waiter's report against it).
 */
import type { SimulatedClock } from '../clock.js';
import type { Fleet, FleetCounts } from './fleet.js';
import type { AgentState } from './instance.js';
import type { InstanceStatus } from './power.js';
import type { FleetRegistry } from './registry.js';

export type GroundTruth = Pick<
  Fleet,
  | 'instanceStatus'
  | 'instanceStatusAt'
  | 'agentInstalled'
  | 'isOnline'
  | 'isVisible'
  | 'has'
  | 'agentState'
  | 'onlineAt'
  | 'wasOnline'
  | 'wasVisible'
  | 'onlineIntervals'
  | 'status'
  | 'ids'
  | 'counts'
>;

export function createGroundTruth(deps: {
  readonly registry: FleetRegistry;
  readonly clock: SimulatedClock;
  readonly reportShift: (simNow: number) => number;
}): GroundTruth {
  const { registry, clock, reportShift } = deps;
  const { byId } = registry;
  return {
    instanceStatus(id) {
      return registry.get(id).statusAt(clock.now());
    },
    instanceStatusAt(id, simTimeMs) {
      const inst = registry.history(id);
      return inst === undefined || simTimeMs < inst.createdAt ? undefined : inst.statusAt(simTimeMs);
    },
    agentInstalled(id) {
      return registry.get(id).installedAt(clock.now());
    },
    isOnline(id) {
      const inst = byId.get(id);
      return inst?.visible(clock.now()) === true && inst.online(clock.now());
    },
    isVisible(id) {
      const inst = byId.get(id);
      return inst?.visible(clock.now()) === true;
    },
    has(id) {
      return byId.has(id);
    },
    agentState(id) {
      return registry.get(id).state(clock.now());
    },
    onlineAt(id) {
      return registry.get(id).runs.first();
    },
    wasOnline(id, simTimeMs) {
      const inst = registry.history(id);
      return inst?.wasVisible(simTimeMs) === true && inst.online(simTimeMs);
    },
    wasVisible(id, simTimeMs) {
      return registry.history(id)?.wasVisible(simTimeMs) === true;
    },
    onlineIntervals(id) {
      const inst = registry.history(id);
      if (inst === undefined) return [];
      return inst
        .onlineIntervals()
        .map(([fromMs, to]) => ({ fromMs, toMs: to === Number.POSITIVE_INFINITY ? null : to }));
    },
    status(id) {
      const inst = byId.get(id);
      const t = clock.now();
      return inst?.visible(t) ? inst.status(t, reportShift(t)) : undefined;
    },
    ids(opts = {}) {
      const t = clock.now();
      const list = opts.region === undefined ? [...byId.values()] : registry.store(opts.region).all;
      return list.filter((i) => !opts.visibleOnly || i.visible(t)).map((i) => i.id);
    },
    counts(opts = {}): FleetCounts {
      const t = clock.now();
      const byState: Record<AgentState, number> = {
        'not-installed': 0,
        installing: 0,
        installed: 0,
        starting: 0,
        online: 0,
        stopped: 0,
      };
      const byStatus: Record<InstanceStatus, number> = {
        Pending: 0,
        Starting: 0,
        Running: 0,
        Stopping: 0,
        Stopped: 0,
      };
      let total = 0;
      let visible = 0;
      let online = 0;
      const list = opts.region === undefined ? byId.values() : registry.store(opts.region).all;
      for (const inst of list) {
        total++;
        byState[inst.state(t)]++;
        byStatus[inst.statusAt(t)]++;
        if (inst.visible(t)) {
          visible++;
          if (inst.online(t)) online++;
        }
      }
      return { total, visible, online, byState, byStatus };
    },
  };
}
