/**
 * Transport hardening of core's client, against hostile node:http servers on 127.0.0.1: body
 * cap, header and body timeouts, plain HTTP refused to non-loopback hosts (before any
 * connection), redirects not followed, unknown fields tolerated, no prototype pollution.
 */
import { createEcsClient, type EcsClientOptions, isEcsError } from '@cloud-assistant-gate/core';
import { waitForCloudAssistant } from '@cloud-assistant-gate/waiter';
import { afterEach, describe, expect, it } from 'vitest';
import { requestedIds, sendJson, startServer, statusBody, type TestServer } from './helpers/http.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function server(handler: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(handler);
  servers.push(s);
  return s;
}

const CREDENTIALS = { accessKeyId: 'test-id', accessKeySecret: 'test-secret-value' };
function client(s: TestServer, extra: Partial<EcsClientOptions> = {}) {
  return createEcsClient({
    region: 'cn-hangzhou',
    endpoint: s.url,
    credentials: CREDENTIALS,
    retry: false,
    timeoutMs: 400,
    ...extra,
  });
}
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('response body cap', () => {
  it('rejects a body over maxResponseBytes announced by content-length, without reading it', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 50_000_000 });
      res.write('{"RequestId":"');
      // Never finishes: the client must give up on the header alone.
    });
    const c = client(s, { maxResponseBytes: 64 * 1024 });
    const started = Date.now();
    const error = await rejection(c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }));
    expect((error as { code?: string }).code).toBe('ECS_RESPONSE_TOO_LARGE');
    expect(Date.now() - started).toBeLessThan(400);
    await c.close();
  });

  it('rejects a chunked body that grows past maxResponseBytes and stops reading it', async () => {
    let written = 0;
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(16 * 1024);
      const pump = () => {
        while (written < 20_000_000 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.write('{"RequestId":"');
      pump();
    });
    const c = client(s, { maxResponseBytes: 256 * 1024, timeoutMs: 5000 });
    const error = await rejection(c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }));
    expect((error as { code?: string }).code).toBe('ECS_RESPONSE_TOO_LARGE');
    expect(written).toBeLessThan(20_000_000);
    await c.close();
  });
});

describe('timeouts', () => {
  it('gives up with ECS_TIMEOUT when no header arrives within the per-attempt timeout', async () => {
    const s = await server(() => {
      // Accept the request and never answer.
    });
    const c = client(s, { timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }));
    expect((error as { code?: string }).code).toBe('ECS_TIMEOUT');
    expect(error).toMatchObject({ retryable: true });
    expect(Date.now() - started).toBeLessThan(300 + 1500);
    await c.close();
  });

  it('gives up with ECS_TIMEOUT when the body stalls half-way', async () => {
    const s = await server((_req, res) => {
      const body = JSON.stringify(statusBody(['i-a1']));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.write(body.slice(0, 20));
    });
    const c = client(s, { timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }));
    expect((error as { code?: string }).code).toBe('ECS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(300 + 1500);
    await c.close();
  });

  it('a wait whose every call stalls ends at its deadline plus at most one request timeout', async () => {
    const s = await server(() => {});
    const c = client(s, { timeoutMs: 300 });
    const started = Date.now();
    const error = await rejection(
      waitForCloudAssistant(['i-a1', 'i-a2'], { client: c, timeoutMs: 800, minDelayMs: 50, maxDelayMs: 100 }),
    );
    expect((error as { code?: string }).code).toBe('WAITER_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(800 + 300 + 750);
    await c.close();
  });
});

/** A stand-in undici dispatcher that counts every request it is asked to send and sends none. */
class RecordingDispatcher {
  dispatched = 0;
  request(): never {
    this.dispatched++;
    throw new Error('RecordingDispatcher: a request was dispatched');
  }
  dispatch(): never {
    this.dispatched++;
    throw new Error('RecordingDispatcher: a request was dispatched');
  }
  async close(): Promise<void> {}
  async destroy(): Promise<void> {}
}

describe('plain HTTP to a non-loopback host', () => {
  const remote = [
    'http://10.0.0.1',
    'http://192.0.2.1:8080',
    'http://ecs.cn-hangzhou.aliyuncs.com',
    'http://127.0.0.1.nip.io',
    'http://localhost.example.com',
    'http://[::ffff:127.0.0.1]',
    'http://[2001:db8::1]',
    'http://0.0.0.0',
    'HTTP://10.0.0.1',
  ];
  it.each(remote)(
    'is refused for %s when the client is created, before any request or connection',
    (endpoint) => {
      const dispatcher = new RecordingDispatcher();
      let error: unknown;
      try {
        createEcsClient({
          region: 'cn-hangzhou',
          endpoint,
          credentials: CREDENTIALS,
          dispatcher: dispatcher as unknown as NonNullable<EcsClientOptions['dispatcher']>,
        });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/https|loopback/i);
      expect(dispatcher.dispatched).toBe(0);
    },
  );

  it('is refused by the waiter (region + endpoint) before anything is sent', async () => {
    const error = await rejection(
      (async () =>
        waitForCloudAssistant(['i-a1'], {
          region: 'cn-hangzhou',
          endpoint: 'http://10.0.0.1',
          credentials: CREDENTIALS,
        }))(),
    );
    expect(error).toBeInstanceOf(RangeError);
  });

  it.each(['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1', 'http://127.1.2.3:1'])(
    'is allowed for the loopback endpoint %s',
    (endpoint) => {
      const c = createEcsClient({ region: 'cn-hangzhou', endpoint, credentials: CREDENTIALS });
      expect(c.endpoint.startsWith('http://')).toBe(true);
      void c.close();
    },
  );
});

