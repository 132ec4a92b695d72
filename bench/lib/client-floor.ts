import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BenchClient, Target } from './clients.js';
import { repoRoot } from './proc.js';

/** The part of undici's Pool the floor client uses (undici is core's dependency, not the root's). */
interface UndiciPool {
  request(options: {
    method: string;
    path: string;
    headers: Record<string, string>;
  }): Promise<{ statusCode: number; body: { text(): Promise<string> } }>;
  close(): Promise<void>;
}
type PoolConstructor = new (origin: string, options: { connections: number }) => UndiciPool;

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const SIGNED_HEADERS =
  'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version';

const SAFE = /^[A-Za-z0-9\-_.~]*$/;

/** RFC 3986 encoding (what V3 wants), with the fast path every ECS ID and region takes. */
function enc(s: string): string {
  if (SAFE.test(s)) return s;
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The floor: undici Pool + node:crypto V3 signing, JSON.parse of the body and nothing else (no
 * schema validation, no retries, no limiter, no abort plumbing). Built per call, like a real client:
 * sorted canonical query, fresh date and nonce, SHA-256 of the canonical request, HMAC.
 */
export function floorClient(t: Target, concurrency = 16): BenchClient {
  const require = createRequire(join(repoRoot(), 'packages/core/package.json'));
  const { Pool } = require('undici') as { Pool: PoolConstructor };
  const pool = new Pool(t.url, { connections: concurrency });
  return {
    async describe(ids) {
      const params: [string, string][] = [['RegionId', t.region]];
      for (let i = 0; i < ids.length; i++) params.push([`InstanceId.${i + 1}`, ids[i]!]);
      params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      let query = '';
      for (const [k, v] of params) query += `${query === '' ? '' : '&'}${enc(k)}=${enc(v)}`;
      const date = `${new Date().toISOString().slice(0, 19)}Z`;
      const nonce = randomUUID();
      const canonical =
        `POST\n/\n${query}\nhost:${t.host}\nx-acs-action:DescribeCloudAssistantStatus\n` +
        `x-acs-content-sha256:${EMPTY_SHA256}\nx-acs-date:${date}\nx-acs-signature-nonce:${nonce}\n` +
        `x-acs-version:2014-05-26\n\n${SIGNED_HEADERS}\n${EMPTY_SHA256}`;
      const toSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
      const signature = createHmac('sha256', t.credentials.accessKeySecret).update(toSign).digest('hex');
      const res = await pool.request({
        method: 'POST',
        path: `/?${query}`,
        headers: {
          host: t.host,
          'x-acs-action': 'DescribeCloudAssistantStatus',
          'x-acs-version': '2014-05-26',
          'x-acs-date': date,
          'x-acs-signature-nonce': nonce,
          'x-acs-content-sha256': EMPTY_SHA256,
          authorization: `ACS3-HMAC-SHA256 Credential=${t.credentials.accessKeyId},SignedHeaders=${SIGNED_HEADERS},Signature=${signature}`,
        },
      });
      const body = JSON.parse(await res.body.text()) as {
        InstanceCloudAssistantStatusSet?: { InstanceCloudAssistantStatus?: unknown[] };
      };
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return body.InstanceCloudAssistantStatusSet?.InstanceCloudAssistantStatus?.length ?? 0;
    },
    close: () => pool.close(),
  };
}
