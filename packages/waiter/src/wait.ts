import type { InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { lastValueFrom, Observable, of, type Subscription, tap } from 'rxjs';
import { apiCodeOf, codeOf, errorKey } from './classify.js';
import type { PendingInstance, PendingReason, WaitCounters } from './errors.js';
import {
  CloudAssistantTimeoutError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  RemediationError,
  SourceUnreachableError,
  StatusSourceError,
} from './errors.js';
import { DEFAULT_AGENT_GRACE_MS, FINAL_LOOKUP_TIMEOUT_MS, InstanceChecks } from './instance-check.js';
import { nextRoundCalls, pollRegions, type RegionSlot } from './locate.js';
import { pollLoop, type RoundStep } from './loop.js';
import { type ResolvedOptions, resolveOptions, type WaitForCloudAssistantOptions } from './options.js';
import {
  FatalSourceFailure,
  type MutableCounters,
  newCounters,
  newHealth,
  type PollContext,
  type RoundSink,
  type SourceHealth,
} from './poll.js';
import { evaluateReading } from './readiness.js';
import type { OpenedRegions } from './region-clients.js';
import { type RemediationState, Remediator, toRecord } from './remediate.js';
import {
  buildReport,
  type InstanceState,
  newInstanceState,
  type ReadinessProgress,
  type ReadinessReport,
  toPending,
} from './report.js';
import { nextAttempt, pacedDelay, planNextPoll } from './schedule.js';
import { type InstanceRef, type InstanceTarget, parseInstanceTargets, regionsOf } from './targets.js';

/** The region of a wait over an empty list: nothing is ever asked. */
const NO_CLIENT = {
  region: undefined,
  source: (async () => []) as StatusSource,
  endpoint: undefined,
  instanceStatus: undefined,
  installAgent: undefined,
  reboot: undefined,
} as const;

/** The reason in-flight calls are aborted with when the deadline passes (internal). */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

/** The low-level code of an error (`ECONNREFUSED`), from core's `causeCode` field. */
const causeCodeOf = (error: unknown): string | undefined => {
  const value =
    typeof error === 'object' && error !== null ? (error as { causeCode?: unknown }).causeCode : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The reason of an instance that got no answer in the round a fatal error ended. */
const NO_RESPONSE_BEFORE_FAILURE = 'errors: no response before the wait failed' as const;

/**
 * One poll context per region. Its source is already paced by the region's request budget (see
 * `region-clients.ts`): the waiter has no limiter. Each region has its own health, so a wait can
 * tell which regions' endpoints never answered.
 */
function pollContext(
  source: StatusSource,
  opts: ResolvedOptions,
  counters: MutableCounters,
  health: SourceHealth,
): PollContext {
  return {
    source,
    concurrency: opts.concurrency,
    counters,
    now: opts.now,
    maxBisectionCallsPerRound: opts.maxBisectionCallsPerRound,
    health,
  };
}

/** The state of one subscription, i.e. one wait. */
class WaitRun implements RoundSink<InstanceState> {
  readonly #opts: ResolvedOptions;
  readonly #states: InstanceState[];
  /** The states still polled (not ready, not given up on), in input order; shrinks as rounds go. */
  #active: InstanceState[];
  readonly #counters: MutableCounters = newCounters();
  /** Calls that are not DescribeCloudAssistantStatus polls. */
  readonly #extra = { instanceStatusCalls: 0, remediationCalls: 0 };
  /** One per region, in the order bare IDs are located. */
  readonly #slots: RegionSlot[];
  readonly #regionNames: string[];
  readonly #checks: InstanceChecks;
  readonly #remediator: Remediator | undefined;
  readonly #signal: AbortSignal;
  /** Aborted by a cancel, not by the deadline: the end-of-wait lookup runs past the deadline. */
  readonly #lookupSignal: AbortSignal;
  readonly startedAt: number;
  readonly deadline: number;
  deadlineReached = false;
  #round = 0;
  #attempt = 0;
  #finalRound = false;
  #readyCount = 0;
  /** Not ready and the last reading said not found. */
  #notFoundCount = 0;
  #unreachableCount = 0;
  // What the current round learned, filled in by the sink methods as responses arrive.
  #newlyReady: InstanceState[] = [];
  #remediated: RemediationState[] = [];
  #progressed = false;

  constructor(
    targets: readonly InstanceTarget[],
    opts: ResolvedOptions,
    opened: OpenedRegions,
    signal: AbortSignal,
    lookupSignal: AbortSignal,
  ) {
    this.#opts = opts;
    this.#signal = signal;
    this.#lookupSignal = lookupSignal;
    const clients = opened.clients;
    this.#slots = clients.map((c) => ({
      name: c.region,
      endpoint: c.endpoint,
      ctx: pollContext(c.source, opts, this.#counters, newHealth()),
      separateSuspects: false,
      asked: false,
    }));
    this.#regionNames = clients.flatMap((c) => (c.region === undefined ? [] : [c.region]));
    const slotOf = new Map(clients.map((c, i) => [c.region, i]));
    this.#states = targets.map((t, i) => {
      const state = newInstanceState(t.instanceId, i);
      // One region: every ID is in it. Several: an ID with its region goes there, a bare one is located.
      state.slot = clients.length === 1 ? 0 : t.region === undefined ? undefined : slotOf.get(t.region);
      state.region = state.slot === undefined ? undefined : (clients[state.slot]!.region ?? t.region);
      return state;
    });
    this.#active = this.#states;
    this.startedAt = opts.now();
    this.deadline = this.startedAt + opts.timeoutMs;
    const remediate = opts.remediate;
    this.#checks = new InstanceChecks({
      regions: clients,
      active: opts.stoppedInstances === 'fail' || remediate !== undefined,
      graceMs: remediate?.afterMs ?? DEFAULT_AGENT_GRACE_MS,
      concurrency: opts.concurrency,
      now: opts.now,
      startedAt: this.startedAt,
    });
    this.#remediator =
      remediate === undefined
        ? undefined
        : new Remediator({
            regions: clients,
            reboot: remediate.reboot,
            concurrency: opts.concurrency,
            now: opts.now,
          });
  }

  /**
   * True once the API of any region has answered a call of this wait (see {@link SourceHealth}).
   * One region answering proves the setup (credentials, network) can work: a region whose
   * endpoint stays silent then shows as its instances' `errors: …` reasons and the last error,
   * never as a fail-fast of the whole wait.
   */
  get answered(): boolean {
    return this.#slots.some((slot) => slot.ctx.health?.answered === true);
  }

  /**
   * The error a wait ends with when no region's API answered within `firstAnswerTimeoutMs`: it
   * names every region that was asked (with its endpoint), and the latest failure of any of them.
   */
  unreachableError(): SourceUnreachableError {
    const now = this.#opts.now();
    const asked = this.#slots.filter((slot) => slot.asked);
    const silent = asked.length === 0 ? this.#slots : asked;
    let latest: SourceHealth | undefined;
    let failedCalls = 0;
    for (const slot of silent) {
      const health = slot.ctx.health;
      if (health === undefined) continue;
      failedCalls += health.failedCalls;
      if (health.lastError !== undefined && (latest === undefined || health.lastErrorAt > latest.lastErrorAt))
        latest = health;
    }
    const last = latest?.lastError;
    return new SourceUnreachableError(last, {
      firstAnswerTimeoutMs: this.#opts.firstAnswerTimeoutMs,
      lastErrorCode: last === undefined ? undefined : errorKey(last),
      lastErrorCauseCode: causeCodeOf(last),
      endpoint: silent.length === 1 ? silent[0]!.endpoint : undefined,
      regions: silent.map((slot) => ({ region: slot.name, endpoint: slot.endpoint })),
      failedCalls,
      ready: this.#readyIds(),
      pending: this.#pending(NO_RESPONSE_BEFORE_FAILURE),
      required: this.#opts.required,
      counters: this.#snapshot(now),
    });
  }

  #snapshot(now: number): WaitCounters {
    const c = this.#counters;
    return {
      elapsedMs: now - this.startedAt,
      rounds: this.#round,
      apiCalls: c.apiCalls,
      retries: c.retries,
      bisectionCalls: c.bisectionCalls,
      throttledCalls: c.throttledCalls,
      errors: { ...c.errors },
      instanceStatusCalls: this.#extra.instanceStatusCalls,
      remediationCalls: this.#extra.remediationCalls,
    };
  }

  #report(now: number): ReadinessReport {
    return buildReport(this.#states, this.#snapshot(now), {
      startedAt: this.startedAt,
      required: this.#opts.required,
      regions: this.#regionNames,
      remediations: (this.#remediator?.records ?? []).map(toRecord),
    });
  }

  /** The single event of a wait over an empty list. */
  emptyProgress(): ReadinessProgress {
    const now = this.#opts.now();
    return {
      round: 0,
      total: 0,
      required: 0,
      readyCount: 0,
      pendingCount: 0,
      notFoundCount: 0,
      newlyReady: [],
      newlyReadyInstances: [],
      remediated: [],
      polled: 0,
      suspects: 0,
      batchCalls: 0,
      nextDelayMs: undefined,
      finalRoundNext: false,
      elapsedMs: now - this.startedAt,
      apiCalls: 0,
      done: true,
      report: this.#report(now),
    };
  }

  // RoundSink: each response is written into the instances' state as it arrives, so `readyAt` is
  // when the reading that made an instance ready arrived, not the end of its round.

  status(state: InstanceState, status: InstanceStatus, at: number): void {
    const opts = this.#opts;
    if (state.ready) return;
    if (state.notFound) {
      this.#progressed = true;
      this.#notFoundCount--;
    }
    state.status = status;
    state.notFound = false;
    state.suspect = false;
    state.readRound = this.#round;
    if (state.errors.size > 0) state.errors.clear();
    let verdict: ReturnType<typeof evaluateReading>;
    try {
      verdict = evaluateReading(status, opts.readiness, at, state.everOnline);
    } catch (error) {
      // Only a custom predicate can throw: a bug in it, which waiting cannot fix.
      throw new ReadinessPredicateError(state.instanceId, error);
    }
    if (status.cloudAssistantStatus === true) state.everOnline = true;
    if (verdict.ok) {
      state.streak++;
      this.#progressed = true;
      if (state.streak >= opts.consecutive) {
        state.ready = true;
        state.readyAt = at;
        state.unmet = undefined;
        this.#readyCount++;
        this.#newlyReady.push(state);
      } else {
        state.unmet = `readiness-unmet: ${state.streak} of ${opts.consecutive} consecutive ready readings`;
      }
    } else {
      state.streak = 0;
      state.unmet = verdict.reason;
    }
  }

  missing(state: InstanceState, at: number): void {
    if (state.ready) return;
    if (!state.notFound) this.#notFoundCount++;
    state.notFound = true;
    state.suspect = false;
    state.readRound = this.#round;
    state.streak = 0;
    if (
      !state.unreachable &&
      (this.#opts.notFound === 'fail' || at - this.startedAt >= this.#opts.notFoundGraceMs)
    ) {
      state.unreachable = true;
      this.#unreachableCount++;
    }
  }

  error(state: InstanceState, key: string): void {
    state.errors.set(key, (state.errors.get(key) ?? 0) + 1);
  }

  deferred(state: InstanceState, key: string): void {
    state.suspect = true;
    this.error(state, key);
  }

  async runRound(): Promise<RoundStep<ReadinessProgress>> {
    const opts = this.#opts;
    this.#round++;
    this.#newlyReady = [];
    this.#remediated = [];
    this.#progressed = false;
    const polling: InstanceState[] = [];
    for (const s of this.#active) if (!s.ready && !s.unreachable) polling.push(s);
    this.#active = polling;
    // Per region (see pollRegions): once its API has answered a batch with NotFound, IDs the last
    // reading said it does not know (and IDs a round had no budget left to locate) are polled in
    // batches of their own, so a missing ID never makes a batch of known IDs fail (and be
    // bisected) round after round; least recently read first, so that when there are more
    // suspects than the round's bisection budget can walk, the budget goes round them. An API that
    // just leaves unknown IDs out of its answer costs nothing extra: they stay packed with the
    // others. Bare IDs of a multi-region wait are located in the same round.
    const result = await pollRegions(this.#slots, polling, this.#signal, this);
    const shape = { polled: polling.length, suspects: result.suspects };
    if (result.failure !== undefined) {
      const now = opts.now();
      const failure = result.failure;
      if (!(failure instanceof FatalSourceFailure)) {
        // A readiness predicate that threw: waiting cannot fix it. Anything else is a bug.
        if (!(failure instanceof ReadinessPredicateError)) throw failure;
        return {
          value: this.#progress(now, shape, result.batchCalls, undefined, false),
          next: 'fail',
          error: new ReadinessPredicateError(failure.instanceId, failure.cause, {
            ready: this.#readyIds(),
            pending: this.#pending(NO_RESPONSE_BEFORE_FAILURE),
            required: opts.required,
            counters: this.#snapshot(now),
          }),
        };
      }
      const cause = failure.error;
      return {
        value: this.#progress(now, shape, result.batchCalls, undefined, false),
        next: 'fail',
        error: new StatusSourceError(cause, {
          apiCode: apiCodeOf(cause),
          causeCode: codeOf(cause),
          ready: this.#readyIds(),
          pending: this.#pending(NO_RESPONSE_BEFORE_FAILURE),
          required: opts.required,
          counters: this.#snapshot(now),
        }),
      };
    }
    let now = opts.now();
    const progressed = this.#progressed;
    const readyCount = this.#readyCount;
    if (readyCount >= opts.required) {
      return {
        value: this.#progress(now, shape, result.batchCalls, undefined, true),
        next: 'done',
      };
    }
    // Instance-status lookups (and remediation after them) when due: see InstanceChecks.
    if (!this.deadlineReached && this.#checks.due(now)) {
      const denied = await this.#checkInstances();
      now = opts.now();
      if (denied !== undefined) {
        return {
          value: this.#progress(now, shape, result.batchCalls, undefined, false),
          next: 'fail',
          error: new RemediationError(denied.error, {
            action: denied.action,
            apiCode: apiCodeOf(denied.error),
            causeCode: codeOf(denied.error),
            ready: this.#readyIds(),
            pending: this.#pending(),
            required: opts.required,
            counters: this.#snapshot(now),
          }),
        };
      }
    }
    if (readyCount + (this.#states.length - readyCount - this.#unreachableCount) < opts.required) {
      await this.#finalLookup();
      now = opts.now();
      const unreachable: PendingInstance[] = [];
      const stillPossible: PendingInstance[] = [];
      for (const s of this.#states) {
        if (!s.ready) (s.unreachable ? unreachable : stillPossible).push(toPending(s));
      }
      return {
        value: this.#progress(now, shape, result.batchCalls, undefined, false),
        next: 'fail',
        error: new QuorumUnreachableError({
          unreachable,
          pending: stillPossible,
          ready: this.#readyIds(),
          required: opts.required,
          counters: this.#snapshot(now),
        }),
      };
    }
    this.#attempt = nextAttempt(this.#attempt, progressed);
    const plan =
      this.#finalRound || this.deadlineReached
        ? ({ kind: 'timeout' } as const)
        : planNextPoll({
            now,
            deadline: this.deadline,
            delayMs: pacedDelay({
              attempt: this.#attempt,
              minDelayMs: opts.minDelayMs,
              maxDelayMs: opts.maxDelayMs,
              random: opts.random,
              nextRoundCalls: this.#nextRoundCalls(),
              pollCostMs: opts.pollCostMs,
            }),
            minDelayMs: opts.minDelayMs,
            maxDelayMs: opts.maxDelayMs,
          });
    if (plan.kind === 'timeout') {
      await this.#finalLookup();
      now = opts.now();
      return {
        value: this.#progress(now, shape, result.batchCalls, undefined, false),
        next: 'fail',
        error: new CloudAssistantTimeoutError({
          pending: this.#pending(),
          ready: this.#readyIds(),
          required: opts.required,
          timeoutMs: opts.timeoutMs,
          counters: this.#snapshot(now),
        }),
      };
    }
    this.#finalRound = plan.final;
    return {
      value: this.#progress(now, shape, result.batchCalls, plan.delayMs, false),
      next: 'again',
      delayMs: plan.delayMs,
    };
  }

  /** Batch calls the next round will send in its busiest region (bisection aside). */
  #nextRoundCalls(): number {
    return nextRoundCalls(this.#slots, this.#active);
  }

  /**
   * A lookup of the instances whose agent is not online (DescribeInstanceStatus), then with
   * `stoppedInstances: 'fail'` giving up on the `Stopped` ones, and with `remediate` a
   * remediation pass. Returns a denial that must fail the wait, if any.
   */
  async #checkInstances(): Promise<{ action: string; error: unknown } | undefined> {
    const round = this.#round;
    const answered = await this.#checks.lookup(
      this.#checks.candidates(this.#active, false),
      round,
      this.#signal,
      this.#extra,
    );
    if (this.#opts.stoppedInstances === 'fail') {
      for (const s of answered) {
        if (s.lifecycle === 'Stopped' && !s.ready && !s.unreachable) {
          s.unreachable = true;
          this.#unreachableCount++;
        }
      }
    }
    if (this.#remediator === undefined || this.#signal.aborted) return undefined;
    const pass = await this.#remediator.run(this.#active, round, this.#signal, this.#extra);
    this.#remediated.push(...pass.changed);
    return pass.denied;
  }

  /**
   * The end-of-wait lookup (timeout, quorum unreachable): the lifecycle status of every instance
   * not ready, so the error says `instance-stopped` rather than `agent-offline`. Once, at most
   * {@link FINAL_LOOKUP_TIMEOUT_MS} (a cancel ends it at once), and whatever happens it cannot
   * change the outcome.
   */
  async #finalLookup(): Promise<void> {
    if (!this.#checks.available || this.#lookupSignal.aborted) return;
    const round = this.#round;
    const states = this.#checks.candidates(this.#states, true).filter((s) => s.lifecycleRound !== round);
    if (states.length === 0) return;
    const bound = new AbortController();
    const onAbort = () => bound.abort(this.#lookupSignal.reason);
    this.#lookupSignal.addEventListener('abort', onAbort, { once: true });
    const timer = this.#opts.scheduler.schedule(
      () => bound.abort(new Error('The end-of-wait instance-status lookup took too long.')),
      FINAL_LOOKUP_TIMEOUT_MS,
    );
    try {
      await this.#checks.lookup(states, round, bound.signal, this.#extra);
    } finally {
      timer.unsubscribe();
      this.#lookupSignal.removeEventListener('abort', onAbort);
    }
  }

  #readyIds(): string[] {
    const ready: string[] = [];
    for (const s of this.#states) if (s.ready) ready.push(s.instanceId);
    return ready;
  }

  #pending(noResponse?: PendingReason): PendingInstance[] {
    const pending: PendingInstance[] = [];
    for (const s of this.#states) if (!s.ready) pending.push(toPending(s, noResponse));
    return pending;
  }

  #progress(
    now: number,
    shape: { readonly polled: number; readonly suspects: number },
    batchCalls: number,
    nextDelayMs: number | undefined,
    done: boolean,
  ): ReadinessProgress {
    // Responses arrive in any order; newlyReady is in input order.
    const newly = this.#newlyReady;
    newly.sort((a, b) => a.index - b.index);
    const readyCount = this.#readyCount;
    const notFoundCount = this.#notFoundCount;
    return {
      round: this.#round,
      total: this.#states.length,
      required: this.#opts.required,
      readyCount,
      pendingCount: this.#states.length - readyCount - notFoundCount,
      notFoundCount,
      newlyReady: newly.map((s) => s.instanceId),
      newlyReadyInstances: newly.map((s) =>
        s.region === undefined
          ? { instanceId: s.instanceId }
          : { instanceId: s.instanceId, region: s.region },
      ),
      remediated: this.#remediated.map(toRecord),
      polled: shape.polled,
      suspects: shape.suspects,
      batchCalls,
      nextDelayMs,
      finalRoundNext: nextDelayMs !== undefined && this.#finalRound,
      elapsedMs: now - this.startedAt,
      apiCalls: this.#counters.apiCalls,
      done,
      report: done ? this.#report(now) : undefined,
    };
  }
}

/**
 * Watches Cloud Assistant readiness on a fleet: one {@link ReadinessProgress} per polling round,
 * the last one (`done: true`) carrying the {@link ReadinessReport}. Cold: each subscription is one
 * wait. It errors with {@link CloudAssistantTimeoutError}, {@link QuorumUnreachableError},
 * {@link StatusSourceError} or `signal.reason`. Unsubscribing aborts in-flight calls and clears
 * every timer and listener, like aborting the signal.
 *
 * IDs and options are validated when this is called (not on subscribe): it throws
 * {@link InvalidInstanceIdError}, `TypeError` or `RangeError`.
 *
 * @example
 * watchCloudAssistant(ids, { client }).subscribe({
 *   next: (p) => console.log(`round ${p.round}: ${p.readyCount}/${p.total} ready`),
 *   error: (e) => console.error(e.message),
 * });
 */
export function watchCloudAssistant(
  instanceIds: Iterable<InstanceRef>,
  options?: WaitForCloudAssistantOptions,
): Observable<ReadinessProgress> {
  const targets = parseInstanceTargets(instanceIds);
  const opts = resolveOptions(options, targets.length, {
    idRegions: regionsOf(targets),
    hasBareIds: targets.some((t) => t.region === undefined),
  });
  return new Observable<ReadinessProgress>((subscriber) => {
    const { signal, scheduler } = opts;
    if (signal?.aborted) {
      subscriber.error(signal.reason);
      return;
    }
    const calls = new AbortController();
    // Cancels the end-of-wait lookup, which the deadline does not (it runs after it).
    const lookups = new AbortController();
    // An empty list needs no client at all.
    const opened = targets.length === 0 ? undefined : opts.open();
    const run = new WaitRun(
      targets,
      opts,
      opened ?? { clients: [{ ...NO_CLIENT }], close: undefined },
      calls.signal,
      lookups.signal,
    );
    let deadlineTimer: Subscription | undefined;
    if (targets.length > 0) {
      deadlineTimer = scheduler.schedule(() => {
        run.deadlineReached = true;
        calls.abort(new DeadlineReached('The wait reached its deadline.'));
      }, opts.timeoutMs);
    }
    // Fail fast on a broken setup: no answer at all within firstAnswerTimeoutMs. Only scheduled
    // when it can fire before the deadline; cleared on teardown like every other timer.
    let firstAnswerTimer: Subscription | undefined;
    if (targets.length > 0 && opts.firstAnswerTimeoutMs < opts.timeoutMs) {
      firstAnswerTimer = scheduler.schedule(() => {
        if (run.answered) return;
        const error = run.unreachableError();
        calls.abort(error);
        subscriber.error(error);
      }, opts.firstAnswerTimeoutMs);
    }
    const onAbort = () => {
      calls.abort(signal?.reason);
      lookups.abort(signal?.reason);
      subscriber.error(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = targets.length === 0 ? of(run.emptyProgress()) : pollLoop(() => run.runRound(), scheduler);
    const inner = source.pipe(tap((progress) => opts.onProgress?.(progress))).subscribe(subscriber);
    return () => {
      signal?.removeEventListener('abort', onAbort);
      deadlineTimer?.unsubscribe();
      firstAnswerTimer?.unsubscribe();
      inner.unsubscribe();
      // Unsubscribed mid-wait (or settled): make sure nothing keeps running.
      if (!calls.signal.aborted) calls.abort();
      if (!lookups.signal.aborted) lookups.abort();
      // A client the wait created (from `region`) is the wait's to close; errors closing it
      // cannot change the outcome.
      opened?.close?.().catch(() => {});
    };
  });
}

/**
 * Resolves when Cloud Assistant is ready on the instances (all of them, or `minReady`), with a
 * {@link ReadinessReport}; rejects with {@link CloudAssistantTimeoutError} (every pending ID with
 * its reason), {@link QuorumUnreachableError}, {@link StatusSourceError} (a permanent API error
 * as `cause`), {@link InvalidInstanceIdError}, a `TypeError`/`RangeError` for bad options, or
 * `signal.reason` when cancelled. An empty list resolves at once.
 *
 * Without options (or with neither `client` nor `region`) it polls the region in
 * `ALIBABA_CLOUD_REGION_ID` with credentials from core's default chain, and throws a `TypeError`
 * when that variable is not set.
 *
 * @example
 * const report = await waitForCloudAssistant(ids); // ALIBABA_CLOUD_REGION_ID=cn-hangzhou
 *
 * @example
 * const client = createEcsClient({ region: 'cn-hangzhou' });
 * const report = await waitForCloudAssistant(['i-bp1iudwa5b1tqa0abcde'], { client });
 * await client.call('RunCommand', { RegionId: 'cn-hangzhou', InstanceId: report.ready, ... });
 */
export function waitForCloudAssistant(
  instanceIds: Iterable<InstanceRef>,
  options?: WaitForCloudAssistantOptions,
): Promise<ReadinessReport> {
  let watch: Observable<ReadinessProgress>;
  try {
    watch = watchCloudAssistant(instanceIds, options);
  } catch (error) {
    return Promise.reject(error);
  }
  return lastValueFrom(watch).then((progress) => progress.report!);
}
