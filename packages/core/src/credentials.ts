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
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, isCredentialsError, transportErrorCode } from './errors.js';
import type { Credentials } from './sign.js';

/** Returns the credentials to sign the next request with; called before every attempt. */
export type CredentialsProvider = () => Promise<Credentials>;

/** Options of the default chain; all are test seams with the real thing as default. */
export interface DefaultCredentialsOptions {
  /**
   * Environment to read.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Home directory holding `.aliyun/config.json` and `.alibabacloud/credentials`.
   * @default os.homedir()
   */
  readonly homeDir?: string;
  /**
   * Metadata service base URL.
   * @default 'http://100.100.100.200'
   */
  readonly imdsEndpoint?: string;
  /**
   * Timeout of each metadata request.
   * @default 1000
   */
  readonly imdsTimeoutMs?: number;
  /**
   * Role credentials are refreshed this long before their `Expiration`.
   * @default 300000
   */
  readonly refreshBeforeExpiryMs?: number;
  /**
   * Clock for expiry checks.
   * @default Date.now
   */
  readonly now?: () => number;
}

const chainDefaults = {
  imdsEndpoint: 'http://100.100.100.200',
  imdsTimeoutMs: 1000,
  refreshBeforeExpiryMs: 300_000,
} as const;

/** Which link of the default chain supplied the credentials (never the credentials themselves). */
export interface CredentialsSource {
  readonly kind: 'environment' | 'aliyun-cli-profile' | 'credentials-file' | 'ecs-ram-role';
  /** For people: `environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/…`, `Aliyun CLI profile …, profile "sim"`. */
  readonly description: string;
  /** The profile (`~/.aliyun/config.json`) or section (`~/.alibabacloud/credentials`) used. */
  readonly profile?: string | undefined;
  /** The Aliyun CLI profile's `region_id`, when it has one (the aliyun CLI uses it as the default region). */
  readonly regionId?: string | undefined;
}

/** The result of one source: credentials, or why it gave none (for the error listing). */
type SourceResult =
  | { readonly kind: 'found'; readonly provider: CredentialsProvider; readonly source: CredentialsSource }
  | { readonly kind: 'none'; readonly reason: string };

function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

/** Checks a credentials object's shape (never echoing its values). */
export function validateCredentials(value: unknown, where: string): Credentials {
  const c = value as Partial<Credentials> | null;
  if (typeof c !== 'object' || c === null) throw new CredentialsError(`${where} is not an object`);
  if (typeof c.accessKeyId !== 'string' || c.accessKeyId === '') {
    throw new CredentialsError(`${where} has no accessKeyId`);
  }
  if (typeof c.accessKeySecret !== 'string' || c.accessKeySecret === '') {
    throw new CredentialsError(`${where} has no accessKeySecret`);
  }
  if (c.securityToken !== undefined && typeof c.securityToken !== 'string') {
    throw new CredentialsError(`${where} has a securityToken that is not a string`);
  }
  return c.securityToken
    ? { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, securityToken: c.securityToken }
    : { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret };
}

function constant(credentials: Credentials): CredentialsProvider {
  const promise = Promise.resolve(credentials);
  return () => promise;
}

/** 1. `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`). */
function fromEnv(env: Readonly<Record<string, string | undefined>>): SourceResult {
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const name = 'environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET';
  if (!id && !secret) return { kind: 'none', reason: `${name}: not set` };
  if (!id || !secret) {
    return { kind: 'none', reason: `${name}: only ${id ? 'the ID' : 'the secret'} is set` };
  }
  const token = env.ALIBABA_CLOUD_SECURITY_TOKEN;
  return {
    kind: 'found',
    source: { kind: 'environment', description: name },
    provider: constant(
      token
        ? { accessKeyId: id, accessKeySecret: secret, securityToken: token }
        : { accessKeyId: id, accessKeySecret: secret },
    ),
  };
}

/**
 * A credentials file's text, or why this source has nothing: missing, or unreadable (the reason
 * names the error code, never the file's content).
 */
