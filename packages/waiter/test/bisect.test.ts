import type { InstanceStatus } from '@cloud-assistant-gate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectNotFound, type ProbeResult } from '../src/bisect.js';

const status = (id: string): InstanceStatus => ({
  instanceId: id,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '1',
});

describe('bisectNotFound', () => {
  it('finds exactly the unknown IDs in at most 1.5·k·(ceil(log2 n) + 1) calls, and at most 2n', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 100 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n }),
            ),
          ),
        async ([n, unknownIdx]) => {
          const ids = Array.from({ length: n }, (_, i) => `i-b${i}`);
          const unknown = new Set(unknownIdx.map((i) => ids[i]!));
          let calls = 0;
          const probe = async (subset: readonly string[]): Promise<ProbeResult> => {
            calls++;
            expect(subset.length).toBeGreaterThan(0);
            return subset.some((id) => unknown.has(id))
              ? { kind: 'not-found' }
              : { kind: 'ok', statuses: subset.map(status) };
          };
          const result = await bisectNotFound(ids, probe);
          expect(new Set(result.missing)).toEqual(unknown);
          expect(result.missing).toHaveLength(unknown.size);
          expect(result.statuses.map((s) => s.instanceId).sort()).toEqual(
            ids.filter((id) => !unknown.has(id)).sort(),
          );
          expect(result.unresolved).toEqual([]);
          expect(result.deferred).toEqual([]);
          expect(calls).toBeLessThanOrEqual(1.5 * unknown.size * (Math.ceil(Math.log2(n)) + 1));
          expect(calls).toBeLessThanOrEqual(2 * n);
        },
      ),
    );
  });

  it('leaves IDs for the next round when a probe fails transiently', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `i-t${i}`);
    const boom = new Error('503');
    let calls = 0;
    const result = await bisectNotFound(ids, async (subset) => {
      calls++;
      if (calls === 2) return { kind: 'transient', error: boom };
      return subset.includes('i-t6') ? { kind: 'not-found' } : { kind: 'ok', statuses: subset.map(status) };
    });
    // Probe 1: first half ok; probe 2 (i-t4, i-t5) fails transiently: i-t4.. are left for next round.
    expect(result.statuses.map((s) => s.instanceId)).toEqual(['i-t0', 'i-t1', 'i-t2', 'i-t3']);
    expect(result.unresolved).toEqual([{ ids: ['i-t4', 'i-t5', 'i-t6', 'i-t7'], error: boom }]);
    expect(result.missing).toEqual([]);
  });

  const probeAgainst =
    (unknown: ReadonlySet<string>, count: { calls: number }, budget = Number.POSITIVE_INFINITY) =>
    async (subset: readonly string[]): Promise<ProbeResult> => {
      if (count.calls >= budget) return { kind: 'exhausted' };
      count.calls++;
      return subset.some((id) => unknown.has(id))
        ? { kind: 'not-found' }
        : { kind: 'ok', statuses: subset.map(status) };
    };
  const batch = (n: number) => Array.from({ length: n }, (_, i) => `i-d${String(i).padStart(3, '0')}`);

  it('one unknown ID in a batch of 100 costs at most 9 calls, wherever it is', async () => {
    const ids = batch(100);
    let worst = 0;
    for (const id of ids) {
      const count = { calls: 0 };
      const result = await bisectNotFound(ids, probeAgainst(new Set([id]), count));
      expect(result.missing).toEqual([id]);
      worst = Math.max(worst, count.calls);
    }
    expect(worst).toBeLessThanOrEqual(9);
  });

  it('a batch of 100 unknown IDs (freshly created instances) costs about one call per ID, not ~700', async () => {
    const ids = batch(100);
    const count = { calls: 0 };
    const result = await bisectNotFound(ids, probeAgainst(new Set(ids), count));
    expect(result.missing).toEqual(ids);
    expect(count.calls).toBeLessThanOrEqual(106);
    // Suspects (expected unknown) are walked as dense at once: one call each.
    const walked = { calls: 0 };
    await bisectNotFound(ids, probeAgainst(new Set(ids), walked), true, true);
    expect(walked.calls).toBe(100);
  });

  it('stops when the budget is spent and defers every ID not located, each exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 60 }),
        fc.boolean(),
        fc.func(fc.boolean()),
        async (n, budget, dense, isUnknown) => {
          const ids = batch(n);
          const unknown = new Set(ids.filter((id) => isUnknown(id)));
          if (unknown.size === 0) unknown.add(ids[0]!);
          const count = { calls: 0 };
          const result = await bisectNotFound(ids, probeAgainst(unknown, count, budget), true, dense);
          expect(count.calls).toBeLessThanOrEqual(budget);
          const seen = [
            ...result.statuses.map((s) => s.instanceId),
            ...result.missing,
            ...result.deferred,
          ].sort();
          expect(seen).toEqual(ids);
          for (const id of result.missing) expect(unknown.has(id)).toBe(true);
          for (const s of result.statuses) expect(unknown.has(s.instanceId)).toBe(false);
        },
      ),
    );
  });

  it('counts IDs left out of a successful probe as missing', async () => {
    const result = await bisectNotFound(
      ['i-o1', 'i-o2', 'i-o3'],
      async (subset) => ({
        kind: 'ok',
        statuses: subset.filter((id) => id !== 'i-o2').map(status),
      }),
      false,
    );
    expect(result.missing).toEqual(['i-o2']);
  });
});
