/**
 * Links 2 and 3 of the chain: the Aliyun CLI profile `~/.aliyun/config.json` and the shared file
 * `~/.alibabacloud/credentials`, read with a bound (a FIFO, a device or an endless file is refused,
 * not read forever).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { constant, credentialsOf, isTrue } from './credential-values.js';
import type { ChainContext, CredentialsSource, SourceResult } from './credentials-types.js';
import { ecsRamRoleProvider } from './ecs-ram-role.js';
import { transportErrorCode } from './errors.js';

/** The largest credentials or profile file read; a bigger one is not a credentials file. */
export const MAX_CREDENTIALS_FILE_BYTES = 1024 * 1024;

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

/** 2. The Aliyun CLI's `~/.aliyun/config.json`, profile `ALIBABA_CLOUD_PROFILE` or `current`. */
export async function fromCliProfile(ctx: ChainContext): Promise<SourceResult> {
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
export async function fromCredentialsFile(ctx: ChainContext): Promise<SourceResult> {
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
