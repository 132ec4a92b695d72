/**
 * The official clients cannot tell the simulator from ECS: each gets correct results, a wrong
 * secret gives SignatureDoesNotMatch, and 101 IDs give InstanceIds.ExceedLimit.
 */
import * as EcsModule from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import RPCClient from '@alicloud/pop-core';
import { createEcsClient, isEcsApiError } from '@cloud-assistant-gate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EcsSimulator, startEcsSimulator } from '../src/index.js';

// Under native ESM the CJS module's `default` is `module.exports`, whose `default` is the class.
const Ecs: typeof EcsModule.default =
  (EcsModule.default as unknown as { default?: typeof EcsModule.default }).default ?? EcsModule.default;

interface Creds {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}
interface Item {
  readonly instanceId: string;
  readonly cloudAssistantStatus: string;
  readonly osType: string;
  readonly supportSessionManager: boolean;
}
/** A client under test: asks for some IDs and returns the items it got back. */
interface ClientUnderTest {
  readonly name: string;
  readonly sts: boolean;
  describe(sim: EcsSimulator, creds: Creds, ids: readonly string[]): Promise<Item[]>;
}

function ecsSdk(signatureAlgorithm: 'v3' | 'v2'): ClientUnderTest['describe'] {
  return async (sim, creds, ids) => {
    const client = new Ecs(
      new $OpenApiUtil.Config({
        ...creds,
        regionId: sim.region,
        endpoint: sim.host,
        protocol: 'http',
        ...(signatureAlgorithm === 'v2' ? { signatureAlgorithm: 'v2' } : {}),
      }),
    );
    const res = await client.describeCloudAssistantStatus(
      new EcsModule.DescribeCloudAssistantStatusRequest({ regionId: sim.region, instanceId: [...ids] }),
    );
    return (res.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus ?? []).map((s) => ({
      instanceId: s.instanceId ?? '',
      cloudAssistantStatus: s.cloudAssistantStatus ?? '',
      osType: s.OSType ?? '',
      supportSessionManager: s.supportSessionManager ?? false,
    }));
  };
}

function popCore(method: 'GET' | 'POST'): ClientUnderTest['describe'] {
  return async (sim, creds, ids) => {
    const client = new RPCClient({
      accessKeyId: creds.accessKeyId,
      accessKeySecret: creds.accessKeySecret,
      ...(creds.securityToken ? { securityToken: creds.securityToken } : {}),
      endpoint: sim.url,
      apiVersion: '2014-05-26',
    });
    const body = await client.request<{
      InstanceCloudAssistantStatusSet: {
        InstanceCloudAssistantStatus: {
          InstanceId: string;
          CloudAssistantStatus: string;
          OSType: string;
          SupportSessionManager: boolean;
        }[];
      };
    }>('DescribeCloudAssistantStatus', { RegionId: sim.region, InstanceId: [...ids] }, { method });
    return body.InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus.map((s) => ({
      instanceId: s.InstanceId,
      cloudAssistantStatus: s.CloudAssistantStatus,
      osType: s.OSType,
      supportSessionManager: s.SupportSessionManager,
    }));
  };
}

/**
 * Our own client. It refuses more than 100 IDs before sending anything, so for that case the
 * request goes through the generic `call` to show the simulator's answer reaches it intact.
 * API errors carry the API code in `apiCode` (`code` is our stable error code).
 */
function ourClient(signatureVersion: 'v3' | 'v1'): ClientUnderTest['describe'] {
  return async (sim, creds, ids) => {
    const client = createEcsClient({
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: creds,
      signatureVersion,
      retry: false,
    });
    try {
      if (ids.length > 100) {
        await client.call('DescribeCloudAssistantStatus', { InstanceId: ids });
        return [];
      }
      const result = await client.describeCloudAssistantStatus({ instanceIds: ids });
      return result.instances.map((s) => ({
        instanceId: s.instanceId,
        cloudAssistantStatus: String(s.cloudAssistantStatus),
        osType: s.osType ?? '',
        supportSessionManager: s.supportSessionManager ?? false,
      }));
    } catch (error) {
      throw isEcsApiError(error) ? Object.assign(new Error(error.message), { code: error.apiCode }) : error;
    } finally {
      await client.close();
    }
  };
}

