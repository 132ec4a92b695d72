import {
  concat,
  concatMap,
  defer,
  EMPTY,
  expand,
  type Observable,
  type ObservableInput,
  of,
  type SchedulerLike,
  throwError,
  timer,
} from 'rxjs';

/** What a round decided: emit `value`, then pause and run again, stop, or fail. */
export type RoundStep<T> =
  | { readonly value: T; readonly next: 'again'; readonly delayMs: number }
  | { readonly value: T; readonly next: 'done' }
  | { readonly value: T; readonly next: 'fail'; readonly error: unknown };

/**
 * The round loop: run a round, emit its value, pause `delayMs` on `scheduler`, repeat. The next
 * round starts only after the previous one settled and its pause elapsed, so rounds never
 * overlap. Unsubscribing cancels the pause timer; the caller aborts in-flight work.
 *
 * @example
 * pollLoop(() => checkOnce(), asyncScheduler).subscribe(console.log);
 */
export function pollLoop<T>(
  round: () => ObservableInput<RoundStep<T>>,
  scheduler: SchedulerLike,
): Observable<T> {
  const run$ = defer(round);
  return run$.pipe(
    expand((step) =>
      step.next === 'again' ? timer(step.delayMs, scheduler).pipe(concatMap(() => run$)) : EMPTY,
    ),
    concatMap((step) =>
      step.next === 'fail'
        ? concat(
            of(step.value),
            throwError(() => step.error),
          )
        : of(step.value),
    ),
  );
}
