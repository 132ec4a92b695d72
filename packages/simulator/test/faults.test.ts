import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type FaultOptions, startEcsSimulator } from '../src/index.js';
import { call, describe as describeStatus } from './helpers.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(faults: FaultOptions, seed: string | number = 1) {
  sim = await startEcsSimulator({ seed, instances: [{ id: 'i-a' }], faults });
  return sim;
}
const ask = (s: EcsSimulator) => describeStatus(s, {}, ['i-a']);

describe('faults', () => {
  it('are off by default', async () => {
    const s = await start({});
    for (let i = 0; i < 20; i++) expect((await ask(s)).status).toBe(200);
    expect(s.stats.faults).toEqual({});
  });

  it('injects 500 InternalError.Dispatch', async () => {
    const s = await start({ internalError: { probability: 1 } });
    const res = await ask(s);
    expect(res.status).toBe(500);
    expect(res.json()).toMatchObject({ Code: 'InternalError.Dispatch' });
    expect(s.stats.count({ code: 'InternalError.Dispatch', status: 500 })).toBe(1);
  });

  it('injects 503 ServiceUnavailable', async () => {
    const s = await start({ serviceUnavailable: { probability: 1 } });
    const res = await ask(s);
    expect(res.status).toBe(503);
    expect(res.json()).toMatchObject({ Code: 'ServiceUnavailable' });
  });

  it('resets the connection', async () => {
    const s = await start({ connectionReset: { probability: 1 } });
    await expect(ask(s)).rejects.toMatchObject({
      code: expect.stringMatching(/ECONNRESET|ECONNABORTED|EPIPE/),
    });
    expect(s.stats.count({ status: 0 })).toBe(1);
  });

  it('answers with an HTML 502 from the gateway', async () => {
    const s = await start({ gateway502: { probability: 1 } });
    const res = await ask(s);
    expect(res.status).toBe(502);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.body).toContain('502 Bad Gateway');
  });

  it('truncates the JSON body of a 200', async () => {
    const s = await start({ truncatedJson: { probability: 1 } });
    const res = await ask(s);
    expect(res.status).toBe(200);
    expect(() => JSON.parse(res.body)).toThrow();
  });

  it('sends a 200 whose body breaks the schema', async () => {
    const s = await start({ badSchema: { probability: 1 } });
    const res = await ask(s);
    expect(res.status).toBe(200);
    const item = res.json<{ InstanceCloudAssistantStatusSet: { InstanceCloudAssistantStatus: unknown[] } }>()
      .InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0];
    expect(item).toMatchObject({ InstanceId: 42, CloudAssistantStatus: true });
  });

  it('stalls half-way through the body and finishes after stallMs', async () => {
    const s = await start({ stallBody: { probability: 1, stallMs: 300 } });
    const t0 = performance.now();
    const res = await ask(s);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(res.json()).toHaveProperty('InstanceCloudAssistantStatusSet');
  });

  it('stalls forever without stallMs until the simulator closes', async () => {
    const s = await start({ stallBody: { probability: 1 } });
    const signed = ask(s).catch((e: unknown) => e);
    const raced = await Promise.race([signed, new Promise((r) => setTimeout(() => r('still waiting'), 300))]);
    expect(raced).toBe('still waiting');
    await s.close();
    sim = undefined;
    expect(await signed).toBeInstanceOf(Error);
  });

  it('adds latency, fixed plus jitter', async () => {
    const s = await start({ latency: { fixedMs: 150, jitterMs: 50 } });
    const t0 = performance.now();
    expect((await ask(s)).status).toBe(200);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(1000);
  });

  it('limits a fault to the actions it names', async () => {
    const s = await start({ internalError: { probability: 1, actions: ['RunCommand'] } });
    expect((await ask(s)).status).toBe(200);
  });

  it('fires at the configured rate and reproduces with the same seed', async () => {
    const run = async (seed: number) => {
      const s = await start({ serviceUnavailable: { probability: 0.3 } }, seed);
      const out: number[] = [];
      for (let i = 0; i < 40; i++) out.push((await ask(s)).status);
      await s.close();
      sim = undefined;
      return out;
    };
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    const failures = a.filter((st) => st === 503).length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(25);
  });
});

describe('rate limit', () => {
  it('answers Throttling.User over the limit, per account and action, without retry-after by default', async () => {
    const s = await start({ rateLimit: { ratePerSecond: 0.01, burst: 2 } });
    s.addCredential({ accessKeyId: 'other-id', accessKeySecret: 'other-secret', accountId: 'other-account' });
    expect((await ask(s)).status).toBe(200);
    expect((await ask(s)).status).toBe(200);
    const third = await ask(s);
    expect(third.status).toBe(400);
    expect(third.json()).toMatchObject({ Code: 'Throttling.User' });
    expect(third.headers['x-acs-retry-after']).toBeUndefined();
    // Another action has its own bucket.
    expect((await call(s, 'DescribeInvocations', { RegionId: s.region })).status).toBe(200);
    const askAs = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) =>
      call(s, 'DescribeCloudAssistantStatus', { RegionId: s.region }, { credentials });
    // The STS key belongs to the same account ("sim-account"): it shares the empty bucket.
    expect((await askAs(s.stsCredentials!)).status).toBe(400);
    // A key of another account has a bucket of its own.
    expect((await askAs({ accessKeyId: 'other-id', accessKeySecret: 'other-secret' })).status).toBe(200);
    expect(s.stats.count({ code: 'Throttling.User' })).toBe(2);
    expect(s.stats.throttled).toBe(2);
    expect(s.stats.faults.throttled).toBe(2);
  });

  it('sends x-acs-retry-after in ms until a token is back, and lets the request through after it', async () => {
    const s = await start({ rateLimit: { ratePerSecond: 10, burst: 1, retryAfter: true } });
    expect((await ask(s)).status).toBe(200);
    const throttled = await ask(s);
    expect(throttled.status).toBe(400);
    const retryAfter = Number(throttled.headers['x-acs-retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, retryAfter + 5));
    expect((await ask(s)).status).toBe(200);
  });
});
