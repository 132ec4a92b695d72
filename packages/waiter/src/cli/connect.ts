import {
  CredentialsError,
  type CredentialsSource,
  createEcsClient,
  type EcsClient,
  type EcsClientOptions,
  resolveDefaultCredentials,
} from '@cloud-assistant-gate/core';
import { isOptionError } from '@cloud-assistant-gate/core/options';
import type { CliSettings } from './args.js';
import { CliUsageError, quote } from './errors.js';
import { regionsFor } from './regions.js';

type Env = Readonly<Record<string, string | undefined>>;

/** One client per region, ready to call, and where the regions and credentials came from. */
export interface Connection {
  /** In the order bare IDs are looked for: the listed regions, then those only `region:id` names. */
  readonly clients: EcsClient[];
  /** Undefined when the credentials were injected (a test seam), not found through the chain. */
  readonly credentials: CredentialsSource | undefined;
  /** Where the listed regions came from: a flag, a variable, or the Aliyun CLI profile. */
  readonly regionFrom: string;
}

/**
 * Finds the credentials before anything is announced or sent (so that missing credentials are
 * one message, as in `status`, not a wait that fails on every instance), then the regions
 * (`--region a,b`; the Aliyun CLI profile's `region_id` is the last fallback, as in the aliyun
 * CLI; then the regions `region:id` entries name), then builds one client per region, all with
 * `--endpoint` (one endpoint serving several regions, like the simulator) and the credentials
 * found once. An explicit `--profile` is honoured or refused, never silently outranked by
 * environment keys.
 *
 * @throws CredentialsError (exit 3) when no source has credentials, or `--profile` is not the one used
 * @throws CliUsageError (exit 2) when there is no region, or the region or endpoint is refused
 */
export const connect = async (
  settings: CliSettings,
  entries: readonly string[],
  env: Env,
  extra: Partial<EcsClientOptions> | undefined,
  signal: AbortSignal | undefined,
): Promise<Connection> => {
  let credentials: CredentialsSource | undefined;
  let provider = extra?.credentials;
  if (provider === undefined) {
    const chainEnv =
      settings.profile === undefined ? env : { ...env, ALIBABA_CLOUD_PROFILE: settings.profile.name };
    const found = await resolveDefaultCredentials(
      { env: chainEnv, ...(env['HOME'] ? { homeDir: env['HOME'] } : {}) },
      { signal },
    );
    credentials = found.source;
    provider = found.provider;
    if (settings.profile !== undefined && found.source.profile !== settings.profile.name) {
      throw new CredentialsError(
        `${settings.profile.from} ${quote(settings.profile.name)} is not used: the credentials chain found ` +
          `${found.source.description} first. Unset those (or drop ${settings.profile.from}) to use the profile, ` +
          'and check that ~/.aliyun/config.json has it',
      );
    }
  }
  const profileRegion = credentials?.regionId;
  if (
    settings.regions === undefined &&
    profileRegion !== undefined &&
    !/^[a-z0-9-]{1,64}$/.test(profileRegion)
  ) {
    throw new CliUsageError(
      `region_id of ${credentials!.description}: ${quote(profileRegion)} is not a region ID, e.g. cn-hangzhou.`,
    );
  }
  const listed = settings.regions?.values ?? (profileRegion === undefined ? undefined : [profileRegion]);
  const regionFrom =
    settings.regions?.from ?? (profileRegion === undefined ? '' : `region_id of ${credentials!.description}`);
  const regions = regionsFor(listed, entries);
  const clients: EcsClient[] = [];
  try {
    for (const region of regions) {
      clients.push(
        createEcsClient({
          region,
          ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
          ...extra,
          // Found once above, shared by every region's client (an ECS RAM role is fetched once).
          credentials: provider,
        }),
      );
    }
    return { clients, credentials, regionFrom };
  } catch (error) {
    for (const c of clients) void c.close().catch(() => undefined);
    // The client validates its options eagerly (unknown region, http:// to a remote host, ...).
    // Option errors name their options: said here as the flags that set them. There is no flag
    // for `allowUnknownRegion` or `allowInsecureHttp` (on purpose: plain http to a remote host
    // would send the signed request in clear), so the messages leave those clauses out.
    const message = isOptionError(error)
      ? error.messageWith((option) => CLI_FLAG_OF_CLIENT_OPTION[option])
      : (error instanceof Error ? error.message : String(error)).replace(/\.?$/, '.');
    throw new CliUsageError(message, { cause: error });
  }
};

/** The client options a flag sets; the others have no flag. */
const CLI_FLAG_OF_CLIENT_OPTION: Readonly<Record<string, string>> = {
  region: '--region',
  endpoint: '--endpoint',
};

/** `cn-hangzhou`, or `cn-hangzhou, cn-beijing`: the regions of a run, for messages. */
export const regionNames = (clients: readonly EcsClient[]): string => clients.map((c) => c.region).join(', ');
