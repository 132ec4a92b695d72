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
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CredentialsError, isCredentialsError, transportErrorCode } from './errors.js';
import { OptionTypeError } from './option-errors.js';
import { allKeys, checkMilliseconds, checkObject, checkOptionKeys } from './options.js';
import type { Credentials } from './sign.js';

/**
 * Returns the credentials to sign the next request with; called before every attempt, with the
 * attempt's `signal` (the call's): a provider that reads files or the network should stop when
 * it aborts. The client does not wait for a provider past the abort either way.
 */
export type CredentialsProvider = (options?: {
  readonly signal?: AbortSignal | undefined;
}) => Promise<Credentials>;

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
   * Timeout of each metadata request (at most 2^31 − 1).
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

/** The largest credentials or profile file read; a bigger one is not a credentials file. */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;
/** The largest metadata-service answer read (a role's credentials are about 2 KB). */
export const MAX_IMDS_BODY_BYTES = 64 * 1024;

/** C0 controls, DEL and C1 controls: never part of an AccessKey, a secret or a token. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * One credential value made safe to sign and send. Tolerant of exactly one trailing newline
 * (`\n` or `\r\n`), which secrets mounted from files, `echo` and orchestrators often add: it is
 * removed. Any other control character is a {@link CredentialsError} naming `name` (the
 * variable, file field or source) and the character's position, never the value: sent as is it
 * would fail as a transport error (an invalid header) or a signature mismatch.
 */
export function cleanCredential(value: string, name: string): string {
  const trimmed = value.endsWith('\r\n')
    ? value.slice(0, -2)
    : value.endsWith('\n')
      ? value.slice(0, -1)
      : value;
  const match = CONTROL.exec(trimmed);
  if (match !== null) {
    const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new CredentialsError(
      `${name} contains a control character (U+${code} at position ${match.index + 1} of ${trimmed.length}); ` +
        'remove it (only one trailing newline is tolerated)',
    );
  }
  if (trimmed === '') throw new CredentialsError(`${name} is empty`);
  return trimmed;
}

/** Credentials from three values, each cleaned and named by `names` in errors (never echoed). */
function credentialsOf(
  id: string,
  secret: string,
  token: string | undefined,
  names: { readonly id: string; readonly secret: string; readonly token: string },
): Credentials {
  const accessKeyId = cleanCredential(id, names.id);
  const accessKeySecret = cleanCredential(secret, names.secret);
  return token
    ? { accessKeyId, accessKeySecret, securityToken: cleanCredential(token, names.token) }
    : { accessKeyId, accessKeySecret };
}

/** Checks a credentials object's shape and values (never echoing them). */
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
  return credentialsOf(c.accessKeyId, c.accessKeySecret, c.securityToken, {
    id: `${where}: accessKeyId`,
    secret: `${where}: accessKeySecret`,
    token: `${where}: securityToken`,
  });
}

function constant(credentials: Credentials): CredentialsProvider {
  const promise = Promise.resolve(credentials);
  return () => promise;
}

/**
 * 1. `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`). A variable set
 * but broken (a control character) is an error naming it, not a reason to try the next source.
 */
function fromEnv(env: Readonly<Record<string, string | undefined>>): SourceResult {
  const id = env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  const name = 'environment variables ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET';
  if (!id && !secret) return { kind: 'none', reason: `${name}: not set` };
  if (!id || !secret) {
    return { kind: 'none', reason: `${name}: only ${id ? 'the ID' : 'the secret'} is set` };
  }
  return {
    kind: 'found',
    source: { kind: 'environment', description: name },
    provider: constant(
      credentialsOf(id, secret, env.ALIBABA_CLOUD_SECURITY_TOKEN, {
        id: 'Environment variable ALIBABA_CLOUD_ACCESS_KEY_ID',
        secret: 'Environment variable ALIBABA_CLOUD_ACCESS_KEY_SECRET',
        token: 'Environment variable ALIBABA_CLOUD_SECURITY_TOKEN',
      }),
    ),
  };
}

/**
 * A credentials file's text, or why this source has nothing: missing, unreadable (the reason
 * names the error code, never the file's content), not a regular file, or too big.
 */
