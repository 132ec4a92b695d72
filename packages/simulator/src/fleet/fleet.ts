/**
 * The simulated fleet: instances and their Cloud Assistant agents, per region. The control
 * surface tests and scenarios use ({@link Fleet}) is assembled here from its parts:
 *
 * - spec.ts: fleet and instance specs, lifecycle timings, their defaults and validation;
 * - populate.ts (with ids.ts, versions.ts): the seeded creation of instances from specs;
 * - instance.ts: one instance, joining power.ts (its `Status` timeline) and agent-runs.ts (when
 *   its agent runs: heartbeats, the 2-minute rule, online intervals), and its status item;
 * - hooks.ts: stop, start, reboot, startAgent, stopAgent, installAgent, …;
 * - ground-truth.ts: what the API would say now or at any simulated time;
 * - registry.ts, region-store.ts: where instances are kept.
 *
 * State is never stored as "current": each instance keeps short timelines and every read
 * computes the state for the simulated `clock.now()`. No per-instance timers exist, so a
 * 100,000-instance fleet costs a few tens of MB and nothing runs between requests.
 */
import type { SimulatedClock } from '../clock.js';
import { sample } from '../distribution.js';
import type { Prng } from '../prng.js';
import { createGroundTruth } from './ground-truth.js';
import { createHooks } from './hooks.js';
import type { AgentState, SimInstance, SimulatedStatus } from './instance.js';
import { createPopulator, type LifecycleDraw } from './populate.js';
import type { InstanceStatus } from './power.js';
import type { RegionStore } from './region-store.js';
import { FleetRegistry } from './registry.js';
import {
  type AgentErrorCode,
  DEFAULT_LIFECYCLE,
  type FleetSpec,
  type InstanceSpec,
  type Lifecycle,
} from './spec.js';

/**
 * A stretch of simulated time during which the API reports an instance online: `fromMs`
 * inclusive, `toMs` exclusive (`null` = still online, with nothing scheduled to end it).
 */
export interface OnlineInterval {
  readonly fromMs: number;
  readonly toMs: number | null;
}

export interface FleetCounts {
  readonly total: number;
  /** Known to the API now. */
  readonly visible: number;
  /** Would be reported with `CloudAssistantStatus: "true"` now. */
  readonly online: number;
  readonly byState: Readonly<Record<AgentState, number>>;
  /** Instances by `Status` now. */
  readonly byStatus: Readonly<Record<InstanceStatus, number>>;
}

