import { asyncScheduler } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { RateLimiter } from '../src/limiter.js';
import { T0, useFakeClock } from './fleet.js';

useFakeClock();

describe('RateLimiter.pause (retryAfterMs)', () => {
  const started = (limiter: RateLimiter, signal: AbortSignal, at: number[]) =>
    limiter.acquire(signal).then(() => at.push(Date.now() - T0));

  it('holds calls already queued, then spaces them again after the pause', async () => {
    const limiter = new RateLimiter(1, asyncScheduler, () => Date.now());
    const signal = new AbortController().signal;
    const at: number[] = [];
    const all = Promise.all([
      started(limiter, signal, at),
      started(limiter, signal, at),
      started(limiter, signal, at),
    ]);
    await vi.advanceTimersByTimeAsync(0);
    expect(at).toEqual([0]);
    // The second call was queued for t = 1,000 ms; the API now asks for 3 s.
    limiter.pause(3_000);
    await vi.advanceTimersByTimeAsync(10_000);
    await all;
    expect(at).toEqual([0, 3_000, 4_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('caps the pause, ignores shorter or non-positive ones, and aborts promptly', async () => {
    const limiter = new RateLimiter(100, asyncScheduler, () => Date.now(), 2_000);
    const controller = new AbortController();
    const at: number[] = [];
    limiter.pause(60_000);
    limiter.pause(500);
    limiter.pause(0);
    limiter.pause(Number.NaN);
    const first = started(limiter, controller.signal, at);
    await vi.advanceTimersByTimeAsync(2_000);
    await first;
    expect(at).toEqual([2_000]);
    limiter.pause(1_000);
    const aborted = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);
  });
});
