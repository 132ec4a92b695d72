/**
 * The simulated fleet: instances and their Cloud Assistant agents, per region.
 *
 * State is never stored as "current": each instance keeps short timelines (created, visible in
 * the API, its `Status` transitions, agent installed, agent running segments) and every read
 * computes the state for the simulated `clock.now()`. No per-instance timers exist, so a
 * 100,000-instance fleet costs a few tens of MB and nothing runs between requests.
 *
 * Instance lifecycle (DescribeInstanceStatus, RebootInstance pages): `Pending` → `Starting` →
 * `Running` after creation; a stop goes `Stopping` → `Stopped`, a start `Starting` → `Running`,
 * a reboot `Stopping` → `Starting` → `Running`. The agent runs only while the instance is
 * `Running`: it stops when the instance starts stopping (an agent due to start at that instant
 * never does), and after a (re)boot it starts again `agentStartMs` after `Running` if it is
 * installed by then, also when it was installed after the boot was scheduled. InstallCloudAssistant
 * marks the agent installed, and, as documented, it only comes up at the next boot ("call
 * RebootInstance to make the Cloud Assistant Agent installation take effect", TS-SDK docstring).
 * The test hooks that start the agent (`startAgent`, `installAgent`) start it for the current
 * stretch of `Running` only: a stop already scheduled still stops it.
 *
 * Heartbeats: while the agent runs it beats at the start of a running segment and then every
 * 55, 60 or 65 s (a per-instance rotation of that cycle, so the mean is 60 s as documented).
 * `CloudAssistantStatus` is "true" only while the last beat is less than 2 minutes old, so an
 * agent that stops still reads "true" for up to 2 minutes, as on ECS.
 */
import { formatAcsDate } from '@cloud-assistant-gate/core/signing';
import type { SimulatedClock } from './clock.js';
import { type Distribution, sample, validateDistribution } from './distribution.js';
import type { Prng } from './prng.js';

export type OsType = 'Linux' | 'Windows' | 'FreeBSD';
/**
 * The agent's state: `installed` = installed (InstallCloudAssistant) but not started yet, as it
 * only starts at the next boot; `starting` = will start (boot in progress).
 */
export type AgentState = 'not-installed' | 'installing' | 'installed' | 'starting' | 'online' | 'stopped';
/** An ECS instance's `Status` as DescribeInstanceStatus reports it. */
export type InstanceStatus = 'Pending' | 'Starting' | 'Running' | 'Stopping' | 'Stopped';
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

/** One instance's status as DescribeCloudAssistantStatus reports it (PascalCase, as on the wire). */
export interface SimulatedStatus {
  readonly InstanceId: string;
  readonly CloudAssistantStatus: 'true' | 'false';
  readonly CloudAssistantVersion: string;
  readonly SupportSessionManager: boolean;
  readonly OSType: OsType;
  readonly InvocationCount: number;
  readonly ActiveTaskCount: number;
  readonly LastInvokedTime?: string;
  readonly LastHeartbeatTime?: string;
}

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

const HEARTBEAT_CYCLE_MS = 180_000;
/** The six orders of 55/60/65 s as cumulative offsets within one 180 s cycle. */
const BEAT_OFFSETS: readonly (readonly number[])[] = [
  [55, 60, 65],
  [55, 65, 60],
  [60, 55, 65],
  [60, 65, 55],
  [65, 55, 60],
  [65, 60, 55],
].map(([a, b]) => [0, a! * 1000, (a! + b!) * 1000]);
const ONLINE_WINDOW_MS = 120_000;
const SESSION_MANAGER_MIN: Readonly<Record<OsType, string | undefined>> = {
  Linux: '2.2.3.189',
  Windows: '2.1.3.189',
  FreeBSD: undefined,
};
const DEFAULT_VERSION: Readonly<Record<OsType, string>> = {
  Linux: '2.2.3.317',
  Windows: '2.1.3.317',
  FreeBSD: '1.0.0.60',
};
const OLD_VERSION: Readonly<Record<OsType, string>> = {
  Linux: '2.2.0.106',
  Windows: '2.1.0.106',
  FreeBSD: '1.0.0.20',
};
const DEFAULT_BOOT: Distribution = { kind: 'lognormal', medianMs: 45_000, sigma: 0.35, minMs: 10_000 };
const OS_TYPES: readonly OsType[] = ['Linux', 'Windows', 'FreeBSD'];
const STATUSES: readonly InstanceStatus[] = ['Pending', 'Starting', 'Running', 'Stopping', 'Stopped'];
const PENDING = 0;
const STARTING = 1;
const RUNNING = 2;
const STOPPING = 3;
const STOPPED = 4;
/** `Pending` lasts at most this long after creation, the rest of the boot is `Starting`. */
const MAX_PENDING_MS = 5_000;

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

