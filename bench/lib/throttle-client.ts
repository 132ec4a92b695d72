/**
 * Benchmark 5's core client, with every time constant of its request budget and retry loop
 * compressed like the quota window (ECS's minute → `windowMs`), and the warm-up each process
 * runs before the clock starts.
 */
import {
  type AttemptEvent,
  createEcsClient,
  type EcsClient,
  type EcsClientOptions,
  type StatusSource,
} from '@cloud-assistant-gate/core';

/** The client's options that depend on the time compression (plain JSON: sent to workers). */
export interface ScaledClientOptions {
  readonly rateLimit: { readonly windowMs: number };
  readonly retry: {
    readonly baseDelayMs: number;
    readonly throttlingBaseDelayMs: number;
    readonly maxDelayMs: number;
    readonly maxRetryAfterMs: number;
    readonly maxTotalMs: number;
  };
}

/**
 * Core's defaults (one-minute windows) compressed to `windowMs` (scale = 60,000 / `windowMs`).
 * The budget's `jitterMs`, `longHoldMs` and rate floor default to fractions of `windowMs`, so
 * they follow it; its slow start is in round trips, which are not compressed (loopback answers
 * in a few ms, ECS in about 80), so neither is `slowStartMs` (its period until the first answer,
 * a few ms here: scaled, it would let 60 times more calls out before that answer than at ECS).
 * The retry loop's delays and its `maxTotalMs` (one window) are divided by the scale. The
 * per-attempt `timeoutMs` is about the network, not the quota: left at 10 s.
 */
export function scaledClientOptions(windowMs: number): ScaledClientOptions {
  const scale = 60_000 / windowMs;
  return {
    rateLimit: { windowMs },
    retry: {
      baseDelayMs: 200 / scale,
      throttlingBaseDelayMs: 500 / scale,
      maxDelayMs: 10_000 / scale,
      maxRetryAfterMs: 60_000 / scale,
      maxTotalMs: 60_000 / scale,
    },
  };
}

/**
 * Warms a process (its JIT, undici, the error path of a throttle) and the simulator before the
 * clock starts: 30 calls, 4 at a time, with a client that neither paces nor retries, on
 * `credentials` of an account of their own (so the measured account's quota is untouched; the
 * caller resets the simulator's counts after). Without it the first calls of a cold process on
 * the shared 2-core machine take 200–600 ms: most of a compressed window, where ECS takes 80 ms
 * of a minute.
 */
export async function warmUp(
  options: Pick<EcsClientOptions, 'region' | 'endpoint' | 'credentials'>,
  ids: readonly string[],
): Promise<void> {
  const client = createEcsClient({ ...options, rateLimit: false, retry: false });
  try {
    let next = 0;
    const worker = async () => {
      while (next < 30) {
        next++;
        await client.describeCloudAssistantStatus({ instanceIds: ids.slice(0, 100) }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    await client.close();
  }
}

/**
 * `client`, or (with `CAG_B5_TRACE` set) its status source logging each attempt into `trace` as
 * "sent answered attempt T|ok" in ms after `since`, for a look at one pipeline's calls.
 */
export function traced(client: EcsClient, since: number, trace: string[]): EcsClient | StatusSource {
  if (!process.env['CAG_B5_TRACE']) return client;
  return (ids, o) =>
    client.statusSource(ids, {
      ...o,
      onAttempt: (e: AttemptEvent) => {
        const now = Date.now();
        trace.push(`${now - e.durationMs - since} ${now - since} ${e.attempt} ${e.throttled ? 'T' : 'ok'}`);
        o.onAttempt?.(e);
      },
    });
}