async function readSource(path: string, name: string): Promise<string | SourceResult> {
  let text: string | undefined;
  try {
    text = await readOptional(path);
  } catch (error) {
    return { kind: 'none', reason: `${name}: cannot be read (${transportErrorCode(error) ?? 'error'})` };
  }
  return text ?? { kind: 'none', reason: `${name}: not found` };
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (transportErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

interface ChainContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly imds: ImdsOptions;
}

/** 2. The Aliyun CLI's `~/.aliyun/config.json`, profile `ALIBABA_CLOUD_PROFILE` or `current`. */
async function fromCliProfile(ctx: ChainContext): Promise<SourceResult> {
  const path = join(ctx.home, '.aliyun', 'config.json');
  const name = `Aliyun CLI profile ${path}`;
  if (isTrue(ctx.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED)) {
    return { kind: 'none', reason: `${name}: disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` };
  }
  const text = await readSource(path, name);
  if (typeof text !== 'string') return text;
  let config: { current?: unknown; profiles?: unknown };
  try {
    config = JSON.parse(text);
  } catch {
    return { kind: 'none', reason: `${name}: not valid JSON` };
  }
  const profileName =
    ctx.env.ALIBABA_CLOUD_PROFILE || (typeof config?.current === 'string' ? config.current : '');
  const profiles = Array.isArray(config?.profiles) ? (config.profiles as Record<string, unknown>[]) : [];
  const profile = profiles.find((p) => typeof p === 'object' && p !== null && p.name === profileName);
  if (!profileName) return { kind: 'none', reason: `${name}: no current profile` };
  if (!profile) return { kind: 'none', reason: `${name}: no profile named ${JSON.stringify(profileName)}` };
  const where = `${name}, profile ${JSON.stringify(profileName)}`;
  const str = (key: string): string | undefined => {
    const v = profile[key];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const mode = str('mode') ?? 'AK';
  const source: CredentialsSource = {
    kind: 'aliyun-cli-profile',
    description: where,
    profile: profileName,
    regionId: str('region_id'),
  };
  const id = str('access_key_id');
  const secret = str('access_key_secret');
  switch (mode) {
    case 'AK':
    case 'StsToken': {
      if (!id || !secret)
        return { kind: 'none', reason: `${where}: mode ${mode} without access_key_id/access_key_secret` };
      const token = str('sts_token');
      if (mode === 'StsToken' && !token)
        return { kind: 'none', reason: `${where}: mode StsToken without sts_token` };
      return {
        kind: 'found',
        source,
        provider: constant(
          mode === 'StsToken' && token
            ? { accessKeyId: id, accessKeySecret: secret, securityToken: token }
            : { accessKeyId: id, accessKeySecret: secret },
        ),
      };
    }
    case 'EcsRamRole':
      return {
        kind: 'found',
        source,
        provider: ecsRamRoleProvider({ ...ctx.imds, roleName: str('ram_role_name') }),
      };
    default:
      return {
        kind: 'none',
        reason: `${where}: mode ${mode} is not supported (use AK, StsToken or EcsRamRole)`,
      };
  }
}

/** A minimal INI reader: `[section]` and `key = value` lines, `#`/`;` comments. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!.trim(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

/** 3. `ALIBABA_CLOUD_CREDENTIALS_FILE` or `~/.alibabacloud/credentials`, section from `ALIBABA_CLOUD_PROFILE` or `default`. */
async function fromCredentialsFile(ctx: ChainContext): Promise<SourceResult> {
  const explicit = ctx.env.ALIBABA_CLOUD_CREDENTIALS_FILE;
  const path = explicit || join(ctx.home, '.alibabacloud', 'credentials');
  const name = `credentials file ${path}${explicit ? ' (ALIBABA_CLOUD_CREDENTIALS_FILE)' : ''}`;
  const text = await readSource(path, name);
  if (typeof text !== 'string') return text;
  const sectionName = ctx.env.ALIBABA_CLOUD_PROFILE || 'default';
  const section = parseIni(text).get(sectionName);
  if (!section) return { kind: 'none', reason: `${name}: no section [${sectionName}]` };
  const where = `${name}, section [${sectionName}]`;
  if (section.get('enable')?.toLowerCase() === 'false')
    return { kind: 'none', reason: `${where}: enable = false` };
  const type = section.get('type') ?? '';
  const source: CredentialsSource = { kind: 'credentials-file', description: where, profile: sectionName };
  if (type === 'access_key') {
    const id = section.get('access_key_id');
    const secret = section.get('access_key_secret');
    if (!id || !secret)
      return { kind: 'none', reason: `${where}: type access_key without access_key_id/access_key_secret` };
    return { kind: 'found', source, provider: constant({ accessKeyId: id, accessKeySecret: secret }) };
  }
  if (type === 'ecs_ram_role') {
    return {
      kind: 'found',
      source,
      provider: ecsRamRoleProvider({ ...ctx.imds, roleName: section.get('role_name') }),
    };
  }
  return {
    kind: 'none',
    reason: `${where}: type ${JSON.stringify(type)} is not supported (use access_key or ecs_ram_role)`,
  };
}

interface ImdsOptions {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly refreshBeforeExpiryMs: number;
  readonly now: () => number;
  readonly imdsV1Disabled: boolean;
  readonly roleName?: string | undefined;
}

class ImdsHttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`metadata service answered HTTP ${statusCode}`);
  }
}

