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
  it('finds exactly the unknown IDs in at most k·(ceil(log2 n) + 1) calls', () => {
    fc.assert(
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
          expect(calls).toBeLessThanOrEqual(unknown.size * (Math.ceil(Math.log2(n)) + 1));
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
    // Probe 1: prefix 4 ok; probe 2 (prefix 6) fails transiently: i-t4.. are left for next round.
    expect(result.statuses.map((s) => s.instanceId)).toEqual(['i-t0', 'i-t1', 'i-t2', 'i-t3']);
    expect(result.unresolved).toEqual([{ ids: ['i-t4', 'i-t5', 'i-t6', 'i-t7'], error: boom }]);
    expect(result.missing).toEqual([]);
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
