import type { SchedulerLike, Subscription } from 'rxjs';

/**
 * Waits `ms` on the given scheduler (so virtual time and fake timers drive it). Aborting the
 * signal clears the timer and rejects with `signal.reason`; nothing is left behind either way.
 */
export function sleep(scheduler: SchedulerLike, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: Subscription | undefined;
    const onAbort = () => {
      timer?.unsubscribe();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    timer = scheduler.schedule(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
  });
}

/**
 * Settles with `promise`, or rejects with `signal.reason` as soon as the signal aborts, whichever
 * comes first: a status source that ignores its signal cannot hold the wait past its deadline.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * An abort scope for the calls of one round. Every call gets a signal of its own from
 * {@link AbortScope.child}; the scope holds a single listener on `parent`, and aborting the scope
 * (or its parent) aborts every live child with the same reason.
 *
 * Why not hand one shared signal to every call: each call in flight adds listeners to the signal
 * it is given (our `sleep` while it waits for the rate limiter, `raceAbort`, and the status
 * source's own: core adds one per queued call and one per HTTP attempt). With `concurrency`
 * above about 4 a shared signal passes Node's limit of 10 listeners and Node prints a
 * `MaxListenersExceededWarning` per round, although every listener is removed when its call
 * ends. With a signal per call the listeners on any one signal stay a handful whatever the
 * concurrency, and no limit has to be raised.
 */
export class AbortScope {
  readonly #controller = new AbortController();
  readonly #children = new Set<AbortController>();
  readonly #unlink: () => void;

  constructor(parent: AbortSignal) {
    if (parent.aborted) {
      this.#controller.abort(parent.reason);
      this.#unlink = () => {};
      return;
    }
    const onAbort = () => this.abort(parent.reason);
    parent.addEventListener('abort', onAbort, { once: true });
    this.#unlink = () => parent.removeEventListener('abort', onAbort);
  }

  /** Aborted when the scope is; check `aborted` and `reason` here, add no listeners to it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** A signal for one call, aborted with the scope; `release()` it when the call has settled. */
  child(): { readonly signal: AbortSignal; readonly release: () => void } {
    const child = new AbortController();
    if (this.#controller.signal.aborted) {
      child.abort(this.#controller.signal.reason);
      return { signal: child.signal, release: () => {} };
    }
    this.#children.add(child);
    return { signal: child.signal, release: () => this.#children.delete(child) };
  }

  abort(reason: unknown): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    for (const child of this.#children) child.abort(reason);
    this.#children.clear();
  }

  /** Removes the listener on the parent. */
  dispose(): void {
    this.#unlink();
    this.#children.clear();
  }
}
