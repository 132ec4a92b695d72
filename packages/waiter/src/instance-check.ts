import type { AttemptEvent, EcsInstanceStatus, InstanceStatusLookup } from '@cloud-assistant-gate/core';
import type { SchedulerLike } from 'rxjs';
import { classifyError, errorKey } from './classify.js';
import type { PendingReason } from './errors.js';
import type { InstanceState } from './report.js';
import { raceAbort } from './timers.js';

/** DescribeInstanceStatus takes up to 100 IDs per call (paged by 50 inside a core client). */
export const LOOKUP_BATCH_SIZE = 100;

/**
 * How long agents may stay silent on a `Running` instance before the lookups call the agent
 * missing (and remediation may act), when `remediate.afterMs` does not say: the one minute the
 * official automation (OOS `ACS::ECS::InstallCloudAssistant`) waits before installing.
 */
export const DEFAULT_AGENT_GRACE_MS = 60_000;

/** The longest a wait spends on its end-of-wait lookup, past the outcome being decided. */
export const FINAL_LOOKUP_TIMEOUT_MS = 3_000;

/** Lookups while the wait runs, when something needs them, at most this often. */
export const MAX_LOOKUP_INTERVAL_MS = 30_000;

const LIFECYCLE_REASON: Readonly<Record<string, PendingReason>> = {
  Stopped: 'instance-stopped',
  Stopping: 'instance-stopping',
  Starting: 'instance-starting',
  Pending: 'instance-starting',
};

/**
 * The reason an instance-status lookup gives for a not-ready instance, or undefined to keep the
 * agent's reason. Pure.
 *
 * - Not `Running`: `instance-stopped`, `instance-stopping`, `instance-starting` (`Pending` too),
 *   else `instance-not-running`: the agent cannot be up, whatever it said last.
 * - `Running` with an agent never seen online in the wait (`base` is `not-installed` or
 *   `no-heartbeat-yet`): `agent-offline` when a heartbeat time shows it reported before the wait;
 *   `not-installed` only with proof (`agentMissing`: `Running` for the agent grace while the agent
 *   never reported), else `no-heartbeat-yet`: an agent that has not started yet looks the same.
 * - Otherwise (agent offline after being online, readiness unmet, errors): undefined.
 *
 * @example
 * lifecycleReason({ lifecycle: 'Stopped', base: 'agent-offline', agentMissing: false }); // 'instance-stopped'
 */
export function lifecycleReason(input: {
  readonly lifecycle: string | undefined;
  readonly base: PendingReason | undefined;
  readonly agentMissing: boolean;
  /** The last reading carries a `LastHeartbeatTime`: the agent reported once, before the wait. */
  readonly heartbeatSeen?: boolean | undefined;
}): PendingReason | undefined {
  const { lifecycle, base } = input;
  if (lifecycle === undefined) return undefined;
  if (lifecycle !== 'Running') return LIFECYCLE_REASON[lifecycle] ?? 'instance-not-running';
  if (base === 'not-installed' || base === 'no-heartbeat-yet') {
    if (input.heartbeatSeen === true) return 'agent-offline';
    return input.agentMissing ? 'not-installed' : 'no-heartbeat-yet';
  }
  return undefined;
}

/** True when the agent of this instance never reported in this wait: no online reading, version or heartbeat. */
export function agentNeverReported(state: InstanceState): boolean {
  const s = state.status;
  return (
    !state.everOnline &&
    s !== undefined &&
    !s.cloudAssistantStatus &&
    (s.cloudAssistantVersion ?? '') === '' &&
    (s.lastHeartbeatTime ?? '') === ''
  );
}

/**
 * A word from the API (a lifecycle `Status`, an error code) as the wait keeps and shows it:
 * letters, digits, dots, dashes and underscores, else `fallback`, so that nothing an API or a
 * custom capability returns can reach a report or a terminal raw.
 */
export function safeToken(value: unknown, fallback = 'Unknown'): string {
  return typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(value) ? value : fallback;
}

/** Managed instances (`mi-`) are not ECS instances: no lifecycle status, no InstallCloudAssistant. */
export const isEcsInstance = (id: string): boolean => id.startsWith('i-');

/** What the lookups need of a region. */
export interface LookupRegion {
  readonly instanceStatus: InstanceStatusLookup | undefined;
}

