import type {
  AgentInstaller,
  AttemptEvent,
  InstanceRebooter,
  InstanceStatus,
  RebootResult,
  StatusSource,
} from '@cloud-assistant-gate/core';
import { apiCodeOf, classifyError, errorKey } from './classify.js';
import type { PendingReason } from './errors.js';
import { agentNeverReported, isEcsInstance, safeToken } from './instance-check.js';
import type { InstanceState } from './report.js';
import { raceAbort } from './timers.js';

/** InstallCloudAssistant takes up to 50 IDs per call. */
export const INSTALL_BATCH_SIZE = 50;
/** RebootInstances takes up to 100 IDs per call. */
export const REBOOT_BATCH_SIZE = 100;
/** An install that failed transiently (5xx, network) is tried again at most this many times in all. */
export const MAX_INSTALL_ATTEMPTS = 3;

/**
 * Opt-in remediation of a missing agent, as the official automation (OOS
 * `ACS::ECS::InstallCloudAssistant`) does it: an instance `Running` whose agent never reported
 * for `afterMs` gets InstallCloudAssistant and, only with `reboot: true`, RebootInstances (the
 * agent starts only after a boot).
 *
 * @example
 * { install: true, reboot: true, afterMs: 120_000 }
 */
export interface RemediateOptions {
  /** Must be `true`: install the agent on instances proven to lack it. */
  readonly install: true;
  /**
   * Reboot those instances right after the install, so that the agent starts. Without it the
   * wait only installs and reports `agent-installed-reboot-required`: it never reboots without
   * this consent, and never reboots an instance whose agent was ever seen.
   * @default false
   */
  readonly reboot?: boolean | undefined;
  /**
   * How long an instance must be seen `Running` with no agent before it is remediated (two
   * instance-status lookups at least this far apart). Set it above your slowest image's agent
   * start (Windows agents can take several minutes).
   * @default 60_000
   */
  readonly afterMs?: number | undefined;
}

/** What remediation did to one instance, as far as it got. */
export type RemediationOutcome =
  /** InstallCloudAssistant and RebootInstances accepted: the agent should start after the boot. */
  | 'installed-and-rebooted'
  /** Installed; no reboot consent (or no reboot capability), so the agent waits for the next boot. */
  | 'installed-reboot-required'
  /** Installed; the agent came up before the reboot, so the instance was not rebooted. */
  | 'installed-agent-came-up'
  | 'install-failed'
  | 'reboot-failed';

/** One instance remediation acted on, in a report or a progress event. */
export interface RemediationRecord {
  readonly instanceId: string;
  readonly region: string | undefined;
  readonly outcome: RemediationOutcome;
  /** When InstallCloudAssistant was accepted (ISO 8601, on the `now` clock). */
  readonly installedAt?: string | undefined;
  /** When RebootInstances was accepted. */
  readonly rebootedAt?: string | undefined;
  /** The action and API code that failed, e.g. `InstallCloudAssistant: Operation.Forbidden`. */
  readonly error?: string | undefined;
}

/** The mutable remediation state of one instance (internal). */
export interface RemediationState {
  readonly instanceId: string;
  readonly region: string | undefined;
  /** Index of the region among the wait's clients. */
  readonly slot: number;
  outcome: RemediationOutcome | 'reboot-pending';
  installedAt: number | undefined;
  rebootedAt: number | undefined;
  /** `Action: code` of the last failure. */
  error: string | undefined;
  /** The last failure's code alone, for the reason. */
  errorCode: string | undefined;
  installAttempts: number;
  /** The last install failure may pass with another attempt (5xx, network). */
  retryable: boolean;
}

export function toRecord(s: RemediationState): RemediationRecord {
  return {
    instanceId: s.instanceId,
    region: s.region,
    // A reboot still pending when the wait ended did not happen.
    outcome: s.outcome === 'reboot-pending' ? 'installed-reboot-required' : s.outcome,
    ...(s.installedAt === undefined ? {} : { installedAt: new Date(s.installedAt).toISOString() }),
    ...(s.rebootedAt === undefined ? {} : { rebootedAt: new Date(s.rebootedAt).toISOString() }),
    ...(s.error === undefined ? {} : { error: s.error }),
  };
}