const CLIENTS: readonly ClientUnderTest[] = [
  { name: '@alicloud/ecs20140526 V3', sts: false, describe: ecsSdk('v3') },
  { name: '@alicloud/ecs20140526 V3 with STS', sts: true, describe: ecsSdk('v3') },
  { name: "@alicloud/ecs20140526 V1 (signatureAlgorithm 'v2')", sts: false, describe: ecsSdk('v2') },
  { name: "@alicloud/ecs20140526 V1 (signatureAlgorithm 'v2') with STS", sts: true, describe: ecsSdk('v2') },
  { name: '@alicloud/pop-core GET', sts: false, describe: popCore('GET') },
  { name: '@alicloud/pop-core POST', sts: false, describe: popCore('POST') },
  { name: '@alicloud/pop-core GET with STS', sts: true, describe: popCore('GET') },
  { name: '@cloud-assistant-gate/core V3', sts: false, describe: ourClient('v3') },
  { name: '@cloud-assistant-gate/core V3 with STS', sts: true, describe: ourClient('v3') },
  { name: '@cloud-assistant-gate/core V1', sts: false, describe: ourClient('v1') },
  { name: '@cloud-assistant-gate/core V1 with STS', sts: true, describe: ourClient('v1') },
];

let sim: EcsSimulator;
let ids: string[];
beforeAll(async () => {
  sim = await startEcsSimulator({
    speed: 0,
    seed: 'interop',
    fleets: [
      { count: 6, osType: 'Linux', bootMs: { kind: 'fixed', ms: 0 } },
      { count: 3, osType: 'Windows', bootMs: { kind: 'fixed', ms: 0 }, oldAgentShare: 1 },
      { count: 3, osType: 'Linux', neverOnlineShare: 1 },
    ],
  });
  ids = sim.fleet.ids();
});
afterAll(() => sim.close());

const credsFor = (c: ClientUnderTest): Creds => (c.sts ? sim.stsCredentials! : sim.credentials);

async function errorCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return String((err as { code?: unknown }).code);
  }
  return 'no error';
}

describe.each(CLIENTS.map((c) => [c.name, c] as const))('%s', (_, client) => {
  it('gets every requested instance with the status the fleet says', async () => {
    const items = await client.describe(sim, credsFor(client), ids);
    expect(items.map((i) => i.instanceId)).toEqual(ids);
    for (const item of items) {
      expect(item.cloudAssistantStatus).toBe(String(sim.fleet.isOnline(item.instanceId)));
    }
    expect(items.filter((i) => i.cloudAssistantStatus === 'true')).toHaveLength(9);
    expect(items.filter((i) => i.osType === 'Windows').every((i) => !i.supportSessionManager)).toBe(true);
    expect(
      items
        .filter((i) => i.osType === 'Linux' && i.cloudAssistantStatus === 'true')
        .every((i) => i.supportSessionManager),
    ).toBe(true);
  });

  it('gets SignatureDoesNotMatch with a wrong secret', async () => {
    const creds = { ...credsFor(client), accessKeySecret: 'not-the-secret' };
    expect(await errorCode(client.describe(sim, creds, ids.slice(0, 2)))).toBe('SignatureDoesNotMatch');
  });

  it('gets InstanceIds.ExceedLimit with 101 IDs', async () => {
    const many = Array.from({ length: 101 }, (_, i) => ids[i % ids.length]!);
    expect(await errorCode(client.describe(sim, credsFor(client), many))).toBe('InstanceIds.ExceedLimit');
  });
});

describe('our client against API behaviour', () => {
  it('refuses 101 IDs in describeCloudAssistantStatus before sending a request', async () => {
    const client = createEcsClient({
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: sim.credentials,
    });
    const before = sim.stats.total;
    try {
      const many = Array.from({ length: 101 }, (_, i) => `i-${i}`);
      await expect(client.describeCloudAssistantStatus({ instanceIds: many })).rejects.toThrow(RangeError);
      expect(sim.stats.total).toBe(before);
    } finally {
      await client.close();
    }
  });

  it('lists every instance across pages with listCloudAssistantStatus', async () => {
    const client = createEcsClient({
      region: sim.region,
      endpoint: sim.endpoint,
      credentials: sim.credentials,
    });
    try {
      const seen: string[] = [];
      for await (const s of client.listCloudAssistantStatus()) seen.push(s.instanceId);
      expect(seen).toEqual(ids);
    } finally {
      await client.close();
    }
  });
});

