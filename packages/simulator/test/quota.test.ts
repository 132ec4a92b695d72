/**
 * Account quotas over HTTP: per account (every key and STS session of it), per region, per action,
 * in windows of the simulator's wall clock. Time moves through the `now` seam, never by sleeping.
 */
import { createEcsClient, isThrottlingError } from '@cloud-assistant-gate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { call, type RawResponse } from './helpers.js';

const ACTION = 'DescribeCloudAssistantStatus';
const MINUTE = 60_000;
/** The start of a one-minute window near the real time (signatures are checked against `now`). */
const windowStart = () => Math.floor(Date.now() / MINUTE) * MINUTE;

interface Key {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}
const A1 = { accessKeyId: 'ak-a1', accessKeySecret: 'sa1', accountId: 'account-a' };
const A2 = { accessKeyId: 'ak-a2', accessKeySecret: 'sa2', accountId: 'account-a' };
const B1 = { accessKeyId: 'ak-b1', accessKeySecret: 'sb1', accountId: 'account-b' };

let sim: EcsSimulator | undefined;
let wall = 0;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(options: SimulatorOptions): Promise<EcsSimulator> {
  wall = windowStart();
  sim = await startEcsSimulator({ now: () => wall, instances: [{ id: 'i-a' }], ...options });
  return sim;
}

function ask(s: EcsSimulator, key?: Key, action = ACTION, region = s.region): Promise<RawResponse> {
  const params: Record<string, string> = { RegionId: region };
  if (action === ACTION) params['InstanceId.1'] = 'i-a';
  return call(s, action, params, key === undefined ? {} : { credentials: key });
}

async function statuses(n: number, send: () => Promise<RawResponse>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
}

