/**
 * `status` reads with the wait's round and bisection (poll.ts, bisect.ts): the same batches, the
 * same rule for readings, the same narrowing down of a batch that fails with NotFound.
 */
import {
  EcsApiError,
  type EcsClient,
  type InstanceStatus,
  type StatusSource,
} from '@cloud-assistant-gate/core';
import { describe, expect, it } from 'vitest';
import { readStatuses } from '../src/cli/read-statuses.js';

const online = (instanceId: string): InstanceStatus => ({
  instanceId,
  cloudAssistantStatus: true,
  cloudAssistantVersion: '2.2.3.189',
});

/** A region that knows `known`, fails any call naming an ID it does not know, and counts calls. */
const fakeRegion = (
  region: string,
  known: ReadonlySet<string>,
  fail?: (ids: readonly string[]) => unknown,
) => {
  const calls: (readonly string[])[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const statusSource: StatusSource = async (ids) => {
    calls.push(ids);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await new Promise((r) => setTimeout(r, 1));
      const failure = fail?.(ids);
      if (failure !== undefined) throw failure;
      if (ids.some((id) => !known.has(id)))
        throw new EcsApiError({ apiCode: 'InvalidInstance.NotFound', statusCode: 404 });
      return ids.map(online);
    } finally {
      inFlight--;
    }
  };
  const client = {
    region,
    endpoint: `https://ecs.${region}.aliyuncs.com`,
    statusSource,
    instanceStatus: async () => [],
  } as unknown as EcsClient;
  return { client, calls, maxInFlight: () => maxInFlight };
};

const ids = (n: number, prefix = 'i-a') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('readStatuses (the wait’s round)', () => {
  it('batches of 100, `concurrency` at a time; unknown IDs located by the bisection, in input order', async () => {
    const all = ids(250);
    const unknown = new Set(['i-a7', 'i-a130', 'i-a131']);
    const region = fakeRegion('cn-hangzhou', new Set(all.filter((id) => !unknown.has(id))));
    const rows = await readStatuses([region.client], all, { concurrency: 2 });
    expect(rows.map((r) => r.instanceId)).toEqual(all);
    expect(rows.filter((r) => r.status === undefined).map((r) => r.instanceId)).toEqual([...unknown]);
    expect(rows.filter((r) => r.status?.cloudAssistantStatus === true)).toHaveLength(247);
    expect(region.maxInFlight()).toBeLessThanOrEqual(2);
    // Three batch calls, then the bisection's bound (k·(λ + J + 1) for k unknown in a batch).
    expect(region.calls.slice(0, 2)).toEqual([all.slice(0, 100), all.slice(100, 200)]);
    expect(region.calls).toContainEqual(all.slice(200));
    expect(region.calls.length).toBeLessThanOrEqual(3 + 3 * (7 + 4 + 1));
  });

  it('a bare ID unknown in the first region is looked for in the next', async () => {
    const hz = fakeRegion('cn-hangzhou', new Set(['i-a0']));
    const bj = fakeRegion('cn-beijing', new Set(['i-b0']));
    const rows = await readStatuses([hz.client, bj.client], ['i-a0', 'i-b0', 'i-c0'], { concurrency: 4 });
    expect(rows.map((r) => [r.instanceId, r.region, r.status !== undefined])).toEqual([
      ['i-a0', 'cn-hangzhou', true],
      ['i-b0', 'cn-beijing', true],
      ['i-c0', undefined, false],
    ]);
  });

  it('a call that fails for another reason fails the read with that call’s own error', async () => {
    const denied = new EcsApiError({ apiCode: 'Forbidden.RAM', statusCode: 403 });
    const region = fakeRegion('cn-hangzhou', new Set(ids(3)), () => denied);
    await expect(readStatuses([region.client], ids(3), { concurrency: 1 })).rejects.toBe(denied);
    const busy = new EcsApiError({ apiCode: 'ServiceUnavailable', statusCode: 503 });
    const flaky = fakeRegion('cn-hangzhou', new Set(ids(3)), () => busy);
    await expect(readStatuses([flaky.client], ids(3), { concurrency: 1 })).rejects.toBe(busy);
  });

  it('an abort ends the read with the signal’s reason', async () => {
    const region = fakeRegion('cn-hangzhou', new Set(ids(3)));
    const reason = new Error('deadline');
    await expect(
      readStatuses([region.client], ids(3), { concurrency: 1, signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });
});
