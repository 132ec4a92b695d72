/**
 * The hot paths of a DescribeCloudAssistantStatus call held to the general code they replace:
 * the query written from the ID list vs `canonicalQueryString` of the params object, the RPC V3
 * headers vs `buildV3Headers` (and the SDK vectors), and the transport's shared deadline timer.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signatureVectors, vectorTime } from '../../../test/fixtures/vectors.js';
import type { DescribeCloudAssistantStatusRequest } from '../src/client-types.js';
import { describeParams, describeQuery } from '../src/describe-params.js';
import { isEcsTimeoutError, isThrottlingError } from '../src/index.js';
import {
  buildRpcV3Headers,
  buildV3Headers,
  canonicalQueryString,
  formatAcsDate,
  hmacKey,
  percentEncode,
} from '../src/sign.js';
import { poolClass } from '../src/transport.js';
import type { AttemptEvent } from '../src/types.js';
import {
  apiError,
  echoStatus,
  STS_CREDENTIALS,
  TEST_CREDENTIALS,
  useClientHarness,
  verifySignature,
} from './helpers.js';

const region = fc.constantFrom('cn-hangzhou', 'ap-southeast-1', 'xx-new-9');
const id = fc.oneof(
  fc.stringMatching(/^i-[a-z0-9]{1,22}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
);
const request: fc.Arbitrary<DescribeCloudAssistantStatusRequest> = fc.record(
  {
    instanceIds: fc.array(id, { maxLength: 100 }),
    osType: fc.oneof(fc.constantFrom('Linux', 'Windows', 'FreeBSD'), fc.string({ unit: 'grapheme' })),
    maxResults: fc.integer({ min: 1, max: 1_000_000 }),
    nextToken: fc.string({ unit: 'grapheme' }),
    pageNumber: fc.integer({ min: 1, max: 1000 }),
    pageSize: fc.integer({ min: 1, max: 100 }),
  },
  { requiredKeys: [] },
);

describe('DescribeCloudAssistantStatus query written from the ID list', () => {
  it('equals canonicalQueryString of the params object, for any IDs and options', () => {
    fc.assert(
      fc.property(region, request, (r, req) => {
        expect(describeQuery(`RegionId=${percentEncode(r)}`, req)).toBe(
          canonicalQueryString(describeParams(r, req)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('sorts InstanceId.1..100 as strings (1, 10, 100, 11, …) for every batch size', () => {
    for (let n = 0; n <= 100; n++) {
      const ids = Array.from({ length: n }, (_, i) => `i-${i + 1}`);
      const q = describeQuery('RegionId=cn-hangzhou', { instanceIds: ids });
      expect(q).toBe(canonicalQueryString(describeParams('cn-hangzhou', { instanceIds: ids })));
    }
    expect(
      describeQuery('RegionId=r', { instanceIds: Array.from({ length: 11 }, (_, i) => `${i + 1}`) }),
    ).toBe(
      'InstanceId.1=1&InstanceId.10=10&InstanceId.11=11&InstanceId.2=2&InstanceId.3=3&InstanceId.4=4&' +
        'InstanceId.5=5&InstanceId.6=6&InstanceId.7=7&InstanceId.8=8&InstanceId.9=9&RegionId=r',
    );
  });

  it('checks the IDs like the params path does', () => {
    for (const bad of [[''], [42], 'i-1', Array.from({ length: 101 }, () => 'i-1')]) {
      const req = { instanceIds: bad } as unknown as DescribeCloudAssistantStatusRequest;
      expect(() => describeQuery('RegionId=r', req)).toThrow();
      expect(() => describeParams('r', req)).toThrow();
    }
    expect(() => describeQuery('RegionId=r', { maxResults: 0 })).toThrow(/maxResults/);
  });
});

describe('RPC V3 headers written directly', () => {
  const credentials = fc.oneof(
    fc.record({ accessKeyId: fc.string({ minLength: 1 }), accessKeySecret: fc.string({ minLength: 1 }) }),
    fc.record({
      accessKeyId: fc.string({ minLength: 1 }),
      accessKeySecret: fc.string({ minLength: 1 }),
      securityToken: fc.string(),
    }),
  );

  it('equal buildV3Headers for any parameters, credentials, date and nonce', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })),
        credentials,
        fc.option(fc.constantFrom('static_ak', 'static_sts', ' env '), { nil: undefined }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.uuid(),
        fc.boolean(),
        (params, creds, provider, date, nonce, cachedKey) => {
          const unsigned = { accept: 'application/json', 'user-agent': 'ua/1 Node.js' };
          const expected = buildV3Headers({
            host: 'ecs.example.com',
            action: 'DescribeCloudAssistantStatus',
            version: '2014-05-26',
            params,
            date,
            nonce,
            credentials: creds,
            credentialsProvider: provider,
            extraHeaders: unsigned,
          });
          const actual = buildRpcV3Headers({
            host: 'ecs.example.com',
            action: 'DescribeCloudAssistantStatus',
            version: '2014-05-26',
            canonicalQuery: canonicalQueryString(params),
            date: formatAcsDate(date),
            nonce,
            credentials: creds,
            credentialsProvider: provider,
            unsignedHeaders: unsigned,
            key: cachedKey ? hmacKey(creds.accessKeySecret) : undefined,
          });
          expect(Object.entries(actual)).toEqual(Object.entries(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  const v3 = signatureVectors.filter((v) => v.signatureScheme === 'ACS3-HMAC-SHA256');
  it.each(
    v3
      .filter((v) => !Object.keys(v.headers).some((k) => k.startsWith('x-acs-retry-')))
      .map((v) => [v.name, v] as const),
  )('reproduce the SDK vector %s', (_name, v) => {
    const headers = buildRpcV3Headers({
      host: v.headers.host!,
      action: v.headers['x-acs-action']!,
      version: v.headers['x-acs-version']!,
      canonicalQuery: canonicalQueryString(v.query),
      date: formatAcsDate(vectorTime(v)),
      nonce: v.headers['x-acs-signature-nonce']!,
      credentials: {
        accessKeyId: v.accessKeyId,
        accessKeySecret: v.accessKeySecret,
        securityToken: v.securityToken,
      },
      credentialsProvider: v.headers['x-acs-credentials-provider'],
    });
    expect(headers.authorization).toBe(v.expectedAuthorization);
  });
});

describe('transport', () => {
  it("uses undici's own Pool class, loaded without the rest of undici", async () => {
    const { Pool } = await import('undici');
    expect(poolClass()).toBe(Pool);
  });
});

describe('client on the fast paths', () => {
  const { server, client } = useClientHarness();

  it('sends 100 IDs in sorted order with a valid signature, V3 and STS', async () => {
    server.handle(echoStatus);
    const ids = Array.from({ length: 100 }, (_, i) => `i-bp1${String(i).padStart(3, '0')}`);
    for (const credentials of [TEST_CREDENTIALS, STS_CREDENTIALS]) {
      server.requests.length = 0;
      const result = await client({ credentials }).describeCloudAssistantStatus({ instanceIds: ids });
      expect(result.instances.map((s) => s.instanceId)).toEqual(ids);
      const req = server.requests[0]!;
      expect(req.url).toBe(`/?${canonicalQueryString(describeParams('cn-hangzhou', { instanceIds: ids }))}`);
      expect(verifySignature(req, credentials.accessKeySecret)).toBe(true);
    }
  });

  it('signs with the rotated secret when a credentials function changes it', async () => {
    server.handle(echoStatus);
    const secrets = ['first-secret-value', 'second-secret-value'];
    let n = 0;
    const c = client({
      credentials: async () => ({ accessKeyId: 'id', accessKeySecret: secrets[Math.min(n++, 1)]! }),
    });
    await c.describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    await c.describeCloudAssistantStatus({ instanceIds: ['i-2'] });
    expect(verifySignature(server.requests[0]!, secrets[0]!)).toBe(true);
    expect(verifySignature(server.requests[1]!, secrets[1]!)).toBe(true);
  });

  it('reports x-acs-retry-after of a throttled attempt as retryAfterMs', async () => {
    server.handle(apiError(400, 'Throttling.User', 'slow down', { 'x-acs-retry-after': '40' }), echoStatus);
    const events: AttemptEvent[] = [];
    await client({ rateLimit: false }).describeCloudAssistantStatus({
      instanceIds: ['i-1'],
      onAttempt: (e) => events.push(e),
    });
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ throttled: true, apiCode: 'Throttling.User', retryAfterMs: 40 });
    expect('retryAfterMs' in events[1]!).toBe(false);
  });

  it('leaves retryAfterMs out when the throttled answer has no x-acs-retry-after', async () => {
    server.handle(apiError(400, 'Throttling.User'));
    const events: AttemptEvent[] = [];
    const error = await client({ rateLimit: false, retry: false })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'], onAttempt: (e) => events.push(e) })
      .catch((e) => e);
    expect(isThrottlingError(error)).toBe(true);
    expect(events[0]!.throttled).toBe(true);
    expect('retryAfterMs' in events[0]!).toBe(false);
  });

  it('times out each of several overlapping attempts at its own deadline, without holding up others', async () => {
    // Requests 1..3 hang; the 4th is answered. Timeouts must fire per attempt (shared timer).
    const hang = (): void => {};
    server.handle(hang, hang, hang, echoStatus);
    // A slow start that lets all four go when asked: the per-attempt deadlines, not the budget's
    // pace, are what this measures.
    const c = client({ timeoutMs: 300, retry: false, rateLimit: { initialWindow: 4 } });
    const started = performance.now();
    const settle = (p: Promise<unknown>) =>
      p.then(
        () => ({ ok: true, at: performance.now() - started }),
        (e) => ({ ok: false, e, at: performance.now() - started }),
      );
    const a = settle(c.describeCloudAssistantStatus({ instanceIds: ['i-a'] }));
    await new Promise((r) => setTimeout(r, 100));
    const b = settle(c.describeCloudAssistantStatus({ instanceIds: ['i-b'] }));
    await new Promise((r) => setTimeout(r, 100));
    const d = settle(c.describeCloudAssistantStatus({ instanceIds: ['i-d'] }));
    await new Promise((r) => setTimeout(r, 20));
    const ok = settle(c.describeCloudAssistantStatus({ instanceIds: ['i-ok'] }));
    const [ra, rb, rd, rok] = await Promise.all([a, b, d, ok]);
    expect(rok.ok).toBe(true);
    expect(rok.at).toBeLessThan(300);
    for (const [r, start] of [
      [ra, 0],
      [rb, 100],
      [rd, 200],
    ] as const) {
      expect(r.ok).toBe(false);
      expect(isEcsTimeoutError((r as { e: unknown }).e)).toBe(true);
      expect(r.at).toBeGreaterThanOrEqual(start + 290);
      expect(r.at).toBeLessThan(start + 300 + 250);
    }
  });

  it('times out an attempt still queued for a connection (maxConcurrency above the pool)', async () => {
    const hang = (): void => {};
    server.handle(hang);
    // One socket: the second request waits in undici's queue and never gets a socket.
    const { Pool } = await import('undici');
    const pool = new Pool(server.url, { connections: 1 });
    const c = client({ timeoutMs: 200, retry: false, dispatcher: pool, maxConcurrency: 2 });
    const started = performance.now();
    const results = await Promise.allSettled([
      c.describeCloudAssistantStatus({ instanceIds: ['i-1'] }),
      c.describeCloudAssistantStatus({ instanceIds: ['i-2'] }),
    ]);
    expect(performance.now() - started).toBeLessThan(200 + 300);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(isEcsTimeoutError((r as PromiseRejectedResult).reason)).toBe(true);
    }
    await pool.destroy();
  });

  it('keeps working after many attempts (the deadline queue drains)', async () => {
    server.handle(echoStatus);
    const c = client({ maxConcurrency: 8 });
    const ids = Array.from({ length: 300 }, (_, i) => `i-${i}`);
    const results = await Promise.all(ids.map((i) => c.describeCloudAssistantStatus({ instanceIds: [i] })));
    expect(results.map((r) => r.instances[0]!.instanceId)).toEqual(ids);
  });
});