/** The reason remediation gives a not-ready instance, or undefined to let the others speak. */
export function remediationReason(s: RemediationState | undefined): PendingReason | undefined {
  if (s === undefined) return undefined;
  switch (s.outcome) {
    case 'install-failed':
      return `install-failed: ${s.errorCode ?? 'unknown'}`;
    case 'reboot-failed':
      return `reboot-failed: ${s.errorCode ?? 'unknown'}`;
    case 'installed-reboot-required':
    case 'reboot-pending':
      return 'agent-installed-reboot-required';
    default:
      return undefined;
  }
}

/** A permission or credentials failure: the same answer for every instance, whatever it is. */
const DENIED_API_CODE =
  /^(?:Forbidden(?:\.|$)|NoPermission|Unauthorized|InvalidAccessKey|Signature|IncompleteSignature|InvalidSecurityToken|MissingSecurityToken)/;

/** How a failed InstallCloudAssistant call is handled. */
export type InstallErrorKind = 'per-instance' | 'denied' | 'transient';

/**
 * `denied`: permissions or credentials (`Forbidden.RAM`, `InvalidAccessKeyId.*`, …), the same for
 * any subset; `transient`: worth another attempt later (5xx, throttling, network); anything else
 * (`Operation.Forbidden` for an OS the API cannot install on, `IncorrectInstanceStatus`,
 * `InvalidInstance.NotFound`, …) is `per-instance`: one instance fails the whole request, so the
 * batch is split to find it.
 */
export function installErrorKind(error: unknown): InstallErrorKind {
  const api = apiCodeOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if ((api !== undefined && DENIED_API_CODE.test(api)) || code === 'ECS_CREDENTIALS') return 'denied';
  if (classifyError(error) === 'transient') return 'transient';
  return 'per-instance';
}

/** What {@link installIsolating} did. */
export interface IsolateResult {
  readonly installed: string[];
  readonly failed: { readonly id: string; readonly error: unknown; readonly kind: InstallErrorKind }[];
  /** Calls made. */
  readonly calls: number;
}

/**
 * Installs on `ids` (≤ 50) with one call; when it fails for a `per-instance` reason, splits the
 * batch in halves and tries each, down to single instances, so that one instance the API refuses
 * (a Red Hat image) costs its neighbours nothing. `denied` and `transient` failures are not split
 * (a subset would fail the same way): every ID of the batch gets them.
 *
 * Cost: one call, plus two per failing batch of more than one ID. With k instances refused among
 * n that is at most 1 + 2·k·ceil(log2 n) calls, and never more than 2n − 1 (property-tested).
 *
 * @example
 * const { installed, failed } = await installIsolating(ids, (batch) => ecs.installAgent(batch, { signal }));
 */
export async function installIsolating(
  ids: readonly string[],
  install: (ids: readonly string[]) => Promise<void>,
  kindOf: (error: unknown) => InstallErrorKind = installErrorKind,
  signal?: AbortSignal,
): Promise<IsolateResult> {
  const installed: string[] = [];
  const failed: { id: string; error: unknown; kind: InstallErrorKind }[] = [];
  let calls = 0;
  const go = async (list: readonly string[]): Promise<void> => {
    if (list.length === 0) return;
    signal?.throwIfAborted();
    calls++;
    try {
      await install(list);
      installed.push(...list);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const kind = kindOf(error);
      if (kind !== 'per-instance' || list.length === 1) {
        for (const id of list) failed.push({ id, error, kind });
        return;
      }
      const half = Math.ceil(list.length / 2);
      await go(list.slice(0, half));
      await go(list.slice(half));
    }
  };
  await go(ids);
  return { installed, failed, calls };
}

