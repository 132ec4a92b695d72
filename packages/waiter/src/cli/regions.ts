import { CliUsageError } from './errors.js';

/** The region of a `region:id` entry, or undefined for a bare ID. */
export const regionOfEntry = (entry: string): string | undefined => {
  const colon = entry.indexOf(':');
  return colon < 0 ? undefined : entry.slice(0, colon);
};

/**
 * The regions of a run: `listed` (`--region a,b`, else `ALIBABA_CLOUD_REGION_ID`, else the Aliyun
 * CLI profile's `region_id`) in that order, then the regions only named by `region:id` entries.
 * Bare IDs (and `status` without IDs) need at least one listed region.
 */
export const regionsFor = (listed: readonly string[] | undefined, entries: readonly string[]): string[] => {
  const regions = [...(listed ?? [])];
  let bare = entries.length === 0;
  for (const entry of entries) {
    const region = regionOfEntry(entry);
    if (region === undefined) bare = true;
    else if (!regions.includes(region)) regions.push(region);
  }
  if (bare && listed === undefined) {
    throw new CliUsageError(
      regions.length === 0
        ? 'No region: pass --region (e.g. cn-hangzhou), set CLOUD_ASSISTANT_GATE_REGION or ALIBABA_CLOUD_REGION_ID, ' +
            'or set region_id in your Aliyun CLI profile (aliyun configure).'
        : 'No region for the IDs given without one: pass --region (e.g. cn-hangzhou,cn-beijing) or write them as region:id.',
    );
  }
  return regions;
};
