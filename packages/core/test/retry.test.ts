import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EcsApiError, EcsNetworkError, ThrottlingError } from '../src/errors.js';
import {
  resolveRetryPolicy,
  retryDefaults,
  retryDelayMs,
  shouldRetryError,
  withRetry,
} from '../src/retry.js';

const policy = resolveRetryPolicy({ baseDelayMs: 1, throttlingBaseDelayMs: 1 });
const transient = () => new EcsApiError({ apiCode: 'ServiceUnavailable', statusCode: 503 });
const fatal = () => new EcsApiError({ apiCode: 'Forbidden.RAM', statusCode: 403 });

describe('retry decisions', () => {
  it('retries only our errors marked retryable', () => {
    expect(shouldRetryError(transient())).toBe(true);
    expect(shouldRetryError(new EcsNetworkError('x', 'ECONNRESET'))).toBe(true);
    expect(shouldRetryError(fatal())).toBe(false);
    expect(shouldRetryError(new Error('plain'))).toBe(false);
    expect(shouldRetryError(new TypeError('bug'))).toBe(false);
  });

  it('keeps full-jitter delays within [0, min(maxDelayMs, base·2^(n-1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.boolean(),
        (n, r, throttled) => {
          const error = throttled
            ? new ThrottlingError({ apiCode: 'Throttling', statusCode: 400 })
            : transient();
          const base = throttled ? retryDefaults.throttlingBaseDelayMs : retryDefaults.baseDelayMs;
          const d = retryDelayMs(error, n, retryDefaults, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThan(Math.max(1, Math.min(retryDefaults.maxDelayMs, base * 2 ** (n - 1))));
        },
      ),
    );
  });

  it('uses x-acs-retry-after instead of the jitter, capped by maxRetryAfterMs', () => {
    const e = (ms: number) =>
      new ThrottlingError({ apiCode: 'Throttling', statusCode: 400, retryAfterMs: ms });
    expect(retryDelayMs(e(1234), 1, retryDefaults, () => 0)).toBe(1234);
    expect(retryDelayMs(e(10 ** 9), 1, retryDefaults, () => 0)).toBe(retryDefaults.maxRetryAfterMs);
  });

  it('validates the retry options naming the field', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/retry\.maxAttempts/);
    expect(() => resolveRetryPolicy({ baseDelayMs: -1 })).toThrow(/retry\.baseDelayMs/);
    expect(resolveRetryPolicy(false).maxAttempts).toBe(1);
  });
});

describe('withRetry', () => {
  it('stops at the first non-retryable error', async () => {
    let calls = 0;
    const error = fatal();
    await expect(
      withRetry(
        async () => {
          calls++;
          throw error;
        },
        { policy, random: () => 0.5 },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('makes at most maxAttempts attempts and rejects with the last error', async () => {
    const attempts: number[] = [];
    const p = resolveRetryPolicy({ maxAttempts: 3, baseDelayMs: 1 });
    const err = await withRetry(
      async (n) => {
        attempts.push(n);
        throw transient();
      },
      { policy: p, random: () => 0.5 },
    ).catch((e) => e);
    expect(attempts).toEqual([1, 2, 3]);
    expect(err.apiCode).toBe('ServiceUnavailable');
  });

  it('returns the first success', async () => {
    let n = 0;
    expect(
      await withRetry(
        async () => {
          if (++n < 3) throw transient();
          return 'ok';
        },
        { policy, random: () => 0 },
      ),
    ).toBe('ok');
  });

  it('rejects with a non-Error abort reason unchanged', async () => {
    const controller = new AbortController();
    const p = withRetry(
      async () => {
        controller.abort('a string reason');
        throw transient();
      },
      { policy, random: () => 0, signal: controller.signal },
    );
    await expect(p).rejects.toBe('a string reason');
  });

  it('leaves the wait of a throttled retry to the request budget, within maxTotalMs', async () => {
    const throttled = () => new ThrottlingError({ apiCode: 'Throttling.User', statusCode: 400 });
    const p = resolveRetryPolicy({ maxAttempts: 3, maxTotalMs: 1_000, throttlingBaseDelayMs: 10_000 });
    // The budget holds the action 200 ms: the retry starts at once (it waits in the budget).
    let n = 0;
    const started = performance.now();
    expect(
      await withRetry(
        async () => {
          if (++n === 1) throw throttled();
          return 'ok';
        },
        { policy: p, random: () => 0.99, throttleHoldMs: () => 200 },
      ),
    ).toBe('ok');
    expect(performance.now() - started).toBeLessThan(500);
    // A hold that would end after maxTotalMs: no retry, the throttle is the answer.
    let m = 0;
    const error = throttled();
    await expect(
      withRetry(
        async () => {
          m++;
          throw error;
        },
        { policy: p, random: () => 0, throttleHoldMs: () => 5_000 },
      ),
    ).rejects.toBe(error);
    expect(m).toBe(1);
  });

  it('ends a retry delay at once when the client closes', async () => {
    const closed = new AbortController();
    const reason = new Error('closed');
    const p = withRetry(
      async () => {
        setTimeout(() => closed.abort(reason), 10);
        throw transient();
      },
      {
        policy: resolveRetryPolicy({ baseDelayMs: 60_000, maxTotalMs: 600_000 }),
        random: () => 0.99,
        closed: closed.signal,
      },
    );
    const started = performance.now();
    await expect(p).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
