/**
 * The error codes of the current API tables (DescribeCloudAssistantStatus, DescribeInvocations and
 * DescribeSendFileResults pages of 2024; ecs-fidelity §2), over HTTP, for every paged action served.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type EcsSimulator, type SimulatorOptions, startEcsSimulator } from '../src/index.js';
import { call } from './helpers.js';

let sim: EcsSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});
async function start(options: SimulatorOptions = {}): Promise<EcsSimulator> {
  sim = await startEcsSimulator({ speed: 0, instances: [{ id: 'i-a' }], ...options });
  return sim;
}

const PAGED = ['DescribeCloudAssistantStatus', 'DescribeInvocations', 'DescribeInvocationResults'] as const;
const PAGE_MESSAGE = 'The specified parameter is invalid.';

describe('paging errors are 400 on every paged action', () => {
  it.each(
    PAGED.flatMap((action) => [
      [action, { PageSize: '51' }, 'InvalidParam.PageSize', PAGE_MESSAGE],
      [action, { PageSize: '0' }, 'InvalidParam.PageSize', PAGE_MESSAGE],
      [action, { PageSize: 'x' }, 'InvalidParam.PageSize', PAGE_MESSAGE],
      [action, { PageNumber: '0' }, 'InvalidParam.PageNumber', PAGE_MESSAGE],
      [action, { PageNumber: '1.5' }, 'InvalidParam.PageNumber', PAGE_MESSAGE],
    ]),
  )('%s %j → 400 %s', async (action, params, code, message) => {
    const s = await start();
    const res = await call(s, action, { RegionId: s.region, ...params });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ Code: code, Message: message });
  });

  it.each([
    [{ MaxResults: '51' }, 'InvalidParameter.MaxResults', 'The specified parameter MaxResults is not valid.'],
    [{ MaxResults: '0' }, 'InvalidParameter.MaxResults', 'The specified parameter MaxResults is not valid.'],
    [
      { NextToken: 'not-a-token' },
      'InvalidParameter.NextToken',
      'The specified parameter NextToken is not valid.',
    ],
  ])('DescribeCloudAssistantStatus %j → 400 %s', async (params, code, message) => {
    const s = await start();
    const res = await call(s, 'DescribeCloudAssistantStatus', { RegionId: s.region, ...params });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ Code: code, Message: message });
  });
});

describe('instance IDs', () => {
  it('answers an empty InstanceId.N with 400 MissingParam.InstanceId', async () => {
    const s = await start();
    const res = await call(s, 'DescribeCloudAssistantStatus', {
      RegionId: s.region,
      'InstanceId.1': 'i-a',
      'InstanceId.2': '',
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      Code: 'MissingParam.InstanceId',
      Message: 'The parameter instanceId is missing or empty.',
    });
  });
});

describe('regions', () => {
  const ACTIONS: [string, Record<string, string>][] = [
    ['DescribeCloudAssistantStatus', {}],
    ['DescribeInvocations', {}],
    ['DescribeInvocationResults', {}],
    ['RunCommand', { Type: 'RunShellScript', CommandContent: 'ls', 'InstanceId.1': 'i-a' }],
  ];

  it.each(ACTIONS)(
    '%s: a region ID that is no Alibaba Cloud region → 404 InvalidRegionId.NotFound',
    async (action, params) => {
      const s = await start();
      for (const region of ['mars-north-1', 'cn-hangzhuo', 'CN-HANGZHOU']) {
        const res = await call(s, action, { ...params, RegionId: region });
        expect(res.status).toBe(404);
        expect(res.json()).toMatchObject({
          Code: 'InvalidRegionId.NotFound',
          Message: 'The RegionId provided does not exist in our records.',
        });
      }
    },
  );

  it.each(ACTIONS)(
    '%s: a real region the simulator does not serve → 400 RegionId.ApiNotSupported',
    async (action, params) => {
      const s = await start();
      for (const region of ['cn-beijing', 'eu-central-1', 'ap-southeast-1']) {
        const res = await call(s, action, { ...params, RegionId: region });
        expect(res.status).toBe(400);
        expect(res.json()).toMatchObject({
          Code: 'RegionId.ApiNotSupported',
          Message: 'The api is not supported in this region.',
        });
      }
    },
  );

  it('serves a region it is configured with, even one that is not a real region', async () => {
    const s = await start({ region: 'sim-lab-1', instances: [] });
    const res = await call(s, 'DescribeCloudAssistantStatus', { RegionId: 'sim-lab-1' });
    expect(res.status).toBe(200);
    expect((await call(s, 'DescribeCloudAssistantStatus', { RegionId: 'cn-hangzhou' })).status).toBe(400);
  });

  it('still answers a missing RegionId with 400 MissingRegionId', async () => {
    const s = await start();
    const res = await call(s, 'DescribeCloudAssistantStatus', {});
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ Code: 'MissingRegionId' });
  });
});
