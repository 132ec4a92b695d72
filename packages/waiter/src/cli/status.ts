import type { EcsClient, InstanceStatus } from '@cloud-assistant-gate/core';
import { toBatches } from '../batch.js';
import { NOT_FOUND_API_CODES } from '../classify.js';
import { mergeReadings, readingsFor } from '../readings.js';
import { apiCodeOf } from './exit-code.js';

/** One row of `status`: the instance's status, or none when ECS does not know the ID. */
export interface StatusReading {
  readonly instanceId: string;
  readonly status?: InstanceStatus | undefined;
}

/**
 * Reads every instance's status once: in batches of 100, `concurrency` at a time; a batch that
 * fails with `InvalidInstance.NotFound` is split in halves until the unknown IDs are isolated.
 * With no IDs, lists every instance in the region. Results keep the input order.
 *
 * The readings follow the wait's rule ({@link readingsFor}): a call's readings count only for the
 * IDs it asked for, and an instance listed twice with conflicting readings is shown offline.
 */
export const readStatuses = async (
  client: EcsClient,
  ids: readonly string[],
  options: {
    readonly concurrency: number;
    readonly signal?: AbortSignal;
    /** Counts the readings received so far (for a timeout message). */
    readonly read?: { instances: number };
  },
): Promise<StatusReading[]> => {
  const signal = options.signal;
  const read = options.read ?? { instances: 0 };
  if (ids.length === 0) {
    const all = new Map<string, InstanceStatus>();
    // Core stops a listing whose NextToken repeats, runs empty or goes past its page cap.
    for await (const status of client.listCloudAssistantStatus(signal === undefined ? {} : { signal })) {
      read.instances++;
      const before = all.get(status.instanceId);
      all.set(status.instanceId, before === undefined ? status : mergeReadings(before, status));
    }
    return [...all.values()].map((status) => ({ instanceId: status.instanceId, status }));
  }
  const found = new Map<string, InstanceStatus>();
  const describe = async (batch: readonly string[]): Promise<void> => {
    try {
      const result = await client.describeCloudAssistantStatus({
        instanceIds: [...batch],
        ...(signal === undefined ? {} : { signal }),
      });
      for (const status of readingsFor(batch, result.instances)) {
        read.instances++;
        found.set(status.instanceId, status);
      }
    } catch (error) {
      const api = apiCodeOf(error);
      if (api === undefined || !NOT_FOUND_API_CODES.has(api) || batch.length === 1) {
        if (api !== undefined && NOT_FOUND_API_CODES.has(api)) return;
        throw error;
      }
      const half = Math.ceil(batch.length / 2);
      await Promise.all([describe(batch.slice(0, half)), describe(batch.slice(half))]);
    }
  };
  const queue = toBatches(ids);
  const workers = Array.from({ length: Math.min(options.concurrency, queue.length) }, async () => {
    for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) await describe(batch);
  });
  await Promise.all(workers);
  return ids.map((instanceId) => ({ instanceId, status: found.get(instanceId) }));
};