describe('account quota', () => {
  it('is shared by two AccessKeys of one account, and not by a key of another account', async () => {
    const s = await start({ credentials: [A1, A2, B1], quota: { limits: { [ACTION]: 2 } } });
    expect((await ask(s, A1)).status).toBe(200);
    expect((await ask(s, A2)).status).toBe(200);
    const over = await ask(s, A1);
    expect(over.status).toBe(400);
    expect(over.json()).toMatchObject({
      Code: 'Throttling.User',
      Message: 'Request was denied due to user flow control.',
    });
    expect(over.headers['x-acs-retry-after']).toBeUndefined();
    expect((await ask(s, A2)).status).toBe(400);
    // Account B has its own quota, untouched by A's calls.
    expect(await statuses(2, () => ask(s, B1))).toEqual([200, 200]);
    expect((await ask(s, B1)).status).toBe(400);

    const k = Math.floor(wall / MINUTE);
    expect(s.quotaUsage({ accountId: 'account-a' })).toEqual([
      {
        accountId: 'account-a',
        region: s.region,
        action: ACTION,
        window: k,
        startMs: k * MINUTE,
        endMs: (k + 1) * MINUTE,
        limit: 2,
        granted: 2,
        throttled: 2,
      },
    ]);
    expect(s.quotaUsage({ accountId: 'account-b' })).toMatchObject([{ granted: 2, throttled: 1 }]);
    // Counted as throttled in stats, like any throttling.
    expect(s.stats.count({ action: ACTION, status: 400, code: 'Throttling.User' })).toBe(3);
    expect(s.stats.throttled).toBe(3);
  });

  it('is shared by the STS key of the account (the default keys are all "sim-account")', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 2 } } });
    expect((await ask(s)).status).toBe(200);
    expect((await ask(s, s.stsCredentials)).status).toBe(200);
    expect((await ask(s, s.stsCredentials)).status).toBe(400);
    expect((await ask(s)).status).toBe(400);
    expect(s.quotaUsage()).toMatchObject([{ accountId: 'sim-account', granted: 2, throttled: 2 }]);
  });

  it('lets a call throttled in window k through in window k+1 (default one-minute windows)', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 1 } } });
    expect(s.quota).toEqual({ limits: { [ACTION]: 1 }, windowMs: 60_000, retryAfter: false });
    const k = Math.floor(wall / MINUTE);
    wall = (k + 1) * MINUTE - 1; // the last ms of window k
    expect((await ask(s)).status).toBe(200);
    expect((await ask(s)).status).toBe(400);
    wall = (k + 1) * MINUTE; // window k+1 starts
    expect((await ask(s)).status).toBe(200);
    expect((await ask(s)).status).toBe(400);
    expect(s.quotaUsage().map((u) => [u.window - k, u.granted, u.throttled])).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
  });

  it('does not count throttled calls against the quota', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 3 }, windowMs: 1_000 } });
    wall = Math.floor(wall / 1_000) * 1_000;
    expect(await statuses(10, () => ask(s))).toEqual([200, 200, 200, 400, 400, 400, 400, 400, 400, 400]);
    wall += 1_000;
    expect(await statuses(4, () => ask(s))).toEqual([200, 200, 200, 400]);
  });

  it('sends x-acs-retry-after with the ms to the next window only when asked', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 1 }, windowMs: 10_000, retryAfter: true } });
    const k = Math.floor(wall / 10_000);
    wall = k * 10_000 + 2_500;
    const ok = await ask(s);
    expect(ok.status).toBe(200);
    expect(ok.headers['x-acs-retry-after']).toBeUndefined();
    const throttled = await ask(s);
    expect(throttled.status).toBe(400);
    expect(throttled.headers['x-acs-retry-after']).toBe('7500');
    wall += 7_499;
    expect((await ask(s)).headers['x-acs-retry-after']).toBe('1');
    wall += 1;
    expect((await ask(s)).status).toBe(200);
  });

  it('applies "*" to every action without its own entry, and leaves actions with neither alone', async () => {
    const s = await start({ quota: { limits: { '*': 1, DescribeInvocations: 3 } } });
    expect(await statuses(2, () => ask(s))).toEqual([200, 400]);
    expect(await statuses(4, () => ask(s, undefined, 'DescribeInvocations'))).toEqual([200, 200, 200, 400]);
    expect(await statuses(2, () => ask(s, undefined, 'DescribeInvocationResults'))).toEqual([200, 400]);
    expect(s.quotaUsage({ action: 'DescribeInvocationResults' })).toMatchObject([{ limit: 1 }]);
    await s.close();

    const only = await start({ quota: { limits: { [ACTION]: 1 } } });
    expect(await statuses(5, () => ask(only, undefined, 'DescribeInvocations'))).toEqual([
      200, 200, 200, 200, 200,
    ]);
    expect(only.quotaUsage({ action: 'DescribeInvocations' })).toEqual([]);
  });

  it('counts each region apart', async () => {
    const s = await start({ regions: ['cn-hangzhou', 'cn-beijing'], quota: { limits: { [ACTION]: 1 } } });
    expect(await statuses(2, () => ask(s, undefined, ACTION, 'cn-hangzhou'))).toEqual([200, 400]);
    // i-a lives in cn-hangzhou, so cn-beijing answers 404 for it: the quota let the call through.
    expect((await ask(s, undefined, ACTION, 'cn-beijing')).json()).toMatchObject({
      Code: 'InvalidInstance.NotFound',
    });
    expect((await ask(s, undefined, ACTION, 'cn-beijing')).status).toBe(400);
    expect(s.quotaUsage().map((u) => [u.region, u.granted, u.throttled])).toEqual([
      ['cn-hangzhou', 1, 1],
      ['cn-beijing', 1, 1],
    ]);
  });

  it('limit 0 throttles every call of the action', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 0 } } });
    expect(await statuses(2, () => ask(s))).toEqual([400, 400]);
  });

  it('reaches our core client as a ThrottlingError with the retry-after', async () => {
    const s = await start({ quota: { limits: { [ACTION]: 1 }, windowMs: 10_000, retryAfter: true } });
    wall = Math.floor(wall / 10_000) * 10_000 + 4_000;
    const client = createEcsClient({
      region: s.region,
      endpoint: s.endpoint,
      credentials: s.credentials,
      retry: false,
    });
    try {
      await client.describeCloudAssistantStatus({ instanceIds: ['i-a'] });
      const error = await client
        .describeCloudAssistantStatus({ instanceIds: ['i-a'] })
        .catch((e: unknown) => e);
      expect(isThrottlingError(error)).toBe(true);
      expect(error).toMatchObject({ apiCode: 'Throttling.User', statusCode: 400, retryAfterMs: 6_000 });
    } finally {
      await client.close();
    }
  });

  it('is off without the option: nothing is throttled and quotaUsage is empty', async () => {
    const s = await start({});
    expect(s.quota).toBeUndefined();
    expect(await statuses(30, () => ask(s))).toEqual(Array(30).fill(200));
    expect(s.quotaUsage()).toEqual([]);
  });
});