/** The control surface tests and scenarios use. */
export interface Fleet {
  /** Adds a group of instances; returns their IDs in creation order. */
  addInstances(spec: FleetSpec): string[];
  /** Adds one instance; returns its ID. */
  addInstance(spec?: InstanceSpec): string;
  /** Releases an instance: the API no longer knows it. */
  removeInstance(id: string): void;
  /**
   * Starts the agent (installing it instantly if needed) `afterMs` simulated ms from now, or when
   * the boot in progress then reaches `Running`. It runs until the instance stops, if a stop is
   * scheduled, and starts again after later boots like any installed agent; an agent already
   * running keeps running (a `stopAgent` scheduled for it is cancelled). A `RangeError` if the
   * instance is stopping or stopped then (use `start(id)` first).
   */
  startAgent(id: string, options?: { readonly afterMs?: number }): void;
  /**
   * Stops the agent `afterMs` simulated ms from now; it reads "true" for up to 2 more minutes. It
   * stays down through boots already scheduled then; a start or reboot asked for later starts it.
   */
  stopAgent(id: string, options?: { readonly afterMs?: number }): void;
  /**
   * Installs the agent over `durationMs`, after which it starts (no reboot needed: a test hook,
   * unlike InstallCloudAssistant); a running agent stops now (reads "true" for up to 2 more
   * minutes). The instance must be running or booting when the install ends; the agent runs until
   * the instance stops, if a stop is scheduled, and starts after later boots.
   */
  installAgent(id: string, options?: { readonly durationMs?: number }): void;
  /**
   * Stops the instance `afterMs` from now: `Stopping` for `lifecycle.stoppingMs`, then `Stopped`;
   * the agent stops when `Stopping` begins. No-op if it is already `Stopping` or `Stopped` then.
   */
  stop(id: string, options?: { readonly afterMs?: number }): void;
  /**
   * Starts a stopped instance `afterMs` from now (after the stop completes if it is `Stopping`):
   * `Starting` for `lifecycle.startingMs`, then `Running`, and the agent, if installed by then,
   * starts `lifecycle.agentStartMs` later. No-op if it is running or booting then. (This is a
   * power event, not the API: ECS's StartInstance refuses a `Stopping` instance with
   * `IncorrectInstanceStatus`, and the simulator has no StartInstance.)
   */
  start(id: string, options?: { readonly afterMs?: number }): void;
  /**
   * Reboots a `Running` instance now, as RebootInstance does: `Stopping` → `Starting` → `Running`;
   * the agent stops now and, if installed, starts again after the boot. A `RangeError` if the
   * instance is not `Running`.
   */
  reboot(id: string): void;
  /**
   * InstallCloudAssistant's effect: the agent is installed from now on and starts at the next boot
   * (a start or reboot already scheduled counts).
   */
  markAgentInstalled(id: string): void;
  /** Every delivery to this instance fails with `code` (or, with `undefined`, no longer does). */
  setAgentFault(id: string, code: AgentErrorCode | undefined): void;
  /** Ground truth: the instance's `Status` now (what DescribeInstanceStatus reports). */
  instanceStatus(id: string): InstanceStatus;
  /**
   * Ground truth at simulated epoch ms `simTimeMs`, from the schedule as it stands now;
   * `undefined` for an ID the fleet never had or a time before the instance was created.
   */
  instanceStatusAt(id: string, simTimeMs: number): InstanceStatus | undefined;
  /** Whether the agent is installed now (it may still wait for a boot to start). */
  agentInstalled(id: string): boolean;
  /** Ground truth: whether the API would report `CloudAssistantStatus: "true"` now. */
  isOnline(id: string): boolean;
  /** Whether the API knows the instance now (created, appeared, not removed). */
  isVisible(id: string): boolean;
  has(id: string): boolean;
  agentState(id: string): AgentState;
  /** Simulated epoch ms of the first heartbeat, or `undefined` if the agent never comes online. */
  onlineAt(id: string): number | undefined;
  /**
   * Ground truth at any simulated time: whether DescribeCloudAssistantStatus asked at simulated
   * epoch ms `simTimeMs` reports `CloudAssistantStatus: "true"` (the instance is visible and its
   * last heartbeat at or before that time is under 2 minutes old). Answers from the schedule as it
   * stands now: a later `startAgent`/`stopAgent` can rewrite the future, never the past. A removed
   * instance answers as it was until its removal (`false` from then on); `false` for an ID the
   * fleet never had.
   */
  wasOnline(id: string, simTimeMs: number): boolean;
  /**
   * Whether the API knows the instance at simulated epoch ms `simTimeMs`: created, appeared
   * (`appearAfterMs`) and not yet removed. `false` for an ID the fleet never had.
   */
  wasVisible(id: string, simTimeMs: number): boolean;
  /**
   * Every stretch of simulated time in which {@link wasOnline} is true, in order, disjoint and
   * non-adjacent (`fromMs` inclusive, `toMs` exclusive, `null` = open-ended). Each starts at a
   * heartbeat (or when the instance appears) and ends 2 minutes after the agent's last beat (or at
   * the removal). Empty for an ID the fleet never had, like `wasOnline`'s `false`.
   */
  onlineIntervals(id: string): readonly OnlineInterval[];
  /** The status item the API would return now (times as `reportTimes` says), or `undefined` for an unknown ID. */
  status(id: string): SimulatedStatus | undefined;
  /** IDs in creation order, optionally for one region. */
  ids(options?: { readonly region?: string; readonly visibleOnly?: boolean }): string[];
  counts(options?: { readonly region?: string }): FleetCounts;
  readonly size: number;
  readonly regions: readonly string[];
}

export interface FleetInternals extends Fleet {
  region(name: string): RegionStore | undefined;
  find(id: string): SimInstance | undefined;
  /** Milliseconds added to simulated times in responses at simulated time `simNow` (see `reportTimes`). */
  reportShift(simNow: number): number;
}

export function createFleet(options: {
  readonly clock: SimulatedClock;
  readonly regions: readonly string[];
  readonly rng: Prng;
  /** Milliseconds added to reported times at simulated time `simNow`. @default none */
  readonly reportShift?: ((simNow: number) => number) | undefined;
  /** Lifecycle timings for instances that do not set their own. @default DEFAULT_LIFECYCLE */
  readonly lifecycle?: Lifecycle | undefined;
}): FleetInternals {
  const { clock, rng } = options;
  const reportShift = options.reportShift ?? (() => 0);
  const registry = new FleetRegistry(options.regions);
  // A stream of its own, so lifecycle draws leave the IDs and boot times of a seed unchanged.
  const lifeRng = rng.fork('lifecycle');
  const draw: LifecycleDraw = (inst, key) => sample(inst.lifecycle[key], lifeRng);
  return {
    ...createPopulator({
      registry,
      clock,
      rng,
      lifeRng,
      draw,
      baseLifecycle: options.lifecycle ?? DEFAULT_LIFECYCLE,
    }),
    ...createHooks({ registry, clock, draw }),
    ...createGroundTruth({ registry, clock, reportShift }),
    get size() {
      return registry.byId.size;
    },
    get regions() {
      return [...registry.regions.keys()];
    },
    region: (name) => registry.regions.get(name),
    find: (id) => registry.byId.get(id),
    reportShift,
  };
}