async function readSource(path: string, name: string, signal: AbortSignal): Promise<string | SourceResult> {
  let text: string | undefined;
  try {
    text = await readCredentialsFile(path, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const reason =
      error instanceof NotReadableError
        ? error.message
        : `cannot be read (${transportErrorCode(error) ?? 'error'})`;
    return { kind: 'none', reason: `${name}: ${reason}` };
  }
  return text ?? { kind: 'none', reason: `${name}: not found` };
}

class NotReadableError extends Error {}

/**
 * A credentials file's text (undefined when it does not exist), read so that nothing can block
 * or flood the lookup: opened non-blocking (a FIFO would otherwise block `open` until a writer
 * comes, in a thread no abort reaches), refused unless it is a regular file (FIFOs, devices such
 * as /dev/urandom, sockets), and read only up to {@link MAX_CREDENTIALS_FILE_BYTES}.
 */
async function readCredentialsFile(path: string, signal: AbortSignal): Promise<string | undefined> {
  signal.throwIfAborted();
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (transportErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      const what = stat.isDirectory()
        ? 'a directory'
        : stat.isFIFO()
          ? 'a FIFO (named pipe)'
          : stat.isCharacterDevice() || stat.isBlockDevice()
            ? 'a device'
            : stat.isSocket()
              ? 'a socket'
              : 'not a regular file';
      throw new NotReadableError(`is ${what}, not a regular file; point it at a file`);
    }
    const max = MAX_CREDENTIALS_FILE_BYTES;
    if (stat.size > max)
      throw new NotReadableError(`is ${stat.size} bytes, over the ${max}-byte limit for a credentials file`);
    // Read to the end, but never past the limit (a /proc-like file reports size 0).
    const buffer = Buffer.alloc(Math.min(max + 1, Math.max(stat.size + 1, 4096)));
    let length = 0;
    let chunk = buffer;
    for (;;) {
      signal.throwIfAborted();
      if (length === chunk.length) {
        if (length > max) break;
        const grown = Buffer.alloc(Math.min(max + 1, chunk.length * 2));
        chunk.copy(grown, 0, 0, length);
        chunk = grown;
      }
      const { bytesRead } = await handle.read(chunk, length, chunk.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > max) throw new NotReadableError(`is over the ${max}-byte limit for a credentials file`);
    return chunk.toString('utf8', 0, length);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

interface ChainContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly imds: ImdsOptions;
  /** Aborted when every caller waiting for this lookup has given up. */
  readonly signal: AbortSignal;
}

/** 2. The Aliyun CLI's `~/.aliyun/config.json`, profile `ALIBABA_CLOUD_PROFILE` or `current`. */
async function fromCliProfile(ctx: ChainContext): Promise<SourceResult> {
  const path = join(ctx.home, '.aliyun', 'config.json');
  const name = `Aliyun CLI profile ${path}`;
  if (isTrue(ctx.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED)) {
    return { kind: 'none', reason: `${name}: disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true` };
  }
  const text = await readSource(path, name, ctx.signal);
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
          credentialsOf(id, secret, mode === 'StsToken' ? token : undefined, {
            id: `${where}: access_key_id`,
            secret: `${where}: access_key_secret`,
            token: `${where}: sts_token`,
          }),
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
  const text = await readSource(path, name, ctx.signal);
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
    return {
      kind: 'found',
      source,
      provider: constant(
        credentialsOf(id, secret, undefined, {
          id: `${where}: access_key_id`,
          secret: `${where}: access_key_secret`,
          token: `${where}: sts_token`,
        }),
      ),
    };
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

/**
 * One lookup shared by every caller that asks while it runs (concurrent attempts need one
 * metadata round trip, not one each). Each caller is released by its own `signal` at once; the
 * lookup itself is aborted (its requests and timers stop) when the last caller waiting for it has
 * given up, and the next caller starts a fresh one.
 */
export function sharedLookup<T>(
  start: (signal: AbortSignal) => Promise<T>,
): (signal?: AbortSignal | undefined) => Promise<T> {
  let current: { promise: Promise<T>; controller: AbortController; waiting: number } | undefined;
  return (signal) => {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (current === undefined) {
      const controller = new AbortController();
      const entry = { controller, waiting: 0, promise: undefined as unknown as Promise<T> };
      entry.promise = start(controller.signal).finally(() => {
        if (current === entry) current = undefined;
      });
      entry.promise.catch(() => undefined);
      current = entry;
    }
    const entry = current;
    entry.waiting++;
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const leave = (): boolean => {
        if (settled) return false;
        settled = true;
        entry.waiting--;
        if (signal !== undefined) signal.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!leave()) return;
        if (entry.waiting === 0) {
          if (current === entry) current = undefined;
          entry.controller.abort(signal!.reason);
        }
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (value) => {
          if (leave()) resolve(value);
        },
        (error: unknown) => {
          if (leave()) reject(error);
        },
      );
    });
  };
}

/**
 * One metadata request: bounded in time (`timeoutMs`, and `signal`) and in size (the body is read
 * up to {@link MAX_IMDS_BODY_BYTES}; a bigger answer is not credentials and is refused without
 * reading the rest).
 */