describe('quota validation', () => {
  // Core's option errors (issue 14): `option` names the refused field, the message says what it takes.
  it.each([
    ['not an object', 5, /^Expected quota to be an object like \{ "limits": .*got 5\.$/, 'quota'],
    [
      'an unknown key',
      { limits: { [ACTION]: 1 }, limit: 2 },
      /^Unknown option `quota\.limit` for quota; did you mean `quota\.limits`\?$/,
      'quota.limit',
    ],
    ['no limits', { windowMs: 1000 }, /^Expected quota\.limits to map action names/, 'quota.limits'],
    ['empty limits', { limits: {} }, /quota\.limits is empty/, 'quota.limits'],
    [
      'an action the simulator does not answer',
      { limits: { DescribeCloudAssitantStatus: 1 } },
      /does not answer DescribeCloudAssitantStatus; it answers .*DescribeCloudAssistantStatus/,
      'quota.limits.DescribeCloudAssitantStatus',
    ],
    [
      'a malformed action name',
      { limits: { 'describe status': 1 } },
      /"describe status" is not an action name/,
      'quota.limits.describe status',
    ],
    [
      'a negative limit',
      { limits: { [ACTION]: -1 } },
      /^Expected quota\.limits\.DescribeCloudAssistantStatus to be an integer ≥ 0 \(calls per window\), got -1\.$/,
      `quota.limits.${ACTION}`,
    ],
    [
      'a fractional limit',
      { limits: { '*': 1.5 } },
      /^Expected quota\.limits\.\* to be an integer ≥ 0 \(calls per window\), got 1\.5\.$/,
      'quota.limits.*',
    ],
    [
      'a string limit',
      { limits: { '*': '10' } },
      /to be an integer ≥ 0 \(calls per window\), got "10"/,
      'quota.limits.*',
    ],
    [
      'windowMs 0',
      { limits: { '*': 1 }, windowMs: 0 },
      /^Expected quota\.windowMs to be an integer number of ms ≥ 1, got 0\.$/,
      'quota.windowMs',
    ],
    [
      'windowMs as text',
      { limits: { '*': 1 }, windowMs: '1m' },
      /quota\.windowMs .* got "1m"/,
      'quota.windowMs',
    ],
    [
      'retryAfter as text',
      { limits: { '*': 1 }, retryAfter: 'yes' },
      /^Expected quota\.retryAfter to be a boolean, got "yes"\.$/,
      'quota.retryAfter',
    ],
  ])('refuses %s with a clear error', async (_what, quota, message, option) => {
    const error = await startEcsSimulator({ quota: quota as never }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(error).toMatchObject({ option });
  });

  it('refuses an STS token entry that names another account than its AccessKey', async () => {
    await expect(
      startEcsSimulator({
        credentials: [A1, { ...A1, securityToken: 'tok', accountId: 'account-b' }],
      }),
    ).rejects.toThrow(/AccessKeyId ak-a1 is configured for two accounts \(account-a and account-b\)/);
  });
});
