import { inspect } from 'node:util';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  createEcsClient,
  EcsApiError,
  type EcsClientOptions,
  isEcsApiError,
  isEcsTimeoutError,
  isResponseTooLargeError,
  isResponseValidationError,
  isThrottlingError,
} from '../src/index.js';
import type { AttemptEvent } from '../src/types.js';
import {
  apiError,
  echoStatus,
  json,
  STS_CREDENTIALS,
  statusBody,
  TEST_CREDENTIALS,
  text,
  useClientHarness,
  verifySignature,
} from './helpers.js';

const { server, client, track } = useClientHarness();

const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-test${String(i).padStart(4, '0')}`);

describe('describeCloudAssistantStatus', () => {
  it('sends a V3-signed POST / with the parameters in the query and an empty body, like the SDK', async () => {
    server.handle(echoStatus);
    const result = await client().describeCloudAssistantStatus({ instanceIds: ['i-a', 'i-b'] });
    expect(result.instances.map((s) => [s.instanceId, s.cloudAssistantStatus])).toEqual([
      ['i-a', true],
      ['i-b', false],
    ]);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.body).toBe('');
    expect(req.query).toEqual({ RegionId: 'cn-hangzhou', 'InstanceId.1': 'i-a', 'InstanceId.2': 'i-b' });
    expect(req.headers['x-acs-action']).toBe('DescribeCloudAssistantStatus');
    expect(req.headers['x-acs-version']).toBe('2014-05-26');
    expect(req.headers['x-acs-content-sha256']).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(req.headers.host).toBe(new URL(server.url).host);
    expect(verifySignature(req, TEST_CREDENTIALS.accessKeySecret)).toBe(true);
    expect(verifySignature(req, 'wrong-secret')).toBe(false);
  });

  it('sends the STS token in x-acs-security-token and signs it', async () => {
    server.handle(echoStatus);
    await client({ credentials: STS_CREDENTIALS }).describeCloudAssistantStatus({ instanceIds: ['i-a'] });
    const req = server.requests[0]!;
    expect(req.headers['x-acs-security-token']).toBe(STS_CREDENTIALS.securityToken);
    expect(req.headers.authorization).toContain('x-acs-security-token');
    expect(verifySignature(req, STS_CREDENTIALS.accessKeySecret)).toBe(true);
  });

  it('sends a V1 (HMAC-SHA1) request that verifies, when asked', async () => {
    server.handle(echoStatus);
    const result = await client({
      signatureVersion: 'v1',
      credentials: STS_CREDENTIALS,
    }).describeCloudAssistantStatus({
      instanceIds: ['i-a', 'i-*~ (x)'],
    });
    expect(result.instances).toHaveLength(2);
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBeUndefined();
    // A POST form body, as pop-core sends POST: the token and signature are in no URL.
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.params).toMatchObject({
      Action: 'DescribeCloudAssistantStatus',
      Version: '2014-05-26',
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SecurityToken: STS_CREDENTIALS.securityToken,
      'InstanceId.2': 'i-*~ (x)',
    });
    expect(verifySignature(req, STS_CREDENTIALS.accessKeySecret)).toBe(true);
  });

  it('maps every field of the API item to camelCase', async () => {
    server.handle(
      json(200, {
        RequestId: 'r1',
        TotalCount: 1,
        PageNumber: 1,
        PageSize: 10,
        InstanceCloudAssistantStatusSet: {
          InstanceCloudAssistantStatus: [
            {
              InstanceId: 'i-1',
              CloudAssistantStatus: 'true',
              CloudAssistantVersion: '2.2.3.189',
              LastHeartbeatTime: '2024-01-01T00:00:00Z',
              LastInvokedTime: '2024-01-01T00:01:00Z',
              ActiveTaskCount: 2,
              InvocationCount: 5,
              OSType: 'Linux',
              SupportSessionManager: true,
              SomethingNew: 'tolerated',
            },
          ],
        },
      }),
    );
    const result = await client().describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    expect(result).toEqual({
      requestId: 'r1',
      totalCount: 1,
      pageNumber: 1,
      pageSize: 10,
      instances: [
        {
          instanceId: 'i-1',
          cloudAssistantStatus: true,
          cloudAssistantVersion: '2.2.3.189',
          lastHeartbeatTime: '2024-01-01T00:00:00Z',
          lastInvokedTime: '2024-01-01T00:01:00Z',
          activeTaskCount: 2,
          invocationCount: 5,
          osType: 'Linux',
          supportSessionManager: true,
        },
      ],
    });
  });

  it('rejects more than 100 instance IDs with a RangeError before any request', async () => {
    const c = client();
    await expect(c.describeCloudAssistantStatus({ instanceIds: ids(101) })).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(0);
  });

  it('accepts exactly 100 IDs and sends InstanceId.1..100', async () => {
    server.handle(echoStatus);
    const result = await client().describeCloudAssistantStatus({ instanceIds: ids(100) });
    expect(result.instances).toHaveLength(100);
    expect(server.requests[0]!.query['InstanceId.100']).toBe('i-test0099');
  });

  it('throws a ResponseValidationError naming a missing required field', async () => {
    server.handle(
      json(200, {
        RequestId: 'r',
        InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: [{ InstanceId: 'i-1' }] },
      }),
    );
    const error = await client({ retry: false })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isResponseValidationError(error)).toBe(true);
    expect(error.path).toBe(
      'InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0].CloudAssistantStatus',
    );
    expect(error.message).toContain('CloudAssistantStatus');
  });

  it('serves the waiter through statusSource and reports every attempt', async () => {
    server.handle(apiError(503, 'ServiceUnavailable'), echoStatus);
    const events: AttemptEvent[] = [];
    const statuses = await client().statusSource(['i-1', 'i-2'], {
      signal: new AbortController().signal,
      onAttempt: (e) => events.push(e),
    });
    expect(statuses.map((s) => s.instanceId)).toEqual(['i-1', 'i-2']);
    expect(events.map((e) => [e.attempt, e.statusCode, e.apiCode, e.throttled])).toEqual([
      [1, 503, 'ServiceUnavailable', false],
      [2, 200, undefined, false],
    ]);
  });
});

describe('listCloudAssistantStatus', () => {
  it('walks every page with NextToken and MaxResults', async () => {
    server.handle(
      json(200, statusBody(['i-1', 'i-2'], { NextToken: 't1' })),
      json(200, statusBody(['i-3'], { NextToken: 't2' })),
      json(200, statusBody(['i-4'], { NextToken: '' })),
    );
    const seen: string[] = [];
    for await (const s of client().listCloudAssistantStatus({ osType: 'Linux' })) seen.push(s.instanceId);
    expect(seen).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
    expect(server.requests.map((r) => [r.query.NextToken, r.query.MaxResults, r.query.OSType])).toEqual([
      [undefined, '50', 'Linux'],
      ['t1', '50', 'Linux'],
      ['t2', '50', 'Linux'],
    ]);
  });

  it('stops with an error when the API repeats a NextToken', async () => {
    server.handle(json(200, statusBody(['i-1'], { NextToken: 'same' })));
    const seen: string[] = [];
    await expect(async () => {
      for await (const s of client().listCloudAssistantStatus()) seen.push(s.instanceId);
    }).rejects.toThrow(/NextToken/);
    expect(server.requests).toHaveLength(2);
  });
});

describe('call', () => {
  it('signs any RPC action, flattens arrays and defaults RegionId', async () => {
    server.handle(json(200, { RequestId: 'r', InvokeId: 't-1' }));
    const out = await client().call('RunCommand', {
      InstanceId: ['i-1', 'i-2'],
      Type: 'RunShellScript',
      CommandContent: 'echo hi',
      Timeout: 60,
      KeepCommand: false,
      Unused: undefined,
    });
    expect(out).toEqual({ RequestId: 'r', InvokeId: 't-1' });
    const req = server.requests[0]!;
    expect(req.headers['x-acs-action']).toBe('RunCommand');
    expect(req.query).toEqual({
      RegionId: 'cn-hangzhou',
      'InstanceId.1': 'i-1',
      'InstanceId.2': 'i-2',
      Type: 'RunShellScript',
      CommandContent: 'echo hi',
      Timeout: '60',
      KeepCommand: 'false',
    });
    expect(verifySignature(req, TEST_CREDENTIALS.accessKeySecret)).toBe(true);
  });
});

describe('errors from the API', () => {
  it('turns an API error body into an EcsApiError with every field', async () => {
    server.handle(apiError(404, 'InvalidInstance.NotFound', 'The specified instance does not exist.'));
    const error = await client()
      .describeCloudAssistantStatus({ instanceIds: ['i-x'] })
      .catch((e) => e);
    expect(error).toBeInstanceOf(EcsApiError);
    expect(isEcsApiError(error)).toBe(true);
    expect(error).toMatchObject({
      name: 'EcsApiError',
      code: 'ECS_API_ERROR',
      apiCode: 'InvalidInstance.NotFound',
      statusCode: 404,
      requestId: 'req-InvalidInstance.NotFound',
      hostId: 'ecs.aliyuncs.com',
      recommend: 'https://api.aliyun.com/troubleshoot',
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('turns an HTML 502 from a gateway into an EcsApiError with the status and an excerpt', async () => {
    server.handle(text(502, '<html><body><h1>502 Bad Gateway</h1></body></html>'));
    const error = await client({ retry: false })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isEcsApiError(error)).toBe(true);
    expect(error).not.toBeInstanceOf(SyntaxError);
    expect(error).toMatchObject({ statusCode: 502, apiCode: 'NonJsonResponse', retryable: true });
    expect(error.excerpt).toContain('502 Bad Gateway');
  });

  it('retries a 200 whose JSON body was cut short, and reports it as NonJsonResponse when it persists', async () => {
    const truncated = text(200, '{"RequestId":"r","InstanceCloudAssistantSt', 'application/json');
    server.handle(truncated, echoStatus);
    const result = await client().describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    expect(result.instances).toHaveLength(1);
    server.handle(truncated);
    const error = await client({ retry: false })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(error).toMatchObject({ apiCode: 'NonJsonResponse', statusCode: 200, retryable: true });
  });

  it('does not follow redirects', async () => {
    server.handle(text(302, '', 'text/plain'));
    const error = await client()
      .call('DescribeRegions', {})
      .catch((e) => e);
    expect(error).toMatchObject({ statusCode: 302, retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('caps the response body and says so', async () => {
    server.handle(json(200, statusBody(ids(100))));
    const error = await client({ maxResponseBytes: 1000 })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isResponseTooLargeError(error)).toBe(true);
    expect(error.message).toContain('maxResponseBytes');
  });

  it('caps a chunked body without content-length too', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"RequestId":"');
      res.write('x'.repeat(5000));
      res.end('"}');
    });
    const error = await client({ maxResponseBytes: 1000 })
      .call('DescribeRegions', {})
      .catch((e) => e);
    expect(isResponseTooLargeError(error)).toBe(true);
  });
});

describe('retries', () => {
  it('retries 5xx and throttling, signing every attempt afresh with a new nonce', async () => {
    server.handle(
      apiError(503, 'ServiceUnavailable'),
      apiError(400, 'Throttling.User'),
      apiError(500, 'InternalError'),
      echoStatus,
    );
    let clock = Date.parse('2024-01-01T00:00:00Z');
    const result = await client({
      now: () => (clock += 1000),
      rateLimit: false,
    }).describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    expect(result.instances).toHaveLength(1);
    expect(server.requests).toHaveLength(4);
    const nonces = server.requests.map((r) => r.headers['x-acs-signature-nonce']);
    expect(new Set(nonces).size).toBe(4);
    const dates = server.requests.map((r) => r.headers['x-acs-date']);
    expect(new Set(dates).size).toBe(4);
    for (const r of server.requests) expect(verifySignature(r, TEST_CREDENTIALS.accessKeySecret)).toBe(true);
  });

  it('re-signs V1 retries with a new SignatureNonce', async () => {
    server.handle(apiError(503, 'ServiceUnavailable'), echoStatus);
    await client({ signatureVersion: 'v1' }).describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    const [a, b] = server.requests;
    expect(a!.params.SignatureNonce).not.toBe(b!.params.SignatureNonce);
    expect(verifySignature(b!, TEST_CREDENTIALS.accessKeySecret)).toBe(true);
  });

  it('never retries signature, credential, permission, parameter or not-found errors', async () => {
    for (const [status, code] of [
      [400, 'SignatureDoesNotMatch'],
      [404, 'InvalidAccessKeyId.NotFound'],
      [403, 'Forbidden.RAM'],
      [400, 'MissingParameter'],
      [400, 'InvalidParameter'],
      [404, 'InvalidInstance.NotFound'],
      [400, 'InvalidTimeStamp.Expired'],
      [400, 'SignatureNonceUsed'],
    ] as const) {
      server.requests.length = 0;
      server.handle(apiError(status, code));
      const error = await client()
        .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
        .catch((e) => e);
      expect(error.apiCode).toBe(code);
      expect(server.requests, code).toHaveLength(1);
    }
  });

  it('gives up after maxAttempts with the last error', async () => {
    server.handle(apiError(400, 'Throttling'));
    const error = await client({
      retry: { maxAttempts: 3, baseDelayMs: 1, throttlingBaseDelayMs: 1 },
      rateLimit: false,
    })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isThrottlingError(error)).toBe(true);
    expect(error.retryable).toBe(true);
    expect(server.requests).toHaveLength(3);
  });

  it('honours x-acs-retry-after, capped by maxRetryAfterMs', async () => {
    server.handle(apiError(400, 'Throttling.User', 'slow down', { 'x-acs-retry-after': '300' }), echoStatus);
    const start = performance.now();
    await client({ rateLimit: false }).describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);

    server.handle(
      apiError(400, 'Throttling.User', 'slow down', { 'x-acs-retry-after': '600000' }),
      echoStatus,
    );
    const start2 = performance.now();
    await client({ rateLimit: false, retry: { maxRetryAfterMs: 50 } }).describeCloudAssistantStatus({
      instanceIds: ['i-1'],
    });
    expect(performance.now() - start2).toBeLessThan(2000);
  });

  it('does not start a retry that would pass maxTotalMs', async () => {
    server.handle(apiError(400, 'Throttling', 'x', { 'x-acs-retry-after': '5000' }));
    const start = performance.now();
    const error = await client({ rateLimit: false, retry: { maxTotalMs: 1000 } })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isThrottlingError(error)).toBe(true);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });
});

describe('timeouts and cancellation', () => {
  const hang = (): void => {};

  it('times out one attempt after timeoutMs and retries it', async () => {
    server.handle(hang, echoStatus);
    const events: AttemptEvent[] = [];
    const result = await client({ timeoutMs: 150 }).describeCloudAssistantStatus({
      instanceIds: ['i-1'],
      onAttempt: (e) => events.push(e),
    });
    expect(result.instances).toHaveLength(1);
    expect(events.map((e) => e.errorCode)).toEqual(['ECS_TIMEOUT', undefined]);
  });

  it('reports an EcsTimeoutError when every attempt times out', async () => {
    server.handle(hang);
    const error = await client({ timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 1 } })
      .describeCloudAssistantStatus({ instanceIds: ['i-1'] })
      .catch((e) => e);
    expect(isEcsTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ECS_TIMEOUT', retryable: true, timeoutMs: 100 });
  });

  it('rejects with signal.reason and sends nothing when the signal is already aborted', async () => {
    const reason = new Error('already cancelled');
    const c = client();
    await expect(
      c.describeCloudAssistantStatus({ instanceIds: ['i-1'], signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    await expect(c.call('RunCommand', {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(c.statusSource(['i-1'], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects promptly with signal.reason when aborted during a request', async () => {
    server.handle(hang);
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    setTimeout(() => controller.abort(reason), 50);
    const start = performance.now();
    await expect(
      client({ timeoutMs: 5000 }).describeCloudAssistantStatus({
        instanceIds: ['i-1'],
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects with signal.reason when aborted during a retry delay, sending nothing more', async () => {
    server.handle(apiError(503, 'ServiceUnavailable', 'x', { 'x-acs-retry-after': '10000' }));
    const controller = new AbortController();
    setTimeout(() => controller.abort('stop'), 100);
    await expect(
      client().describeCloudAssistantStatus({ instanceIds: ['i-1'], signal: controller.signal }),
    ).rejects.toBe('stop');
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a call queued behind maxConcurrency as soon as its signal aborts', async () => {
    server.handle(hang);
    const c = client({ maxConcurrency: 1, timeoutMs: 5000, retry: false });
    const firstController = new AbortController();
    const first = c
      .describeCloudAssistantStatus({ instanceIds: ['i-1'], signal: firstController.signal })
      .catch((e) => e);
    const controller = new AbortController();
    const queued = c.describeCloudAssistantStatus({ instanceIds: ['i-2'], signal: controller.signal });
    setTimeout(() => controller.abort('queued-abort'), 50);
    await expect(queued).rejects.toBe('queued-abort');
    firstController.abort('done');
    expect(await first).toBe('done');
    expect(server.requests).toHaveLength(1);
  });

  it('bounds concurrency across calls with maxConcurrency', async () => {
    let inFlight = 0;
    let peak = 0;
    server.handle(async (req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      echoStatus(req, res);
    });
    // A slow start that lets 4 go at once: the bound, not the slow start, limits the calls in flight.
    const c = client({ maxConcurrency: 3, rateLimit: { initialWindow: 4 } });
    await Promise.all(ids(12).map((id) => c.describeCloudAssistantStatus({ instanceIds: [id] })));
    expect(peak).toBe(3);
  });
});

describe('options', () => {
  it.each([
    [{ region: 'CN_HANGZHOU' }, RangeError, /CN_HANGZHOU/],
    [{ region: 'cn-hangzou' }, RangeError, /cn-hangzhou.*endpoint/s],
    [{ region: 'cn-hangzhou', timeoutMs: 0 }, RangeError, /timeoutMs.*0/],
    [{ region: 'cn-hangzhou', maxConcurrency: 1.5 }, RangeError, /maxConcurrency.*1\.5/],
    [{ region: 'cn-hangzhou', signatureVersion: 'v2' }, RangeError, /signatureVersion.*v2/],
    [{ region: 'cn-hangzhou', maxRequestsPerSecond: -1 }, RangeError, /maxRequestsPerSecond.*-1/],
    [{ region: 'cn-hangzhou', retry: { maxAttempts: 0 } }, RangeError, /retry\.maxAttempts.*0/],
    [{ region: 'cn-hangzhou', endpoint: 'http://ecs.example.com' }, RangeError, /allowInsecureHttp/],
    [{ region: 'cn-hangzhou', now: 5 }, TypeError, /now/],
    [{ region: 'cn-hangzhou', credentials: { accessKeyId: 'a' } }, TypeError, /accessKeySecret/],
  ] as const)('rejects %j eagerly', (options, type, message) => {
    expect(() =>
      createEcsClient({ credentials: TEST_CREDENTIALS, ...(options as unknown as EcsClientOptions) }),
    ).toThrow(type);
    expect(() =>
      createEcsClient({ credentials: TEST_CREDENTIALS, ...(options as unknown as EcsClientOptions) }),
    ).toThrow(message);
  });

  it('uses the SDK endpoint for the region, over HTTPS', () => {
    const c = createEcsClient({ region: 'cn-beijing', credentials: TEST_CREDENTIALS });
    track(c);
    expect(c.endpoint).toBe('https://ecs.cn-beijing.aliyuncs.com');
    expect(c.region).toBe('cn-beijing');
  });

  it('accepts plain http to a non-loopback host only with allowInsecureHttp', () => {
    const c = createEcsClient({
      region: 'cn-beijing',
      endpoint: 'http://10.0.0.1:8080',
      allowInsecureHttp: true,
      credentials: TEST_CREDENTIALS,
    });
    track(c);
    expect(c.endpoint).toBe('http://10.0.0.1:8080');
  });

  it('sends through a caller-supplied dispatcher and leaves it open on close', async () => {
    server.handle(echoStatus);
    const agent = new Agent();
    const c = client({ dispatcher: agent });
    await c.describeCloudAssistantStatus({ instanceIds: ['i-1'] });
    await c.close();
    expect(agent.closed).toBe(false);
    await agent.close();
  });

  it('rejects calls after close', async () => {
    const c = client();
    await c.close();
    await expect(c.describeCloudAssistantStatus({ instanceIds: ['i-1'] })).rejects.toThrow(/closed/);
  });

  it('shows only region and endpoint when inspected', () => {
    const c = client({ credentials: STS_CREDENTIALS });
    const shown = inspect(c, { depth: 10, showHidden: true }) + JSON.stringify(c);
    expect(shown).toContain('cn-hangzhou');
    for (const secret of Object.values(STS_CREDENTIALS)) expect(shown).not.toContain(secret);
  });
});
