import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsError } from '../src/errors.js';
import {
  createEcsClient,
  EcsApiError,
  type EcsClientOptions,
  EcsNetworkError,
  EcsTimeoutError,
  isReadOnlyAction,
  isUnprocessedError,
  ResponseValidationError,
  ThrottlingError,
} from '../src/index.js';
import { apiError, json, startServer, TEST_CREDENTIALS, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const ok = json(200, { RequestId: 'r-ok', InvokeId: 't-1' });
const hang = (): void => {};
const throttled = apiError(400, 'Throttling.User', 'slow down');

function client(extra: Partial<EcsClientOptions> = {}) {
  return createEcsClient({
    region: 'cn-hangzhou',
    endpoint: server.url,
    credentials: TEST_CREDENTIALS,
    timeoutMs: 150,
    retry: { baseDelayMs: 1, throttlingBaseDelayMs: 1 },
    rateLimit: false,
    ...extra,
  });
}

const actions = () => server.requests.map((r) => r.headers['x-acs-action'] ?? r.query.Action);

describe('which actions are retried', () => {
  it('treats Describe/List/Get/Query/Check actions as read-only', () => {
    for (const a of [
      'DescribeInvocations',
      'ListTagResources',
      'GetFoo',
      'QueryBar',
      'CheckBaz',
      'Describe',
    ]) {
      expect(isReadOnlyAction(a), a).toBe(true);
    }
    for (const a of ['RunCommand', 'SendFile', 'InvokeCommand', 'StopInvocation', 'Listen', 'Getaway']) {
      expect(isReadOnlyAction(a), a).toBe(false);
    }
  });

  it('knows which failures provably were not processed', () => {
    const net = (code: string) => new EcsNetworkError('x', code);
    expect(isUnprocessedError(new ThrottlingError({ apiCode: 'Throttling.User', statusCode: 400 }))).toBe(
      true,
    );
    expect(isUnprocessedError(net('ECONNREFUSED'))).toBe(true);
    expect(isUnprocessedError(net('EAI_AGAIN'))).toBe(true);
    expect(isUnprocessedError(new EcsTimeoutError('x', undefined, 'UND_ERR_CONNECT_TIMEOUT'))).toBe(true);
    expect(isUnprocessedError(new CredentialsError('x', [], { retryable: true }))).toBe(true);
    // May have been processed.
    expect(isUnprocessedError(net('ECONNRESET'))).toBe(false);
    expect(isUnprocessedError(net('UND_ERR_SOCKET'))).toBe(false);
    expect(isUnprocessedError(new EcsTimeoutError('x', 150, undefined))).toBe(false);
    expect(isUnprocessedError(new EcsTimeoutError('x', undefined, 'UND_ERR_HEADERS_TIMEOUT'))).toBe(false);
    expect(isUnprocessedError(new EcsApiError({ apiCode: 'ServiceUnavailable', statusCode: 503 }))).toBe(
      false,
    );
    expect(isUnprocessedError(new EcsApiError({ apiCode: 'InternalError', statusCode: 500 }))).toBe(false);
    expect(isUnprocessedError(new ResponseValidationError('x', 'is missing'))).toBe(false);
  });
});

describe('non-idempotent actions are not sent twice', () => {
  it('RunCommand that timed out: one request, the timeout surfaced', async () => {
    server.handle(hang, ok);
    const c = client();
    const error = await c.call('RunCommand', { CommandContent: 'ZWNobw==' }).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(EcsTimeoutError);
    expect(actions()).toEqual(['RunCommand']);
  });

  it('RunCommand answered 503 ServiceUnavailable: one request', async () => {
    server.handle(apiError(503, 'ServiceUnavailable'), ok);
    const c = client();
    const error = await c.call('RunCommand', {}).catch((e: unknown) => e);
    await c.close();
    expect((error as EcsApiError).apiCode).toBe('ServiceUnavailable');
    expect(server.requests).toHaveLength(1);
  });

  it('RunCommand throttled once: retried', async () => {
    server.handle(throttled, ok);
    const c = client();
    const attempts: number[] = [];
    const result = await c.call('RunCommand', {}, { onAttempt: (e) => attempts.push(e.attempt) });
    await c.close();
    expect(result.InvokeId).toBe('t-1');
    expect(attempts).toEqual([1, 2]);
    expect(actions()).toEqual(['RunCommand', 'RunCommand']);
  });

  it('RunCommand on a refused connection: retried (never sent)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const c = client({ endpoint: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3, baseDelayMs: 1 } });
    const errors: (string | undefined)[] = [];
    const error = await c
      .call('RunCommand', {}, { onAttempt: (e) => errors.push(e.errorCode) })
      .catch((e: unknown) => e);
    await c.close();
    expect((error as EcsNetworkError).causeCode).toBe('ECONNREFUSED');
    expect(errors).toEqual(['ECS_NETWORK_ERROR', 'ECS_NETWORK_ERROR', 'ECS_NETWORK_ERROR']);
  });

  it('DescribeInvocations that timed out: retried', async () => {
    server.handle(hang, ok);
    const c = client();
    const result = await c.call('DescribeInvocations', { InvokeId: 't-1' });
    await c.close();
    expect(result.RequestId).toBe('r-ok');
    expect(actions()).toEqual(['DescribeInvocations', 'DescribeInvocations']);
  });

  it('idempotent: true on RunCommand with a ClientToken: retried after a timeout', async () => {
    server.handle(hang, ok);
    const c = client();
    const result = await c.call(
      'RunCommand',
      { CommandContent: 'ZWNobw==', ClientToken: 'token-1' },
      { idempotent: true },
    );
    await c.close();
    expect(result.InvokeId).toBe('t-1');
    expect(server.requests.map((r) => r.query.ClientToken)).toEqual(['token-1', 'token-1']);
  });

  it('idempotent: false on a read: one request', async () => {
    server.handle(hang, ok);
    const c = client();
    const error = await c.call('DescribeInvocations', {}, { idempotent: false }).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(EcsTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a non-boolean idempotent', async () => {
    const c = client();
    await expect(c.call('RunCommand', {}, { idempotent: 'yes' as unknown as boolean })).rejects.toThrow(
      TypeError,
    );
    await c.close();
    expect(server.requests).toHaveLength(0);
  });
});
