import type { InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { lastValueFrom, Observable, of, type Subscription, tap } from 'rxjs';
import { MAX_BATCH_SIZE } from './batch.js';
import { apiCodeOf, codeOf, errorKey } from './classify.js';
import type { PendingInstance, PendingReason, WaitCounters } from './errors.js';
import {
  CloudAssistantTimeoutError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  SourceUnreachableError,
  StatusSourceError,
} from './errors.js';
import { parseInstanceIds } from './ids.js';
import { pollLoop, type RoundStep } from './loop.js';
import { type ResolvedOptions, resolveOptions, type WaitForCloudAssistantOptions } from './options.js';
import {
  FatalSourceFailure,
  type MutableCounters,
  newCounters,
  newHealth,
  type PollContext,
  pollRound,
  type RoundSink,
} from './poll.js';
import { evaluateReading } from './readiness.js';
import {
  buildReport,
  type InstanceState,
  newInstanceState,
  type ReadinessProgress,
  type ReadinessReport,
  toPending,
} from './report.js';
import { nextAttempt, pacedDelay, planNextPoll } from './schedule.js';

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

/** The state of one subscription, i.e. one wait. */
class WaitRun implements RoundSink<InstanceState> {
  readonly #opts: ResolvedOptions;
  readonly #states: InstanceState[];
  /** The states still polled (not ready, not given up on), in input order; shrinks as rounds go. */
  #active: InstanceState[];
  readonly #counters: MutableCounters = newCounters();
  readonly #health = newHealth();
  readonly #ctx: PollContext;
  readonly #signal: AbortSignal;
  readonly startedAt: number;
  readonly deadline: number;
  deadlineReached = false;
  #round = 0;
  #attempt = 0;
  #finalRound = false;
  /** Set once a batch failed with NotFound: from then on, suspects are polled apart. */
  #separateSuspects = false;
  #readyCount = 0;
  /** Not ready and the last reading said not found. */
  #notFoundCount = 0;
  #unreachableCount = 0;
  // What the current round learned, filled in by the sink methods as responses arrive.
  #newlyReady: InstanceState[] = [];
  #progressed = false;

  constructor(ids: readonly string[], opts: ResolvedOptions, source: StatusSource, signal: AbortSignal) {
    this.#opts = opts;
    this.#signal = signal;
    this.#states = ids.map(newInstanceState);
    this.#active = this.#states;
    this.startedAt = opts.now();
    this.deadline = this.startedAt + opts.timeoutMs;
    this.#ctx = {
      source,
      concurrency: opts.concurrency,
      counters: this.#counters,
      now: opts.now,
      maxBisectionCallsPerRound: opts.maxBisectionCallsPerRound,
      health: this.#health,
    };
  }

  /** True once the API has answered a call of this wait (see {@link SourceHealth}). */
  get answered(): boolean {
    return this.#health.answered;
  }

  /** The error a wait ends with when the API never answered within `firstAnswerTimeoutMs`. */
  unreachableError(endpoint: string | undefined): SourceUnreachableError {
    const now = this.#opts.now();
    const last = this.#health.lastError;
    return new SourceUnreachableError(last, {
      firstAnswerTimeoutMs: this.#opts.firstAnswerTimeoutMs,
      lastErrorCode: last === undefined ? undefined : errorKey(last),
      lastErrorCauseCode: causeCodeOf(last),
      endpoint,
      failedCalls: this.#health.failedCalls,
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
    };
  }

  #report(now: number): ReadinessReport {
    return buildReport(this.#states, this.#snapshot(now), {
      startedAt: this.startedAt,
      required: this.#opts.required,
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
    this.#progressed = false;
    const polling: InstanceState[] = [];
    for (const s of this.#active) if (!s.ready && !s.unreachable) polling.push(s);
    this.#active = polling;
    // Once the API has answered a batch with NotFound, IDs the last reading said it does not
    // know (and IDs a round had no budget left to locate) are polled in batches of their own, so
    // a missing ID never makes a batch of known IDs fail (and be bisected) round after round. An
    // API that just leaves unknown IDs out of its answer costs nothing extra, so then they stay
    // packed with the others.
    let known: InstanceState[] = polling;
    const suspects: InstanceState[] = [];
    if (this.#separateSuspects) {
      known = [];
      for (const s of polling) (s.notFound || s.suspect ? suspects : known).push(s);
      // Least recently read first: when there are more suspects than the round's bisection
      // budget can walk, the budget goes round them instead of re-walking the same ones.
      if (suspects.length > 1) suspects.sort((a, b) => a.readRound - b.readRound || a.index - b.index);
    }
    const shape = { polled: polling.length, suspects: suspects.length };
    const result = await pollRound(known, this.#ctx, this.#signal, suspects, this);
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
    if (result.sawNotFound) this.#separateSuspects = true;
    const now = opts.now();
    const progressed = this.#progressed;
    const readyCount = this.#readyCount;
    if (readyCount >= opts.required) {
      return {
        value: this.#progress(now, shape, result.batchCalls, undefined, true),
        next: 'done',
      };
    }
    if (readyCount + (this.#states.length - readyCount - this.#unreachableCount) < opts.required) {
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

  /** Batch calls the next round will send, as {@link runRound} will pack it (bisection aside). */
  #nextRoundCalls(): number {
    let known = 0;
    let suspects = 0;
    for (const s of this.#active) {
      if (s.ready || s.unreachable) continue;
      if (this.#separateSuspects && (s.notFound || s.suspect)) suspects++;
      else known++;
    }
    return Math.ceil(known / MAX_BATCH_SIZE) + Math.ceil(suspects / MAX_BATCH_SIZE);
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
  instanceIds: Iterable<string>,
  options?: WaitForCloudAssistantOptions,
): Observable<ReadinessProgress> {
  const ids = parseInstanceIds(instanceIds);
  const opts = resolveOptions(options, ids.length);
  return new Observable<ReadinessProgress>((subscriber) => {
    const { signal, scheduler } = opts;
    if (signal?.aborted) {
      subscriber.error(signal.reason);
      return;
    }
    const calls = new AbortController();
    // An empty list needs no client at all.
    const opened = ids.length === 0 ? undefined : opts.open();
    const run = new WaitRun(ids, opts, opened?.source ?? (async () => []), calls.signal);
    let deadlineTimer: Subscription | undefined;
    if (ids.length > 0) {
      deadlineTimer = scheduler.schedule(() => {
        run.deadlineReached = true;
        calls.abort(new DeadlineReached('The wait reached its deadline.'));
      }, opts.timeoutMs);
    }
    // Fail fast on a broken setup: no answer at all within firstAnswerTimeoutMs. Only scheduled
    // when it can fire before the deadline; cleared on teardown like every other timer.
    let firstAnswerTimer: Subscription | undefined;
    if (ids.length > 0 && opts.firstAnswerTimeoutMs < opts.timeoutMs) {
      firstAnswerTimer = scheduler.schedule(() => {
        if (run.answered) return;
        const error = run.unreachableError(opened?.endpoint);
        calls.abort(error);
        subscriber.error(error);
      }, opts.firstAnswerTimeoutMs);
    }
    const onAbort = () => {
      calls.abort(signal?.reason);
      subscriber.error(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const source = ids.length === 0 ? of(run.emptyProgress()) : pollLoop(() => run.runRound(), scheduler);
    const inner = source.pipe(tap((progress) => opts.onProgress?.(progress))).subscribe(subscriber);
    return () => {
      signal?.removeEventListener('abort', onAbort);
      deadlineTimer?.unsubscribe();
      firstAnswerTimer?.unsubscribe();
      inner.unsubscribe();
      // Unsubscribed mid-wait (or settled): make sure nothing keeps running.
      if (!calls.signal.aborted) calls.abort();
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
  instanceIds: Iterable<string>,
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