/** Counters a lookup adds to. */
export interface LookupCounters {
  instanceStatusCalls: number;
}

/**
 * The instance-status lookups of one wait: which instances to look up, when, and what the answers
 * mean. A lookup never fails the wait: a failed call leaves its instances as they were, and a
 * permanent error (no `ecs:DescribeInstanceStatus` permission, …) turns lookups off for that
 * region for the rest of the wait. Errors are counted in {@link InstanceChecks.errors}.
 *
 * When (see {@link InstanceChecks.due}): with `active` (`stoppedInstances: 'fail'` or
 * remediation) after the first round and then every `intervalMs`; otherwise once, `graceMs` into
 * the wait, for instances whose agent never reported (so that the end-of-wait lookup can prove an
 * agent missing), and once at the end of a wait that failed.
 */
export class InstanceChecks {
  readonly #regions: readonly LookupRegion[];
  readonly #active: boolean;
  readonly #intervalMs: number;
  readonly #graceMs: number;
  readonly #concurrency: number;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #off = new Set<number>();
  #lastAt: number | undefined;
  /** Lookup failures, by API code or error code. */
  readonly errors: Record<string, number> = {};

  constructor(options: {
    readonly regions: readonly LookupRegion[];
    readonly active: boolean;
    readonly graceMs: number;
    readonly concurrency: number;
    readonly now: () => number;
    readonly startedAt: number;
  }) {
    this.#regions = options.regions;
    this.#active = options.active;
    this.#graceMs = options.graceMs;
    this.#intervalMs = Math.min(MAX_LOOKUP_INTERVAL_MS, Math.max(1, options.graceMs / 2));
    this.#concurrency = options.concurrency;
    this.#now = options.now;
    this.#startedAt = options.startedAt;
  }

  /** Whether any region can be looked up at all. */
  get available(): boolean {
    return this.#regions.some((r, i) => r.instanceStatus !== undefined && !this.#off.has(i));
  }

