import type { StatusSource } from '@cloud-assistant-gate/core';
import { lastValueFrom, Observable, of, type Subscription, tap } from 'rxjs';
import { apiCodeOf, codeOf } from './classify.js';
import type { PendingInstance, WaitCounters } from './errors.js';
import {
  CloudAssistantTimeoutError,
  QuorumUnreachableError,
  ReadinessPredicateError,
  StatusSourceError,
} from './errors.js';
import { parseInstanceIds } from './ids.js';
import { RateLimiter } from './limiter.js';
import { pollLoop, type RoundStep } from './loop.js';
import { type ResolvedOptions, resolveOptions, type WaitForCloudAssistantOptions } from './options.js';
import {
  FatalSourceFailure,
  type MutableCounters,
  newCounters,
  type PollContext,
  pollRound,
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
import { backoffDelay, nextAttempt, planNextPoll } from './schedule.js';

/** The reason in-flight calls are aborted with when the deadline passes (internal). */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

/** The state of one subscription, i.e. one wait. */
class WaitRun {
  readonly #opts: ResolvedOptions;
  readonly #states: InstanceState[];
  readonly #counters: MutableCounters = newCounters();
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

  constructor(ids: readonly string[], opts: ResolvedOptions, source: StatusSource, signal: AbortSignal) {
    this.#opts = opts;
    this.#signal = signal;
    this.#states = ids.map(newInstanceState);
    this.startedAt = opts.now();
    this.deadline = this.startedAt + opts.timeoutMs;
    this.#ctx = {
      source,
      // A `retryAfterMs` from the API holds calls for at most one longest pause.
      limiter: new RateLimiter(opts.maxRequestsPerSecond, opts.scheduler, opts.now, opts.maxDelayMs),
      concurrency: opts.concurrency,
      counters: this.#counters,
    };
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

  async runRound(): Promise<RoundStep<ReadinessProgress>> {
    const opts = this.#opts;
    this.#round++;
    const polling = this.#states.filter((s) => !s.ready && !s.unreachable);
    // Once the API has answered a batch with NotFound, IDs the last reading said it does not
    // know are polled in batches of their own, so a missing ID never makes a batch of known IDs
    // fail (and be bisected) round after round. An API that just leaves unknown IDs out of its
    // answer costs nothing extra, so then they stay packed with the others.
    const known: string[] = [];
    const suspects: string[] = [];
    for (const s of polling) (this.#separateSuspects && s.notFound ? suspects : known).push(s.instanceId);
    const shape = { polled: polling.length, suspects: suspects.length };
    let result: Awaited<ReturnType<typeof pollRound>>;
    try {
      result = await pollRound(known, this.#ctx, this.#signal, suspects);
    } catch (error) {
      if (!(error instanceof FatalSourceFailure)) throw error;
      const now = opts.now();
      const cause = error.error;
      return {
        value: this.#progress(now, [], shape, error.batchCalls, undefined, false),
        next: 'fail',
        error: new StatusSourceError(cause, {
          apiCode: apiCodeOf(cause),
          causeCode: codeOf(cause),
          ready: this.#readyIds(),
        }),
      };
    }
    if (result.sawNotFound) this.#separateSuspects = true;
    const now = opts.now();
    const newlyReady: string[] = [];
    let progressed = false;
    for (const state of polling) {
      const outcome = result.outcomes.get(state.instanceId);
      if (outcome === undefined) continue;
      if (outcome.kind === 'status') {
        const { status } = outcome;
        if (state.notFound) progressed = true;
        state.status = status;
        state.notFound = false;
        state.errors.clear();
        let verdict: ReturnType<typeof evaluateReading>;
        try {
          verdict = evaluateReading(status, opts.readiness, now, state.everOnline);
        } catch (error) {
          // Only a custom predicate can throw: a bug in it, which waiting cannot fix.
          return {
            value: this.#progress(now, newlyReady, shape, result.batchCalls, undefined, false),
            next: 'fail',
            error: new ReadinessPredicateError(state.instanceId, error),
          };
        }
        if (status.cloudAssistantStatus) state.everOnline = true;
        if (verdict.ok) {
          state.streak++;
          progressed = true;
          if (state.streak >= opts.consecutive) {
            state.ready = true;
            state.readyAt = now;
            state.unmet = undefined;
            newlyReady.push(state.instanceId);
          } else {
            state.unmet = `readiness-unmet: ${state.streak} of ${opts.consecutive} consecutive ready readings`;
          }
        } else {
          state.streak = 0;
          state.unmet = verdict.reason;
        }
      } else if (outcome.kind === 'missing') {
        state.notFound = true;
        state.streak = 0;
        if (opts.notFound === 'fail' || now - this.startedAt >= opts.notFoundGraceMs)
          state.unreachable = true;
      } else {
        state.errors.set(outcome.key, (state.errors.get(outcome.key) ?? 0) + 1);
      }
    }

    const readyCount = this.#states.filter((s) => s.ready).length;
    if (readyCount >= opts.required) {
      return {
        value: this.#progress(now, newlyReady, shape, result.batchCalls, undefined, true),
        next: 'done',
      };
    }
    const stillPossible = this.#states.filter((s) => !s.ready && !s.unreachable);
    if (readyCount + stillPossible.length < opts.required) {
      const notReady = this.#states.filter((s) => !s.ready);
      return {
        value: this.#progress(now, newlyReady, shape, result.batchCalls, undefined, false),
        next: 'fail',
        error: new QuorumUnreachableError({
          unreachable: notReady.filter((s) => s.unreachable).map(toPending),
          pending: stillPossible.map(toPending),
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
            delayMs: backoffDelay({
              attempt: this.#attempt,
              minDelayMs: opts.minDelayMs,
              maxDelayMs: opts.maxDelayMs,
              random: opts.random,
            }),
            minDelayMs: opts.minDelayMs,
            maxDelayMs: opts.maxDelayMs,
          });
    if (plan.kind === 'timeout') {
      const pending: PendingInstance[] = this.#states.filter((s) => !s.ready).map(toPending);
      return {
        value: this.#progress(now, newlyReady, shape, result.batchCalls, undefined, false),
        next: 'fail',
        error: new CloudAssistantTimeoutError({
          pending,
          ready: this.#readyIds(),
          required: opts.required,
          timeoutMs: opts.timeoutMs,
          counters: this.#snapshot(now),
        }),
      };
    }
    this.#finalRound = plan.final;
    return {
      value: this.#progress(now, newlyReady, shape, result.batchCalls, plan.delayMs, false),
      next: 'again',
      delayMs: plan.delayMs,
    };
  }

  #readyIds(): string[] {
    return this.#states.filter((s) => s.ready).map((s) => s.instanceId);
  }

  #progress(
    now: number,
    newlyReady: readonly string[],
    shape: { readonly polled: number; readonly suspects: number },
    batchCalls: number,
    nextDelayMs: number | undefined,
    done: boolean,
  ): ReadinessProgress {
    let readyCount = 0;
    let notFoundCount = 0;
    for (const s of this.#states) {
      if (s.ready) readyCount++;
      else if (s.notFound) notFoundCount++;
    }
    return {
      round: this.#round,
      total: this.#states.length,
      required: this.#opts.required,
      readyCount,
      pendingCount: this.#states.length - readyCount - notFoundCount,
      notFoundCount,
      newlyReady,
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
