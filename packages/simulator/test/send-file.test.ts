/** SendFile and DescribeSendFileResults over the HTTP API: limits, errors, the delivery window. */
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { call } from './helpers.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

let sims: EcsSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});
async function start(options: SimulatorOptions): Promise<EcsSimulator> {
  const sim = await startEcsSimulator({ speed: 0, startTime: T0, ...options });
  sims.push(sim);
  return sim;
}

function params(s: EcsSimulator, ids: readonly string[], extra: Record<string, string> = {}) {
  const p: Record<string, string> = {
    RegionId: s.region,
    Name: 'app.conf',
    TargetDir: '/etc/app',
    Content: 'key=value\n',
    ...extra,
  };
  ids.forEach((id, i) => {
    p[`InstanceId.${i + 1}`] = id;
  });
  return p;
}

interface FileInstance {
  InstanceId: string;
  InvocationStatus: string;
  ErrorCode: string;
  ErrorInfo: string;
  StartTime: string;
  FinishTime: string;
}
interface FileInvocation {
  InvokeId: string;
  Name: string;
  InvocationStatus: string;
  Content: string;
  ContentType: string;
  TargetDir: string;
  FileMode: string;
  Overwrite: string;
  VmCount: number;
  InvokeInstances: { InvokeInstance: FileInstance[] };
}
interface ResultsBody {
  TotalCount?: number;
  PageNumber?: number;
  PageSize?: number;
  NextToken?: string;
  Invocations: { Invocation: FileInvocation[] };
  Code?: string;
}

async function results(s: EcsSimulator, extra: Record<string, string> = {}) {
  const res = await call(s, 'DescribeSendFileResults', { RegionId: s.region, ...extra });
  return { status: res.status, body: res.json<ResultsBody>() };
}

async function send(s: EcsSimulator, ids: readonly string[], extra: Record<string, string> = {}) {
  const res = await call(s, 'SendFile', params(s, ids, extra));
  expect(res.status, res.body).toBe(200);
  const { InvokeId } = res.json<{ InvokeId: string }>();
  expect(InvokeId).toMatch(/^f-/);
  return InvokeId;
}

async function instanceResult(s: EcsSimulator, invokeId: string, id: string): Promise<FileInstance> {
  const { body } = await results(s, { InvokeId: invokeId });
  return body.Invocations.Invocation[0]!.InvokeInstances.InvokeInstance.find((r) => r.InstanceId === id)!;
}