/** `spec` over `base`, each distribution validated. */
export function resolveLifecycle(spec: LifecycleSpec | undefined, base: Lifecycle, name: string): Lifecycle {
  if (spec === undefined) return base;
  const out = { ...base, ...spec } as Lifecycle;
  for (const key of ['runningAfterMs', 'stoppingMs', 'startingMs', 'agentStartMs'] as const)
    validateDistribution(out[key], `${name}.${key}`);
  return out;
}

/** Whether an OS name is a Red Hat image (InstallCloudAssistant does not support it). */
export function isRedHat(osName: string | undefined): boolean {
  return osName !== undefined && /red\s*hat|\brhel\b/i.test(osName);
}

/** ECS ID prefixes per region, as real IDs look (`i-bp1…` in Hangzhou); others get a hash-based one. */
const REGION_ID_PREFIX: Readonly<Record<string, string>> = {
  'cn-hangzhou': 'bp',
  'cn-beijing': '2ze',
  'cn-shanghai': 'uf',
  'cn-shenzhen': 'wz',
  'cn-qingdao': 'm5e',
  'cn-zhangjiakou': '8vb',
  'cn-hongkong': 'j6c',
  'ap-southeast-1': 't4n',
  'us-west-1': 'rj9',
  'eu-central-1': 'gw8',
};
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether agent `version` is at least `min` (with `strict`, later than it). */
export function supportsVersion(version: string, min: string, strict = false): boolean {
  if (version === '') return false;
  const d = compareVersions(version, min);
  return strict ? d > 0 : d >= 0;
}

export function supportsSessionManager(osType: OsType, version: string): boolean {
  const min = SESSION_MANAGER_MIN[osType];
  return min !== undefined && version !== '' && compareVersions(version, min) >= 0;
}

/** A command sent to an instance whose delivery is not settled yet (see `SimInstance.settle`). */
export interface PendingDelivery {
  readonly sentAt: number;
  /** The end of the delivery window: undelivered by then, the run is aborted. */
  readonly deadline: number;
  readonly durationMs: number;
}

/** Internal record of one instance. Exported for the action handlers only. */
export class SimInstance {
  readonly idJson: string;
  removed = false;
  /** Simulated ms of the removal (Infinity while the instance exists). */
  removedAt = Number.POSITIVE_INFINITY;
  /**
   * Running segments as [start, end, start, end, …] in simulated ms; end may be Infinity. Sorted
   * and disjoint, and each lies within one stretch of `Running` (the agent runs only then).
   */
  segments: number[] = [];
  /** Agent installation start/end; Infinity = not installed. */
  installStart: number;
  installDone: number;
  readonly beatOffsets: readonly number[];
  readonly supportsSession: boolean;
  readonly versionJson: string;
  /** Commands delivered to this instance, and end times of those that may still run. */
  invocations = 0;
  taskEnds: number[] = [];
  lastInvokedAt = Number.NaN;
  /**
   * Commands sent but not settled yet (waiting in the delivery window): the counters above take
   * them in lazily, when the instance is read (`settle`).
   */
  pendingRuns: PendingDelivery[] = [];
  /** `Status` transitions: at `powerAt[i]` the status becomes `STATUSES[powerState[i]]`. */
  powerAt: number[] = [];
  powerState: number[] = [];
  /** Boots by a start or reboot: their `Running` time → how long after it the agent starts, if installed. */
  #bootAgentMs = new Map<number, number>();
  lifecycle: Lifecycle = DEFAULT_LIFECYCLE;
  osName: string | undefined;
  agentFault: AgentErrorCode | undefined;
  #frag = '';
  #fragHbSec = Number.NaN;
  #fragInvokedSec = Number.NaN;
  #fragOnline = false;

  constructor(
    readonly id: string,
    readonly region: string,
    readonly osType: OsType,
    readonly createdAt: number,
    readonly visibleAt: number,
    readonly version: string,
    beatRotation: number,
  ) {
    this.idJson = JSON.stringify(id);
    this.installStart = Number.POSITIVE_INFINITY;
    this.installDone = Number.POSITIVE_INFINITY;
    this.beatOffsets = BEAT_OFFSETS[beatRotation % 6]!;
    this.supportsSession = supportsSessionManager(osType, version);
    this.versionJson = JSON.stringify(version);
  }

  visible(t: number): boolean {
    return !this.removed && t >= this.visibleAt;
  }

  /** A managed instance (`mi-`): not an ECS instance, so no lifecycle APIs apply to it. */
  get managed(): boolean {
    return this.id.startsWith('mi-');
  }

  /** The `Status` at `t` (`Pending` before the first transition). */
  statusAt(t: number): InstanceStatus {
    const at = this.powerAt;
    for (let i = at.length - 1; i >= 0; i--) if (at[i]! <= t) return STATUSES[this.powerState[i]!]!;
    return 'Pending';
  }

