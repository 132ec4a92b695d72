/**
 * Reading one HTTP request into what the pipeline needs: the path, the query (decoded once per
 * distinct query string and canonicalised on demand for signature checks), the form body, the
 * merged parameters, the action (header or parameter) and whether the answer is XML.
 */
import type { IncomingMessage } from 'node:http';
import { canonicalQueryString } from '@cloud-assistant-gate/core/signing';
import { parseParams } from './params.js';

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

/** A request as the pipeline reads it. */
export interface ReadRequest {
  readonly path: string;
  readonly query: Record<string, string>;
  /** The canonical query string (computed once, when a signature check asks for it). */
  readonly canonicalQuery: () => string;
  readonly body: Buffer;
  /** Parameters from an `application/x-www-form-urlencoded` body (`{}` without one). */
  readonly form: Record<string, string>;
  /** Query and form merged (the form wins). */
  readonly params: Readonly<Record<string, string>>;
  /** `x-acs-action`, else the `Action` parameter, else `''`. */
  readonly action: string;
  readonly xml: boolean;
}

/** Reads the request's target, body and headers (the body to its end). */
export async function readRequest(req: IncomingMessage): Promise<ReadRequest> {
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
  const action = (typeof headerAction === 'string' ? headerAction : undefined) ?? params.Action ?? '';
  return {
    path,
    query,
    canonicalQuery: cached.canonical,
    body,
    form,
    params,
    action,
    xml: wantsXml(req, params),
  };
}
