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
  StartTime: string;
}

const T0 = Date.parse('2026-01-01T00:00:00Z');

async function send(s: EcsSimulator, ids: readonly string[], extra: Record<string, string> = {}) {
  const params: Record<string, string> = {
    RegionId: s.region,
    Type: 'RunShellScript',
    CommandContent: 'echo hi',
    ...extra,
  };
  ids.forEach((id, i) => {
    params[`InstanceId.${i + 1}`] = id;
  });
  const res = await call(s, 'RunCommand', params);
  expect(res.status, res.body).toBe(200);
  return res.json<{ InvokeId: string }>().InvokeId;
}

async function resultOf(s: EcsSimulator, invokeId: string, id: string): Promise<Result> {
  return (await results(s, invokeId)).find((r) => r.InstanceId === id)!;
}

async function invocationStatus(s: EcsSimulator, invokeId: string): Promise<string> {
  const inv = await call(s, 'DescribeInvocations', { RegionId: s.region, InvokeId: invokeId });
  return inv.json<{ Invocations: { Invocation: { InvocationStatus: string }[] } }>().Invocations
    .Invocation[0]!.InvocationStatus;
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

  it('rejects unknown instances, a missing command, missing IDs, a bad Type and too many instances', async () => {
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
    for (const params of [base, { ...base, 'InstanceId.1': '' }]) {
      const missing = await call(s, 'RunCommand', params);
      expect(missing.status).toBe(400);
      expect(missing.json()).toMatchObject({
        Code: 'MissingParam.InstanceId',
        Message: 'The parameter instanceId is missing or empty.',
      });
    }
    const badType = await call(s, 'RunCommand', { ...base, Type: 'RunPythonScript', 'InstanceId.1': 'i-up' });
    expect(badType.status).toBe(403);
    expect(badType.json()).toMatchObject({
      Code: 'InvalidCmdType.NotFound',
      Message: 'The specified command type does not exist.',
    });
    const many: Record<string, string> = { ...base };
    for (let i = 1; i <= 101; i++) many[`InstanceId.${i}`] = 'i-up';
    expect((await call(s, 'RunCommand', many)).json()).toMatchObject({ Code: 'InstanceIds.ExceedLimit' });
  });

  it('reads ContentEncoding case-insensitively and falls back to PlainText for an unknown value', async () => {
    const s = await startEcsSimulator({ speed: 0, commandDurationMs: 0, instances: [{ id: 'i-up' }] });
    sim = s;
    const output = async (encoding: string, content: string) => {
      const invokeId = await send(s, ['i-up'], { ContentEncoding: encoding, CommandContent: content });
      const res = await call(s, 'DescribeInvocationResults', {
        RegionId: s.region,
        InvokeId: invokeId,
        ContentEncoding: 'plaintext',
      });
      return res.json<{ Invocation: { InvocationResults: { InvocationResult: Result[] } } }>().Invocation
        .InvocationResults.InvocationResult[0]!.Output;
    };
    expect(await output('BASE64', Buffer.from('echo upper').toString('base64'))).toBe('upper\n');
    expect(await output('Utf-8', 'echo plain')).toBe('plain\n');
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

describe('the delivery window', () => {
  it('delivers a command to an agent that comes up inside the window, when it comes up', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      commandDurationMs: 2_000,
      instances: [{ id: 'i-late', onlineAfterMs: 45_000 }],
    });
    sim = s;
    const invokeId = await send(s, ['i-late']);
    expect(await resultOf(s, invokeId, 'i-late')).toMatchObject({
      InvocationStatus: 'Pending',
      StartTime: '',
    });
    expect(await invocationStatus(s, invokeId)).toBe('Pending');
    expect(s.fleet.status('i-late')).toMatchObject({ InvocationCount: 0, ActiveTaskCount: 0 });
    s.clock.advance(45_000);
    expect(await resultOf(s, invokeId, 'i-late')).toMatchObject({
      InvocationStatus: 'Running',
      StartTime: '2026-01-01T00:00:45Z',
    });
    expect(s.fleet.status('i-late')).toMatchObject({
      ActiveTaskCount: 1,
      LastInvokedTime: '2026-01-01T00:00:45Z',
    });
    s.clock.advance(2_000);
    const done = await resultOf(s, invokeId, 'i-late');
    expect(done).toMatchObject({
      InvocationStatus: 'Success',
      InvokeRecordStatus: 'Finished',
      ErrorCode: '',
      ExitCode: 0,
    });
    expect(Buffer.from(done.Output, 'base64').toString()).toBe('hi\n');
    expect(await invocationStatus(s, invokeId)).toBe('Success');
    expect(s.fleet.status('i-late')).toMatchObject({ InvocationCount: 1, ActiveTaskCount: 0 });
  });

  it('fails with Aborted/ClientNotRunning/Failed when the agent is not up by the end of the window', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      instances: [
        { id: 'i-slow', onlineAfterMs: 60_001 },
        { id: 'i-edge', onlineAfterMs: 60_000 },
      ],
    });
    sim = s;
    const invokeId = await send(s, ['i-slow', 'i-edge']);
    s.clock.advance(59_999);
    expect((await resultOf(s, invokeId, 'i-slow')).InvocationStatus).toBe('Pending');
    s.clock.advance(1);
    expect(await resultOf(s, invokeId, 'i-slow')).toMatchObject({
      InvocationStatus: 'Aborted',
      InvokeRecordStatus: 'Failed',
      ErrorCode: 'ClientNotRunning',
      ErrorInfo: 'the aliyun service is not running on the instance',
      ExitCode: null,
      StartTime: '',
    });
    // Up at the last instant of the window: delivered.
    expect((await resultOf(s, invokeId, 'i-edge')).InvocationStatus).toBe('Running');
    s.clock.advance(5_000);
    expect(await invocationStatus(s, invokeId)).toBe('PartialFailed');
    // The agent that came up late never counted the command.
    expect(s.fleet.status('i-slow')).toMatchObject({ InvocationCount: 0 });
    const failedOnly = await call(s, 'DescribeInvocationResults', {
      RegionId: s.region,
      InvokeId: invokeId,
      InvokeRecordStatus: 'Failed',
    });
    expect(
      failedOnly
        .json<{ Invocation: { InvocationResults: { InvocationResult: Result[] } } }>()
        .Invocation.InvocationResults.InvocationResult.map((r) => r.InstanceId),
    ).toEqual(['i-slow']);
  });

  it('follows deliveryWindowMs, and a reboot inside the window delivers after the boot', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      deliveryWindowMs: 0,
      instances: [{ id: 'i-down', onlineAfterMs: 1_000 }],
    });
    sim = s;
    const invokeId = await send(s, ['i-down']);
    expect((await resultOf(s, invokeId, 'i-down')).ErrorCode).toBe('ClientNotRunning');
    await s.close();

    const r = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      lifecycle: {
        stoppingMs: { kind: 'fixed', ms: 5_000 },
        startingMs: { kind: 'fixed', ms: 15_000 },
        agentStartMs: { kind: 'fixed', ms: 20_000 },
      },
      instances: [{ id: 'i-new', onlineAfterMs: null }],
    });
    sim = r;
    // The remediation: install, reboot, and send once the instance is booting again (Starting;
    // while it is Stopping a command fails at once, InstanceNotRunning); the agent is up at 40 s.
    expect(
      (await call(r, 'InstallCloudAssistant', { RegionId: r.region, 'InstanceId.1': 'i-new' })).status,
    ).toBe(200);
    expect((await call(r, 'RebootInstance', { InstanceId: 'i-new' })).status).toBe(200);
    expect((await resultOf(r, await send(r, ['i-new']), 'i-new')).ErrorCode).toBe('InstanceNotRunning');
    r.clock.advance(5_000);
    expect(r.fleet.instanceStatus('i-new')).toBe('Starting');
    const id2 = await send(r, ['i-new']);
    expect((await resultOf(r, id2, 'i-new')).InvocationStatus).toBe('Pending');
    r.clock.advance(35_000);
    expect(await resultOf(r, id2, 'i-new')).toMatchObject({
      InvocationStatus: 'Running',
      StartTime: '2026-01-01T00:00:40Z',
    });
  });

  it('fails at once with InstanceNotRunning on a stopped instance', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      instances: [{ id: 'i-off', stopped: true }],
    });
    sim = s;
    const invokeId = await send(s, ['i-off']);
    expect(await resultOf(s, invokeId, 'i-off')).toMatchObject({
      InvocationStatus: 'Aborted',
      InvokeRecordStatus: 'Failed',
      ErrorCode: 'InstanceNotRunning',
      ErrorInfo: 'the instance is not running when create task',
    });
  });
});

