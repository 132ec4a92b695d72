/**
 * Small node:http servers on 127.0.0.1, port 0, that record what they receive and can be closed
 * with every socket they hold (so a stalled response never keeps a test alive).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface CapturedRequest {
  readonly method: string;
  /** Path and raw query string exactly as received. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** Raw body exactly as received. */
  readonly body: string;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly requests: CapturedRequest[];
  /** Connections accepted (a request that never arrives still counts here). */
  connections: number;
  close(): Promise<void>;
}

export type Handler = (req: CapturedRequest, res: ServerResponse) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const requests: CapturedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured: CapturedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(captured);
      void Promise.resolve(handler(captured, res)).catch(() => res.destroy());
    });
  });
  const state: TestServer = {
    url: '',
    port: 0,
    requests,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return Object.assign(state, { url: `http://127.0.0.1:${address.port}`, port: address.port });
}

/** A valid DescribeCloudAssistantStatus body for these IDs (all online unless listed as offline). */
export function statusBody(ids: readonly string[], offline: readonly string[] = []): Record<string, unknown> {
  return {
    RequestId: 'req-1',
    TotalCount: ids.length,
    PageNumber: 1,
    PageSize: ids.length,
    InstanceCloudAssistantStatusSet: {
      InstanceCloudAssistantStatus: ids.map((id) => ({
        InstanceId: id,
        CloudAssistantStatus: offline.includes(id) ? 'false' : 'true',
        CloudAssistantVersion: '2.2.3.317',
        SupportSessionManager: true,
        OSType: 'Linux',
        InvocationCount: 0,
        ActiveTaskCount: 0,
        LastHeartbeatTime: '2026-01-01T00:00:00Z',
      })),
    },
  };
}

/** Instance IDs of a DescribeCloudAssistantStatus request (query or form). */
export function requestedIds(req: CapturedRequest): string[] {
  const q = req.url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  for (const [k, v] of new URLSearchParams(req.body)) params.append(k, v);
  const ids: string[] = [];
  for (const [k, v] of params) if (/^InstanceId\.\d+$/.test(k)) ids.push(v);
  return ids;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * A recording reverse proxy to `target` (a loopback URL): every request is captured as sent by
 * the client (so tests can read the signatures it carried) and forwarded unchanged.
 */
export async function startProxy(target: string): Promise<TestServer> {
  const { request } = await import('node:http');
  const url = new URL(target);
  return startServer(
    (req, res) =>
      new Promise<void>((resolve) => {
        const headers = { ...req.headers };
        const upstream = request(
          { host: url.hostname, port: url.port, method: req.method, path: req.url, headers },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
            up.on('end', resolve);
            up.on('error', () => {
              res.destroy();
              resolve();
            });
          },
        );
        upstream.on('error', () => {
          res.destroy();
          resolve();
        });
        upstream.end(req.body);
      }),
  );
}

/** Signatures a captured request carried: the V3 `Authorization` signature or the V1 `Signature` parameter. */
export function signaturesOf(req: CapturedRequest): string[] {
  const out: string[] = [];
  const auth = req.headers['authorization'];
  const m = typeof auth === 'string' ? /Signature=([0-9a-fA-F]+)/.exec(auth) : null;
  if (m) out.push(m[1]!);
  const q = req.url.indexOf('?');
  for (const params of [
    new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)),
    new URLSearchParams(req.body),
  ]) {
    const sig = params.get('Signature');
    if (sig) out.push(sig);
  }
  return out;
}
