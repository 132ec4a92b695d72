import { describe, expect, it } from 'vitest';
import { isRateLimitedSource, rateLimitedSource } from '../src/index.js';
import type { InstanceStatus, StatusSource } from '../src/types.js';
import { FakeClock } from './quota-sim.js';

const T0 = Date.UTC(2026, 0, 1);
const online = (id: string): InstanceStatus => ({
  instanceId: id,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '2.2.3',
});
/** Like the official SDK's error: the API code in `code`, the HTTP status in `statusCode`. */
const sdkThrottle = () =>
  Object.assign(new Error('Throttling.User'), { code: 'Throttling.User', statusCode: 400 });

async function drive(clock: FakeClock, done: Promise<unknown>) {
  let finished = false;
  void done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  await clock.flush();
  while (!finished && (await clock.step())) {
    /* advance */
  }
}

describe('rateLimitedSource', () => {
  it('holds the other calls of a custom source when one is throttled (an SDK-shaped error)', async () => {
    const clock = new FakeClock(T0 + 30_000);
    const starts: number[] = [];
    let n = 0;
    const inner: StatusSource = async (ids) => {
      starts.push(clock.now() - T0);
      if (++n === 2) throw sdkThrottle();
      return ids.map(online);
    };
    const source = rateLimitedSource(inner, {
      clock,
      random: () => 0.5,
      rateLimit: { windowMs: 60_000, longHoldMs: 60_000, initialWindow: 2 },
    });
    expect(isRateLimitedSource(source)).toBe(true);
    const signal = new AbortController().signal;
    const results = Promise.allSettled(Array.from({ length: 4 }, (_, i) => source([`i-${i}`], { signal })));
    await drive(clock, results);
    const settled = await results;
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    // Calls 1–2 at once; 2 is throttled 30 s into the minute: 3 and 4 wait for the turn.
    expect(starts.slice(0, 2)).toEqual([30_000, 30_000]);
    for (const t of starts.slice(2)) expect(t).toBeGreaterThanOrEqual(60_000);
  });

  it('passes a source that reports its HTTP attempts (a core client underneath) straight through', async () => {
    const clock = new FakeClock(T0);
    const inner: StatusSource = async (ids, { onAttempt }) => {
      onAttempt?.({ action: 'DescribeCloudAssistantStatus', attempt: 1, durationMs: 1, throttled: false });
      return ids.map(online);
    };
    const source = rateLimitedSource(inner, { clock, rateLimit: { initialWindow: 1 } });
    const signal = new AbortController().signal;
    const seen: number[] = [];
    await source(['i-1'], { signal, onAttempt: (e) => seen.push(e.attempt) });
    // No pacing after that: ten more calls complete without the clock moving.
    await Promise.all(Array.from({ length: 10 }, () => source(['i-2'], { signal })));
    expect(clock.now()).toBe(T0);
    expect(seen).toEqual([1]);
  });

  it('refuses what is not a source', () => {
    expect(() => rateLimitedSource('x' as never)).toThrow(TypeError);
  });
});