describe('agent error faults', () => {
  it('fail deliveries with the documented codes, per instance or as a seeded share', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      startTime: T0,
      instances: [
        { id: 'i-noresp', agentFault: 'ClientNotResponse' },
        { id: 'i-timeout', agentFault: 'DeliveryTimeout' },
        { id: 'i-ok' },
      ],
    });
    sim = s;
    s.fleet.setAgentFault('i-ok', 'ClientIsUpgrading');
    s.fleet.setAgentFault('i-ok', undefined);
    const invokeId = await send(s, ['i-noresp', 'i-timeout', 'i-ok']);
    expect(await resultOf(s, invokeId, 'i-noresp')).toMatchObject({
      InvocationStatus: 'Aborted',
      InvokeRecordStatus: 'Failed',
      ErrorCode: 'ClientNotResponse',
      ErrorInfo: 'the aliyun service in the instance does not response',
    });
    expect((await resultOf(s, invokeId, 'i-timeout')).InvocationStatus).toBe('Pending');
    s.clock.advance(60_000);
    expect(await resultOf(s, invokeId, 'i-timeout')).toMatchObject({
      InvocationStatus: 'Aborted',
      ErrorCode: 'DeliveryTimeout',
      ErrorInfo: 'the command delivery has been timeout',
    });
    expect((await resultOf(s, invokeId, 'i-ok')).InvocationStatus).toBe('Success');
    await s.close();

    const counts = async (seed: number) => {
      const f = await startEcsSimulator({
        speed: 0,
        startTime: T0,
        fleets: [{ count: 100, bootMs: { kind: 'fixed', ms: 0 } }],
        faults: { seed, agentErrors: { ClientNeedUpgrade: 0.2, ClientIsUpgrading: 0.1 } },
      });
      try {
        const ids = f.fleet.ids();
        const invoke = await send(f, ids);
        const byCode: Record<string, number> = {};
        for (let page = 1; page <= 2; page++) {
          const res = await call(f, 'DescribeInvocationResults', {
            RegionId: f.region,
            InvokeId: invoke,
            PageSize: '50',
            PageNumber: String(page),
          });
          for (const r of res.json<{ Invocation: { InvocationResults: { InvocationResult: Result[] } } }>()
            .Invocation.InvocationResults.InvocationResult)
            byCode[r.ErrorCode || r.InvocationStatus] = (byCode[r.ErrorCode || r.InvocationStatus] ?? 0) + 1;
        }
        return byCode;
      } finally {
        await f.close();
      }
    };
    const a = await counts(7);
    expect(a).toEqual(await counts(7));
    expect(a.ClientNeedUpgrade).toBeGreaterThan(8);
    expect(a.ClientNeedUpgrade).toBeLessThan(35);
    expect(a.ClientIsUpgrading).toBeGreaterThan(2);
    expect(a.Running).toBeGreaterThan(50);
    await expect(
      startEcsSimulator({ faults: { agentErrors: { ClientNotRunning: 0.1 } as never } }),
    ).rejects.toThrow(/ClientNotRunning/);
    await expect(startEcsSimulator({ faults: { agentErrors: { DeliveryTimeout: 2 } } })).rejects.toThrow(
      /DeliveryTimeout/,
    );
    await expect(startEcsSimulator({ deliveryWindowMs: -1 })).rejects.toThrow(/deliveryWindowMs/);
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
