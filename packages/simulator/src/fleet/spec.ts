/**
 * What a scenario may say about instances (plain JSON): fleet and instance specs, lifecycle
 * timings and the lifecycle defaults. resolve-spec.ts checks them and fills in the other defaults.
 */
import type { Distribution } from '../distribution.js';

export type OsType = 'Linux' | 'Windows' | 'FreeBSD';
export const OS_TYPES: readonly OsType[] = ['Linux', 'Windows', 'FreeBSD'];

/** Agent error codes other than ClientNotRunning that a delivery can end with (faults). */
export type AgentErrorCode =
  | 'ClientNotResponse'
  | 'ClientIsUpgrading'
  | 'DeliveryTimeout'
  | 'ClientNeedUpgrade';
export const AGENT_ERROR_CODES: readonly AgentErrorCode[] = [
  'ClientNotResponse',
  'ClientIsUpgrading',
  'DeliveryTimeout',
  'ClientNeedUpgrade',
];

/** How long lifecycle steps take (plain JSON; scenario-wide, per fleet or per instance). */
export interface LifecycleSpec {
  /**
   * From creation to `Running` (`Pending` for the first part, then `Starting`), never later than
   * the agent's first heartbeat. @default uniform 10–25 s for fleets; 0 for single instances
   */
  readonly runningAfterMs?: Distribution;
  /** How long `Stopping` lasts (a stop, or the first half of a reboot). @default uniform 5–15 s */
  readonly stoppingMs?: Distribution;
  /** How long `Starting` lasts after a start or a reboot. @default uniform 10–25 s */
  readonly startingMs?: Distribution;
  /** From `Running` after a start or reboot to the agent's first heartbeat. @default lognormal median 20 s, σ 0.35, ≥ 5 s */
  readonly agentStartMs?: Distribution;
}

/** A group of instances created together (plain JSON; part of a scenario). */
export interface FleetSpec {
  /** @default the simulator's first region */
  readonly region?: string;
  /** How many instances (ignored when `ids` is given). */
  readonly count?: number;
  /** Explicit IDs instead of generated ones. */
  readonly ids?: readonly string[];
  /** One OS for all, or weights such as `{ "Linux": 0.8, "Windows": 0.2 }`. @default "Linux" */
  readonly osType?: OsType | Readonly<Partial<Record<OsType, number>>>;
  /** Share (0–1) of managed instances (`mi-` IDs). @default 0 */
  readonly managedShare?: number;
  /** Time from creation to the agent's first heartbeat. @default lognormal, median 45 s, σ 0.35 */
  readonly bootMs?: Distribution;
  /** Share (0–1) whose agent never comes online (left not installed). @default 0 */
  readonly neverOnlineShare?: number;
  /** Delay after creation before the API knows the instance (eventual consistency). @default fixed 0 */
  readonly appearAfterMs?: Distribution;
  /** Share (0–1) whose agent goes offline again after first coming online. @default 0 */
  readonly flappingShare?: number;
  readonly flapping?: {
    /** How long the agent stays up before dropping. @default uniform 30–180 s */
    readonly upMs?: Distribution;
    /** How long it stays down. @default uniform 150–300 s (longer than the 2-minute rule) */
    readonly downMs?: Distribution;
    /** Up/down cycles. @default 1 */
    readonly cycles?: number;
    /** Leave the agent down after the last cycle. @default false */
    readonly stayDown?: boolean;
  };
  /** Share (0–1) running an agent too old for Session Manager. @default 0 */
  readonly oldAgentShare?: number;
  /** Instances already this old (simulated ms) when added, e.g. to start with a booted fleet. @default 0 */
  readonly ageMs?: number;
  /** Share (0–1) created `Stopped` (never booted; the agent, if installed, starts after `fleet.start(id)`). @default 0 */
  readonly stoppedShare?: number;
  /** Lifecycle timings of these instances (fields left out come from the scenario's `lifecycle`). */
  readonly lifecycle?: LifecycleSpec;
  /** The image's OS name, e.g. "Red Hat Enterprise Linux 9.2 64 bit" (InstallCloudAssistant refuses Red Hat). @default none */
  readonly osName?: string;
}

/** One instance, fully specified (plain JSON; part of a scenario). */
export interface InstanceSpec {
  readonly id?: string;
  readonly region?: string;
  /** @default "Linux" */
  readonly osType?: OsType;
  /** Generates an `mi-` ID when `id` is not given. @default false */
  readonly managed?: boolean;
  /** Simulated ms from now to the first heartbeat; `null` = the agent is not installed and never comes online. @default 0 */
  readonly onlineAfterMs?: number | null;
  /** Simulated ms from coming online until the agent stops for good. @default never */
  readonly offlineAfterMs?: number;
  /** Simulated ms from now until the API knows the instance. @default 0 */
  readonly appearAfterMs?: number;
  /** @default "2.2.3.317" (Linux), "2.1.3.317" (Windows), "1.0.0.60" (FreeBSD) */
  readonly agentVersion?: string;
  /** Create the instance `Stopped` (the agent, if installed, starts after `fleet.start(id)`). @default false */
  readonly stopped?: boolean;
  /** Simulated ms from now to `Running`, at most `onlineAfterMs`. @default 0 */
  readonly runningAfterMs?: number;
  /** Lifecycle timings (fields left out come from the scenario's `lifecycle`). */
  readonly lifecycle?: LifecycleSpec;
  /** The image's OS name (InstallCloudAssistant refuses Red Hat). @default none */
  readonly osName?: string;
  /** Every command or file delivered to this instance fails with this agent error code. @default none */
  readonly agentFault?: AgentErrorCode;
}

/** Lifecycle timings with every field present. */
export interface Lifecycle {
  readonly runningAfterMs: Distribution;
  readonly stoppingMs: Distribution;
  readonly startingMs: Distribution;
  readonly agentStartMs: Distribution;
}

export const DEFAULT_LIFECYCLE: Lifecycle = {
  runningAfterMs: { kind: 'uniform', minMs: 10_000, maxMs: 25_000 },
  stoppingMs: { kind: 'uniform', minMs: 5_000, maxMs: 15_000 },
  startingMs: { kind: 'uniform', minMs: 10_000, maxMs: 25_000 },
  agentStartMs: { kind: 'lognormal', medianMs: 20_000, sigma: 0.35, minMs: 5_000 },
};
