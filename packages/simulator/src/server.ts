/**
 * The HTTP front of the simulator: node:http on loopback, `GET`/`POST` on `/`, query and form body
 * merged, keep-alive. Each request goes: faults before the gateway (latency, reset, HTML 502) →
 * signature verification → version → RAM policy (`deniedActions`) → account quota → token bucket →
 * injected 5xx → the action → body faults. Bodies are JSON, or XML for an RPC (V1-signed) request whose `Format` is absent or
 * not `JSON` (see xml.ts); V3 requests always get JSON.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { canonicalQueryString } from '@cloud-assistant-gate/core/signing';
import type { ActionContext, NotFoundMode } from './actions/context.js';
import { actions, badSchemaBody } from './actions/index.js';
import type { SimulatedClock } from './clock.js';
import { apiErrors, errorBody, newRequestId, SimulatorApiError } from './errors.js';
import type { FaultEngine } from './faults.js';
import type { FleetInternals } from './fleet.js';
import type { InvocationStore } from './invocations.js';
import { parseParams } from './params.js';
import type { QuotaEngine } from './quota.js';
import type { StatsRecorder } from './stats.js';
import type { RawRpcRequest, RequestVerifier } from './verify.js';
import { jsonToXml, XML_TYPE } from './xml.js';

export const API_VERSION = '2014-05-26';
const JSON_TYPE = 'application/json;charset=utf-8';
const GATEWAY_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n';

interface ParsedQuery {
  readonly query: Record<string, string>;
  readonly canonical: () => string;
}

function makeParsed(query: Record<string, string>): ParsedQuery {
  let canonical: string | undefined;
  return { query, canonical: () => (canonical ??= canonicalQueryString(query)) };
}

const EMPTY_QUERY = makeParsed({});
const QUERY_CACHE_SIZE = 4096;
const queryCache = new Map<string, ParsedQuery>();

/**
 * Decoded query parameters by raw query string. Pollers repeat the same query (same IDs) with
 * only headers changing, so parsing and canonicalising 100 IDs happens once per distinct query.
 * Handlers never mutate `params`.
 */
function parsedQuery(raw: string): ParsedQuery {
  let hit = queryCache.get(raw);
  if (hit === undefined) {
    if (queryCache.size >= QUERY_CACHE_SIZE) queryCache.clear();
    hit = makeParsed(parseParams(raw, {}));
    queryCache.set(raw, hit);
  }
  return hit;
}

export interface ServerDeps {
  readonly verifier: RequestVerifier;
  readonly fleet: FleetInternals;
  readonly clock: SimulatedClock;
  readonly invocations: InvocationStore;
  readonly faults: FaultEngine;
  /** Account quotas (the `quota` option); undefined when none is configured. */
  readonly quota: QuotaEngine | undefined;
  readonly stats: StatsRecorder;
  readonly notFoundMode: () => NotFoundMode;
  readonly regions: ReadonlySet<string>;
}

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

const V3_AUTH_PREFIX = 'ACS3-HMAC-SHA256 ';

/**
 * Whether the answer is XML: an RPC-style request (not V3-signed) whose `Format` is absent or
 * anything but `JSON` (any case: the TS SDK sends `json`). XML is the documented default
 * (AlibabaCloudDocs/ecs `Getting started/Response results.md`; facts §1.3).
 */
