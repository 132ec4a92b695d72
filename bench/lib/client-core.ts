import { createEcsClient } from '@cloud-assistant-gate/core';
import type { BenchClient, Target } from './clients.js';

/** Our core client, default options (V3 signing, validation with zod, retries, adaptive limiter). */
export function coreClient(t: Target, concurrency = 16): BenchClient {
  const client = createEcsClient({
    region: t.region,
    endpoint: t.url,
    credentials: t.credentials,
    maxConcurrency: concurrency,
  });
  return {
    describe: async (ids) =>
      (await client.describeCloudAssistantStatus({ instanceIds: ids })).instances.length,
    close: () => client.close(),
  };
}
