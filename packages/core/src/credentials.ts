/**
 * Where credentials come from: static, a provider function, or the default chain, which follows
 * the official `@alicloud/credentials` default chain in its order (facts §5):
 *   1. environment variables, 2. the Aliyun CLI profile `~/.aliyun/config.json`,
 *   3. the shared file `~/.alibabacloud/credentials`, 4. the ECS RAM role through the metadata
 *   service (IMDSv2 token first).
 *
 * Why not depend on `@alicloud/credentials`: it pulls in httpx and kitx (a second HTTP stack next
 * to undici), its chain memoises the last provider tried even when every provider failed, its
 * error does not list every place it looked, and its metadata host cannot be pointed at a test
 * server. The part we need is small; we implement it here and keep the official order, file
 * formats and environment variables. Not implemented (reported as such when met): OIDC/RRSA,
 * RamRoleArn and other STS-assuming modes, and `ALIBABA_CLOUD_CREDENTIALS_URI`.
 */
import { homedir } from 'node:os';
import { fromCliProfile, fromCredentialsFile } from './credential-files.js';
import { constant, fromEnv, isTrue, validateCredentials } from './credential-values.js';
import type {
  ChainContext,
  CredentialsProvider,
  CredentialsSource,
  DefaultCredentialsOptions,
  ImdsOptions,
} from './credentials-types.js';
import { fromImds } from './ecs-ram-role.js';
import { CredentialsError } from './errors.js';
import { OptionTypeError } from './option-errors.js';
import { allKeys, checkMilliseconds, checkObject, checkOptionKeys } from './options.js';
import { sharedLookup } from './shared-lookup.js';
import type { Credentials } from './sign.js';

export type {
  CredentialsProvider,
  CredentialsSource,
  DefaultCredentialsOptions,
} from './credentials-types.js';

const CHAIN_OPTION_KEYS = allKeys<DefaultCredentialsOptions>()([
  'env',
  'homeDir',
  'imdsEndpoint',
  'imdsTimeoutMs',
  'refreshBeforeExpiryMs',
  'now',
]);

const chainDefaults = {
  imdsEndpoint: 'http://100.100.100.200',
  imdsTimeoutMs: 1000,
  refreshBeforeExpiryMs: 300_000,
} as const;

/** What the chain reads, from its options: checked once, shared by every walk. */
interface ChainSettings {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly imds: ImdsOptions;
}

function chainSettings(options: DefaultCredentialsOptions): ChainSettings {
  checkObject('credentialsChain', options);
  checkOptionKeys(
    options,
    CHAIN_OPTION_KEYS,
    'the default credentials chain (credentialsChain)',
    'credentialsChain.',
  );
  const env = options.env ?? process.env;
  return {
    env,
    home: options.homeDir ?? homedir(),
    imds: {
      endpoint: (options.imdsEndpoint ?? chainDefaults.imdsEndpoint).replace(/\/+$/, ''),
      timeoutMs: checkMilliseconds('credentialsChain.imdsTimeoutMs', options.imdsTimeoutMs, {
        min: 1,
        integer: true,
        default: chainDefaults.imdsTimeoutMs,
      }),
      refreshBeforeExpiryMs: checkMilliseconds(
        'credentialsChain.refreshBeforeExpiryMs',
        options.refreshBeforeExpiryMs,
        { min: 0, integer: true, default: chainDefaults.refreshBeforeExpiryMs },
      ),
      now: options.now ?? Date.now,
      imdsV1Disabled: isTrue(env.ALIBABA_CLOUD_IMDSV1_DISABLED),
    },
  };
}

/**
 * Walks the chain once: the first source that yields credentials and which one it was, or one
 * error listing every place looked. Stops between sources (and inside them) when `signal` aborts.
 */
async function walkChain(
  settings: ChainSettings,
  signal: AbortSignal,
): Promise<{ provider: CredentialsProvider; source: CredentialsSource }> {
  const ctx: ChainContext = { ...settings, signal };
  const reasons: string[] = [];
  const sources = [
    () => fromEnv(ctx.env),
    () => fromCliProfile(ctx),
    () => fromCredentialsFile(ctx),
    () => fromImds(ctx),
  ];
  for (const source of sources) {
    signal.throwIfAborted();
    const result = await source();
    if (result.kind === 'found') return { provider: result.provider, source: result.source };
    reasons.push(result.reason);
  }
  throw new CredentialsError('No Alibaba Cloud credentials found; looked in', reasons);
}

/**
 * Walks the default chain once and says which source won (never the credentials): for a CLI that
 * must tell the user which of several configured sources it uses, or read the Aliyun CLI
 * profile's `region_id`. The provider is the one {@link defaultCredentialsProvider} would use.
 * The lookup honours `signal` (it rejects with its reason, and stops reading files and the
 * metadata service).
 *
 * @throws {CredentialsError} listing every place looked, when no source yields credentials, or
 * naming the source whose value is broken (a control character)
 * @example
 * const { provider, source } = await resolveDefaultCredentials({ env: process.env });
 * console.error(`credentials from ${source.description}`);
 * const client = createEcsClient({ region: source.regionId ?? 'cn-hangzhou', credentials: provider });
 */
export async function resolveDefaultCredentials(
  options: DefaultCredentialsOptions = {},
  { signal }: { readonly signal?: AbortSignal | undefined } = {},
): Promise<{ readonly provider: CredentialsProvider; readonly source: CredentialsSource }> {
  const settings = chainSettings(options);
  return sharedLookup((lookupSignal) => walkChain(settings, lookupSignal))(signal);
}

/**
 * The default chain. The first source that yields credentials is used for the life of the
 * provider (a role source keeps refreshing itself). When none does, every call rejects with one
 * {@link CredentialsError} listing each place looked and why it gave nothing; the chain is walked
 * again on the next call, so credentials that appear later are picked up. A source that is set
 * but broken (a credential with a control character) rejects with an error naming it, instead of
 * silently falling through to the next source. The walk honours the caller's `signal`, and stops
 * when every caller waiting for it has aborted.
 */
export function defaultCredentialsProvider(options: DefaultCredentialsOptions = {}): CredentialsProvider {
  const settings = chainSettings(options);
  let resolved: CredentialsProvider | undefined;
  const walk = sharedLookup(async (signal) => (await walkChain(settings, signal)).provider);
  return async (callOptions) => {
    if (resolved) return resolved(callOptions);
    resolved = await walk(callOptions?.signal);
    return resolved(callOptions);
  };
}

/** Turns the `credentials` option into a provider; absent means the default chain. */
export function toCredentialsProvider(
  credentials: Credentials | CredentialsProvider | undefined,
  chain: DefaultCredentialsOptions | undefined,
): CredentialsProvider {
  if (credentials === undefined) return defaultCredentialsProvider(chain);
  if (typeof credentials === 'function') {
    return async (options) =>
      validateCredentials(await credentials(options), 'The credentials provider result');
  }
  try {
    return constant(validateCredentials(credentials, 'Option `credentials`'));
  } catch (error) {
    // An option error like every other (its message names the field, never the value).
    const message = (error as Error).message;
    throw new OptionTypeError('credentials', () => message);
  }
}