function wantsXml(req: IncomingMessage, params: Readonly<Record<string, string>>): boolean {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith(V3_AUTH_PREFIX)) return false;
  const format = params.Format;
  return format === undefined || format.length !== 4 || format.toUpperCase() !== 'JSON';
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  const length = req.headers['content-length'];
  if (length === '0' || (length === undefined && req.headers['transfer-encoding'] === undefined)) {
    // Nothing to read; resume so the parser reaches 'end' and the socket is reusable.
    req.resume();
    return Promise.resolve(Buffer.alloc(0));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function startServer(deps: ServerDeps, host: string, port: number): Promise<RunningServer> {
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const hostIdFor = (region: string | undefined) =>
    region !== undefined && deps.regions.has(region) ? `ecs.${region}.aliyuncs.com` : 'ecs.aliyuncs.com';

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    requestId: string,
    type: string,
    extra?: Record<string, string>,
  ) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'x-acs-request-id': requestId,
      ...extra,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = newRequestId();
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const cached = q < 0 ? EMPTY_QUERY : parsedQuery(target.slice(q + 1));
    const query = cached.query;
    const body = await readBody(req);
    const ctype = req.headers['content-type'];
    const form =
      body.length > 0 && ctype !== undefined && ctype.startsWith('application/x-www-form-urlencoded')
        ? parseParams(body.toString('utf8'), {})
        : {};
    const params = body.length > 0 ? { ...query, ...form } : query;
    const headerAction = req.headers['x-acs-action'];
    let action = (typeof headerAction === 'string' ? headerAction : undefined) ?? params.Action ?? '';
    const hostId = hostIdFor(params.RegionId);
    const xml = wantsXml(req, params);
    const type = xml ? XML_TYPE : JSON_TYPE;

    const fail = (err: SimulatorApiError, extra?: Record<string, string>) => {
      deps.stats.record(action, err.statusCode, err.code);
      send(res, err.statusCode, errorBody(err, requestId, hostId, xml), requestId, type, extra);
    };

    const latency = deps.faults.latencyMs(action);
    if (latency > 0) {
      deps.stats.fault('latency');
      await sleep(latency);
      if (closed) return;
    }
    const pre = deps.faults.pre(action);
    if (pre === 'connectionReset') {
      deps.stats.fault(pre);
      deps.stats.record(action, 0, 'ConnectionReset');
      const socket = req.socket as Socket & { resetAndDestroy?: () => void };
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    if (pre === 'gateway502') {
      deps.stats.fault(pre);
      deps.stats.record(action, 502, 'BadGateway');
      res.writeHead(502, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(GATEWAY_502) });
      res.end(GATEWAY_502);
      return;
    }

    try {
      if (req.method !== 'GET' && req.method !== 'POST') throw apiErrors.unsupportedMethod();
      if (path !== '/') throw apiErrors.actionNotFound(path);
      const raw: RawRpcRequest = {
        method: req.method,
        headers: req.headers,
        query,
        form,
        body,
        params,
        canonicalQuery: cached.canonical,
      };
      const verified = deps.verifier.verify(raw);
      action = verified.action;
      if (verified.version !== API_VERSION) throw apiErrors.invalidVersion(verified.version);
      const handler = actions.get(action);
      if (handler === undefined) throw apiErrors.actionNotFound(action);
      if (deps.verifier.denies(verified.accessKeyId, action)) throw apiErrors.forbiddenRam();

      const overQuota = deps.quota?.take(verified.accountId, params.RegionId ?? '', action);
      if (overQuota) {
        fail(
          overQuota.error,
          overQuota.retryAfterMs === undefined
            ? undefined
            : { 'x-acs-retry-after': String(overQuota.retryAfterMs) },
        );
        return;
      }
      const throttled = deps.faults.throttle(verified.accountId, action);
      if (throttled) {
        deps.stats.fault('throttled');
        fail(
          throttled.error,
          throttled.retryAfterMs === undefined
            ? undefined
            : { 'x-acs-retry-after': String(throttled.retryAfterMs) },
        );
        return;
      }
      const injected = deps.faults.serverError(action);
      if (injected) {
        deps.stats.fault(injected.code);
        throw injected;
      }

      const ctx: ActionContext = {
        fleet: deps.fleet,
        clock: deps.clock,
        notFoundMode: deps.notFoundMode(),
        invocations: deps.invocations,
        requestId,
        timeShiftMs: deps.fleet.reportShift(deps.clock.now()),
      };
      const json = handler(params, ctx);
      const result = xml ? jsonToXml(action, json) : json;
      const bodyFault = deps.faults.body(action);
      if (bodyFault === undefined) {
        deps.stats.record(action, 200, '');
        send(res, 200, result, requestId, type);
        return;
      }
      deps.stats.fault(bodyFault);
      deps.stats.record(action, 200, '');
      if (bodyFault === 'badSchema') {
        const bad = badSchemaBody(action, requestId);
        send(res, 200, xml ? jsonToXml(action, bad) : bad, requestId, type);
      } else if (bodyFault === 'truncatedJson') {
        // A complete response whose body is cut in half (JSON or XML).
        send(res, 200, result.slice(0, Math.floor(result.length / 2)), requestId, type);
      } else {
        // Promise the full length, send half, then go quiet.
        const bytes = Buffer.from(result);
        res.writeHead(200, {
          'content-type': type,
          'content-length': bytes.length,
          'x-acs-request-id': requestId,
        });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        if (deps.faults.stallMs !== undefined) {
          await sleep(deps.faults.stallMs);
          if (!closed && !res.destroyed) res.end(bytes.subarray(Math.floor(bytes.length / 2)));
        }
      }
    } catch (err) {
      if (err instanceof SimulatorApiError) {
        fail(err);
        return;
      }
      fail(
        new SimulatorApiError(
          500,
          'InternalError',
          `The request processing has failed due to some unknown error. (${String(err)})`,
        ),
      );
    }
  };

  // The official SDKs send every parameter in the query, SendFile's 32 KB `Content` included:
  // Node's default 16 KiB header limit would refuse such a request line with a 431.
  const server = createServer({ keepAlive: true, maxHeaderSize: 256 * 1024 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': JSON_TYPE });
        res.end(JSON.stringify({ Code: 'InternalError', Message: String(err) }));
      }
    });
  });
  // The SDKs' default read timeout is 3 s (facts §1.2); idle keep-alive sockets may stay a while.
  server.keepAliveTimeout = 30_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      const actualPort = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        server,
        port: actualPort,
        close() {
          closed = true;
          for (const timer of timers) clearTimeout(timer);
          timers.clear();
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}
