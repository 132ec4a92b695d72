import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { Credentials } from '@cloud-assistant-gate/core';
import { buildV1Params, buildV3Headers, encodeQuery, signV1 } from '@cloud-assistant-gate/core/signing';

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * Sends one request byte for byte as given (target, header names and order, body) over a fresh
 * TCP connection, so nothing re-encodes what the SDK put on the wire.
 */
export function rawRequest(
  port: number,
  req: { method: string; target: string; rawHeaders: readonly string[]; body: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let head = `${req.method} ${req.target} HTTP/1.1\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      // One request per connection, so the socket closes when the answer is in.
      if (name.toLowerCase() === 'connection') continue;
      head += `${name}: ${req.rawHeaders[i + 1]}\r\n`;
    }
    head += 'Connection: close\r\n\r\n';
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`no HTTP response: ${JSON.stringify(text)}`));
        return;
      }
      const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const c = line.indexOf(':');
        headers[line.slice(0, c).toLowerCase()] = line.slice(c + 1).trim();
      }
      const body = text.slice(end + 4);
      resolve({
        status: Number(statusLine!.split(' ')[1]),
        headers,
        body,
        json: <T>() => JSON.parse(body) as T,
      });
    });
    socket.write(head);
    socket.end(req.body);
  });
}

/** Replaces the value of one `key=value` pair in a raw query or form string (value given decoded). */
export function replaceRawParam(raw: string, key: string, value: string): string {
  return raw
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const k = decodeURIComponent(pair.slice(0, eq));
      return k === key ? `${pair.slice(0, eq)}=${encodeURIComponent(value)}` : pair;
    })
    .join('&');
}

export function rawParams(raw: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    out[decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '))] = decodeURIComponent(
      pair.slice(eq + 1).replace(/\+/g, ' '),
    );
  }
  return out;
}

/** A different but well-formed value for a signed field. */
export function alter(key: string, value: string): string {
  if (key === 'Timestamp' || key === 'x-acs-date') {
    return `${new Date(Date.parse(value) + 1000).toISOString().slice(0, 19)}Z`;
  }
  if (/^[0-9a-f]+$/.test(value)) return value.slice(0, -1) + (value.endsWith('0') ? '1' : '0');
  return `${value}X`;
}

export interface CallOptions {
  readonly credentials?: Credentials;
  readonly date?: Date;
  readonly nonce?: string;
  readonly scheme?: 'V3' | 'V1';
  readonly version?: string;
  /**
   * The `Format` parameter. V1: `JSON` by default, `null` sends none (the API then answers XML).
   * V3: none by default; a string is sent as a signed query parameter.
   */
  readonly format?: string | null;
}

/** One signed call with core's pure signer (V3 by default), over a connection of its own. */
export function call(
  sim: { port: number; host: string; credentials: Credentials },
  action: string,
  params: Record<string, string>,
  options: CallOptions = {},
): Promise<RawResponse> {
  const credentials = options.credentials ?? sim.credentials;
  const date = options.date ?? new Date();
  const nonce = options.nonce ?? randomBytes(16).toString('hex');
  const version = options.version ?? '2014-05-26';
  let target: string;
  let headers: Record<string, string>;
  if (options.scheme === 'V1') {
    let all = buildV1Params({
      action,
      version,
      params,
      date,
      nonce,
      credentials,
      method: 'POST',
      ...(typeof options.format === 'string' ? { format: options.format } : {}),
    });
    if (options.format === null) {
      const { Format: _format, Signature: _signature, ...rest } = all;
      all = { ...rest, Signature: signV1('POST', rest, credentials.accessKeySecret).signature };
    }
    target = `/?${encodeQuery(all)}`;
    headers = { host: sim.host };
  } else {
    const query = typeof options.format === 'string' ? { ...params, Format: options.format } : params;
    target = `/?${encodeQuery(query)}`;
    headers = buildV3Headers({ host: sim.host, action, version, params: query, date, nonce, credentials });
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: 'POST', path: target, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h[k] = v;
          resolve({ status: res.statusCode ?? 0, headers: h, body, json: <T>() => JSON.parse(body) as T });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** DescribeCloudAssistantStatus for some IDs, returning the parsed body. */
export async function describe(
  sim: { port: number; host: string; credentials: Credentials; region: string },
  params: Record<string, string> = {},
  ids: readonly string[] = [],
): Promise<RawResponse> {
  const all: Record<string, string> = { RegionId: sim.region, ...params };
  ids.forEach((id, i) => {
    all[`InstanceId.${i + 1}`] = id;
  });
  return call(sim, 'DescribeCloudAssistantStatus', all);
}
