import type { InstanceStatus, StatusSource } from '@cloud-assistant-gate/core';
import { afterEach, beforeEach, vi } from 'vitest';

/** The fake clock's epoch in the waiter's tests. */
export const T0 = Date.UTC(2026, 10, 28, 3, 0, 0);
/** The `now` seam, read from the (fake) clock. */
export const now = (): number => Date.now();
/** One step of fake time for {@link settle}. */
export const step = () => vi.advanceTimersByTimeAsync(100);

/** Fake timers starting at {@link T0} around every test of the calling file. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Structured like core's errors (duck-typed by the waiter). */
export class FakeApiError extends Error {
  constructor(
    readonly apiCode: string,
    readonly retryable: boolean,
    readonly statusCode: number,
    readonly code = apiCode.includes('Throttling') ? 'ECS_THROTTLED' : 'ECS_API_ERROR',
  ) {
    super(`${apiCode} (fake)`);
  }
}

export interface FakeFleetOptions {
  /** When each instance's agent comes online, in ms after `start` (Infinity: never). */
  readonly onlineAfterMs: (id: string) => number;
  readonly now: () => number;
  /** IDs ECS does not know. */
  readonly unknown?: ReadonlySet<string>;
  /** How unknown IDs are reported: a 404 for the whole batch, or silently left out. */
  readonly notFoundMode?: '404' | 'omit';
  /** IDs that exist but have no agent installed. */
  readonly notInstalled?: ReadonlySet<string>;
  /** Called before answering; may throw to inject an error. */
  readonly fault?: (ids: readonly string[], call: number) => void;
  readonly status?: (id: string) => Partial<InstanceStatus>;
  /** Latency of each call, resolved with setTimeout (faked or real). */
  readonly latencyMs?: number;
}

export interface FakeFleet {
  readonly source: StatusSource;
  readonly calls: { ids: readonly string[]; at: number }[];
  /** Ground truth at time t: online per the fleet. */
  isOnline(id: string): boolean;
}

export function ids(n: number, prefix = 'i-fleet'): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
}

export function fakeFleet(options: FakeFleetOptions): FakeFleet {
  const start = options.now();
  const calls: { ids: readonly string[]; at: number }[] = [];
  const isOnline = (id: string) =>
    !options.unknown?.has(id) &&
    !options.notInstalled?.has(id) &&
    options.now() - start >= options.onlineAfterMs(id);
  const source: StatusSource = async (batch, { signal }) => {
    if (signal.aborted) throw signal.reason;
    calls.push({ ids: [...batch], at: options.now() });
    if (batch.length > 100) throw new FakeApiError('InstanceIds.ExceedLimit', false, 403);
    if (options.latencyMs !== undefined) {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, options.latencyMs);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(signal.reason);
        });
      });
    }
    options.fault?.(batch, calls.length);
    if ((options.notFoundMode ?? '404') === '404' && batch.some((id) => options.unknown?.has(id))) {
      throw new FakeApiError('InvalidInstance.NotFound', false, 404);
    }
    return batch
      .filter((id) => !options.unknown?.has(id))
      .map((id): InstanceStatus => {
        const online = isOnline(id);
        const installed = !options.notInstalled?.has(id);
        return {
          instanceId: id,
          cloudAssistantStatus: online,
          cloudAssistantVersion: installed && online ? '2.2.3.189' : installed ? '2.2.3.189' : '',
          lastHeartbeatTime: online ? new Date(options.now()).toISOString() : undefined,
          osType: 'Linux',
          supportSessionManager: true,
          ...options.status?.(id),
        };
      });
  };
  return { source, calls, isOnline };
}

/** Deterministic PRNG (mulberry32) for jitter and fault injection. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs fake timers until `promise` settles; returns its value or its error. */
export async function settle<T>(
  promise: Promise<T>,
  advance: () => Promise<unknown>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then(
    (value) => {
      result = { ok: true, value };
    },
    (error: unknown) => {
      result = { ok: false, error };
    },
  );
  for (let i = 0; i < 100_000 && result === undefined; i++) await advance();
  if (result === undefined) throw new Error('the wait never settled');
  return result;
}