async function imdsRequest(
  opts: ImdsOptions,
  method: 'GET' | 'PUT',
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<string> {
  // Loaded here, not at import: the full undici entry point (fetch, websockets, caches…) costs
  // ~9 MB of RSS, and only this step of the chain needs more of it than a Pool.
  const { request } = await import('undici');
  signal.throwIfAborted();
  // reset: no keep-alive, so no idle socket to the metadata service outlives the lookup.
  const res = await request(`${opts.endpoint}${path}`, {
    method,
    headers,
    reset: true,
    signal: AbortSignal.any([signal, AbortSignal.timeout(opts.timeoutMs)]),
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_IMDS_BODY_BYTES) {
        throw new CredentialsError(
          `ECS metadata service ${opts.endpoint} answered ${path} with more than ${MAX_IMDS_BODY_BYTES} bytes; that is not credentials`,
        );
      }
      chunks.push(chunk as Buffer);
    }
  } finally {
    // Leaving the loop early (too big, aborted) destroys the body; make sure the socket goes.
    if (!res.body.destroyed) res.body.destroy();
  }
  if (res.statusCode !== 200) throw new ImdsHttpError(res.statusCode);
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * 4. The ECS RAM role: IMDSv2 token (`PUT /latest/api/token`), role discovery, then the role's
 * STS credentials, cached until `refreshBeforeExpiryMs` before `Expiration`. Falls back to IMDSv1
 * (no token) only when the token endpoint answered with an HTTP error and
 * `ALIBABA_CLOUD_IMDSV1_DISABLED` is not `true`; an unreachable service is not retried. Every
 * answer is checked: a token, role or credential with a control character (beyond one trailing
 * newline), or a body that is not the expected JSON, is a {@link CredentialsError} naming the
 * field, never its value.
 */
export function ecsRamRoleProvider(opts: ImdsOptions): CredentialsProvider {
  let cached: { credentials: Credentials; refreshAt: number; expiresAt: number } | undefined;
  const where = `ECS metadata service ${opts.endpoint}`;
  const fetchOnce = async (signal: AbortSignal): Promise<Credentials> => {
    const headers: Record<string, string> = {};
    try {
      const token = await imdsRequest(
        opts,
        'PUT',
        '/latest/api/token',
        { 'x-aliyun-ecs-metadata-token-ttl-seconds': '21600' },
        signal,
      );
      headers['x-aliyun-ecs-metadata-token'] = cleanCredential(token, `${where}: the IMDSv2 token`);
    } catch (error) {
      if (!(error instanceof ImdsHttpError) || opts.imdsV1Disabled) throw error;
    }
    const base = '/latest/meta-data/ram/security-credentials/';
    const listed =
      opts.roleName || (await imdsRequest(opts, 'GET', base, headers, signal)).split(/\r?\n/)[0]!.trim();
    if (!listed) throw new CredentialsError(`${where} lists no RAM role for this instance`);
    const role = cleanCredential(listed, `${where}: the RAM role name`);
    const text = await imdsRequest(opts, 'GET', `${base}${encodeURIComponent(role)}`, headers, signal);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // Not the SyntaxError: its message quotes the text, which may hold a secret.
      throw new CredentialsError(
        `${where} answered the credentials of role ${JSON.stringify(role)} with a body that is not JSON`,
      );
    }
    if (
      typeof body !== 'object' ||
      body === null ||
      body.Code !== 'Success' ||
      typeof body.AccessKeyId !== 'string' ||
      typeof body.AccessKeySecret !== 'string' ||
      typeof body.SecurityToken !== 'string'
    ) {
      throw new CredentialsError(`${where} returned no usable credentials for role ${JSON.stringify(role)}`);
    }
    const credentials = credentialsOf(body.AccessKeyId, body.AccessKeySecret, body.SecurityToken, {
      id: `${where}, role ${JSON.stringify(role)}: AccessKeyId`,
      secret: `${where}, role ${JSON.stringify(role)}: AccessKeySecret`,
      token: `${where}, role ${JSON.stringify(role)}: SecurityToken`,
    });
    const expiresAt = typeof body.Expiration === 'string' ? Date.parse(body.Expiration) : Number.NaN;
    const lifetime = Number.isFinite(expiresAt) ? expiresAt : opts.now() + 3600_000;
    cached = { credentials, expiresAt: lifetime, refreshAt: lifetime - opts.refreshBeforeExpiryMs };
    return credentials;
  };
  const lookup = sharedLookup(fetchOnce);
  return async (options) => {
    const signal = options?.signal;
    const now = opts.now();
    if (cached && now < cached.refreshAt) return cached.credentials;
    try {
      return await lookup(signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
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
    await provider({ signal: ctx.signal });
    return { kind: 'found', source: { kind: 'ecs-ram-role', description: name }, provider };
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // Unreachable (a network error, wrapped or not), or what was wrong with its answer.
    const cause = (error as { cause?: unknown }).cause;
    const code =
      cause === undefined && isCredentialsError(error) ? undefined : transportErrorCode(cause ?? error);
    return { kind: 'none', reason: `${name}: ${code ? `unreachable (${code})` : (error as Error).message}` };
  }
}

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
