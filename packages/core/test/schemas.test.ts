import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDescribeCloudAssistantStatus } from '../src/schemas.js';

const item = (over: Record<string, unknown> = {}) => ({
  InstanceId: 'i-1',
  CloudAssistantStatus: 'true',
  CloudAssistantVersion: '2.2.3.189',
  ...over,
});
const body = (items: unknown[], extra: Record<string, unknown> = {}) => ({
  RequestId: 'r',
  ...extra,
  InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: items },
});

describe('DescribeCloudAssistantStatus schema', () => {
  it('turns "true"/"false" into booleans', () => {
    const r = parseDescribeCloudAssistantStatus(
      body([item(), item({ InstanceId: 'i-2', CloudAssistantStatus: 'false' })]),
    );
    expect(r.instances.map((s) => s.cloudAssistantStatus)).toEqual([true, false]);
  });

  it('tolerates unknown fields and drops them', () => {
    const r = parseDescribeCloudAssistantStatus(body([item({ Extra: 1 })], { Other: { a: 1 } }));
    expect(r.instances[0]).toEqual({
      instanceId: 'i-1',
      cloudAssistantStatus: true,
      cloudAssistantVersion: '2.2.3.189',
    });
    expect(r).not.toHaveProperty('Other');
  });

  it('treats a missing set or an empty NextToken as an empty, final page', () => {
    expect(parseDescribeCloudAssistantStatus({ RequestId: 'r', NextToken: '' })).toEqual({
      requestId: 'r',
      instances: [],
    });
  });

  it.each([
    [{ InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: [] } }, 'RequestId'],
    [
      body([item({ InstanceId: undefined })]),
      'InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0].InstanceId',
    ],
    [
      body([item(), item({ CloudAssistantStatus: 'yes' })]),
      'InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[1].CloudAssistantStatus',
    ],
    [
      body([item({ ActiveTaskCount: 'many' })]),
      'InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0].ActiveTaskCount',
    ],
    [
      { RequestId: 'r', InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: 'x' } },
      'InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus',
    ],
  ])('throws a ResponseValidationError naming %#', (data, path) => {
    let error: unknown;
    try {
      parseDescribeCloudAssistantStatus(data);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ECS_RESPONSE_INVALID', path, retryable: true });
    expect((error as Error).message).toContain(path);
  });

  it('cannot be used for prototype pollution', () => {
    const raw =
      '{"RequestId":"r","__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},' +
      '"InstanceCloudAssistantStatusSet":{"InstanceCloudAssistantStatus":[{"InstanceId":"i-1","CloudAssistantStatus":"true","__proto__":{"polluted":3}}]}}';
    const r = parseDescribeCloudAssistantStatus(JSON.parse(raw));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((r as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect((r.instances[0] as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(r.instances[0])).toBe(Object.prototype);
  });

  it('keeps every instance, in order, for any list of items', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ minLength: 1 }), fc.boolean()), { maxLength: 100 }),
        (rows) => {
          const r = parseDescribeCloudAssistantStatus(
            body(rows.map(([id, on]) => item({ InstanceId: id, CloudAssistantStatus: String(on) }))),
          );
          expect(r.instances.map((s) => [s.instanceId, s.cloudAssistantStatus])).toEqual(rows);
        },
      ),
    );
  });
});

describe('the fast path agrees with the zod schema', () => {
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 6 }),
    fc.constantFrom('true', 'false', 'True', '12'),
    fc.integer(),
    fc.boolean(),
  );
  const arbItem = fc.record(
    {
      InstanceId: value,
      CloudAssistantStatus: value,
      CloudAssistantVersion: value,
      LastHeartbeatTime: value,
      ActiveTaskCount: value,
      SupportSessionManager: value,
    },
    { requiredKeys: [] },
  );
  it('gives the same result or the same error for arbitrary items', async () => {
    const { describeCloudAssistantStatusResponseSchema, toInstanceStatus } = await import(
      '../src/schemas.js'
    );
    fc.assert(
      fc.property(fc.array(arbItem, { maxLength: 4 }), value, (items, nextToken) => {
        const data = JSON.parse(
          JSON.stringify(body(items, nextToken === undefined ? {} : { NextToken: nextToken })),
        );
        const viaZod = describeCloudAssistantStatusResponseSchema.safeParse(data);
        let result: unknown;
        let failed = false;
        try {
          result = parseDescribeCloudAssistantStatus(data);
        } catch {
          failed = true;
        }
        expect(failed).toBe(!viaZod.success);
        if (viaZod.success) {
          const list = viaZod.data.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus ?? [];
          expect((result as { instances: unknown }).instances).toEqual(list.map(toInstanceStatus));
        }
      }),
    );
  });
});
