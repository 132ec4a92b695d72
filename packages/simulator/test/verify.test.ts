import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { call } from './helpers.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(options: SimulatorOptions = {}) {
  sim = await startEcsSimulator({ instances: [{ id: 'i-one' }], ...options });
  return sim;
}
const params = (s: EcsSimulator) => ({ RegionId: s.region, 'InstanceId.1': 'i-one' });

describe('signature verification', () => {
  it.each(['V3', 'V1'] as const)('accepts a %s request signed with the test credentials', async (scheme) => {
    const s = await start();
    const res = await call(s, 'DescribeCloudAssistantStatus', params(s), { scheme });
    expect(res.status, res.body).toBe(200);
    expect(res.headers['x-acs-request-id']).toBe(res.json().RequestId);
  });

  it.each(['V3', 'V1'] as const)('rejects a reused nonce with SignatureNonceUsed (%s)', async (scheme) => {
    const s = await start();
    const first = await call(s, 'DescribeCloudAssistantStatus', params(s), { scheme, nonce: 'same-nonce' });
    expect(first.status).toBe(200);
    const again = await call(s, 'DescribeCloudAssistantStatus', params(s), { scheme, nonce: 'same-nonce' });
    expect(again.status).toBe(400);
    expect(again.json()).toMatchObject({ Code: 'SignatureNonceUsed' });
  });

  it('forgets a nonce once its window has passed', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = await start({ now: () => now, nonceWindowMs: 60_000 });
    expect(
      (await call(s, 'DescribeCloudAssistantStatus', params(s), { nonce: 'n', date: new Date(now) })).status,
    ).toBe(200);
    now += 61_000;
    expect(
      (await call(s, 'DescribeCloudAssistantStatus', params(s), { nonce: 'n', date: new Date(now) })).status,
    ).toBe(200);
  });

  it.each(['V3', 'V1'] as const)(
    'rejects a timestamp outside the skew window with InvalidTimeStamp.Expired (%s)',
    async (scheme) => {
      const s = await start();
      const res = await call(s, 'DescribeCloudAssistantStatus', params(s), {
        scheme,
        date: new Date(Date.now() - 16 * 60_000),
      });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ Code: 'InvalidTimeStamp.Expired' });
    },
  );

  it('accepts a timestamp inside a configured skew window and rejects one just outside it', async () => {
    const s = await start({ timestampSkewMs: 60_000 });
    const inside = await call(s, 'DescribeCloudAssistantStatus', params(s), {
      date: new Date(Date.now() - 30_000),
    });
    expect(inside.status).toBe(200);
    const outside = await call(s, 'DescribeCloudAssistantStatus', params(s), {
      date: new Date(Date.now() - 90_000),
    });
    expect(outside.json()).toMatchObject({ Code: 'InvalidTimeStamp.Expired' });
  });

  it.each(['V3', 'V1'] as const)(
    'rejects an unknown AccessKeyId with InvalidAccessKeyId.NotFound (%s)',
    async (scheme) => {
      const s = await start();
      const res = await call(s, 'DescribeCloudAssistantStatus', params(s), {
        scheme,
        credentials: { accessKeyId: 'nobody', accessKeySecret: 'x' },
      });
      expect(res.status).toBe(400);
      expect(res.json()).toMatchObject({ Code: 'InvalidAccessKeyId.NotFound' });
    },
  );

  it.each(['V3', 'V1'] as const)(
    'rejects a wrong secret with SignatureDoesNotMatch carrying the server string-to-sign (%s)',
    async (scheme) => {
      const s = await start();
      const res = await call(s, 'DescribeCloudAssistantStatus', params(s), {
        scheme,
        credentials: { accessKeyId: s.credentials.accessKeyId, accessKeySecret: 'wrong' },
      });
      expect(res.status).toBe(400);
      const body = res.json<{
        Code: string;
        Message: string;
        RequestId: string;
        HostId: string;
        Recommend: string;
      }>();
      expect(body.Code).toBe('SignatureDoesNotMatch');
      expect(body.Message).toContain('server string to sign is:');
      expect(body.Message).toContain(
        scheme === 'V3' ? 'ACS3-HMAC-SHA256\n' : 'POST&%2F&AccessKeyId%3Dtestid',
      );
      expect(Object.keys(body).sort()).toEqual(['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
      expect(body.HostId).toBe('ecs.cn-hangzhou.aliyuncs.com');
      expect(res.headers['content-type']).toBe('application/json;charset=utf-8');
    },
  );

  it.each(['V3', 'V1'] as const)(
    'accepts the configured STS token and rejects a wrong one (%s)',
    async (scheme) => {
      const s = await start();
      const sts = s.stsCredentials!;
      const ok = await call(s, 'DescribeCloudAssistantStatus', params(s), { scheme, credentials: sts });
      expect(ok.status, ok.body).toBe(200);
      const wrong = await call(s, 'DescribeCloudAssistantStatus', params(s), {
        scheme,
        credentials: { ...sts, securityToken: 'forged' },
      });
      expect(wrong.status).toBe(400);
      expect(wrong.json<{ Code: string }>().Code).toMatch(/^InvalidSecurityToken\./);
      const missing = await call(s, 'DescribeCloudAssistantStatus', params(s), {
        scheme,
        credentials: { accessKeyId: sts.accessKeyId, accessKeySecret: sts.accessKeySecret },
      });
      expect(missing.json()).toMatchObject({ Code: 'MissingSecurityToken' });
    },
  );

  it('rejects an STS token after it expires', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const s = await start({
      now: () => now,
      credentials: [
        {
          accessKeyId: 'STS.a',
          accessKeySecret: 's',
          securityToken: 't',
          securityTokenExpiresAt: now + 1000,
        },
      ],
    });
    const creds = { accessKeyId: 'STS.a', accessKeySecret: 's', securityToken: 't' };
    expect(
      (await call(s, 'DescribeCloudAssistantStatus', params(s), { credentials: creds, date: new Date(now) }))
        .status,
    ).toBe(200);
    now += 2000;
    const late = await call(s, 'DescribeCloudAssistantStatus', params(s), {
      credentials: creds,
      date: new Date(now),
    });
    expect(late.json()).toMatchObject({ Code: 'InvalidSecurityToken.Expired' });
  });

  it('rejects a request without any signature with IncompleteSignature', async () => {
    const s = await start();
    const res = await call(s, 'DescribeCloudAssistantStatus', params(s), {
      scheme: 'V1',
      credentials: { accessKeyId: '', accessKeySecret: '' },
    });
    expect(res.json()).toMatchObject({ Code: 'IncompleteSignature' });
  });

  it('rejects an unknown action and a wrong API version after checking the signature', async () => {
    const s = await start();
    expect((await call(s, 'DescribeEverything', params(s))).json()).toMatchObject({
      Code: 'InvalidAction.NotFound',
    });
    expect(
      (await call(s, 'DescribeCloudAssistantStatus', params(s), { version: '2099-01-01' })).json(),
    ).toMatchObject({
      Code: 'InvalidVersion',
    });
  });
});
