/** DescribeCloudAssistantStatus accepts at most 100 `InstanceId.N` per call. */
export const MAX_BATCH_SIZE = 100;

/**
 * Splits IDs into consecutive batches of at most `size`, keeping order, so a round over n
 * pending IDs costs exactly ceil(n / size) calls.
 *
 * @example
 * toBatches(ids).length === Math.ceil(ids.length / 100);
 */
export function toBatches<T>(ids: readonly T[], size: number = MAX_BATCH_SIZE): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`Expected size to be a positive integer, got ${size}.`);
  const batches: T[][] = [];
  for (let start = 0; start < ids.length; start += size) batches.push(ids.slice(start, start + size));
  return batches;
}
