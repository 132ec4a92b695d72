import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, startEcsSimulator } from '../src/index.js';
import { call } from './helpers.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface Result {
  InstanceId: string;
  InvocationStatus: string;
  InvokeRecordStatus: string;
  ErrorCode: string;
  ErrorInfo: string;
  Output: string;
  ExitCode: number | null;
}

async function results(s: EcsSimulator, invokeId: string): Promise<Result[]> {
  const res = await call(s, 'DescribeInvocationResults', {
    RegionId: s.region,
    InvokeId: invokeId,
    PageSize: '50',
  });
  expect(res.status).toBe(200);
  return res.json<{ Invocation: { InvocationResults: { InvocationResult: Result[] } } }>().Invocation
    .InvocationResults.InvocationResult;
}

describe('RunCommand and the invocation APIs', () => {
  it('runs on an online agent and fails with the agent-not-running error on an offline one', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      commandDurationMs: 5_000,
      instances: [{ id: 'i-up' }, { id: 'i-down', onlineAfterMs: 600_000 }],
    });
    sim = s;
    const run = await call(s, 'RunCommand', {
      RegionId: s.region,
      Type: 'RunShellScript',
      CommandContent: 'echo hello',
      'InstanceId.1': 'i-up',
      'InstanceId.2': 'i-down',
    });
    expect(run.status, run.body).toBe(200);
    const { InvokeId, CommandId } = run.json<{ InvokeId: string; CommandId: string }>();
    expect(InvokeId).toMatch(/^t-/);
    expect(CommandId).toMatch(/^c-/);

    let byId = Object.fromEntries((await results(s, InvokeId)).map((r) => [r.InstanceId, r]));
    expect(byId['i-up']).toMatchObject({ InvocationStatus: 'Running', InvokeRecordStatus: 'Running' });
    // The agent is down: the command waits for it (the delivery window), reported as Pending.
    expect(byId['i-down']).toMatchObject({
      InvocationStatus: 'Pending',
      InvokeRecordStatus: 'Running',
      ErrorCode: '',
    });

    s.clock.advance(5_000);
    byId = Object.fromEntries((await results(s, InvokeId)).map((r) => [r.InstanceId, r]));
    expect(byId['i-up']).toMatchObject({ InvocationStatus: 'Success', ExitCode: 0, ErrorCode: '' });
    expect(Buffer.from(byId['i-up']!.Output, 'base64').toString()).toBe('hello\n');
    expect(byId['i-down']).toMatchObject({ InvocationStatus: 'Pending' });

    s.clock.advance(55_000); // the 60 s window closes with the agent still down
    byId = Object.fromEntries((await results(s, InvokeId)).map((r) => [r.InstanceId, r]));
    expect(byId['i-down']).toMatchObject({
      InvocationStatus: 'Aborted',
      InvokeRecordStatus: 'Failed',
      ErrorCode: 'ClientNotRunning',
      ErrorInfo: 'the aliyun service is not running on the instance',
      ExitCode: null,
    });

    const inv = await call(s, 'DescribeInvocations', { RegionId: s.region, InvokeId });
    expect(inv.json()).toMatchObject({
      TotalCount: 1,
      Invocations: {
        Invocation: [{ InvokeId, InvocationStatus: 'PartialFailed', InvokeStatus: 'PartialFailed' }],
      },
    });
    expect(s.fleet.status('i-up')).toMatchObject({ InvocationCount: 1, ActiveTaskCount: 0 });
    expect(s.fleet.status('i-up')!.LastInvokedTime).toBeDefined();
    expect(s.fleet.status('i-down')).toMatchObject({ InvocationCount: 0 });
  });

  it('counts a running command as an active task', async () => {
    const s = await startEcsSimulator({ speed: 0, commandDurationMs: 10_000, instances: [{ id: 'i-up' }] });
    sim = s;
    await call(s, 'RunCommand', {
      RegionId: s.region,
      Type: 'RunShellScript',
      CommandContent: 'sleep 10',
      'InstanceId.1': 'i-up',
    });
    expect(s.fleet.status('i-up')).toMatchObject({ ActiveTaskCount: 1, InvocationCount: 0 });
    s.clock.advance(10_000);
    expect(s.fleet.status('i-up')).toMatchObject({ ActiveTaskCount: 0, InvocationCount: 1 });
  });

  it('rejects unknown instances, a missing command and too many instances', async () => {
    const s = await startEcsSimulator({ instances: [{ id: 'i-up' }] });
    sim = s;
    const base = { RegionId: s.region, Type: 'RunShellScript', CommandContent: 'true' };
    expect((await call(s, 'RunCommand', { ...base, 'InstanceId.1': 'i-nope' })).json()).toMatchObject({
      Code: 'InvalidInstance.NotFound',
    });
    expect(
      (
        await call(s, 'RunCommand', { RegionId: s.region, Type: 'RunShellScript', 'InstanceId.1': 'i-up' })
      ).json(),
    ).toMatchObject({
      Code: 'MissingParameter.CommandContent',
    });
    const many: Record<string, string> = { ...base };
    for (let i = 1; i <= 101; i++) many[`InstanceId.${i}`] = 'i-up';
    expect((await call(s, 'RunCommand', many)).json()).toMatchObject({ Code: 'InstanceIds.ExceedLimit' });
  });

  it('decodes Base64 command content', async () => {
    const s = await startEcsSimulator({ speed: 0, commandDurationMs: 0, instances: [{ id: 'i-up' }] });
    sim = s;
    const run = await call(s, 'RunCommand', {
      RegionId: s.region,
      Type: 'RunShellScript',
      ContentEncoding: 'Base64',
      CommandContent: Buffer.from('echo b64').toString('base64'),
      'InstanceId.1': 'i-up',
    });
    const [r] = await results(s, run.json<{ InvokeId: string }>().InvokeId);
    expect(Buffer.from(r!.Output, 'base64').toString()).toBe('b64\n');
  });
});

