import type { InstanceStatus } from '@cloud-assistant-gate/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bisectNotFound, type ProbeResult } from '../src/bisect.js';

const status = (id: string): InstanceStatus => ({
  instanceId: id,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '1',
});

/** `CAG_SOAK=1` (pnpm test:soak) runs the property tests 20,000 times. */
const RUNS = process.env['CAG_SOAK'] === '1' ? 20_000 : 500;

/** λ = ⌈log2 n⌉ and J (the least J ≥ 2 with 2^(J+1) ≥ 2λ + J), as bisect.ts defines them. */
const params = (n: number): { lambda: number; j: number } => {
  const lambda = Math.ceil(Math.log2(n));
  let j = 2;
  while (2 ** (j + 1) < 2 * lambda + j) j++;
  return { lambda, j };
};

/** The bounds bisect.ts proves for k unknown IDs among n (batch known to fail). */
const bound = (n: number, k: number, dense: boolean): number => {
  const { lambda, j } = params(n);
  return dense
    ? Math.min(k * (lambda + j + 1) + j - 1, 2 * n)
    : Math.min(k * (lambda + j + 1), 2 * n + Math.max(0, lambda - 2));
};

/** Runs the search against a fixed set of unknown indexes; checks what it found; the calls. */
const locate = async (n: number, unknownIdx: Iterable<number>, dense = false): Promise<number> => {
  const ids = Array.from({ length: n }, (_, i) => `i-b${i}`);
  const unknown = new Set([...unknownIdx].map((i) => ids[i]!));
  let calls = 0;
  const probe = async (subset: readonly string[]): Promise<ProbeResult> => {
    calls++;
    if (subset.length === 0) throw new Error('an empty probe');
    return subset.some((id) => unknown.has(id))
      ? { kind: 'not-found' }
      : { kind: 'ok', statuses: subset.map(status) };
  };
  const result = await bisectNotFound(ids, probe, true, dense);
  expect(result.missing).toEqual(ids.filter((id) => unknown.has(id)));
  expect(result.statuses.map((s) => s.instanceId)).toEqual(ids.filter((id) => !unknown.has(id)));
  expect(result.unresolved).toEqual([]);
  expect(result.deferred).toEqual([]);
  return calls;
};

describe('bisectNotFound', () => {
  const cases = fc
    .integer({ min: 1, max: 100 })
    .chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { minLength: 1, maxLength: n }),
      ),
    );
  // Found by this property against the former algorithm (50 calls, over its 1.5·k·(λ + 1) = 48).
  const counterexample: [number, number[]] = [99, [31, 77, 52, 7]];

  it('finds exactly the unknown IDs in at most k·(λ + J + 1) and 2n + max(0, λ − 2) calls', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ([n, unknownIdx]) => {
        expect(await locate(n, unknownIdx)).toBeLessThanOrEqual(bound(n, unknownIdx.length, false));
      }),
      { numRuns: RUNS, examples: [[counterexample]] },
    );
  });

  it('walking suspects (dense) finds them in at most k·(λ + J + 1) + J − 1 and 2n calls', async () => {
    await fc.assert(
      fc.asyncProperty(cases, async ([n, unknownIdx]) => {
        expect(await locate(n, unknownIdx, true)).toBeLessThanOrEqual(bound(n, unknownIdx.length, true));
      }),
      { numRuns: RUNS, examples: [[counterexample]] },
    );
  });

  it('keeps to the bounds for every set of unknown IDs in every batch of up to 10', async () => {
    for (let n = 1; n <= 10; n++) {
      for (let mask = 1; mask < 2 ** n; mask++) {
        const unknownIdx = Array.from({ length: n }, (_, i) => i).filter((i) => (mask >> i) & 1);
        for (const dense of [false, true]) {
          expect(await locate(n, unknownIdx, dense)).toBeLessThanOrEqual(bound(n, unknownIdx.length, dense));
        }
      }
    }
  });

  it('four unknown IDs spread over 99 (the counterexample to the former bound) cost at most 12 each', async () => {
    const [n, unknownIdx] = counterexample;
    expect(params(n)).toEqual({ lambda: 7, j: 4 });
    expect(await locate(n, unknownIdx)).toBeLessThanOrEqual(4 * 12);
    // One in each quarter of a batch of 100: the former algorithm took that for dense and
    // galloped through each quarter (up to 54 calls).
    for (const offset of [0, 7, 12, 15, 24]) {
      const spread = [0, 25, 50, 75].map((q) => q + offset);
      expect(await locate(100, spread)).toBeLessThanOrEqual(4 * 12);
    }
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

  it('one unknown ID in a batch of 100 costs at most 9 calls, 8 unless it is among the first 15', async () => {
    const ids = batch(100);
    const calls: number[] = [];
    for (const id of ids) {
      const count = { calls: 0 };
      const result = await bisectNotFound(ids, probeAgainst(new Set([id]), count));
      expect(result.missing).toEqual([id]);
      calls.push(count.calls);
    }
    expect(Math.max(...calls)).toBeLessThanOrEqual(9);
    expect(Math.max(...calls.slice(15))).toBeLessThanOrEqual(8);
  });

  it('a batch of 100 unknown IDs (freshly created instances) costs one call per ID after the first, not ~600', async () => {
    const ids = batch(100);
    const count = { calls: 0 };
    const result = await bisectNotFound(ids, probeAgainst(new Set(ids), count));
    expect(result.missing).toEqual(ids);
    expect(count.calls).toBe(105);
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
      { numRuns: RUNS },
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