/**
 * What `--dry-run` says about one instance: what remediation would do once it has seen the
 * instance `Running` with no agent for `afterMs` (the time condition is not checked here).
 *
 * @example
 * dryRunAction({ instanceId: 'i-a', cloudAssistantStatus: false, cloudAssistantVersion: '' }, 'Running', true);
 * // { action: 'install-and-reboot', why: 'Running, agent never reported' }
 */
export function dryRunAction(
  status: InstanceStatus | undefined,
  instanceStatus: string | undefined,
  reboot: boolean,
): { readonly action: 'install-and-reboot' | 'install' | 'none'; readonly why: string } {
  if (status === undefined) return { action: 'none', why: 'not found' };
  if (status.cloudAssistantStatus) return { action: 'none', why: 'agent online' };
  if ((status.cloudAssistantVersion ?? '') !== '' || (status.lastHeartbeatTime ?? '') !== '')
    return { action: 'none', why: 'the agent reported before: never rebooted' };
  if (instanceStatus === undefined) return { action: 'none', why: 'instance status unknown' };
  if (instanceStatus !== 'Running') return { action: 'none', why: `instance ${instanceStatus}` };
  return reboot
    ? { action: 'install-and-reboot', why: 'Running, agent never reported' }
    : { action: 'install', why: 'Running, agent never reported (no --allow-reboot: install only)' };
}

/** What remediation needs of a region (all injected; a region without `installAgent` is skipped). */
export interface RemediationRegion {
  readonly region: string | undefined;
  readonly source: StatusSource;
  readonly installAgent: AgentInstaller | undefined;
  readonly reboot: InstanceRebooter | undefined;
}

/** Counters remediation adds to. */
export interface RemediationCounters {
  remediationCalls: number;
}

/** A pass in which every remediation tried was denied, and none ever succeeded. */
export interface RemediationDenied {
  readonly action: 'InstallCloudAssistant' | 'RebootInstances';
  readonly error: unknown;
}

/**
 * Opt-in remediation for one wait. The engine calls {@link Remediator.run} after an
 * instance-status lookup; it installs on the instances proven to lack the agent (batches of ≤ 50,
 * a refused instance isolated by {@link installIsolating}), then, with consent, re-reads their
 * agent status (an agent that came up meanwhile is never rebooted) and reboots the rest
 * (RebootInstances, ≤ 100, each instance on its own). Failures become the instance's reason;
 * only a pass in which everything was denied, with no remediation ever succeeding, is returned
 * as {@link RemediationDenied} for the wait to fail fast.
 */
export class Remediator {
  readonly #regions: readonly RemediationRegion[];
  readonly #reboot: boolean;
  readonly #concurrency: number;
  readonly #now: () => number;
  #succeeded = false;
  /** Every instance acted on, in order. */
  readonly records: RemediationState[] = [];
  readonly #instances = new Map<string, InstanceState>();

  constructor(options: {
    readonly regions: readonly RemediationRegion[];
    readonly reboot: boolean;
    readonly concurrency: number;
    readonly now: () => number;
  }) {
    this.#regions = options.regions;
    this.#reboot = options.reboot;
    this.#concurrency = options.concurrency;
    this.#now = options.now;
  }