async function imdsRequest(
  opts: ImdsOptions,
  method: 'GET' | 'PUT',
  path: string,
  headers: Record<string, string>,
): Promise<string> {
  // Loaded here, not at import: the full undici entry point (fetch, websockets, caches…) costs
  // ~9 MB of RSS, and only this step of the chain needs more of it than a Pool.
  const { request } = await import('undici');
  // reset: no keep-alive, so no idle socket to the metadata service outlives the lookup.
  const res = await request(`${opts.endpoint}${path}`, {
    method,
    headers,
    reset: true,
    signal: AbortSignal.timeout(opts.timeoutMs),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new ImdsHttpError(res.statusCode);
  return text;
}

/**
 * 4. The ECS RAM role: IMDSv2 token (`PUT /latest/api/token`), role discovery, then the role's
 * STS credentials, cached until `refreshBeforeExpiryMs` before `Expiration`. Falls back to IMDSv1
 * (no token) only when the token endpoint answered with an HTTP error and
 * `ALIBABA_CLOUD_IMDSV1_DISABLED` is not `true`; an unreachable service is not retried.
 */
export function ecsRamRoleProvider(opts: ImdsOptions): CredentialsProvider {
  let cached: { credentials: Credentials; refreshAt: number; expiresAt: number } | undefined;
  let inflight: Promise<Credentials> | undefined;
  const fetchOnce = async (): Promise<Credentials> => {
    const headers: Record<string, string> = {};
    try {
      headers['x-aliyun-ecs-metadata-token'] = await imdsRequest(opts, 'PUT', '/latest/api/token', {
        'x-aliyun-ecs-metadata-token-ttl-seconds': '21600',
      });
    } catch (error) {
      if (!(error instanceof ImdsHttpError) || opts.imdsV1Disabled) throw error;
    }
    const base = '/latest/meta-data/ram/security-credentials/';
    const role = opts.roleName || (await imdsRequest(opts, 'GET', base, headers)).split(/\r?\n/)[0]!.trim();
    if (!role)
      throw new CredentialsError(`ECS metadata service ${opts.endpoint} lists no RAM role for this instance`);
    const body = JSON.parse(
      await imdsRequest(opts, 'GET', `${base}${encodeURIComponent(role)}`, headers),
    ) as Record<string, unknown>;
    if (
      body.Code !== 'Success' ||
      typeof body.AccessKeyId !== 'string' ||
      typeof body.AccessKeySecret !== 'string' ||
      typeof body.SecurityToken !== 'string'
    ) {
      throw new CredentialsError(
        `ECS metadata service ${opts.endpoint} returned no usable credentials for role ${JSON.stringify(role)}`,
      );
    }
    const expiresAt = typeof body.Expiration === 'string' ? Date.parse(body.Expiration) : Number.NaN;
    const credentials = {
      accessKeyId: body.AccessKeyId,
      accessKeySecret: body.AccessKeySecret,
      securityToken: body.SecurityToken,
    };
    const lifetime = Number.isFinite(expiresAt) ? expiresAt : opts.now() + 3600_000;
    cached = { credentials, expiresAt: lifetime, refreshAt: lifetime - opts.refreshBeforeExpiryMs };
    return credentials;
  };
  return async () => {
    const now = opts.now();
    if (cached && now < cached.refreshAt) return cached.credentials;
    inflight ??= fetchOnce().finally(() => {
      inflight = undefined;
    });
    try {
      return await inflight;
    } catch (error) {
      // A failed refresh keeps serving credentials that have not yet expired.
      if (cached && now < cached.expiresAt) return cached.credentials;
      if (isCredentialsError(error)) throw error;
      throw new CredentialsError(
        `ECS RAM role credentials could not be fetched from ${opts.endpoint} (${transportErrorCode(error) ?? (error as Error).name})`,
        [],
        { cause: error },
      );
    }
  };
}

async function fromImds(ctx: ChainContext): Promise<SourceResult> {
  const name = `ECS RAM role via the metadata service ${ctx.imds.endpoint}`;
  if (isTrue(ctx.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED)) {
    return { kind: 'none', reason: `${name}: disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED=true` };
  }
  const provider = ecsRamRoleProvider({ ...ctx.imds, roleName: ctx.env.ALIBABA_CLOUD_ECS_METADATA });
  try {
    await provider();
    return { kind: 'found', source: { kind: 'ecs-ram-role', description: name }, provider };
  } catch (error) {
    const code = transportErrorCode((error as { cause?: unknown }).cause ?? error);
    return { kind: 'none', reason: `${name}: ${code ? `unreachable (${code})` : (error as Error).message}` };
  }
}

function chainContext(options: DefaultCredentialsOptions): ChainContext {
  const env = options.env ?? process.env;
  return {
    env,
    home: options.homeDir ?? homedir(),
    imds: {
      endpoint: (options.imdsEndpoint ?? chainDefaults.imdsEndpoint).replace(/\/+$/, ''),
      timeoutMs: options.imdsTimeoutMs ?? chainDefaults.imdsTimeoutMs,
      refreshBeforeExpiryMs: options.refreshBeforeExpiryMs ?? chainDefaults.refreshBeforeExpiryMs,
      now: options.now ?? Date.now,
      imdsV1Disabled: isTrue(env.ALIBABA_CLOUD_IMDSV1_DISABLED),
    },
  };
}

/** Walks the chain once: the first source that yields credentials, or one error listing them all. */
async function walkChain(
  ctx: ChainContext,
): Promise<{ provider: CredentialsProvider; source: CredentialsSource }> {
  const reasons: string[] = [];
  const sources = [
    () => fromEnv(ctx.env),
    () => fromCliProfile(ctx),
    () => fromCredentialsFile(ctx),
    () => fromImds(ctx),
  ];
  for (const source of sources) {
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
 *
 * @throws {CredentialsError} listing every place looked, when no source yields credentials
 * @example
 * const { provider, source } = await resolveDefaultCredentials({ env: process.env });
 * console.error(`credentials from ${source.description}`);
 * const client = createEcsClient({ region: source.regionId ?? 'cn-hangzhou', credentials: provider });
 */
export async function resolveDefaultCredentials(
  options: DefaultCredentialsOptions = {},
): Promise<{ readonly provider: CredentialsProvider; readonly source: CredentialsSource }> {
  return walkChain(chainContext(options));
}

/**
 * The default chain. The first source that yields credentials is used for the life of the
 * provider (a role source keeps refreshing itself). When none does, every call rejects with one
 * {@link CredentialsError} listing each place looked and why it gave nothing; the chain is walked
 * again on the next call, so credentials that appear later are picked up.
 */
export function defaultCredentialsProvider(options: DefaultCredentialsOptions = {}): CredentialsProvider {
  const ctx = chainContext(options);
  let resolved: CredentialsProvider | undefined;
  let resolving: Promise<CredentialsProvider> | undefined;
  const resolve = async (): Promise<CredentialsProvider> => (await walkChain(ctx)).provider;
  return async () => {
    if (resolved) return resolved();
    resolving ??= resolve().finally(() => {
      resolving = undefined;
    });
    resolved = await resolving;
    return resolved();
  };
}

/** Turns the `credentials` option into a provider; absent means the default chain. */
export function toCredentialsProvider(
  credentials: Credentials | CredentialsProvider | undefined,
  chain: DefaultCredentialsOptions | undefined,
): CredentialsProvider {
  if (credentials === undefined) return defaultCredentialsProvider(chain);
  if (typeof credentials === 'function') {
    return async () => validateCredentials(await credentials(), 'The credentials provider result');
  }
  try {
    return constant(validateCredentials(credentials, 'Option `credentials`'));
  } catch (error) {
    // An option error is a TypeError, like every other option check (the values are never echoed).
    throw new TypeError((error as Error).message);
  }
}