describe('stats and lifecycle', () => {
  it('counts requests by action, status and code, and resets', async () => {
    const s = await startEcsSimulator({ instances: [{ id: 'i-a' }] });
    sim = s;
    await call(s, 'DescribeCloudAssistantStatus', { RegionId: s.region, 'InstanceId.1': 'i-a' });
    await call(s, 'DescribeCloudAssistantStatus', { RegionId: s.region, 'InstanceId.1': 'i-missing' });
    await call(s, 'DescribeInvocations', { RegionId: s.region });
    expect(s.stats.total).toBe(3);
    expect(s.stats.byAction).toEqual({ DescribeCloudAssistantStatus: 2, DescribeInvocations: 1 });
    expect(s.stats.byStatus).toEqual({ '200': 2, '404': 1 });
    expect(s.stats.byCode).toEqual({ '': 2, 'InvalidInstance.NotFound': 1 });
    expect(s.stats.count({ action: 'DescribeCloudAssistantStatus', status: 200 })).toBe(1);
    s.stats.reset();
    expect(s.stats.total).toBe(0);
    expect(s.stats.entries()).toEqual([]);
  });

  it('leaves nothing running after close(), even with keep-alive sockets, latency and stalled bodies', async () => {
    const countOf = (list: string[]) => {
      const m: Record<string, number> = {};
      for (const r of list) m[r] = (m[r] ?? 0) + 1;
      return m;
    };
    const baseline = countOf(process.getActiveResourcesInfo());
    const s = await startEcsSimulator({
      speed: 60,
      fleets: [{ count: 100 }],
      faults: {
        latency: { fixedMs: 5_000, actions: ['RunCommand'] },
        stallBody: { probability: 1, actions: ['DescribeInvocations'] },
      },
    });
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    // A keep-alive connection left idle, a request stuck in latency, a body stalled half-way.
    await new Promise<void>((resolve) => {
      request({ host: '127.0.0.1', port: s.port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      }).end();
    });
    void call(s, 'RunCommand', { RegionId: s.region }).catch(() => undefined);
    void call(s, 'DescribeInvocations', { RegionId: s.region }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    agent.destroy();
    await new Promise((r) => setTimeout(r, 50));
    const after = countOf(process.getActiveResourcesInfo());
    for (const [kind, n] of Object.entries(after)) expect(n, kind).toBeLessThanOrEqual(baseline[kind] ?? 0);
  });
});
