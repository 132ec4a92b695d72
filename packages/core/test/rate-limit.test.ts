import { describe, expect, it } from 'vitest';
import { AdaptiveRateLimiter } from '../src/rate-limit.js';

describe('adaptive rate limiter', () => {
  it('lets everything through at once until throttled, without a ceiling', () => {
    const limiter = new AdaptiveRateLimiter(Number.POSITIVE_INFINITY);
    for (let i = 0; i < 100; i++) expect(limiter.acquire()).toBeUndefined();
  });

  it('paces requests at maxRequestsPerSecond', async () => {
    const limiter = new AdaptiveRateLimiter(50);
    const start = performance.now();
    const waits: (Promise<void> | undefined)[] = [];
    for (let i = 0; i < 11; i++) waits.push(limiter.acquire());
    await Promise.all(waits);
    // 11 requests at 50/s: the last leaves 200 ms after the first.
    expect(performance.now() - start).toBeGreaterThanOrEqual(180);
    expect(performance.now() - start).toBeLessThan(600);
  });

  it('cuts the rate multiplicatively from the accepted rate on throttling, once per window', () => {
    let now = 0;
    const limiter = new AdaptiveRateLimiter(Number.POSITIVE_INFINITY, { decreaseFactor: 0.7 }, () => now);
    for (let i = 0; i < 20; i++) {
      now = i * 10;
      limiter.record(now, false);
    }
    now = 300;
    limiter.record(250, true);
    expect(limiter.rate).toBeCloseTo(14, 5);
    // A throttle for a request sent before the cut, or soon after it, says nothing new.
    now = 320;
    limiter.record(200, true);
    limiter.record(310, true);
    expect(limiter.rate).toBeCloseTo(14, 5);
  });

  it('recovers additively while calls succeed, then holds below the estimate', () => {
    let now = 0;
    const limiter = new AdaptiveRateLimiter(
      Number.POSITIVE_INFINITY,
      { recoveryMs: 1000, utilization: 0.95, holdMs: 5000 },
      () => now,
    );
    for (let i = 0; i < 20; i++) {
      now = i * 10;
      limiter.record(now, false);
    }
    now = 300;
    limiter.record(now, true);
    const cut = limiter.rate;
    now = 800;
    limiter.record(now, false);
    expect(limiter.rate).toBeGreaterThan(cut);
    for (now = 800; now < 3000; now += 50) limiter.record(now, false);
    expect(limiter.rate).toBeGreaterThanOrEqual(19);
    // A second throttle near the estimate confirms it: recover to 95 % of it and hold there.
    now = 3000;
    limiter.record(now, true);
    expect(limiter.rate).toBeCloseTo(14, 5);
    for (now = 3050; now < 7000; now += 50) limiter.record(now, false);
    expect(limiter.rate).toBeCloseTo(19, 5);
  });

  it('never goes below minRequestsPerSecond nor above the ceiling', () => {
    let now = 0;
    const limiter = new AdaptiveRateLimiter(10, { minRequestsPerSecond: 2 }, () => now);
    for (let i = 0; i < 30; i++) {
      now += 2000;
      limiter.record(now, true);
    }
    expect(limiter.rate).toBe(2);
    for (let i = 0; i < 1000; i++) {
      now += 100;
      limiter.record(now, false);
    }
    expect(limiter.rate).toBe(10);
  });

  it('removes a queued request when its signal aborts, rejecting with the reason', async () => {
    const limiter = new AdaptiveRateLimiter(1);
    expect(limiter.acquire()).toBeUndefined();
    const controller = new AbortController();
    const queued = limiter.acquire(controller.signal);
    expect(limiter.pending).toBe(1);
    controller.abort('gone');
    await expect(queued).rejects.toBe('gone');
    expect(limiter.pending).toBe(0);
  });

  it('rejects everything queued on close', async () => {
    const limiter = new AdaptiveRateLimiter(1);
    limiter.acquire();
    const queued = limiter.acquire();
    limiter.close(new Error('closed'));
    await expect(queued).rejects.toThrow('closed');
  });

  it('validates its options naming them', () => {
    expect(() => new AdaptiveRateLimiter(0)).toThrow(/maxRequestsPerSecond/);
    expect(() => new AdaptiveRateLimiter(1, { decreaseFactor: 1.5 })).toThrow(/rateLimit\.decreaseFactor/);
  });
});
