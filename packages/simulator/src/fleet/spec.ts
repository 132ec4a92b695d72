/**
 * What a scenario may say about instances (plain JSON): fleet and instance specs, lifecycle
 * timings, their defaults and their validation. A spec is checked whole before anything is drawn
 * or created from it (populate.ts), so a refused spec leaves the fleet as it was.
 */
import { type Distribution, validateDistribution } from '../distribution.js';
import type { Prng } from '../prng.js';

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

const DEFAULT_BOOT: Distribution = { kind: 'lognormal', medianMs: 45_000, sigma: 0.35, minMs: 10_000 };
const DEFAULT_FLAP_UP: Distribution = { kind: 'uniform', minMs: 30_000, maxMs: 180_000 };
const DEFAULT_FLAP_DOWN: Distribution = { kind: 'uniform', minMs: 150_000, maxMs: 300_000 };

/** `spec` over `base`, each distribution validated. */
export function resolveLifecycle(spec: LifecycleSpec | undefined, base: Lifecycle, name: string): Lifecycle {
  if (spec === undefined) return base;
  const out = { ...base, ...spec } as Lifecycle;
  for (const key of ['runningAfterMs', 'stoppingMs', 'startingMs', 'agentStartMs'] as const)
    validateDistribution(out[key], `${name}.${key}`);
  return out;
}

/** A {@link FleetSpec} checked, with every default filled in (the region is checked by the fleet). */
export interface ResolvedFleetSpec {
  readonly count: number;
  readonly ids: readonly string[] | undefined;
  readonly managedShare: number;
  readonly neverOnlineShare: number;
  readonly flappingShare: number;
  readonly oldAgentShare: number;
  readonly stoppedShare: number;
  readonly bootMs: Distribution;
  readonly appearAfterMs: Distribution | undefined;
  readonly flapping: {
    readonly upMs: Distribution;
    readonly downMs: Distribution;
    readonly cycles: number;
    readonly stayDown: boolean;
  };
  readonly lifecycle: Lifecycle;
  /** Draws one instance's OS (from `rng` only when the spec gives weights). */
  readonly pickOs: (rng: Prng) => OsType;
  readonly ageMs: number;
  readonly osName: string | undefined;
}

/** Checks a fleet spec, in the order its fields are documented, and fills in the defaults. */
export function resolveFleetSpec(spec: FleetSpec, baseLifecycle: Lifecycle): ResolvedFleetSpec {
  const count = spec.ids?.length ?? spec.count ?? 0;
  if (!Number.isInteger(count) || count < 0)
    throw new RangeError(`count must be an integer ≥ 0, got ${spec.count}`);
  const managedShare = checkShare(spec.managedShare, 'managedShare');
  const neverOnlineShare = checkShare(spec.neverOnlineShare, 'neverOnlineShare');
  const flappingShare = checkShare(spec.flappingShare, 'flappingShare');
  const oldAgentShare = checkShare(spec.oldAgentShare, 'oldAgentShare');
  const bootMs = spec.bootMs ?? DEFAULT_BOOT;
  validateDistribution(bootMs, 'bootMs');
  if (spec.appearAfterMs) validateDistribution(spec.appearAfterMs, 'appearAfterMs');
  const upMs = spec.flapping?.upMs ?? DEFAULT_FLAP_UP;
  const downMs = spec.flapping?.downMs ?? DEFAULT_FLAP_DOWN;
  validateDistribution(upMs, 'flapping.upMs');
  validateDistribution(downMs, 'flapping.downMs');
  const stoppedShare = checkShare(spec.stoppedShare, 'stoppedShare');
  const lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
  return {
    count,
    ids: spec.ids,
    managedShare,
    neverOnlineShare,
    flappingShare,
    oldAgentShare,
    stoppedShare,
    bootMs,
    appearAfterMs: spec.appearAfterMs || undefined,
    flapping: {
      upMs,
      downMs,
      cycles: spec.flapping?.cycles ?? 1,
      stayDown: spec.flapping?.stayDown === true,
    },
    lifecycle,
    pickOs: osPicker(spec.osType),
    ageMs: spec.ageMs ?? 0,
    osName: spec.osName,
  };
}

/** An {@link InstanceSpec}'s checked parts (the region is checked by the fleet). */
export interface ResolvedInstanceSpec {
  readonly osType: OsType;
  readonly lifecycle: Lifecycle;
  readonly agentFault: AgentErrorCode | undefined;
  readonly runningAfterMs: number;
}

export function resolveInstanceSpec(spec: InstanceSpec, baseLifecycle: Lifecycle): ResolvedInstanceSpec {
  const osType = spec.osType ?? 'Linux';
  if (!OS_TYPES.includes(osType))
    throw new RangeError(`osType must be Linux, Windows or FreeBSD, got ${osType}`);
  const lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
  const agentFault = spec.agentFault === undefined ? undefined : checkAgentFault(spec.agentFault);
  const runningAfterMs = spec.runningAfterMs ?? 0;
  if (!(runningAfterMs >= 0)) throw new RangeError(`runningAfterMs must be ≥ 0, got ${runningAfterMs}`);
  return { osType, lifecycle, agentFault, runningAfterMs };
}

export function checkAgentFault(code: AgentErrorCode): AgentErrorCode {
  if (!AGENT_ERROR_CODES.includes(code))
    throw new RangeError(`agentFault must be one of ${AGENT_ERROR_CODES.join(', ')}, got ${String(code)}`);
  return code;
}

function checkShare(v: number | undefined, name: string): number {
  if (v === undefined) return 0;
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
  return v;
}

function osPicker(spec: FleetSpec['osType']): (rng: Prng) => OsType {
  if (spec === undefined) return () => 'Linux';
  if (typeof spec === 'string') {
    if (!OS_TYPES.includes(spec))
      throw new RangeError(`osType must be Linux, Windows or FreeBSD, got ${spec}`);
    return () => spec;
  }
  const entries = OS_TYPES.map((os) => [os, spec[os] ?? 0] as const).filter(([, w]) => w > 0);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  if (!(total > 0))
    throw new RangeError(`osType weights must include a positive weight, got ${JSON.stringify(spec)}`);
  return (rng) => {
    let x = rng.next() * total;
    for (const [os, w] of entries) {
      x -= w;
      if (x < 0) return os;
    }
    return entries[entries.length - 1]![0];
  };
}