  /**
   * Whether `state` may be remediated now: an ECS instance in a region that can install, not ready
   * nor given up on, proven by this round's lookup to have been `Running` for `afterMs` with an
   * agent that never reported (`agentMissing`), and not remediated yet (or only failed
   * transiently, fewer than {@link MAX_INSTALL_ATTEMPTS} times).
   */
  eligible(state: InstanceState, round: number): boolean {
    if (state.ready || state.unreachable || state.slot === undefined || !isEcsInstance(state.instanceId))
      return false;
    if (this.#regions[state.slot]?.installAgent === undefined) return false;
    const r = state.remediation;
    if (
      r !== undefined &&
      !(r.outcome === 'install-failed' && r.retryable && r.installAttempts < MAX_INSTALL_ATTEMPTS)
    )
      return false;
    return (
      state.agentMissing &&
      state.lifecycle === 'Running' &&
      state.lifecycleRound === round &&
      agentNeverReported(state)
    );
  }

  /** One pass: installs on the eligible `states`, then reboots (with consent) what is due. */
  async run(
    states: readonly InstanceState[],
    round: number,
    signal: AbortSignal,
    counters: RemediationCounters,
  ): Promise<{ readonly changed: RemediationState[]; readonly denied?: RemediationDenied | undefined }> {
    const changed = new Set<RemediationState>();
    const failures: { kind: InstallErrorKind; action: RemediationDenied['action']; error: unknown }[] = [];
    let passSucceeded = false;
    const bySlot = new Map<number, InstanceState[]>();
    for (const s of states) {
      if (!this.eligible(s, round)) continue;
      this.#instances.set(s.instanceId, s);
      const list = bySlot.get(s.slot!);
      if (list === undefined) bySlot.set(s.slot!, [s]);
      else list.push(s);
    }
    // Reboots left due by an earlier pass (their agent re-read failed) are tried again.
    for (const r of this.records) {
      if (r.outcome === 'reboot-pending' && !bySlot.has(r.slot)) bySlot.set(r.slot, []);
    }
    const count = (_event: AttemptEvent) => {
      counters.remediationCalls++;
    };
    const regionPass = async (slot: number, list: InstanceState[]) => {
      const region = this.#regions[slot]!;
      const install = region.installAgent!;
      for (let i = 0; i < list.length && !signal.aborted; i += INSTALL_BATCH_SIZE) {
        const batch = list.slice(i, i + INSTALL_BATCH_SIZE).map((s) => s.instanceId);
        const result = await installIsolating(
          batch,
          (ids) => this.#counted(() => install(ids, { signal, onAttempt: count }), signal, counters),
          installErrorKind,
          signal,
        ).catch(() => undefined);
        if (result === undefined) return; // aborted
        const at = this.#now();
        for (const id of result.installed) {
          const rs = this.#state(this.#instances.get(id)!);
          rs.installAttempts++;
          rs.installedAt = at;
          rs.error = undefined;
          rs.errorCode = undefined;
          rs.retryable = false;
          rs.outcome =
            this.#reboot && region.reboot !== undefined ? 'reboot-pending' : 'installed-reboot-required';
          if (rs.outcome === 'installed-reboot-required') passSucceeded = true;
          changed.add(rs);
        }
        for (const f of result.failed) {
          const rs = this.#state(this.#instances.get(f.id)!);
          rs.installAttempts++;
          rs.outcome = 'install-failed';
          rs.errorCode = safeToken(errorKey(f.error), 'Error');
          rs.error = `InstallCloudAssistant: ${rs.errorCode}`;
          rs.retryable = f.kind === 'transient';
          failures.push({ kind: f.kind, action: 'InstallCloudAssistant', error: f.error });
          changed.add(rs);
        }
      }
      if (!this.#reboot || region.reboot === undefined) return;
      const due = this.records.filter((r) => r.outcome === 'reboot-pending' && r.slot === slot);
      for (let i = 0; i < due.length && !signal.aborted; i += REBOOT_BATCH_SIZE) {
        const batch = due.slice(i, i + REBOOT_BATCH_SIZE);
        const outcome = await this.#rebootBatch(region, batch, signal, counters, count);
        if (outcome === undefined) continue;
        for (const rs of batch) changed.add(rs);
        if (outcome.ok > 0) passSucceeded = true;
        for (const f of outcome.failures) failures.push(f);
        for (const rs of batch) {
          if (rs.outcome === 'installed-and-rebooted') {
            const state = this.#instances.get(rs.instanceId)!;
            // A boot begins: the lookups' "Running since" starts again after it.
            state.runningSince = undefined;
            state.agentMissing = false;
          }
        }
      }
    };
    await Promise.all([...bySlot].map(([slot, list]) => regionPass(slot, list)));
    if (passSucceeded) this.#succeeded = true;
    let denied: RemediationDenied | undefined;
    if (!this.#succeeded && failures.length > 0 && failures.every((f) => f.kind === 'denied')) {
      denied = { action: failures[0]!.action, error: failures[0]!.error };
    }
    return { changed: [...changed], denied };
  }

  /**
   * Re-reads the agents of `batch` (an agent that came up is never rebooted), then reboots the
   * others. Undefined when the re-read failed (the reboot stays due for the next pass).
   */
  async #rebootBatch(
    region: RemediationRegion,
    batch: RemediationState[],
    signal: AbortSignal,
    counters: RemediationCounters,
    count: (e: AttemptEvent) => void,
  ): Promise<
    | { ok: number; failures: { kind: InstallErrorKind; action: 'RebootInstances'; error: unknown }[] }
    | undefined
  > {
    let statuses: readonly InstanceStatus[];
    try {
      statuses = await this.#counted(
        () =>
          region.source(
            batch.map((r) => r.instanceId),
            { signal, onAttempt: count },
          ),
        signal,
        counters,
      );
    } catch {
      return undefined;
    }
    const reported = new Set(
      (Array.isArray(statuses) ? statuses : [])
        .filter((s) => s.cloudAssistantStatus || (s.lastHeartbeatTime ?? '') !== '')
        .map((s) => s.instanceId),
    );
    const at = this.#now();
    const toReboot: RemediationState[] = [];
    let ok = 0;
    for (const rs of batch) {
      if (reported.has(rs.instanceId)) {
        rs.outcome = 'installed-agent-came-up';
        ok++;
      } else toReboot.push(rs);
    }
    if (toReboot.length === 0) return { ok, failures: [] };
    const failures: { kind: InstallErrorKind; action: 'RebootInstances'; error: unknown }[] = [];
    let results: readonly RebootResult[];
    try {
      results = await this.#counted(
        () =>
          region.reboot!(
            toReboot.map((r) => r.instanceId),
            { signal, onAttempt: count },
          ),
        signal,
        counters,
      );
    } catch (error) {
      if (signal.aborted) return undefined;
      // Not retried: a reboot request that failed on the way may still have been carried out.
      const code = safeToken(errorKey(error), 'Error');
      for (const rs of toReboot) {
        rs.outcome = 'reboot-failed';
        rs.errorCode = code;
        rs.error = `RebootInstances: ${code}`;
        failures.push({ kind: installErrorKind(error), action: 'RebootInstances', error });
      }
      return { ok, failures };
    }
    const byId = new Map((Array.isArray(results) ? results : []).map((r) => [r.instanceId, r]));
    for (const rs of toReboot) {
      const r = byId.get(rs.instanceId);
      if (r?.ok === true) {
        rs.outcome = 'installed-and-rebooted';
        rs.rebootedAt = at;
        ok++;
      } else {
        const code = r === undefined ? 'NoResult' : safeToken(r.apiCode, 'Error');
        rs.outcome = 'reboot-failed';
        rs.errorCode = code;
        rs.error = `RebootInstances: ${code}`;
        failures.push({ kind: 'per-instance', action: 'RebootInstances', error: { apiCode: code } });
      }
    }
    return { ok, failures };
  }

  /** Runs one call raced against `signal`, counting it once when it reports no attempts. */
  async #counted<T>(fn: () => Promise<T>, signal: AbortSignal, counters: RemediationCounters): Promise<T> {
    const before = counters.remediationCalls;
    let pending: Promise<T>;
    try {
      pending = Promise.resolve(fn());
    } catch (error) {
      pending = Promise.reject(error);
    }
    try {
      return await raceAbort(pending, signal);
    } finally {
      if (counters.remediationCalls === before) counters.remediationCalls++;
    }
  }

  #state(state: InstanceState): RemediationState {
    if (state.remediation === undefined) {
      state.remediation = {
        instanceId: state.instanceId,
        region: state.region,
        slot: state.slot!,
        outcome: 'install-failed',
        installedAt: undefined,
        rebootedAt: undefined,
        error: undefined,
        errorCode: undefined,
        installAttempts: 0,
        retryable: false,
      };
      this.records.push(state.remediation);
      this.#instances.set(state.instanceId, state);
    }
    return state.remediation;
  }
}
