/**
 * Credential values: checked (no control character, nothing empty) before anything signs with
 * them, and the first link of the chain, the environment variables.
 */
import type { CredentialsProvider, SourceResult } from './credentials-types.js';
import { CredentialsError } from './errors.js';
import type { Credentials } from './sign.js';

export function isTrue(value: string | undefined): boolean {
  return value?.toLowerCase() === 'true';
}

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
export function credentialsOf(
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

export function constant(credentials: Credentials): CredentialsProvider {
  const promise = Promise.resolve(credentials);
  return () => promise;
}

/**
 * 1. `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` (+ `ALIBABA_CLOUD_SECURITY_TOKEN`). A variable set
 * but broken (a control character) is an error naming it, not a reason to try the next source.
 */
export function fromEnv(env: Readonly<Record<string, string | undefined>>): SourceResult {
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
