import {
  defer,
  EMPTY,
  filter,
  finalize,
  fromEvent,
  ignoreElements,
  lastValueFrom,
  merge,
  mergeMap,
  type Observable,
  of,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
import { pollLoop } from './loop.js';
import { type ResolvedOptions, resolveOptions, type WaitForCloudAssistantOptions } from './options.js';
import { emptyProgress } from './progress.js';
import type { ReadinessProgress, ReadinessReport } from './report.js';
import { type InstanceRef, type InstanceTarget, parseInstanceTargets, regionsOf } from './targets.js';
import { WaitRun } from './wait-run.js';

/** The reason in-flight calls are aborted with when the deadline passes (internal). */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

/**
 * `source`, failing as soon as one of `watchers` fails. The watchers emit nothing: each either
 * ends the wait with an error (a cancel, no answer in time) or acts on the side (the deadline),
 * and all are unsubscribed when `source` ends, so no timer or listener outlives the wait.
 */
function watchedBy<T>(source: Observable<T>, ...watchers: Observable<never>[]): Observable<T> {
  return source.pipe(takeUntil(merge(...watchers)));
}

/**
 * One wait over a non-empty list: the round loop, watched by the deadline (which aborts the
 * calls in flight; the round then times out), the first-answer timeout (fails fast when no
 * region's API answered) and the cancel. Whenever it ends, the calls still in flight are aborted
 * and the clients the wait created are closed.
 */
function rounds(
  targets: readonly InstanceTarget[],
  opts: ResolvedOptions,
  cancel: (calls: AbortController, lookups: AbortController) => Observable<never>,
): Observable<ReadinessProgress> {
  const { scheduler } = opts;
  const calls = new AbortController();
  // Cancels the end-of-wait lookup, which the deadline does not (it runs after it).
  const lookups = new AbortController();
  const opened = opts.open();
  const run = new WaitRun(targets, opts, opened.clients, calls.signal, lookups.signal);
  const deadline$ = timer(opts.timeoutMs, scheduler).pipe(
    tap(() => {
      run.deadlineReached = true;
      calls.abort(new DeadlineReached('The wait reached its deadline.'));
    }),
    ignoreElements(),
  );
  // Fail fast on a broken setup: no answer at all within firstAnswerTimeoutMs. Only when it can
  // fire before the deadline.
  const firstAnswer$ =
    opts.firstAnswerTimeoutMs < opts.timeoutMs
      ? timer(opts.firstAnswerTimeoutMs, scheduler).pipe(
          filter(() => !run.answered),
          mergeMap(() => {
            const error = run.unreachableError();
            calls.abort(error);
            return throwError(() => error);
          }),
        )
      : EMPTY;
  const loop$ = pollLoop(() => run.runRound(), scheduler).pipe(
    tap((progress) => opts.onProgress?.(progress)),
  );
  return watchedBy(loop$, deadline$, firstAnswer$, cancel(calls, lookups)).pipe(
    finalize(() => {
      // Ended, failed, cancelled or unsubscribed mid-wait: make sure nothing keeps running.
      if (!calls.signal.aborted) calls.abort();
      if (!lookups.signal.aborted) lookups.abort();
      // A client the wait created (from `region`) is the wait's to close; errors closing it
      // cannot change the outcome.
      opened.close?.().catch(() => {});
    }),
  );
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
  return defer(() => {
    const { signal } = opts;
    if (signal?.aborted) return throwError(() => signal.reason);
    /** The cancel: aborts what is in flight with the signal's reason, then fails the wait with it. */
    const cancel = (calls?: AbortController, lookups?: AbortController): Observable<never> =>
      signal === undefined
        ? EMPTY
        : fromEvent(signal, 'abort').pipe(
            mergeMap(() => {
              calls?.abort(signal.reason);
              lookups?.abort(signal.reason);
              return throwError(() => signal.reason);
            }),
          );
    if (targets.length > 0) return rounds(targets, opts, cancel);
    // An empty list needs no client at all: one event, done.
    const startedAt = opts.now();
    const empty$ = of(emptyProgress(startedAt, opts.now(), opts.required));
    return watchedBy(empty$.pipe(tap((progress) => opts.onProgress?.(progress))), cancel());
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
