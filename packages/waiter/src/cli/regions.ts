import {
  createEcsClient,
  defaultCredentialsProvider,
  type EcsClient,
  type EcsClientOptions,
} from '@cloud-assistant-gate/core';
import type { CliSettings } from './args.js';
import { CliUsageError } from './errors.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The region of a `region:id` entry, or undefined for a bare ID. */
export const regionOfEntry = (entry: string): string | undefined => {
  const colon = entry.indexOf(':');
  return colon < 0 ? undefined : entry.slice(0, colon);
};

/** The entry's instance ID, without its region. */
export const idOfEntry = (entry: string): string => entry.slice(entry.indexOf(':') + 1);

/**
 * The regions of a run: `--region a,b` (else `ALIBABA_CLOUD_REGION_ID`) in that order, then the
 * regions only named by `region:id` entries. Bare IDs need at least one listed region.
 */
export const regionsFor = (settings: CliSettings, entries: readonly string[]): string[] => {
  const regions = [...(settings.regions ?? [])];
  let bare = entries.length === 0;
  for (const entry of entries) {
    const region = regionOfEntry(entry);
    if (region === undefined) bare = true;
    else if (!regions.includes(region)) regions.push(region);
  }
  if (bare && settings.regions === undefined) {
    throw new CliUsageError(
      regions.length === 0
        ? 'No region: pass --region (e.g. cn-hangzhou) or set CLOUD_ASSISTANT_GATE_REGION.'
        : 'No region for the IDs given without one: pass --region (e.g. cn-hangzhou,cn-beijing) or write them as region:id.',
    );
  }
  return regions;
};

/** Core speaks of options (`region`, `endpoint`); a CLI user knows flags. */
export const inCliTerms = (message: string): string =>
  message
    .replace(/Option `region`/g, '--region')
    .replace(/pass `endpoint`/g, 'pass --endpoint')
    .replace(/ or `allowUnknownRegion: true`/g, '');

/**
 * One core client per region, all with `--endpoint` (one endpoint serving several regions, like
 * the simulator) and the same credentials: the default chain, read once for several regions.
 */
export const makeClients = (
  regions: readonly string[],
  settings: CliSettings,
  env: Env,
  extra: Partial<EcsClientOptions> | undefined,
): EcsClient[] => {
  const chainEnv = settings.profile === undefined ? env : { ...env, ALIBABA_CLOUD_PROFILE: settings.profile };
  const chain = { env: chainEnv, ...(env['HOME'] ? { homeDir: env['HOME'] } : {}) };
  const shared = regions.length > 1 ? defaultCredentialsProvider(chain) : undefined;
  const clients: EcsClient[] = [];
  try {
    for (const region of regions) {
      clients.push(
        createEcsClient({
          region,
          ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
          ...(shared === undefined ? { credentialsChain: chain } : { credentials: shared }),
          ...extra,
        }),
      );
    }
  } catch (error) {
    for (const c of clients) void c.close().catch(() => undefined);
    // The client validates its options eagerly (unknown region, http:// to a remote host, ...).
    const message = error instanceof Error ? error.message : String(error);
    throw new CliUsageError(`${inCliTerms(message).replace(/\.$/, '')}; check --region and --endpoint.`, {
      cause: error,
    });
  }
  return clients;
};
