import * as EcsModule from '@alicloud/ecs20140526';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import type { BenchClient, Target } from './clients.js';

// Under native ESM the CJS module's `default` is `module.exports`, whose `default` is the class.
const Ecs: typeof EcsModule.default =
  (EcsModule.default as unknown as { default?: typeof EcsModule.default }).default ?? EcsModule.default;

/** `@alicloud/ecs20140526` with its defaults (V3 ACS3-HMAC-SHA256), pointed at loopback as facts §4.1 says. */
export function sdkClient(t: Target): BenchClient {
  const client = new Ecs(
    new $OpenApiUtil.Config({
      accessKeyId: t.credentials.accessKeyId,
      accessKeySecret: t.credentials.accessKeySecret,
      regionId: t.region,
      endpoint: t.host,
      protocol: 'http',
    }),
  );
  return {
    async describe(ids) {
      const res = await client.describeCloudAssistantStatus(
        new EcsModule.DescribeCloudAssistantStatusRequest({ regionId: t.region, instanceId: [...ids] }),
      );
      return res.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus?.length ?? 0;
    },
    close: async () => {},
  };
}

/** For the naive loop: which of `ids` the official SDK reports with `CloudAssistantStatus: "true"`. */
export function sdkOnlineIds(t: Target): (ids: readonly string[]) => Promise<string[]> {
  const client = new Ecs(
    new $OpenApiUtil.Config({
      accessKeyId: t.credentials.accessKeyId,
      accessKeySecret: t.credentials.accessKeySecret,
      regionId: t.region,
      endpoint: t.host,
      protocol: 'http',
    }),
  );
  return async (ids) => {
    const res = await client.describeCloudAssistantStatus(
      new EcsModule.DescribeCloudAssistantStatusRequest({ regionId: t.region, instanceId: [...ids] }),
    );
    const items = res.body?.instanceCloudAssistantStatusSet?.instanceCloudAssistantStatus ?? [];
    return items.filter((s) => s.cloudAssistantStatus === 'true').map((s) => s.instanceId ?? '');
  };
}