describe('SendFile', () => {
  it('sends to a running agent, waits for one that comes up inside the window, fails on one that does not', async () => {
    const s = await start({
      fileTransferMs: 1_000,
      instances: [
        { id: 'i-up' },
        { id: 'i-late', onlineAfterMs: 30_000 },
        { id: 'i-never', onlineAfterMs: null },
      ],
    });
    const invokeId = await send(s, ['i-up', 'i-late', 'i-never'], {
      Description: 'config',
      FileMode: '0600',
      Overwrite: 'true',
      Timeout: '5', // below 10 s: raised to 10 s, as documented, not an error
    });
    let r = await results(s, { InvokeId: invokeId });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ TotalCount: 1, PageNumber: 1, PageSize: 10 });
    expect(r.body.Invocations.Invocation[0]).toMatchObject({
      InvokeId: invokeId,
      Name: 'app.conf',
      Content: 'key=value\n',
      ContentType: 'PlainText',
      TargetDir: '/etc/app',
      FileMode: '0600',
      Overwrite: 'true',
      VmCount: 3,
      InvocationStatus: 'Pending',
    });
    expect(await instanceResult(s, invokeId, 'i-up')).toMatchObject({
      InvocationStatus: 'Running',
      StartTime: '2026-01-01T00:00:00Z',
    });
    expect((await instanceResult(s, invokeId, 'i-late')).InvocationStatus).toBe('Pending');
    s.clock.advance(30_000);
    expect(await instanceResult(s, invokeId, 'i-up')).toMatchObject({
      InvocationStatus: 'Success',
      FinishTime: '2026-01-01T00:00:01Z',
    });
    expect(await instanceResult(s, invokeId, 'i-late')).toMatchObject({
      InvocationStatus: 'Running',
      StartTime: '2026-01-01T00:00:30Z',
    });
    s.clock.advance(30_000);
    expect((await instanceResult(s, invokeId, 'i-late')).InvocationStatus).toBe('Success');
    expect(await instanceResult(s, invokeId, 'i-never')).toMatchObject({
      InvocationStatus: 'Aborted',
      ErrorCode: 'ClientNotRunning',
      ErrorInfo: 'the aliyun service is not running on the instance',
    });
    r = await results(s, { InvokeId: invokeId });
    expect(r.body.Invocations.Invocation[0]!.InvocationStatus).toBe('PartialFailed');
    // SendFile is not a command: the agent's InvocationCount is unchanged.
    expect(s.fleet.status('i-up')).toMatchObject({ InvocationCount: 0 });
  });

  it('answers ClientNeedUpgrade for agents older than the documented minimum, and honours agent faults', async () => {
    const s = await start({
      instances: [
        { id: 'i-old-linux', agentVersion: '1.0.2.569' },
        { id: 'i-new-linux', agentVersion: '1.0.2.570' },
        { id: 'i-old-win', osType: 'Windows', agentVersion: '1.0.0.100' },
        { id: 'i-busy', agentFault: 'ClientIsUpgrading' },
      ],
    });
    const invokeId = await send(s, ['i-old-linux', 'i-new-linux', 'i-old-win', 'i-busy']);
    expect(await instanceResult(s, invokeId, 'i-old-linux')).toMatchObject({
      InvocationStatus: 'Aborted',
      ErrorCode: 'ClientNeedUpgrade',
      ErrorInfo: 'the aliyun service in the instance need upgrade',
    });
    expect((await instanceResult(s, invokeId, 'i-new-linux')).InvocationStatus).toBe('Running');
    expect((await instanceResult(s, invokeId, 'i-old-win')).ErrorCode).toBe('ClientNeedUpgrade');
    expect((await instanceResult(s, invokeId, 'i-busy')).ErrorCode).toBe('ClientIsUpgrading');
  });

  it('enforces the documented limits and parameter errors', async () => {
    const s = await start({ instances: [{ id: 'i-a' }] });
    const err = async (extra: Record<string, string>, ids: readonly string[] = ['i-a']) => {
      const res = await call(s, 'SendFile', { ...params(s, ids), ...extra });
      return { status: res.status, code: res.json<{ Code?: string }>().Code };
    };
    // 32 KB after Base64: 24,576 bytes of plain text is exactly 32,768 Base64 characters.
    expect(await err({ Content: 'a'.repeat(24_576) })).toEqual({ status: 200, code: undefined });
    expect(await err({ Content: 'a'.repeat(24_577) })).toEqual({ status: 403, code: 'FileSize.ExceedLimit' });
    expect(await err({ Content: 'QUJD'.repeat(8_192), ContentType: 'Base64' })).toEqual({
      status: 200,
      code: undefined,
    });
    expect(await err({ Content: 'QUJD'.repeat(8_193), ContentType: 'Base64' })).toMatchObject({
      code: 'FileSize.ExceedLimit',
    });
    expect(await err({ Content: 'not base64!', ContentType: 'base64' })).toEqual({
      status: 403,
      code: 'FileContent.DecodeError',
    });
    expect(await err({ ContentType: 'Binary' })).toEqual({ status: 403, code: 'FileContentType.Invalid' });
    expect(await err({ Name: 'n'.repeat(256) })).toEqual({ status: 403, code: 'FileName.ExceedLimit' });
    expect(await err({ Name: 'n'.repeat(255) })).toMatchObject({ status: 200 });
    expect(await err({ Description: 'd'.repeat(513) })).toEqual({
      status: 403,
      code: 'FileDesc.ExceedLimit',
    });
    expect(await err({ TargetDir: 'relative/dir' })).toEqual({ status: 403, code: 'FileTargetDir.Invalid' });
    expect(await err({ TargetDir: `/${'x'.repeat(255)}` })).toMatchObject({ code: 'FileTargetDir.Invalid' });
    expect(await err({ TargetDir: 'C:\\ProgramData\\app' })).toMatchObject({ status: 200 });
    expect(await err({ FileMode: '0999' })).toEqual({ status: 403, code: 'FileMode.Invalid' });
    expect(await err({ FileMode: 'rw-r--r--' })).toMatchObject({ code: 'FileMode.Invalid' });
    expect(await err({ FileOwner: 'o'.repeat(65) })).toMatchObject({ code: 'InvalidParameter.FileOwner' });
    expect(await err({ Timeout: 'soon' })).toMatchObject({ code: 'InvalidParameter.Timeout' });
    expect(await err({ Overwrite: 'yes' })).toMatchObject({ code: 'InvalidParameter.Overwrite' });
    expect(await err({}, [])).toEqual({ status: 400, code: 'MissingParam.InstanceId' });
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `i-${i}`);
    expect(await err({}, fiftyOne)).toEqual({ status: 403, code: 'InstanceIds.ExceedLimit' });
    expect(await err({}, ['i-a', 'i-gone'])).toEqual({ status: 404, code: 'InvalidInstance.NotFound' });
    for (const missing of ['Name', 'TargetDir', 'Content']) {
      const p = params(s, ['i-a']);
      delete p[missing];
      const res = await call(s, 'SendFile', p);
      expect(res.json()).toMatchObject({ Code: `MissingParameter.${missing}` });
    }
  });
});

