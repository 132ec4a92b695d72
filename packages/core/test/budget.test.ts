/**
 * The request budget through a real client and a loopback server: a fresh client's first calls,
 * a throttle holding every caller's queued calls, x-acs-retry-after, and close().
 */
import { describe, expect, it } from 'vitest';
import { type EcsClient, isClientClosedError, isEcsError } from '../src/index.js';
import { apiError, echoStatus, type Handler, useClientHarness } from './helpers.js';

const { server, client } = useClientHarness();

/** Records when each request arrived (server's wall clock), then runs `handler`. */
function stamped(arrivals: number[], handler: Handler): Handler {
  return (req, res) => {
    arrivals.push(Date.now());
    return handler(req, res);
  };
}

const describeOne = (c: EcsClient, id: string, signal?: AbortSignal) =>
  c.describeCloudAssistantStatus({ instanceIds: [id], signal });

describe('the request budget of a client', () => {
  it("sends a fresh client's first initialWindow parallel calls at once", async () => {
    const arrivals: number[] = [];
    let arrived = 0;
    let release!: () => void;
    const allFour = new Promise<void>((r) => {
      release = r;
    });
    // The first four answer only once all four have arrived: the client must not space them.
    const barrier: Handler = async (req, res) => {
      if (++arrived === 4) release();
      await Promise.race([allFour, new Promise((r) => setTimeout(r, 2_000))]);
      echoStatus(req, res);
    };
    server.handle(
      ...Array.from({ length: 4 }, () => stamped(arrivals, barrier)),
      stamped(arrivals, echoStatus),
    );
    const c = client({ rateLimit: { initialWindow: 4, slowStartMs: 250 } });
    const started = performance.now();
    await Promise.all(['i-1', 'i-2', 'i-3', 'i-4', 'i-5', 'i-6'].map((id) => describeOne(c, id)));
    expect(arrived).toBeGreaterThanOrEqual(4);
    // All four were in flight together: none waited for the 2 s fallback.
    expect(performance.now() - started).toBeLessThan(1_500);
    // The 5th is paced by slow start (4 per 250 ms), not sent with the first four.
    expect(arrivals[4]! - arrivals[0]!).toBeGreaterThanOrEqual(25);
  });

  it('holds the queued calls of every caller of the client after a throttle, until the window turns', async () => {
    const arrivals: { at: number; id: string }[] = [];
    let n = 0;
    let throttledAt = 0;
    server.handle((req, res) => {
      const at = Date.now();
      arrivals.push({ at, id: req.query['InstanceId.1']! });
      if (++n === 3) {
        throttledAt = at;
        return apiError(400, 'Throttling.User', 'Request was denied due to user flow control.')(req, res);
      }
      return echoStatus(req, res);
    });
    // One-second windows: the hold lasts until the server's next second turns. One call at a
    // time, so that every call after the throttle was sent after its answer.
    // The quota is known to be window-shaped (longHoldMs: Infinity): no test call before the turn.
    const c = client({
      maxConcurrency: 1,
      rateLimit: { windowMs: 1_000, longHoldMs: Number.POSITIVE_INFINITY },
    });
    const a = new AbortController();
    const b = new AbortController();
    const calls = [
      ...['i-a1', 'i-a2', 'i-a3', 'i-a4', 'i-a5'].map((id) => describeOne(c, id, a.signal)),
      ...['i-b1', 'i-b2', 'i-b3', 'i-b4', 'i-b5'].map((id) => describeOne(c, id, b.signal)),
    ];
    await Promise.all(calls);
    const turn = Math.floor(throttledAt / 1000) * 1000 + 1000;
    const after = arrivals.slice(3);
    // Calls of both callers were held, and none arrived before the window turned.
    expect(after.some((r) => r.id.startsWith('i-a'))).toBe(true);
    expect(after.some((r) => r.id.startsWith('i-b'))).toBe(true);
    for (const r of after) expect(r.at).toBeGreaterThanOrEqual(turn);
  });

  it('holds every queued call for x-acs-retry-after', async () => {
    const arrivals: number[] = [];
    let throttledAt = 0;
    server.handle(
      (req, res) => {
        throttledAt = Date.now();
        arrivals.push(throttledAt);
        return apiError(400, 'Throttling.User', 'slow down', { 'x-acs-retry-after': '400' })(req, res);
      },
      stamped(arrivals, echoStatus),
    );
    const c = client({ maxConcurrency: 1 });
    await Promise.all(['i-1', 'i-2', 'i-3'].map((id) => describeOne(c, id)));
    expect(arrivals).toHaveLength(4);
    for (const at of arrivals.slice(1)) expect(at - throttledAt).toBeGreaterThanOrEqual(390);
  });
});

describe('close()', () => {
  it('rejects every queued, retrying and in-flight call promptly with ClientClosedError, leaving no timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let n = 0;
    server.handle((req, res) => {
      n++;
      // 1: never answered (in flight); 2: a 503, retried after a long backoff; then queued.
      if (n === 1) return;
      if (n === 2) return apiError(503, 'ServiceUnavailable')(req, res);
      return echoStatus(req, res);
    });
    const c = client({
      maxConcurrency: 4,
      maxRequestsPerSecond: 2,
      timeoutMs: 60_000,
      retry: { baseDelayMs: 60_000 },
    });
    const inFlight = describeOne(c, 'i-1');
    const retrying = describeOne(c, 'i-2');
    const queued = [describeOne(c, 'i-3'), describeOne(c, 'i-4'), describeOne(c, 'i-5')];
    const settled = Promise.allSettled([inFlight, retrying, ...queued]);
    // Let the first two go out (2/s) and the second fail into its retry delay.
    await new Promise((r) => setTimeout(r, 700));
    expect(n).toBeGreaterThanOrEqual(2);
    const closing = performance.now();
    await c.close();
    const results = await settled;
    expect(performance.now() - closing).toBeLessThan(500);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason;
      expect(isEcsError(reason)).toBe(true);
      expect(isClientClosedError(reason)).toBe(true);
      expect(reason.code).toBe('ECS_CLIENT_CLOSED');
    }
    // A call after close is refused the same way, and nothing of the client keeps running.
    await expect(describeOne(c, 'i-6')).rejects.toMatchObject({ code: 'ECS_CLIENT_CLOSED' });
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