describe('redirects', () => {
  it('are not followed: the redirect target never sees a request and the call fails with our error', async () => {
    const target = await server((req, res) => sendJson(res, 200, statusBody(requestedIds(req))));
    const statuses = [301, 302, 303, 307, 308];
    const s = await server((_req, res) => {
      const status = statuses[(s.requests.length - 1) % statuses.length]!;
      res.writeHead(status, {
        location: `${target.url}/?Action=DescribeCloudAssistantStatus`,
        'content-length': 0,
      });
      res.end();
    });
    for (const _ of statuses) {
      const c = client(s);
      const error = await rejection(c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }));
      expect(isEcsError(error)).toBe(true);
      await c.close();
    }
    expect(s.requests).toHaveLength(statuses.length);
    expect(target.requests).toHaveLength(0);
    expect(target.connections).toBe(0);
  });
});

describe('hostile JSON', () => {
  it('tolerates unknown fields at every level', async () => {
    const s = await server((req, res) => {
      const body = statusBody(requestedIds(req)) as Record<string, unknown>;
      const set = body['InstanceCloudAssistantStatusSet'] as {
        InstanceCloudAssistantStatus: Record<string, unknown>[];
      };
      for (const item of set.InstanceCloudAssistantStatus) {
        item['BrandNewField'] = { nested: [1, 2, 3] };
        item['CloudAssistantFutureStatus'] = 'maybe';
      }
      (set as Record<string, unknown>)['Extra'] = true;
      body['SomethingNew'] = 'x'.repeat(1000);
      sendJson(res, 200, body);
    });
    const c = client(s);
    const result = await c.describeCloudAssistantStatus({ instanceIds: ['i-a1', 'i-a2'] });
    expect(result.instances.map((i) => [i.instanceId, i.cloudAssistantStatus])).toEqual([
      ['i-a1', true],
      ['i-a2', true],
    ]);
    expect(Object.keys(result.instances[0]!)).not.toContain('BrandNewField');
    await c.close();
  });

  it('__proto__ and constructor keys in a response pollute no prototype and cannot make an instance online', async () => {
    const hostile = (ids: string[]) =>
      `{"RequestId":"r","__proto__":{"polluted":"top","isAdmin":true},"constructor":{"prototype":{"polluted2":1}},` +
      `"InstanceCloudAssistantStatusSet":{"__proto__":{"InstanceCloudAssistantStatus":[]},"InstanceCloudAssistantStatus":[` +
      ids
        .map((id, i) =>
          i === 0
            ? `{"InstanceId":"${id}","CloudAssistantStatus":"false","__proto__":{"CloudAssistantStatus":"true","polluted3":1},"constructor":{"name":"x"}}`
            : `{"InstanceId":"${id}","__proto__":{"CloudAssistantStatus":"true"}}`,
        )
        .join(',') +
      ']}}';
    const s = await server((req, res) => sendJson(res, 200, hostile(requestedIds(req))));
    const c = client(s);
    const result = await c.describeCloudAssistantStatus({ instanceIds: ['i-a1'] }).catch((e: unknown) => e);
    if (!isEcsError(result)) {
      const r = result as Awaited<ReturnType<typeof c.describeCloudAssistantStatus>>;
      expect(r.instances.every((i) => i.cloudAssistantStatus === false)).toBe(true);
      for (const i of r.instances) expect(Object.getPrototypeOf(i)).toBe(Object.prototype);
    }
    // The second item has CloudAssistantStatus only on a `__proto__` key: never online.
    const both = await c
      .describeCloudAssistantStatus({ instanceIds: ['i-a1', 'i-a2'] })
      .then((r) => r.instances.filter((i) => i.cloudAssistantStatus))
      .catch((e: unknown) => (isEcsError(e) ? [] : Promise.reject(e)));
    expect(both).toEqual([]);
    const probe = {} as Record<string, unknown>;
    for (const key of [
      'polluted',
      'polluted2',
      'polluted3',
      'isAdmin',
      'CloudAssistantStatus',
      'InstanceCloudAssistantStatus',
    ])
      expect(probe[key]).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    // And the gate itself never calls such an instance ready.
    const error = await rejection(
      waitForCloudAssistant(['i-a1', 'i-a2'], { client: c, timeoutMs: 400, minDelayMs: 50, maxDelayMs: 100 }),
    );
    expect((error as { code?: string; ready?: string[] }).ready ?? []).toEqual([]);
    await c.close();
  });
});
