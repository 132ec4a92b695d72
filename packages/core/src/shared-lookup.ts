/** One lookup in flight, shared by every caller, released by each caller's own signal. */

/**
 * One lookup shared by every caller that asks while it runs (concurrent attempts need one
 * metadata round trip, not one each). Each caller is released by its own `signal` at once; the
 * lookup itself is aborted (its requests and timers stop) when the last caller waiting for it has
 * given up, and the next caller starts a fresh one.
 */
export function sharedLookup<T>(
  start: (signal: AbortSignal) => Promise<T>,
): (signal?: AbortSignal | undefined) => Promise<T> {
  let current: { promise: Promise<T>; controller: AbortController; waiting: number } | undefined;
  return (signal) => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (current === undefined) {
      const controller = new AbortController();
      const entry = { controller, waiting: 0, promise: undefined as unknown as Promise<T> };
      entry.promise = start(controller.signal).finally(() => {
        if (current === entry) current = undefined;
      });
      entry.promise.catch(() => undefined);
      current = entry;
    }
    const entry = current;
    entry.waiting++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = (): boolean => {
        if (settled) return false;
        settled = true;
        entry.waiting--;
        if (signal !== undefined) signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (entry.waiting === 0) {
          if (current === entry) current = undefined;
          entry.controller.abort(signal!.reason);
        }
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => {
          if (leave()) resolve(value);
        },
        (error: unknown) => {
          if (leave()) reject(error);
        },
      );
    });
  };
}
