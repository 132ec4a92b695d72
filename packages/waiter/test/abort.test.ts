import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitForCloudAssistant, watchCloudAssistant } from '../src/index.js';
import { fakeFleet, ids, now, settle, step, T0 } from './fleet.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('abort', () => {
  it('already aborted: rejects with the reason and makes zero calls', async () => {
    vi.useFakeTimers({ now: T0 });
    const source = vi.fn();
    const controller = new AbortController();
    const reason = new Error('deploy cancelled');
    controller.abort(reason);
    await expect(waitForCloudAssistant(ids(10), { client: source, signal: controller.signal })).rejects.toBe(
      reason,
    );
    expect(source).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('mid-wait, during a pause: rejects at once with the reason, sends nothing more, leaves nothing behind', async () => {
    vi.useFakeTimers({ now: T0 });
    const fleet = fakeFleet({ now, onlineAfterMs: () => Number.POSITIVE_INFINITY });
    const controller = new AbortController();
    const wait = waitForCloudAssistant(ids(250), { client: fleet.source, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('SIGINT')), 5_000);
    const result = await settle(wait, step);
    expect(result).toEqual({ ok: false, error: new Error('SIGINT') });
    expect(Date.now() - T0).toBeLessThanOrEqual(5_100);
    const calls = fleet.calls.length;
    expect(calls).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fleet.calls.length).toBe(calls);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('mid-wait, during a call: aborts the in-flight calls with the reason', async () => {
    vi.useFakeTimers({ now: T0 });
    const signals: AbortSignal[] = [];
    const controller = new AbortController();
    const wait = waitForCloudAssistant(ids(300), {
      client: (_batch, { signal }) => {
        signals.push(signal);
        return new Promise(() => {});
      },
      signal: controller.signal,
      maxRequestsPerSecond: 1000,
    });
    setTimeout(() => controller.abort('stop'), 1_000);
    const result = await settle(wait, step);
    expect(result).toEqual({ ok: false, error: 'stop' });
    expect(signals).toHaveLength(3);
    expect(signals.every((s) => s.aborted && s.reason === 'stop')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('unsubscribing from the Observable stops the wait the same way', async () => {
    vi.useFakeTimers({ now: T0 });
    const fleet = fakeFleet({ now, onlineAfterMs: () => Number.POSITIVE_INFINITY, latencyMs: 500 });
    const seen: number[] = [];
    const subscription = watchCloudAssistant(ids(150), { client: fleet.source }).subscribe({
      next: (p) => seen.push(p.round),
    });
    await vi.advanceTimersByTimeAsync(4_000);
    const calls = fleet.calls.length;
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(fleet.calls.length).toBe(calls);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('after settling, leaves no timer, handle or listener of ours (real timers)', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const controller = new AbortController();
    let calls = 0;
    let during = 0;
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const report = await waitForCloudAssistant(['i-real1', 'i-real2'], {
      client: async (batch) => {
        calls++;
        during = Math.max(during, timers());
        return batch.map((id) => ({
          instanceId: id,
          cloudAssistantStatus: calls > 2,
          cloudAssistantVersion: '2.2.3',
        }));
      },
      minDelayMs: 10,
      maxDelayMs: 20,
      timeoutMs: 5_000,
      signal: controller.signal,
    });
    expect(report.ready).toEqual(['i-real1', 'i-real2']);
    expect(report.rounds).toBe(3);
    // The probe does see our timers while the wait runs (the deadline timer at least)...
    expect(during).toBeGreaterThan(before);
    // ...and none is left once it settled.
    expect(timers()).toBeLessThanOrEqual(before);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('after a timeout, leaves no timer of ours either (real timers)', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await expect(
      waitForCloudAssistant(['i-real3'], {
        client: async (batch) =>
          batch.map((id) => ({ instanceId: id, cloudAssistantStatus: false, cloudAssistantVersion: '' })),
        minDelayMs: 10,
        maxDelayMs: 20,
        timeoutMs: 100,
      }),
    ).rejects.toMatchObject({
      code: 'WAITER_TIMEOUT',
      pending: [{ instanceId: 'i-real3', reason: 'no-heartbeat-yet' }],
    });
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(
      before,
    );
  });
});
