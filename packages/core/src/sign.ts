/**
 * Pure request signing for the Alibaba Cloud RPC API: V3 (`ACS3-HMAC-SHA256`, the official SDK's
 * default) and V1 (HMAC-SHA1, `SignatureVersion=1.0`, which Alibaba's docs call "signature method V2").
 *
 * Nothing here reads a clock, a random source or the environment: the date, the nonce and the
 * credentials are passed in, so every function is deterministic and testable against the vectors
 * captured from the official SDKs (`test/fixtures/signature-vectors.json`).
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** An AccessKey pair, optionally with an STS security token. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string | undefined;
}

/** Hex SHA-256 of an empty body: what the SDK sends in `x-acs-content-sha256` for RPC calls. */
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

const RFC3986_EXTRA = /[!'()*]/g;
/** Any character outside the unreserved set (a search for one is twice as fast as an anchored match). */
const UNSAFE = /[^A-Za-z0-9\-_.~]/;

/**
 * RFC 3986 percent-encoding over UTF-8, as both signature schemes require: unreserved
 * `A-Z a-z 0-9 - _ . ~` stay, everything else (space included) becomes `%XX` in upper-case hex.
 * Lone surrogates, which have no UTF-8 form, become U+FFFD like `TextEncoder` does.
 */
export function percentEncode(value: string): string {
  if (!UNSAFE.test(value)) return value;
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    encoded = encodeURIComponent(value.toWellFormed());
  }
  return encoded.replace(RFC3986_EXTRA, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Parameters sorted by name and joined as `k=v&…`, both sides percent-encoded. Sorting is by
 * UTF-16 code unit, as the official SDKs do (`Array.prototype.sort`); for the ASCII names the API
 * uses this is byte order, so `InstanceId.10` sorts before `InstanceId.2`.
 */
export function canonicalQueryString(params: Readonly<Record<string, string>>): string {
  const keys = Object.keys(params).sort();
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (i > 0) out += '&';
    out += `${percentEncode(key)}=${percentEncode(params[key]!)}`;
  }
  return out;
}

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC, no milliseconds: the format of `x-acs-date` and `Timestamp`. */
export function formatAcsDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function sha256Hex(body: string | Uint8Array): string {
  if (body.length === 0) return EMPTY_BODY_SHA256;
  return createHash('sha256').update(body).digest('hex');
}

/** Whether a header takes part in the V3 signature: `host`, `content-type` and every `x-acs-*`. */
export function isV3SignedHeader(lowerName: string): boolean {
  return lowerName === 'host' || lowerName === 'content-type' || lowerName.startsWith('x-acs-');
}

export interface CanonicalRequestV3Input {
  readonly method: string;
  /** Defaults to `/`, the only path RPC APIs use. */
  readonly path?: string;
  /** Decoded query parameters; they are encoded here. */
  readonly query: Readonly<Record<string, string>>;
  /** Header values by lower-case name. Must contain every name in `signedHeaders`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Lower-case header names, sorted. */
  readonly signedHeaders: readonly string[];
  /** Hex SHA-256 of the body, as sent in `x-acs-content-sha256`. */
  readonly contentSha256: string;
  /** `canonicalQueryString(query)` when the caller already has it (it can be sent as is on the wire). */
  readonly canonicalQuery?: string | undefined;
}

/** The V3 canonical request: method, path, query, headers block, signed-header list, payload hash. */
export function canonicalRequestV3(input: CanonicalRequestV3Input): string {
  let headerBlock = '';
  for (const name of input.signedHeaders) {
    headerBlock += `${name}:${(input.headers[name] ?? '').trim()}\n`;
  }
  return [
    input.method.toUpperCase(),
    input.path ?? '/',
    input.canonicalQuery ?? canonicalQueryString(input.query),
    headerBlock,
    input.signedHeaders.join(';'),
    input.contentSha256,
  ].join('\n');
}

export function stringToSignV3(canonicalRequest: string): string {
  return `${V3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
}

/** Hex HMAC-SHA256 keyed with the bare secret (no `&`, unlike V1). */
export function signatureV3(accessKeySecret: string, stringToSign: string): string {
  return createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
}

export interface SignedV3 {
  readonly authorization: string;
  readonly signature: string;
  readonly signedHeaders: string;
  readonly canonicalRequest: string;
  readonly stringToSign: string;
}

export interface SignV3Input {
  readonly method: string;
  readonly path?: string;
  readonly query: Readonly<Record<string, string>>;
  /** Every header that will be sent; names in any case. The signed set is picked from them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly credentials: Pick<Credentials, 'accessKeyId' | 'accessKeySecret'>;
  /** `canonicalQueryString(query)`, if already computed. */
  readonly canonicalQuery?: string | undefined;
}

/** Signs a fully formed V3 request whose headers already carry `x-acs-content-sha256`. */
export function signV3(input: SignV3Input): SignedV3 {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers)) lower[name.toLowerCase()] = value;
  const signedNames = Object.keys(lower).filter(isV3SignedHeader).sort();
  const canonicalRequest = canonicalRequestV3({
    method: input.method,
    path: input.path ?? '/',
    query: input.query,
    headers: lower,
    signedHeaders: signedNames,
    contentSha256: lower['x-acs-content-sha256'] ?? EMPTY_BODY_SHA256,
    canonicalQuery: input.canonicalQuery,
  });
  const stringToSign = stringToSignV3(canonicalRequest);
  const signature = signatureV3(input.credentials.accessKeySecret, stringToSign);
  const signedHeaders = signedNames.join(';');
  return {
    authorization: `${V3_ALGORITHM} Credential=${input.credentials.accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`,
    signature,
    signedHeaders,
    canonicalRequest,
    stringToSign,
  };
}

export interface BuildV3RequestInput {
  readonly host: string;
  readonly action: string;
  readonly version: string;
  readonly params: Readonly<Record<string, string>>;
  readonly date: Date;
  /** Unique per attempt; the SDK uses 64 hex characters. */
  readonly nonce: string;
  readonly credentials: Credentials;
  /** Sent as `x-acs-credentials-provider`, as the SDK does; omitted when undefined. */
  readonly credentialsProvider?: string | undefined;
  /** More headers to send; `x-acs-*` ones are signed. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
  /** `canonicalQueryString(params)`, if already computed (e.g. because it is also the wire query). */
  readonly canonicalQuery?: string | undefined;
}

/**
 * Headers for an RPC call the way the official SDK sends it: POST `/`, every parameter in the
 * query, an empty body, action/version/date/nonce in `x-acs-*` headers, the STS token (if any)
 * in `x-acs-security-token` with `x-acs-accesskey-id`, and `Authorization` last.
 */
export function buildV3Headers(input: BuildV3RequestInput): Record<string, string> {
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': input.version,
    'x-acs-date': formatAcsDate(input.date),
    'x-acs-signature-nonce': input.nonce,
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
    ...input.extraHeaders,
  };
  if (input.credentialsProvider !== undefined)
    headers['x-acs-credentials-provider'] = input.credentialsProvider;
  if (input.credentials.securityToken) {
    headers['x-acs-accesskey-id'] = input.credentials.accessKeyId;
    headers['x-acs-security-token'] = input.credentials.securityToken;
  }
  const signed = signV3({
    method: 'POST',
    query: input.params,
    headers,
    credentials: input.credentials,
    canonicalQuery: input.canonicalQuery,
  });
  headers.authorization = signed.authorization;
  return headers;
}

/** What {@link buildRpcV3Headers} needs: {@link BuildV3RequestInput} with the date already formatted and the query already canonical. */
export interface RpcV3HeadersInput {
  readonly host: string;
  readonly action: string;
  readonly version: string;
  /** `canonicalQueryString(params)`: the sorted, encoded query (also what goes on the wire). */
  readonly canonicalQuery: string;
  /** `formatAcsDate(date)`. */
  readonly date: string;
  readonly nonce: string;
  readonly credentials: Credentials;
  readonly credentialsProvider?: string | undefined;
  /**
   * Headers sent but not signed (`accept`, `user-agent`, …): no `host`, `content-type` or
   * `x-acs-*` name, and none of the names set here. Added after the `x-acs-*` ones.
   */
  readonly unsignedHeaders?: Readonly<Record<string, string>> | undefined;
  /** The HMAC key for `credentials.accessKeySecret`, from {@link hmacKey}, if cached by the caller. */
  readonly key?: KeyObject | undefined;
}

/**
 * The HMAC-SHA256 key for a secret, to be reused across signatures: `createHmac` with a string
 * key builds a new key object on every call.
 */
export function hmacKey(accessKeySecret: string): KeyObject {
  return createSecretKey(Buffer.from(accessKeySecret, 'utf8'));
}

/**
 * The hot path of {@link buildV3Headers} for an RPC call: the same headers, in the same order,
 * with the same signature (the tests hold the two to each other and to the SDK vectors), but the
 * canonical request is written directly, since the signed header set of an RPC call is known.
 */
export function buildRpcV3Headers(input: RpcV3HeadersInput): Record<string, string> {
  const { credentials: c, action, version, date, nonce } = input;
  const host = input.host;
  const token = c.securityToken ? c.securityToken : undefined;
  const provider = input.credentialsProvider;
  // Signed headers in byte order: host, x-acs-accesskey-id, x-acs-action, x-acs-content-sha256,
  // x-acs-credentials-provider, x-acs-date, x-acs-security-token, x-acs-signature-nonce, x-acs-version.
  let block = `host:${host.trim()}\n`;
  let names = 'host';
  if (token !== undefined) {
    block += `x-acs-accesskey-id:${c.accessKeyId.trim()}\n`;
    names += ';x-acs-accesskey-id';
  }
  block += `x-acs-action:${action.trim()}\nx-acs-content-sha256:${EMPTY_BODY_SHA256}\n`;
  names += ';x-acs-action;x-acs-content-sha256';
  if (provider !== undefined) {
    block += `x-acs-credentials-provider:${provider.trim()}\n`;
    names += ';x-acs-credentials-provider';
  }
  block += `x-acs-date:${date.trim()}\n`;
  names += ';x-acs-date';
  if (token !== undefined) {
    block += `x-acs-security-token:${token.trim()}\n`;
    names += ';x-acs-security-token';
  }
  block += `x-acs-signature-nonce:${nonce.trim()}\nx-acs-version:${version.trim()}\n`;
  names += ';x-acs-signature-nonce;x-acs-version';
  const canonicalRequest = `POST\n/\n${input.canonicalQuery}\n${block}\n${names}\n${EMPTY_BODY_SHA256}`;
  const stringToSign = `${V3_ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const signature = createHmac('sha256', input.key ?? c.accessKeySecret)
    .update(stringToSign)
    .digest('hex');
  const headers: Record<string, string> = {
    host,
    'x-acs-action': action,
    'x-acs-version': version,
    'x-acs-date': date,
    'x-acs-signature-nonce': nonce,
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
  };
  const unsigned = input.unsignedHeaders;
  if (unsigned !== undefined) for (const name in unsigned) headers[name] = unsigned[name]!;
  if (provider !== undefined) headers['x-acs-credentials-provider'] = provider;
  if (token !== undefined) {
    headers['x-acs-accesskey-id'] = c.accessKeyId;
    headers['x-acs-security-token'] = token;
  }
  headers.authorization = `${V3_ALGORITHM} Credential=${c.accessKeyId},SignedHeaders=${names},Signature=${signature}`;
  return headers;
}

export interface SignedV1 {
  readonly signature: string;
  readonly canonicalQueryString: string;
  readonly stringToSign: string;
}

/**
 * V1 (HMAC-SHA1): every parameter but `Signature`, sorted and encoded, then
 * `METHOD&%2F&encode(query)` signed with `secret + "&"`, base64.
 */
export function signV1(
  method: string,
  params: Readonly<Record<string, string>>,
  accessKeySecret: string,
): SignedV1 {
  let toSign = params;
  if ('Signature' in params) {
    const { Signature: _ignored, ...rest } = params;
    toSign = rest;
  }
  const query = canonicalQueryString(toSign);
  const stringToSign = `${method.toUpperCase()}&%2F&${percentEncode(query)}`;
  const signature = createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
  return { signature, canonicalQueryString: query, stringToSign };
}

export interface BuildV1ParamsInput {
  readonly method?: string;
  readonly action: string;
  readonly version: string;
  readonly params: Readonly<Record<string, string>>;
  readonly date: Date;
  readonly nonce: string;
  readonly credentials: Credentials;
  /** `JSON` by default (pop-core's spelling; the TS SDK sends `json`). */
  readonly format?: string;
}

/** The full V1 parameter set, `Signature` included, ready to be sent in the query or a form body. */
export function buildV1Params(input: BuildV1ParamsInput): Record<string, string> {
  const params: Record<string, string> = {
    ...input.params,
    Action: input.action,
    Version: input.version,
    Format: input.format ?? 'JSON',
    AccessKeyId: input.credentials.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: input.nonce,
    Timestamp: formatAcsDate(input.date),
  };
  if (input.credentials.securityToken) params.SecurityToken = input.credentials.securityToken;
  params.Signature = signV1(input.method ?? 'POST', params, input.credentials.accessKeySecret).signature;
  return params;
}

/** Parameters as a strict RFC 3986 query string, in insertion order (what we put on the wire). */
export function encodeQuery(params: Readonly<Record<string, string>>): string {
  let out = '';
  for (const key in params) {
    if (out.length > 0) out += '&';
    out += `${percentEncode(key)}=${percentEncode(params[key]!)}`;
  }
  return out;
}
