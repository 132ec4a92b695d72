/**
 * Link 4 of the chain: the ECS RAM role through the metadata service (IMDSv2 token first, as the
 * official SDK), its credentials cached until shortly before they expire.
 */
import { cleanCredential, credentialsOf, isTrue } from './credential-values.js';
import type { ChainContext, CredentialsProvider, ImdsOptions, SourceResult } from './credentials-types.js';
import { CredentialsError, isCredentialsError, transportErrorCode } from './errors.js';
import { sharedLookup } from './shared-lookup.js';
import type { Credentials } from './sign.js';

/** The largest metadata-service answer read (a role's credentials are about 2 KB). */
export const MAX_IMDS_BODY_BYTES = 64 * 1024;

class ImdsHttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`metadata service answered HTTP ${statusCode}`);
  }
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

export async function fromImds(ctx: ChainContext): Promise<SourceResult> {
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