  /** Whether a lookup is due after a round that ended at `now`. */
  due(now: number): boolean {
    if (!this.available) return false;
    if (this.#active) return this.#lastAt === undefined || now - this.#lastAt >= this.#intervalMs;
    return this.#lastAt === undefined && now - this.#startedAt >= this.#graceMs;
  }

  /**
   * Who a lookup asks about: located ECS instances that are not ready and not given up on, whose
   * last reading says the agent is not online; without `active`, only those whose agent never
   * reported. `final` (the end of a failed wait): every located ECS instance not ready.
   */
  candidates(states: readonly InstanceState[], final: boolean): InstanceState[] {
    const out: InstanceState[] = [];
    for (const s of states) {
      if (s.ready || s.slot === undefined || !isEcsInstance(s.instanceId)) continue;
      if (final) {
        out.push(s);
        continue;
      }
      if (s.unreachable || s.status === undefined || s.status.cloudAssistantStatus) continue;
      if (this.#active || agentNeverReported(s)) out.push(s);
    }
    return out;
  }

  /**
   * Looks up `states` (batches of ≤ 100 per region, `concurrency` in flight per region, regions
   * in parallel) and records what the answers say in each state: `lifecycle`, `lifecycleRound`,
   * `runningSince` and `agentMissing`. Resolves when every call settled or `signal` aborted;
   * never rejects. Returns the states that got an answer.
   */
  async lookup(
    states: readonly InstanceState[],
    round: number,
    signal: AbortSignal,
    counters: LookupCounters,
  ): Promise<InstanceState[]> {
    this.#lastAt = this.#now();
    const bySlot = new Map<number, InstanceState[]>();
    for (const s of states) {
      if (
        s.slot === undefined ||
        this.#off.has(s.slot) ||
        this.#regions[s.slot]?.instanceStatus === undefined
      )
        continue;
      const list = bySlot.get(s.slot);
      if (list === undefined) bySlot.set(s.slot, [s]);
      else list.push(s);
    }
    const answered: InstanceState[] = [];
    const lookupRegion = async (slot: number, list: InstanceState[]) => {
      const lookup = this.#regions[slot]!.instanceStatus!;
      const batches: InstanceState[][] = [];
      for (let i = 0; i < list.length; i += LOOKUP_BATCH_SIZE)
        batches.push(list.slice(i, i + LOOKUP_BATCH_SIZE));
      let next = 0;
      const worker = async () => {
        while (next < batches.length && !signal.aborted && !this.#off.has(slot)) {
          const batch = batches[next++]!;
          const result = await this.#call(lookup, batch, signal, counters);
          if (result === 'off') this.#off.add(slot);
          if (result === 'off' || result === 'skip') continue;
          const at = this.#now();
          const byId = new Map<string, string>();
          for (const item of result) byId.set(item.instanceId, item.status);
          for (const s of batch) {
            record(s, byId.get(s.instanceId), at, round, this.#graceMs);
            answered.push(s);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.#concurrency, batches.length) }, worker));
    };
    await Promise.all([...bySlot].map(([slot, list]) => lookupRegion(slot, list)));
    return answered;
  }

  /**
   * The end-of-wait lookup (timeout, quorum unreachable): the lifecycle status of every instance
   * not ready that this round's lookup did not answer for, so the error says `instance-stopped`
   * rather than `agent-offline`. Once, at most {@link FINAL_LOOKUP_TIMEOUT_MS} on `scheduler`;
   * `signal` (a cancel, not the deadline: this runs after it) ends it at once. Whatever happens,
   * it cannot change the outcome.
   */
  async finalLookup(
    states: readonly InstanceState[],
    round: number,
    signal: AbortSignal,
    scheduler: SchedulerLike,
    counters: LookupCounters,
  ): Promise<void> {
    if (!this.available || signal.aborted) return;
    const asked = this.candidates(states, true).filter((s) => s.lifecycleRound !== round);
    if (asked.length === 0) return;
    const bound = new AbortController();
    const onAbort = () => bound.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = scheduler.schedule(
      () => bound.abort(new Error('The end-of-wait instance-status lookup took too long.')),
      FINAL_LOOKUP_TIMEOUT_MS,
    );
    try {
      await this.lookup(asked, round, bound.signal, counters);
    } finally {
      timer.unsubscribe();
      signal.removeEventListener('abort', onAbort);
    }
  }

  async #call(
    lookup: InstanceStatusLookup,
    batch: readonly InstanceState[],
    signal: AbortSignal,
    counters: LookupCounters,
  ): Promise<readonly EcsInstanceStatus[] | 'skip' | 'off'> {
    let attempts = 0;
    const onAttempt = (_event: AttemptEvent) => {
      attempts++;
      counters.instanceStatusCalls++;
    };
    try {
      let pending: Promise<readonly EcsInstanceStatus[]>;
      try {
        pending = Promise.resolve(
          lookup(
            batch.map((s) => s.instanceId),
            { signal, onAttempt },
          ),
        );
      } catch (error) {
        pending = Promise.reject(error);
      }
      const items = await raceAbort(pending, signal);
      if (attempts === 0) counters.instanceStatusCalls++;
      if (!Array.isArray(items)) return 'skip';
      const out: EcsInstanceStatus[] = [];
      for (const i of items as unknown[]) {
        if (typeof i !== 'object' || i === null) continue;
        const { instanceId, status } = i as { instanceId?: unknown; status?: unknown };
        if (typeof instanceId === 'string') out.push({ instanceId, status: safeToken(status) });
      }
      return out;
    } catch (error) {
      if (attempts === 0) counters.instanceStatusCalls++;
      if (signal.aborted) return 'skip';
      const key = errorKey(error);
      this.errors[key] = (this.errors[key] ?? 0) + 1;
      // Permissions, credentials, parameters: asking again will not help. Anything else may.
      return classifyError(error) === 'fatal' ? 'off' : 'skip';
    }
  }
}

/** Writes one answer (or its absence: not listed) into the state. */
function record(
  s: InstanceState,
  status: string | undefined,
  at: number,
  round: number,
  graceMs: number,
): void {
  if (status === 'Running') {
    if (s.lifecycle !== 'Running' || s.runningSince === undefined) s.runningSince = at;
  } else {
    s.runningSince = undefined;
  }
  s.lifecycle = status;
  s.lifecycleRound = round;
  s.agentMissing =
    status === 'Running' &&
    s.runningSince !== undefined &&
    at - s.runningSince >= graceMs &&
    agentNeverReported(s);
}