  /**
   * `t` if the instance is Running at `t`; when it is booting (`Pending`/`Starting`), the moment
   * that boot reaches `Running`; NaN if it is stopping or stopped.
   */
  runningFrom(t: number): number {
    const s = this.statusAt(t);
    if (s === 'Running') return t;
    if (s === 'Stopping' || s === 'Stopped') return Number.NaN;
    const at = this.powerAt;
    for (let i = 0; i < at.length; i++) if (at[i]! > t && this.powerState[i] === RUNNING) return at[i]!;
    return Number.NaN;
  }

  /** Whether the agent is installed at `t` (it may still wait for a boot to start). */
  installedAt(t: number): boolean {
    return t >= this.installDone;
  }

  #setPower(at: number, state: number): void {
    const times = this.powerAt;
    const states = this.powerState;
    while (times.length > 0 && times[times.length - 1]! >= at) {
      this.#bootAgentMs.delete(times.pop()!);
      states.pop();
    }
    if (states.length > 0 && states[states.length - 1] === state) return;
    times.push(at);
    states.push(state);
  }

  /** The boot at creation: `Pending`, `Starting`, then `Running` at `runningAt` (or `Stopped` at once). */
  initPower(createdAt: number, runningAt: number, stopped: boolean): void {
    if (stopped) {
      this.#setPower(createdAt, STOPPED);
      return;
    }
    this.#setPower(createdAt, PENDING);
    const pendingUntil = Math.min(
      runningAt,
      createdAt + Math.min(MAX_PENDING_MS, (runningAt - createdAt) / 2),
    );
    this.#setPower(pendingUntil, STARTING);
    this.#setPower(runningAt, RUNNING);
  }

  /**
   * Stops the instance at `at` (`Stopping`, then `Stopped` `stoppingMs` later) and the agent with
   * it, dropping everything scheduled from `at` on (an agent due to start at `at` never does).
   * Returns false (and does nothing) if it is already `Stopping` or `Stopped` at `at`.
   */
  powerOff(at: number, stoppingMs: number): boolean {
    const s = this.statusAt(at);
    if (s === 'Stopping' || s === 'Stopped') return false;
    this.#setPower(at, STOPPING);
    this.#setPower(at + stoppingMs, STOPPED);
    const seg = this.segments;
    while (seg.length > 0 && seg[seg.length - 2]! >= at) seg.length -= 2;
    this.stopAt(at);
    return true;
  }

  /**
   * Boots a stopped instance at `at` (or when its stop completes): `Starting`, `Running`
   * `startingMs` later, and the agent, if installed by then, `agentStartMs` after that (also if it
   * is installed later but before that boot). Returns false (and does nothing) if it is not
   * stopping or stopped at `at`.
   */
  powerOn(at: number, startingMs: number, agentStartMs: number): boolean {
    const s = this.statusAt(at);
    if (s !== 'Stopping' && s !== 'Stopped') return false;
    let begin = at;
    if (s === 'Stopping') {
      const i = this.powerAt.findIndex((x, k) => x > at && this.powerState[k] === STOPPED);
      begin = i >= 0 ? this.powerAt[i]! : at;
    }
    this.#setPower(begin, STARTING);
    const runningAt = begin + startingMs;
    this.#setPower(runningAt, RUNNING);
    this.#bootAgentMs.set(runningAt, agentStartMs);
    this.#truncateAfter(begin);
    this.#startAtBoots(begin);
    return true;
  }

  /**
   * The end of the stretch of `Running` that contains `t`: the next transition to another
   * status (Infinity if none is scheduled).
   */
  #runEnd(t: number): number {
    const at = this.powerAt;
    for (let i = 0; i < at.length; i++) if (at[i]! > t && this.powerState[i] !== RUNNING) return at[i]!;
    return Number.POSITIVE_INFINITY;
  }

  /**
   * Adds the installed agent's start to every boot (start or reboot) that reaches `Running` after
   * `from` and has no agent start yet, ending with that boot's stretch of `Running`.
   */
  #startAtBoots(from: number): void {
    const at = this.powerAt;
    for (let i = 0; i < at.length; i++) {
      const runningAt = at[i]!;
      const delay = this.#bootAgentMs.get(runningAt);
      if (runningAt <= from || this.powerState[i] !== RUNNING || delay === undefined) continue;
      if (!this.installedAt(runningAt)) continue;
      const end = this.#runEnd(runningAt);
      const agentAt = runningAt + delay;
      if (!(agentAt < end) || this.#hasSegmentIn(runningAt, end)) continue;
      this.#insertSegment(agentAt, end);
    }
  }

  #hasSegmentIn(from: number, to: number): boolean {
    const s = this.segments;
    for (let i = 0; i < s.length; i += 2) if (s[i]! >= from && s[i]! < to) return true;
    return false;
  }

  /** Inserts [start, end) in order (the caller makes sure it overlaps no other segment). */
  #insertSegment(start: number, end: number): void {
    const s = this.segments;
    let i = s.length;
    while (i > 0 && s[i - 2]! > start) i -= 2;
    s.splice(i, 0, start, end);
  }

  /** Marks the agent installed at `at`; boots scheduled to reach `Running` after `at` start it. */
  installAt(at: number): void {
    this.installStart = at;
    this.installDone = at;
    this.#startAtBoots(at);
  }

  /** Visibility in history: what `visible(t)` said before any removal, and `false` after it. */
  wasVisible(t: number): boolean {
    return t >= this.visibleAt && t < this.removedAt;
  }

  /**
   * Simulated ms of the last heartbeat at or before `t`, or NaN if none yet. The latest running
   * segment that has started governs (segment starts never decrease); it beats at its start and
   * then on the 55/60/65 s rotation until its end.
   */
  lastHeartbeat(t: number): number {
    const s = this.segments;
    for (let i = s.length - 2; i >= 0; i -= 2) {
      const start = s[i]!;
      if (start > t) continue;
      return this.#beatAtOrBefore(start, Math.min(t, s[i + 1]!));
    }
    return Number.NaN;
  }

  #beatAtOrBefore(start: number, until: number): number {
    const elapsed = until - start;
    const cycles = Math.floor(elapsed / HEARTBEAT_CYCLE_MS);
    const rem = elapsed - cycles * HEARTBEAT_CYCLE_MS;
    const o = this.beatOffsets;
    const within = rem >= o[2]! ? o[2]! : rem >= o[1]! ? o[1]! : 0;
    return start + cycles * HEARTBEAT_CYCLE_MS + within;
  }

  /** Whether the last heartbeat at or before `t` is under 2 minutes old (visibility aside). */
  online(t: number): boolean {
    const hb = this.lastHeartbeat(t);
    // Written as `t < hb + window` so that onlineIntervals() ends on exactly the same float.
    return !Number.isNaN(hb) && t < hb + ONLINE_WINDOW_MS;
  }

  /**
   * The stretches of simulated time in which `wasVisible(t) && online(t)`, as half-open
   * [from, to) pairs (`to` may be Infinity). Segment i governs [start_i, start_i+1); within it the
   * agent is online from its start (the first beat) until 2 minutes after its last beat, since
   * beats inside a segment are at most 65 s apart.
   */
  onlineIntervals(): [number, number][] {
    const s = this.segments;
    const raw: [number, number][] = [];
    for (let i = 0; i < s.length; i += 2) {
      const start = s[i]!;
      const governedUntil = i + 2 < s.length ? s[i + 2]! : Number.POSITIVE_INFINITY;
      if (!(governedUntil > start)) continue;
      const end = s[i + 1]!;
      const offAt =
        end === Number.POSITIVE_INFINITY
          ? Number.POSITIVE_INFINITY
          : this.#beatAtOrBefore(start, end) + ONLINE_WINDOW_MS;
      const to = Math.min(offAt, governedUntil);
      const last = raw[raw.length - 1];
      if (last !== undefined && last[1] >= start) last[1] = Math.max(last[1], to);
      else raw.push([start, to]);
    }
    const out: [number, number][] = [];
    for (const [from, to] of raw) {
      const a = Math.max(from, this.visibleAt);
      const b = Math.min(to, this.removedAt);
      if (a < b) out.push([a, b]);
    }
    return out;
  }

  running(t: number): boolean {
    const s = this.segments;
    for (let i = 0; i < s.length; i += 2) if (s[i]! <= t && t < s[i + 1]!) return true;
    return false;
  }

  state(t: number): AgentState {
    if (t < this.installStart) return 'not-installed';
    if (t < this.installDone) return 'installing';
    const s = this.segments;
    const boot = this.#bootStart(t);
    let future = false;
    let sinceBoot = false;
    let sinceInstall = false;
    for (let i = 0; i < s.length; i += 2) {
      if (s[i]! <= t && t < s[i + 1]!) return 'online';
      if (s[i]! > t) future = true;
      else {
        if (s[i]! >= boot) sinceBoot = true;
        if (s[i]! >= this.installDone) sinceInstall = true;
      }
    }
    // Will start, and has not run since this boot began (a flapping agent that is down is 'stopped').
    if (future && !sinceBoot) return 'starting';
    return sinceInstall || future ? 'stopped' : 'installed';
  }

  /** When the boot current at `t` began (its `Pending` or `Starting`; the creation if none). */
  #bootStart(t: number): number {
    const at = this.powerAt;
    for (let i = at.length - 1; i >= 0; i--) {
      if (at[i]! > t) continue;
      const st = this.powerState[i]!;
      if (st === PENDING || st === STARTING) return at[i]!;
    }
    return at.length > 0 ? at[0]! : this.createdAt;
  }

  /**
   * The first instant in `[from, until]` at which the agent process runs (before any removal),
   * or NaN: when a command sent at `from` is delivered, if the delivery window ends at `until`.
   */
  deliveryTime(from: number, until: number): number {
    const s = this.segments;
    const end = Math.min(until, this.removedAt);
    for (let i = 0; i < s.length; i += 2) {
      const b = s[i + 1]!;
      if (b <= from) continue;
      const x = Math.max(s[i]!, from);
      if (x > end) return Number.NaN;
      if (x < b) return x;
    }
    return Number.NaN;
  }

  /**
   * Takes commands whose fate is known at `t` into the counters: delivered ones count as
   * invocations (running until their end), the others are dropped.
   */
  settle(t: number): void {
    const kept: PendingDelivery[] = [];
    for (const run of this.pendingRuns) {
      const at = this.deliveryTime(run.sentAt, Math.min(t, run.deadline));
      if (!Number.isNaN(at)) {
        this.invocations++;
        if (!(this.lastInvokedAt >= at)) this.lastInvokedAt = at;
        this.taskEnds.push(at + run.durationMs);
      } else if (t < run.deadline) {
        kept.push(run);
      }
    }
    this.pendingRuns = kept;
    this.#frag = '';
  }

  /**
   * Starts the agent at `at`, a time the instance is `Running`, installing it then if needed: it
   * runs until the instance stops (if a stop is scheduled), and anything the agent had scheduled
   * in between is dropped. Later boots start the (now installed) agent as usual. An agent already
   * running at `at` keeps running (a stop scheduled for it is cancelled; no new heartbeat phase).
   */
  startAt(at: number): void {
    if (this.installDone > at) {
      this.installStart = Math.min(this.installStart, at);
      this.installDone = at;
    }
    const end = this.#runEnd(at);
    const s = this.segments;
    const kept: number[] = [];
    const later: number[] = [];
    for (let i = 0; i < s.length; i += 2) {
      if (s[i]! <= at) kept.push(s[i]!, s[i + 1]!);
      else if (s[i]! >= end) later.push(s[i]!, s[i + 1]!);
    }
    if (kept.length > 0 && kept[kept.length - 1]! > at) kept[kept.length - 1] = end;
    else kept.push(at, end);
    this.segments = [...kept, ...later];
    this.#startAtBoots(at);
  }

  stopAt(at: number): void {
    this.#truncateAfter(at);
    const s = this.segments;
    if (s.length > 0 && s[s.length - 1]! > at) s[s.length - 1] = at;
  }

  #truncateAfter(at: number): void {
    const s = this.segments;
    while (s.length > 0 && s[s.length - 2]! > at) s.length -= 2;
  }

  activeTasks(t: number): number {
    if (this.taskEnds.length === 0) return 0;
    this.taskEnds = this.taskEnds.filter((end) => end > t);
    return this.taskEnds.length;
  }

  /**
   * The status item as JSON text; the hot path of DescribeCloudAssistantStatus. The text only
   * changes when a reported time's second changes, at the 2-minute edge or with a command, so it
   * is cached on those. `shiftMs` is added to every reported time (see `reportTimes`).
   */
  statusJson(t: number, shiftMs = 0): string {
    if (this.pendingRuns.length > 0) this.settle(t);
    const hb = this.lastHeartbeat(t);
    const online = !Number.isNaN(hb) && t < hb + ONLINE_WINDOW_MS;
    const hbSec = Math.floor((hb + shiftMs) / 1000);
    const invokedSec = Math.floor((this.lastInvokedAt + shiftMs) / 1000);
    if (
      this.taskEnds.length === 0 &&
      this.#frag !== '' &&
      online === this.#fragOnline &&
      Object.is(hbSec, this.#fragHbSec) &&
      Object.is(invokedSec, this.#fragInvokedSec)
    ) {
      return this.#frag;
    }
    const active = this.activeTasks(t);
    let out = `{"CloudAssistantVersion":${online ? this.versionJson : '""'},"SupportSessionManager":${online && this.supportsSession},"InstanceId":${this.idJson},"CloudAssistantStatus":"${online}","OSType":"${this.osType}","InvocationCount":${this.invocations - active},"ActiveTaskCount":${active}`;
    if (!Number.isNaN(this.lastInvokedAt))
      out += `,"LastInvokedTime":"${formatAcsDate(new Date(this.lastInvokedAt + shiftMs))}"`;
    if (!Number.isNaN(hb)) out += `,"LastHeartbeatTime":"${formatAcsDate(new Date(hb + shiftMs))}"`;
    out += '}';
    if (active === 0) {
      this.#frag = out;
      this.#fragHbSec = hbSec;
      this.#fragInvokedSec = invokedSec;
      this.#fragOnline = online;
    }
    return out;
  }

  /** Forgets the cached status text (after a command changed the counters). */
  touch(): void {
    this.#frag = '';
  }

  status(t: number, shiftMs = 0): SimulatedStatus {
    return JSON.parse(this.statusJson(t, shiftMs)) as SimulatedStatus;
  }
}

/** Instances of one region, in creation order, with per-OS views for the OSType filter. */
export class RegionStore {
  readonly all: SimInstance[] = [];
  readonly byOs = new Map<string, SimInstance[]>();
  readonly byId = new Map<string, SimInstance>();
  /** Latest `visibleAt` of any instance: once the clock passes it, every instance is visible. */
  maxVisibleAt = Number.NEGATIVE_INFINITY;
  removedCount = 0;

  constructor(readonly name: string) {}

  add(inst: SimInstance): void {
    this.all.push(inst);
    this.byId.set(inst.id, inst);
    let list = this.byOs.get(inst.osType);
    if (list === undefined) {
      list = [];
      this.byOs.set(inst.osType, list);
    }
    list.push(inst);
    if (inst.visibleAt > this.maxVisibleAt) this.maxVisibleAt = inst.visibleAt;
  }

  remove(inst: SimInstance, at: number): void {
    inst.removed = true;
    inst.removedAt = at;
    this.byId.delete(inst.id);
    const drop = (list: SimInstance[]) => {
      const i = list.indexOf(inst);
      if (i >= 0) list.splice(i, 1);
    };
    drop(this.all);
    const osList = this.byOs.get(inst.osType);
    if (osList) drop(osList);
  }

  /** Whether every instance in the list is visible at `t` (then paging can index directly). */
  allVisible(t: number): boolean {
    return t >= this.maxVisibleAt;
  }
}

export interface FleetInternals extends Fleet {
  region(name: string): RegionStore | undefined;
  find(id: string): SimInstance | undefined;
  /** Milliseconds added to simulated times in responses at simulated time `simNow` (see `reportTimes`). */
  reportShift(simNow: number): number;
}

function checkAgentFault(code: AgentErrorCode): AgentErrorCode {
  if (!AGENT_ERROR_CODES.includes(code))
    throw new RangeError(`agentFault must be one of ${AGENT_ERROR_CODES.join(', ')}, got ${String(code)}`);
  return code;
}

function checkShare(v: number | undefined, name: string): number {
  if (v === undefined) return 0;
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be between 0 and 1, got ${v}`);
  return v;
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
  const baseLifecycle = options.lifecycle ?? DEFAULT_LIFECYCLE;
  // A stream of its own, so lifecycle draws leave the IDs and boot times of a seed unchanged.
  const lifeRng = rng.fork('lifecycle');
  const draw = (inst: SimInstance, key: keyof Lifecycle) => sample(inst.lifecycle[key], lifeRng);
  /** `at`, or when the boot in progress at `at` reaches Running; a RangeError if the instance is down then. */
  const runningFrom = (inst: SimInstance, at: number, what: string): number => {
    const from = inst.runningFrom(at);
    if (Number.isNaN(from))
      throw new RangeError(
        `cannot ${what} on ${inst.id}: the instance is ${inst.statusAt(at)} then; start it first with fleet.start(id)`,
      );
    return from;
  };
  const regions = new Map<string, RegionStore>();
  for (const r of options.regions) regions.set(r, new RegionStore(r));
  const byId = new Map<string, SimInstance>();
  /** Removed instances by ID (the latest one per ID), for questions about the past. */
  const removedById = new Map<string, SimInstance>();
  const defaultRegion = options.regions[0]!;

  const store = (name: string | undefined): RegionStore => {
    const r = regions.get(name ?? defaultRegion);
    if (r === undefined) {
      throw new RangeError(
        `region ${name} is not one of the simulator's regions (${[...regions.keys()].join(', ')})`,
      );
    }
    return r;
  };
  const get = (id: string): SimInstance => {
    const inst = byId.get(id);
    if (inst === undefined) throw new RangeError(`no instance ${id} in the simulated fleet`);
    return inst;
  };
  /** The instance for history questions: the current one, else the last removed one. */
  const history = (id: string): SimInstance | undefined => byId.get(id) ?? removedById.get(id);
  const randomChars = (n: number): string => {
    let s = '';
    for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rng.next() * 36)];
    return s;
  };
  const regionPrefix = (region: string): string => {
    const known = REGION_ID_PREFIX[region];
    if (known) return known;
    let h = 0;
    for (let i = 0; i < region.length; i++) h = (h * 31 + region.charCodeAt(i)) >>> 0;
    return ALNUM[h % 36]! + ALNUM[Math.floor(h / 36) % 36]!;
  };
  const newId = (region: string, managed: boolean): string => {
    for (;;) {
      // ECS IDs are 22 characters (`i-` + 20); managed instances look like `mi-hz01axdrwwo5sbc`.
      const prefix = regionPrefix(region);
      const id = managed ? `mi-${randomChars(15)}` : `i-${prefix}1${randomChars(17 - prefix.length)}`;
      if (!byId.has(id)) return id;
    }
  };
  const insert = (inst: SimInstance) => {
    if (byId.has(inst.id)) throw new RangeError(`instance ${inst.id} already exists`);
    byId.set(inst.id, inst);
    store(inst.region).add(inst);
  };

  const pickOs = (spec: FleetSpec['osType']): (() => OsType) => {
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
    return () => {
      let x = rng.next() * total;
      for (const [os, w] of entries) {
        x -= w;
        if (x < 0) return os;
      }
      return entries[entries.length - 1]![0];
    };
  };

  const fleet: FleetInternals = {
    addInstances(spec) {
      const region = store(spec.region).name;
      const count = spec.ids?.length ?? spec.count ?? 0;
      if (!Number.isInteger(count) || count < 0)
        throw new RangeError(`count must be an integer ≥ 0, got ${spec.count}`);
      const managedShare = checkShare(spec.managedShare, 'managedShare');
      const neverShare = checkShare(spec.neverOnlineShare, 'neverOnlineShare');
      const flapShare = checkShare(spec.flappingShare, 'flappingShare');
      const oldShare = checkShare(spec.oldAgentShare, 'oldAgentShare');
      const boot = spec.bootMs ?? DEFAULT_BOOT;
      validateDistribution(boot, 'bootMs');
      if (spec.appearAfterMs) validateDistribution(spec.appearAfterMs, 'appearAfterMs');
      const upMs = spec.flapping?.upMs ?? { kind: 'uniform', minMs: 30_000, maxMs: 180_000 };
      const downMs = spec.flapping?.downMs ?? { kind: 'uniform', minMs: 150_000, maxMs: 300_000 };
      validateDistribution(upMs, 'flapping.upMs');
      validateDistribution(downMs, 'flapping.downMs');
      const cycles = spec.flapping?.cycles ?? 1;
      const stoppedShare = checkShare(spec.stoppedShare, 'stoppedShare');
      const lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
      const os = pickOs(spec.osType);
      const created = clock.now() - (spec.ageMs ?? 0);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const osType = os();
        const managed = rng.next() < managedShare;
        const id = spec.ids?.[i] ?? newId(region, managed);
        const appear = spec.appearAfterMs ? sample(spec.appearAfterMs, rng) : 0;
        const version = rng.next() < oldShare ? OLD_VERSION[osType] : DEFAULT_VERSION[osType];
        const inst = new SimInstance(
          id,
          region,
          osType,
          created,
          created + appear,
          version,
          Math.floor(rng.next() * 6),
        );
        inst.lifecycle = lifecycle;
        inst.osName = spec.osName;
        if (rng.next() >= neverShare) {
          inst.installStart = created;
          inst.installDone = created;
          let at = created + sample(boot, rng);
          if (rng.next() < flapShare) {
            for (let c = 0; c < cycles; c++) {
              const up = sample(upMs, rng);
              inst.segments.push(at, at + up);
              at += up + sample(downMs, rng);
            }
            if (!spec.flapping?.stayDown) inst.segments.push(at, Number.POSITIVE_INFINITY);
          } else {
            inst.segments.push(at, Number.POSITIVE_INFINITY);
          }
        }
        // Drawn from the lifecycle stream only when asked for, so older scenarios keep their draws.
        const stopped = stoppedShare > 0 && lifeRng.next() < stoppedShare;
        if (stopped) inst.segments.length = 0;
        const firstBeat = inst.segments.length > 0 ? inst.segments[0]! : Number.POSITIVE_INFINITY;
        inst.initPower(created, Math.min(firstBeat, created + draw(inst, 'runningAfterMs')), stopped);
        insert(inst);
        ids.push(id);
      }
      return ids;
    },
    addInstance(spec = {}) {
      const region = store(spec.region).name;
      const osType = spec.osType ?? 'Linux';
      if (!OS_TYPES.includes(osType))
        throw new RangeError(`osType must be Linux, Windows or FreeBSD, got ${osType}`);
      const now = clock.now();
      const id = spec.id ?? newId(region, spec.managed ?? false);
      const inst = new SimInstance(
        id,
        region,
        osType,
        now,
        now + (spec.appearAfterMs ?? 0),
        spec.agentVersion ?? DEFAULT_VERSION[osType],
        Math.floor(rng.next() * 6),
      );
      inst.lifecycle = resolveLifecycle(spec.lifecycle, baseLifecycle, 'lifecycle');
      inst.osName = spec.osName;
      if (spec.agentFault !== undefined) inst.agentFault = checkAgentFault(spec.agentFault);
      const after = spec.onlineAfterMs === undefined ? 0 : spec.onlineAfterMs;
      if (after !== null) {
        inst.installStart = now;
        inst.installDone = now;
        const end =
          spec.offlineAfterMs === undefined ? Number.POSITIVE_INFINITY : now + after + spec.offlineAfterMs;
        if (!spec.stopped) inst.segments.push(now + after, end);
      }
      const runningAfter = spec.runningAfterMs ?? 0;
      if (!(runningAfter >= 0)) throw new RangeError(`runningAfterMs must be ≥ 0, got ${runningAfter}`);
      const firstBeat = inst.segments.length > 0 ? inst.segments[0]! : Number.POSITIVE_INFINITY;
      inst.initPower(now, Math.min(firstBeat, now + runningAfter), spec.stopped === true);
      insert(inst);
      return id;
    },
    removeInstance(id) {
      const inst = get(id);
      byId.delete(id);
      removedById.set(id, inst);
      store(inst.region).remove(inst, clock.now());
    },
    startAgent(id, opts = {}) {
      const inst = get(id);
      inst.startAt(runningFrom(inst, clock.now() + (opts.afterMs ?? 0), 'start the agent'));
    },
    stopAgent(id, opts = {}) {
      get(id).stopAt(clock.now() + (opts.afterMs ?? 0));
    },
    installAgent(id, opts = {}) {
      const inst = get(id);
      const now = clock.now();
      const done = now + (opts.durationMs ?? 60_000);
      const startAt = runningFrom(inst, done, 'install and start the agent');
      // A (re)install stops a running agent now; heartbeats already sent stay in the history.
      inst.stopAt(now);
      inst.installStart = now;
      inst.installDone = done;
      inst.startAt(startAt);
    },
    stop(id, opts = {}) {
      const inst = get(id);
      inst.powerOff(clock.now() + (opts.afterMs ?? 0), draw(inst, 'stoppingMs'));
    },
    start(id, opts = {}) {
      const inst = get(id);
      inst.powerOn(clock.now() + (opts.afterMs ?? 0), draw(inst, 'startingMs'), draw(inst, 'agentStartMs'));
    },
    reboot(id) {
      const inst = get(id);
      const now = clock.now();
      if (inst.statusAt(now) !== 'Running')
        throw new RangeError(
          `cannot reboot ${id}: it is ${inst.statusAt(now)}, and only a Running instance reboots`,
        );
      const stopping = draw(inst, 'stoppingMs');
      inst.powerOff(now, stopping);
      inst.powerOn(now + stopping, draw(inst, 'startingMs'), draw(inst, 'agentStartMs'));
    },
    markAgentInstalled(id) {
      const inst = get(id);
      const now = clock.now();
      if (inst.installStart <= now) return; // installed (or being installed) already
      inst.installAt(now);
    },
    setAgentFault(id, code) {
      get(id).agentFault = code === undefined ? undefined : checkAgentFault(code);
    },
    instanceStatus(id) {
      return get(id).statusAt(clock.now());
    },
    instanceStatusAt(id, simTimeMs) {
      const inst = history(id);
      return inst === undefined || simTimeMs < inst.createdAt ? undefined : inst.statusAt(simTimeMs);
    },
    agentInstalled(id) {
      return get(id).installedAt(clock.now());
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
      return get(id).state(clock.now());
    },
    onlineAt(id) {
      const s = get(id).segments;
      return s.length > 0 ? s[0] : undefined;
    },
    wasOnline(id, simTimeMs) {
      const inst = history(id);
      return inst?.wasVisible(simTimeMs) === true && inst.online(simTimeMs);
    },
    wasVisible(id, simTimeMs) {
      return history(id)?.wasVisible(simTimeMs) === true;
    },
    onlineIntervals(id) {
      const inst = history(id);
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
      const list = opts.region === undefined ? [...byId.values()] : store(opts.region).all;
      return list.filter((i) => !opts.visibleOnly || i.visible(t)).map((i) => i.id);
    },
    counts(opts = {}) {
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
      const list = opts.region === undefined ? byId.values() : store(opts.region).all;
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
    get size() {
      return byId.size;
    },
    get regions() {
      return [...regions.keys()];
    },
    region: (name) => regions.get(name),
    find: (id) => byId.get(id),
    reportShift,
  };
  return fleet;
}