describe('DescribeSendFileResults', () => {
  it('filters by InvokeId, Name, InstanceId and overall status, pages both ways, newest first', async () => {
    const s = await start({ instances: [{ id: 'i-a' }, { id: 'i-b', onlineAfterMs: null }] });
    const sent: string[] = [];
    for (let i = 0; i < 12; i++)
      sent.push(await send(s, i % 2 === 0 ? ['i-a'] : ['i-b'], { Name: i < 6 ? 'first.txt' : 'second.txt' }));
    s.clock.advance(60_000);
    const all = await results(s, { PageSize: '50' });
    expect(all.body.TotalCount).toBe(12);
    expect(all.body.Invocations.Invocation.map((x) => x.InvokeId)).toEqual([...sent].reverse());
    expect((await results(s, { Name: 'first.txt' })).body.TotalCount).toBe(6);
    expect((await results(s, { InstanceId: 'i-b' })).body.TotalCount).toBe(6);
    const failed = await results(s, { InvocationStatus: 'Failed' });
    expect(failed.body.TotalCount).toBe(6);
    expect(
      failed.body.Invocations.Invocation.every(
        (x) => x.InvokeInstances.InvokeInstance[0]!.InstanceId === 'i-b',
      ),
    ).toBe(true);
    expect((await results(s, { InvocationStatus: 'Success' })).body.TotalCount).toBe(6);
    const page2 = await results(s, { PageNumber: '2', PageSize: '5' });
    expect(page2.body.Invocations.Invocation.map((x) => x.InvokeId)).toEqual(
      [...sent].reverse().slice(5, 10),
    );

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await results(s, { MaxResults: '5', ...(token ? { NextToken: token } : {}) });
      expect(r.status).toBe(200);
      expect(r.body.TotalCount).toBeUndefined();
      seen.push(...r.body.Invocations.Invocation.map((x) => x.InvokeId));
      token = r.body.NextToken;
    } while (token);
    expect(seen).toEqual([...sent].reverse());

    expect((await results(s, { PageSize: '51' })).body.Code).toBe('InvalidParam.PageSize');
    expect((await results(s, { MaxResults: '51' })).body.Code).toMatch(/MaxResults/);
    expect((await results(s, { NextToken: 'bogus' })).body.Code).toMatch(/NextToken/);
  });
});