describe('the official SDK against API behaviour', () => {
  it('pages by NextToken through every instance with @alicloud/ecs20140526', async () => {
    const client = new Ecs(
      new $OpenApiUtil.Config({
        ...sim.credentials,
        regionId: sim.region,
        endpoint: sim.host,
        protocol: 'http',
      }),
    );
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await client.describeCloudAssistantStatus(
        new EcsModule.DescribeCloudAssistantStatusRequest({
          regionId: sim.region,
          maxResults: 5,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const s of res.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus ?? [])
        seen.push(s.instanceId!);
      nextToken = res.body?.nextToken;
    } while (nextToken);
    expect(seen).toEqual(ids);
  });

  it('surfaces Throttling.User with retry-after as the SDK ThrottlingError', async () => {
    const limited = await startEcsSimulator({
      instances: [{ id: 'i-x' }],
      faults: { rateLimit: { ratePerSecond: 0.001, burst: 1, retryAfter: true } },
    });
    try {
      const client = new Ecs(
        new $OpenApiUtil.Config({
          ...limited.credentials,
          regionId: limited.region,
          endpoint: limited.host,
          protocol: 'http',
        }),
      );
      const req = new EcsModule.DescribeCloudAssistantStatusRequest({
        regionId: limited.region,
        instanceId: ['i-x'],
      });
      await client.describeCloudAssistantStatus(req);
      const err = await client.describeCloudAssistantStatus(req).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'ThrottlingError', code: 'Throttling.User', statusCode: 400 });
      expect((err as { retryAfter?: number }).retryAfter).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});

describe('the official SDK against the lifecycle, install and SendFile actions', () => {
  const sdkClient = (s: EcsSimulator, signatureAlgorithm?: 'v2') =>
    new Ecs(
      new $OpenApiUtil.Config({
        ...s.credentials,
        regionId: s.region,
        endpoint: s.host,
        protocol: 'http',
        ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
      }),
    );
  const fixed = (ms: number) => ({ kind: 'fixed' as const, ms });

  it.each([['V3'], ['V1']] as const)(
    '%s: installCloudAssistant + rebootInstance bring a bare instance online; describeInstanceStatus follows',
    async (scheme) => {
      const s = await startEcsSimulator({
        speed: 0,
        lifecycle: { stoppingMs: fixed(5_000), startingMs: fixed(10_000), agentStartMs: fixed(15_000) },
        instances: [{ id: 'i-bare', onlineAfterMs: null }, { id: 'i-ok' }],
      });
      try {
        const client = sdkClient(s, scheme === 'V1' ? 'v2' : undefined);
        const statusOf = async () => {
          const res = await client.describeInstanceStatus(
            new EcsModule.DescribeInstanceStatusRequest({
              regionId: s.region,
              instanceId: ['i-bare', 'i-ok'],
            }),
          );
          expect(res.body?.totalCount).toBe(2);
          expect(res.body?.pageNumber).toBe(1);
          expect(res.body?.pageSize).toBe(10);
          return Object.fromEntries(
            (res.body?.instanceStatuses?.instanceStatus ?? []).map((x) => [x.instanceId, x.status]),
          );
        };
        expect(await statusOf()).toEqual({ 'i-bare': 'Running', 'i-ok': 'Running' });

        const install = await client.installCloudAssistant(
          new EcsModule.InstallCloudAssistantRequest({ regionId: s.region, instanceId: ['i-bare'] }),
        );
        expect(install.statusCode).toBe(200);
        expect(install.body?.requestId).toMatch(/^[0-9A-F-]{36}$/);
        s.clock.advance(600_000);
        expect(s.fleet.isOnline('i-bare')).toBe(false); // installed, but no reboot yet

        const reboot = await client.rebootInstance(
          new EcsModule.RebootInstanceRequest({ instanceId: 'i-bare', forceStop: false }),
        );
        expect(reboot.body?.requestId).toBeTruthy();
        expect(await statusOf()).toEqual({ 'i-bare': 'Stopping', 'i-ok': 'Running' });
        s.clock.advance(5_000);
        expect((await statusOf())['i-bare']).toBe('Starting');
        s.clock.advance(10_000 + 15_000);
        expect((await statusOf())['i-bare']).toBe('Running');
        const cas = await client.describeCloudAssistantStatus(
          new EcsModule.DescribeCloudAssistantStatusRequest({ regionId: s.region, instanceId: ['i-bare'] }),
        );
        expect(cas.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus?.[0]).toMatchObject({
          instanceId: 'i-bare',
          cloudAssistantStatus: 'true',
        });

        // A reboot while the instance is not Running: the SDK's ClientError with the documented code.
        await client.rebootInstance(new EcsModule.RebootInstanceRequest({ instanceId: 'i-ok' }));
        const refused = await client
          .rebootInstance(new EcsModule.RebootInstanceRequest({ instanceId: 'i-ok' }))
          .catch((e: unknown) => e);
        expect(refused).toMatchObject({ code: 'IncorrectInstanceStatus', statusCode: 403 });
        const multi = await client.rebootInstances(
          new EcsModule.RebootInstancesRequest({
            regionId: s.region,
            instanceId: ['i-bare', 'i-ok'],
            batchOptimization: 'SuccessFirst',
          }),
        );
        expect(multi.body?.instanceResponses?.instanceResponse?.map((r) => [r.instanceId, r.code])).toEqual([
          ['i-bare', '200'],
          ['i-ok', 'IncorrectInstanceStatus'],
        ]);
      } finally {
        await s.close();
      }
    },
  );

  it('sendFile and describeSendFileResults: InvokeId f-…, per-instance results, the delivery window', async () => {
    const s = await startEcsSimulator({
      speed: 0,
      instances: [{ id: 'i-up' }, { id: 'i-down', onlineAfterMs: null }],
    });
    try {
      const client = sdkClient(s);
      const content = 'x'.repeat(24_000); // near the 32 KB Base64 limit, sent in the query by the SDK
      const sent = await client.sendFile(
        new EcsModule.SendFileRequest({
          regionId: s.region,
          instanceId: ['i-up', 'i-down'],
          name: 'big.txt',
          targetDir: '/tmp',
          content,
          fileMode: '0644',
          overwrite: true,
          timeout: 60,
        }),
      );
      const invokeId = sent.body?.invokeId ?? '';
      expect(invokeId).toMatch(/^f-/);
      s.clock.advance(60_000);
      const res = await client.describeSendFileResults(
        new EcsModule.DescribeSendFileResultsRequest({ regionId: s.region, invokeId }),
      );
      expect(res.body?.totalCount).toBe(1);
      const inv = res.body?.invocations?.invocation?.[0];
      expect(inv).toMatchObject({
        invokeId,
        name: 'big.txt',
        targetDir: '/tmp',
        content,
        contentType: 'PlainText',
        overwrite: 'true',
        vmCount: 2,
        invocationStatus: 'PartialFailed',
      });
      const byId = Object.fromEntries(
        (inv?.invokeInstances?.invokeInstance ?? []).map((r) => [r.instanceId, r]),
      );
      expect(byId['i-up']).toMatchObject({ invocationStatus: 'Success', errorCode: '' });
      expect(byId['i-down']).toMatchObject({ invocationStatus: 'Aborted', errorCode: 'ClientNotRunning' });
      const tooBig = await client
        .sendFile(
          new EcsModule.SendFileRequest({
            regionId: s.region,
            instanceId: ['i-up'],
            name: 'big.txt',
            targetDir: '/tmp',
            content: `${content}${'x'.repeat(600)}`,
          }),
        )
        .catch((e: unknown) => e);
      expect(tooBig).toMatchObject({ code: 'FileSize.ExceedLimit', statusCode: 403 });
    } finally {
      await s.close();
    }
  });
});
