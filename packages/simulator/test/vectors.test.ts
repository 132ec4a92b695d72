import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignatureVector, signatureVectors, vectorTime } from '../../../test/fixtures/vectors.js';
import { type EcsSimulator, startEcsSimulator } from '../src/index.js';
import { alter, rawParams, rawRequest, replaceRawParam } from './helpers.js';
import { errorCodeOf } from './xml.js';

const STS_TOKEN = signatureVectors.find((v) => v.securityToken)!.securityToken!;
const VECTOR_IDS = Array.from({ length: 12 }, (_, i) => `i-bp1iudwa5b1tqa${String(i + 1).padStart(4, '0')}`);

let sim: EcsSimulator;
let wallNow = 0;

beforeAll(async () => {
  sim = await startEcsSimulator({
    now: () => wallNow,
    // The encoding vectors ask for IDs no fleet has: leave them out so only the signature decides.
    notFoundMode: 'omit',
    speed: 0,
    credentials: [
      { accessKeyId: 'testid', accessKeySecret: 'testsecret' },
      { accessKeyId: 'testid', accessKeySecret: 'testsecret', securityToken: STS_TOKEN },
    ],
    instances: VECTOR_IDS.map((id) => ({ id, osType: 'Linux' as const })),
  });
});
afterAll(() => sim.close());

function send(
  v: SignatureVector,
  change: Partial<{ method: string; target: string; rawHeaders: string[]; body: string }> = {},
) {
  wallNow = vectorTime(v).getTime();
  const rawHeaders = change.rawHeaders ?? v.wire.rawHeaders;
  const body = change.body ?? v.wire.body;
  const fixedHeaders = [...rawHeaders];
  for (let i = 0; i < fixedHeaders.length; i += 2) {
    if (fixedHeaders[i]!.toLowerCase() === 'content-length')
      fixedHeaders[i + 1] = String(Buffer.byteLength(body));
  }
  return rawRequest(sim.port, {
    method: change.method ?? v.method,
    target: change.target ?? v.wire.requestTarget,
    rawHeaders: fixedHeaders,
    body,
  });
}

function withHeader(raw: readonly string[], name: string, value: string): string[] {
  const out = [...raw];
  for (let i = 0; i < out.length; i += 2) if (out[i]!.toLowerCase() === name) out[i + 1] = value;
  return out;
}

/** Every way to change one signed field of a vector, with a label. */
function alterations(
  v: SignatureVector,
): [string, Partial<{ method: string; target: string; rawHeaders: string[]; body: string }>][] {
  const out: [string, Partial<{ method: string; target: string; rawHeaders: string[]; body: string }>][] = [];
  const [path, query = ''] = v.wire.requestTarget.split('?') as [string, string?];
  for (const [key, value] of Object.entries(rawParams(query))) {
    if (['Signature', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion'].includes(key)) continue;
    out.push([`query ${key}`, { target: `${path}?${replaceRawParam(query, key, alter(key, value))}` }]);
  }
  for (const [key, value] of Object.entries(rawParams(v.wire.body))) {
    if (['Signature', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion'].includes(key)) continue;
    out.push([`body ${key}`, { body: replaceRawParam(v.wire.body, key, alter(key, value)) }]);
  }
  if (v.signatureScheme === 'ACS3-HMAC-SHA256') {
    for (const name of v.signedHeaders!.split(';')) {
      const value = v.headers[name] ?? '';
      out.push([`header ${name}`, { rawHeaders: withHeader(v.wire.rawHeaders, name, alter(name, value)) }]);
    }
    out.push(['body', { body: 'RegionId=cn-beijing' }]);
    const auth = v.expectedAuthorization!;
    out.push([
      'signature',
      {
        rawHeaders: withHeader(
          v.wire.rawHeaders,
          'authorization',
          alter('sig', auth.slice(-64)).padStart(auth.length, auth),
        ),
      },
    ]);
  }
  out.push(['method', { method: v.method === 'GET' ? 'POST' : 'GET' }]);
  return out;
}

describe('the 16 captured SDK requests', () => {
  it.each(signatureVectors.map((v) => [v.name, v] as const))(
    '%s is accepted with the wall clock at its time',
    async (_, v) => {
      const res = await send(v);
      expect(res.status, res.body).toBe(200);
      expect(res.headers['content-type']).toBe('application/json;charset=utf-8');
      const body = res.json<{
        InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: { InstanceId: string }[] };
      }>();
      const params = { ...v.query, ...v.bodyParams };
      const asked = Object.entries(params)
        .filter(([k]) => k.startsWith('InstanceId.'))
        .map(([, id]) => id);
      const expected =
        params.OSType === 'Linux' || params.OSType === undefined
          ? asked.filter((id) => VECTOR_IDS.includes(id))
          : [];
      if (asked.length > 0) {
        expect(
          body.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.map((s) => s.InstanceId).sort(),
        ).toEqual(expected.sort());
      }
    },
  );

  it.each(signatureVectors.map((v) => [v.name, v] as const))(
    '%s is rejected with SignatureDoesNotMatch when any signed field is altered',
    async (_, v) => {
      const failures: string[] = [];
      for (const [label, change] of alterations(v)) {
        const res = await send(v, change);
        // Altering Format (e.g. "json" → "jsonX") asks for XML, so the error may come as XML.
        const code = res.status === 200 ? 'accepted' : errorCodeOf(res);
        if (code !== 'SignatureDoesNotMatch') failures.push(`${label}: ${res.status} ${code}`);
      }
      expect(failures).toEqual([]);
      expect(alterations(v).length).toBeGreaterThan(5);
    },
  );

  it('a replayed request is rejected with SignatureNonceUsed', async () => {
    const v = signatureVectors[0]!;
    const res = await send(v);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
  });
});
