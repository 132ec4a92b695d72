/**
 * One simulated instance: its `Status` timeline (power.ts) and its agent's runs (agent-runs.ts)
 * joined by the lifecycle rules, the commands it received, and the status item
 * DescribeCloudAssistantStatus reports for it (the hot path).
 *
 * State is never stored as "current": every read computes the state for the simulated time it is
 * asked about, so nothing runs between requests and no instance has a timer.
 *
 * The rules that join the two timelines: the agent runs only while the instance is `Running`. It
 * stops when the instance starts stopping (an agent due to start at that instant never does), and
 * after a (re)boot it starts again `agentStartMs` after `Running` if it is installed by then, also
 * when it was installed after the boot was scheduled. InstallCloudAssistant marks the agent
 * installed, and, as documented, it only comes up at the next boot ("call RebootInstance to make
 * the Cloud Assistant Agent installation take effect", TS-SDK docstring). The test hooks that
 * start the agent start it for the current stretch of `Running` only: a stop already scheduled
 * still stops it.
 */
import { formatAcsDate } from '@cloud-assistant-gate/core/signing';
import { AgentRuns, ONLINE_WINDOW_MS } from './agent-runs.js';
import { type InstanceStatus, PowerTimeline } from './power.js';
import { type AgentErrorCode, DEFAULT_LIFECYCLE, type Lifecycle, type OsType } from './spec.js';
import { supportsSessionManager } from './versions.js';

/**
 * The agent's state: `installed` = installed (InstallCloudAssistant) but not started yet, as it
 * only starts at the next boot; `starting` = will start (boot in progress).
 */
export type AgentState = 'not-installed' | 'installing' | 'installed' | 'starting' | 'online' | 'stopped';

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

/** A command sent to an instance whose delivery is not settled yet (see `SimInstance.settle`). */
export interface PendingDelivery {
  readonly sentAt: number;
  /** The end of the delivery window: undelivered by then, the run is aborted. */
  readonly deadline: number;
  readonly durationMs: number;
}

/** Internal record of one instance, for the fleet and the action handlers. */
export class SimInstance {
  readonly idJson: string;
  removed = false;
  /** Simulated ms of the removal (Infinity while the instance exists). */
  removedAt = Number.POSITIVE_INFINITY;
  /** The `Status` transitions. */
  readonly power = new PowerTimeline();
  /** When the agent process runs (only ever within a stretch of `Running`). */
  readonly runs: AgentRuns;
  /** Agent installation start/end; Infinity = not installed. */
  installStart = Number.POSITIVE_INFINITY;
  installDone = Number.POSITIVE_INFINITY;
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
    this.runs = new AgentRuns(beatRotation);
    this.supportsSession = supportsSessionManager(osType, version);
    this.versionJson = JSON.stringify(version);
  }

  visible(t: number): boolean {
    return !this.removed && t >= this.visibleAt;
  }

  /** Visibility in history: what `visible(t)` said before any removal, and `false` after it. */
  wasVisible(t: number): boolean {
    return t >= this.visibleAt && t < this.removedAt;
  }

  /** A managed instance (`mi-`): not an ECS instance, so no lifecycle APIs apply to it. */
  get managed(): boolean {
    return this.id.startsWith('mi-');
  }

  /** The `Status` at `t` (`Pending` before the first transition). */
  statusAt(t: number): InstanceStatus {
    return this.power.statusAt(t);
  }

  /**
   * `t` if the instance is Running at `t`; when it is booting (`Pending`/`Starting`), the moment
   * that boot reaches `Running`; NaN if it is stopping or stopped.
   */
  runningFrom(t: number): number {
    return this.power.runningFrom(t);
  }

  /** Whether the agent is installed at `t` (it may still wait for a boot to start). */
  installedAt(t: number): boolean {
    return t >= this.installDone;
  }

  /** The agent is installed from `at` (an instance created with it). */
  installedFrom(at: number): void {
    this.installStart = at;
    this.installDone = at;
  }

  /** Marks the agent installed at `at`; boots scheduled to reach `Running` after `at` start it. */
  installAt(at: number): void {
    this.installedFrom(at);
    this.#startAtBoots(at);
  }

  /**
   * Stops the instance at `at` (`Stopping`, then `Stopped` `stoppingMs` later) and the agent with
   * it, dropping everything scheduled from `at` on (an agent due to start at `at` never does).
   * Returns false (and does nothing) if it is already `Stopping` or `Stopped` at `at`.
   */
  powerOff(at: number, stoppingMs: number): boolean {
    if (!this.power.powerOff(at, stoppingMs)) return false;
    this.runs.dropAfter(at, true);
    this.runs.stopAt(at);
    return true;
  }

  /**
   * Boots a stopped instance at `at` (or when its stop completes): `Starting`, `Running`
   * `startingMs` later, and the agent, if installed by then, `agentStartMs` after that (also if it
   * is installed later but before that boot). Returns false (and does nothing) if it is not
   * stopping or stopped at `at`.
   */
  powerOn(at: number, startingMs: number, agentStartMs: number): boolean {
    const begin = this.power.powerOn(at, startingMs, agentStartMs);
    if (Number.isNaN(begin)) return false;
    this.runs.dropAfter(begin);
    this.#startAtBoots(begin);
    return true;
  }

  /**
   * Adds the installed agent's start to every boot (start or reboot) that reaches `Running` after
   * `from` and has no agent start yet, ending with that boot's stretch of `Running`.
   */
  #startAtBoots(from: number): void {
    for (const { runningAt, agentStartMs } of this.power.bootsAfter(from)) {
      if (!this.installedAt(runningAt)) continue;
      const end = this.power.runEnd(runningAt);
      const agentAt = runningAt + agentStartMs;
      if (!(agentAt < end) || this.runs.startsIn(runningAt, end)) continue;
      this.runs.insert(agentAt, end);
    }
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
    this.runs.runFrom(at, this.power.runEnd(at));
    this.#startAtBoots(at);
  }

  /** Stops the agent at `at` (the instance keeps its `Status`). */
  stopAt(at: number): void {
    this.runs.stopAt(at);
  }

  /** Whether the last heartbeat at or before `t` is under 2 minutes old (visibility aside). */
  online(t: number): boolean {
    return this.runs.online(t);
  }

  /** The stretches of simulated time in which `wasVisible(t) && online(t)`, as [from, to) pairs. */
  onlineIntervals(): [number, number][] {
    return this.runs.intervals(this.visibleAt, this.removedAt);
  }

  /** Whether the agent process runs at `t`. */
  running(t: number): boolean {
    return this.runs.running(t);
  }

  state(t: number): AgentState {
    if (t < this.installStart) return 'not-installed';
    if (t < this.installDone) return 'installing';
    const s = this.runs.segments;
    const boot = this.power.bootStart(t, this.createdAt);
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

  /**
   * The first instant in `[from, until]` at which the agent process runs (before any removal),
   * or NaN: when a command sent at `from` is delivered, if the delivery window ends at `until`.
   */
  deliveryTime(from: number, until: number): number {
    return this.runs.firstRunningIn(from, Math.min(until, this.removedAt));
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
    const hb = this.runs.lastHeartbeat(t);
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

  /** The status item as an object (what `fleet.status(id)` returns). */
  status(t: number, shiftMs = 0): SimulatedStatus {
    return JSON.parse(this.statusJson(t, shiftMs)) as SimulatedStatus;
  }
}
