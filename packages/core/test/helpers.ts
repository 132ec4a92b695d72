import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createEcsClient, type EcsClient, type EcsClientOptions } from '../src/index.js';
import { signV1, signV3 } from '../src/sign.js';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: string;
  /** Query and form body (`application/x-www-form-urlencoded`) merged, as the API reads them. */
  readonly params: Record<string, string>;
}

export type Handler = (req: Received, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly requests: Received[];
  /** Handlers used in order, one per request; the last one repeats. */
  handle(...handlers: Handler[]): void;
  close(): Promise<void>;
}

export const TEST_CREDENTIALS = {
  accessKeyId: 'LTAI5tTestKeyId0000',
  accessKeySecret: 'SuperSecretValue-do-not-leak-9f8e7d',
} as const;

export const STS_CREDENTIALS = {
  accessKeyId: 'STS.NTestStsKeyId',
  accessKeySecret: 'StsSecretValue-do-not-leak-1a2b3c',
  securityToken: 'CAIS-security-token-do-not-leak-4d5e6f',
} as const;

/** Decoded query parameters of a request target. */
export function parseQuery(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) out[k] = v;
  return out;
}

export async function startServer(): Promise<TestServer> {
  const requests: Received[] = [];
  let handlers: Handler[] = [json(200, { RequestId: 'r-default' })];
  let count = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const query = parseQuery(req.url ?? '');
    const body = Buffer.concat(chunks).toString('utf8');
    const form = headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? parseQuery(`?${body}`)
      : {};
    const received: Received = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers,
      query,
      body,
      params: { ...query, ...form },
    };
    requests.push(received);
    const handler = handlers[Math.min(count++, handlers.length - 1)]!;
    try {
      await handler(received, res);
    } catch {
      res.destroy();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(...h) {
      handlers = h;
      count = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  };
}

export function text(status: number, body: string, contentType = 'text/html'): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body);
  };
}

export function apiError(
  status: number,
  code: string,
  message = 'error',
  headers: Record<string, string> = {},
): Handler {
  return json(
    status,
    {
      RequestId: `req-${code}`,
      HostId: 'ecs.aliyuncs.com',
      Code: code,
      Message: message,
      Recommend: 'https://api.aliyun.com/troubleshoot',
    },
    headers,
  );
}

/** A DescribeCloudAssistantStatus body for the given IDs. */
export function statusBody(
  ids: readonly string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    RequestId: 'req-ok',
    ...extra,
    InstanceCloudAssistantStatusSet: {
      InstanceCloudAssistantStatus: ids.map((id, i) => ({
        InstanceId: id,
        CloudAssistantStatus: i % 2 === 0 ? 'true' : 'false',
        CloudAssistantVersion: '2.2.3.189',
        LastHeartbeatTime: '2024-01-01T00:00:00Z',
        OSType: 'Linux',
        SupportSessionManager: true,
        ActiveTaskCount: 0,
        InvocationCount: 1,
      })),
    },
  };
}

/** Echoes the requested InstanceId.N as a status body. */
export const echoStatus: Handler = (req, res) => {
  const ids = Object.keys(req.params)
    .filter((k) => k.startsWith('InstanceId.'))
    .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))
    .map((k) => req.params[k]!);
  json(200, statusBody(ids))(req, res);
};

/** Whether a received request carries a valid signature for `secret` (V3 or V1). */
export function verifySignature(req: Received, secret: string): boolean {
  const auth = req.headers.authorization;
  if (auth?.startsWith('ACS3-HMAC-SHA256 ')) {
    const m = /SignedHeaders=([^,]+),Signature=([0-9a-f]+)/.exec(auth);
    if (!m) return false;
    const names = m[1]!.split(';');
    const headers: Record<string, string> = {};
    for (const n of names) headers[n] = req.headers[n] ?? '';
    const signed = signV3({
      method: req.method,
      query: req.query,
      headers,
      credentials: { accessKeyId: 'x', accessKeySecret: secret },
    });
    return signed.signedHeaders === m[1] && signed.signature === m[2];
  }
  const sig = req.params.Signature;
  if (!sig) return false;
  return signV1(req.method, req.params, secret).signature === sig;
}

/** A file's loopback server and the clients its tests create. */
export interface ClientHarness {
  /** Usable from `beforeAll` on; its recorded requests are cleared after each test. */
  readonly server: TestServer;
  /** A client for `server` (test credentials, 1 ms retry backoff), closed after the test. */
  client(options?: Partial<EcsClientOptions>): EcsClient;
  /** Closes a client created some other way after the test. */
  track(client: EcsClient): EcsClient;
}

/**
 * Starts one test server for the calling file (or `describe` block) and closes every client
 * after each test, so no test leaves a pool open for the next.
 */
export function useClientHarness(): ClientHarness {
  let current: TestServer | undefined;
  const clients: EcsClient[] = [];
  const live = (): TestServer => {
    if (current === undefined) throw new Error('The test server starts in beforeAll.');
    return current;
  };
  beforeAll(async () => {
    current = await startServer();
  });
  afterAll(async () => {
    await current?.close();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    if (current !== undefined) current.requests.length = 0;
  });
  const server: TestServer = {
    get url() {
      return live().url;
    },
    get requests() {
      return live().requests;
    },
    handle: (...handlers) => live().handle(...handlers),
    close: () => live().close(),
  };
  const track = (client: EcsClient): EcsClient => {
    clients.push(client);
    return client;
  };
  return {
    server,
    track,
    client: (options = {}) =>
      track(
        createEcsClient({
          region: 'cn-hangzhou',
          endpoint: server.url,
          credentials: TEST_CREDENTIALS,
          retry: { baseDelayMs: 1, throttlingBaseDelayMs: 1 },
          ...options,
        }),
      ),
  };
}
