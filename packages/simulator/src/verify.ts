/**
 * Server-side verification of both Alibaba Cloud RPC signature schemes, the way the ECS gateway
 * does it: V3 (`ACS3-HMAC-SHA256`, the official SDK's default) and V1 (HMAC-SHA1,
 * `SignatureVersion=1.0`). Parameters are decoded and re-encoded here; the raw query string is
 * never trusted because the official SDK leaves `*~!'()` unescaped on the wire (facts §1.2).
 *
 * Order of checks (cheap and request-independent first, business logic never before the
 * signature): scheme and completeness → AccessKey → timestamp format and skew → signature →
 * nonce replay → STS token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  canonicalQueryString,
  sha256Hex,
  signatureV3,
  signV1,
  stringToSignV3,
} from '@cloud-assistant-gate/core/signing';
import { apiErrors } from './errors.js';

/** One AccessKey the simulator accepts; several entries may share an AccessKeyId (e.g. STS tokens). */
export interface SimulatorCredential {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /**
   * The Alibaba Cloud account the key belongs to. Keys of one account share its quotas (the
   * `quota` option and `faults.rateLimit`), as on ECS, where throttling counts every AccessKey,
   * RAM user and STS session of the account together (Throttling page, ecs-fidelity §1).
   * Entries sharing an AccessKeyId must name the same account.
   * @default "sim-account"
   */
  readonly accountId?: string | undefined;
  /** When set, requests with this AccessKeyId must carry this STS token (one of the tokens configured for it). */
  readonly securityToken?: string | undefined;
  /** Wall-clock epoch ms after which `securityToken` answers `InvalidSecurityToken.Expired`. */
  readonly securityTokenExpiresAt?: number | undefined;
  /**
   * Actions a RAM policy denies to this AccessKey (e.g. `["InstallCloudAssistant"]`): its calls of
   * them get 403 `Forbidden.RAM` after the signature is checked, and change nothing. Entries
   * sharing an AccessKeyId add up.
   * @default none
   */
  readonly deniedActions?: readonly string[] | undefined;
}

/** What a verified request says about itself. */
export interface VerifiedRequest {
  readonly scheme: 'V3' | 'V1';
  readonly accessKeyId: string;
  /** The account of the AccessKey (see {@link SimulatorCredential.accountId}). */
  readonly accountId: string;
  readonly action: string;
  readonly version: string;
  readonly securityToken: string | undefined;
}

export interface RawRpcRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** Decoded query parameters. */
  readonly query: Record<string, string>;
  /** Decoded form-body parameters (empty object when there is no form body). */
  readonly form: Record<string, string>;
  /** The body exactly as received. */
  readonly body: Buffer;
  /** Query and form merged (form wins), as the API sees them. */
  readonly params: Record<string, string>;
  /** The canonical query string of `query`, memoised by the server for repeated queries. */
  readonly canonicalQuery?: (() => string) | undefined;
}

export interface VerifierOptions {
  readonly credentials: readonly SimulatorCredential[];
  /** Wall clock for timestamps and the nonce window. */
  readonly now: () => number;
  readonly timestampSkewMs: number;
  readonly nonceWindowMs: number;
  /** Oldest nonces are forgotten beyond this many, so a long load test cannot exhaust memory. */
  readonly maxNonces: number;
}

/** The account of every credential that does not name one. */
export const DEFAULT_ACCOUNT_ID = 'sim-account';

interface KeyEntry {
  readonly secret: string;
  readonly accountId: string;
  readonly secretV1: string;
  /** token → expiry (wall ms, Infinity when none). */
  readonly tokens: Map<string, number>;
  /** Whether a request without a token is accepted for this AccessKeyId. */
  plainAllowed: boolean;
  /** Actions its RAM policy denies. */
  readonly denied: Set<string>;
}

const ACS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const V3_PREFIX = 'ACS3-HMAC-SHA256 ';

function safeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

export class RequestVerifier {
  readonly #keys = new Map<string, KeyEntry>();
  readonly #nonces = new Map<string, number>();
  readonly #options: VerifierOptions;

  constructor(options: VerifierOptions) {
    this.#options = options;
    for (const c of options.credentials) this.addCredential(c);
  }

  addCredential(c: SimulatorCredential): void {
    const accountId = c.accountId ?? DEFAULT_ACCOUNT_ID;
    if (typeof accountId !== 'string' || accountId === '') {
      throw new TypeError(
        `credentials: accountId of AccessKeyId ${c.accessKeyId} must be a non-empty string, got ${JSON.stringify(c.accountId)}`,
      );
    }
    let entry = this.#keys.get(c.accessKeyId);
    if (entry === undefined) {
      entry = {
        secret: c.accessKeySecret,
        accountId,
        secretV1: c.accessKeySecret,
        tokens: new Map(),
        plainAllowed: false,
        denied: new Set(),
      };
      this.#keys.set(c.accessKeyId, entry);
    } else if (entry.secret !== c.accessKeySecret) {
      throw new TypeError(
        `credentials: AccessKeyId ${c.accessKeyId} is configured with two different secrets`,
      );
    } else if (entry.accountId !== accountId) {
      throw new TypeError(
        `credentials: AccessKeyId ${c.accessKeyId} is configured for two accounts (${entry.accountId} and ${accountId})`,
      );
    }
    if (c.deniedActions !== undefined) {
      if (!Array.isArray(c.deniedActions) || c.deniedActions.some((a) => typeof a !== 'string')) {
        throw new TypeError(
          `credentials: deniedActions of AccessKeyId ${c.accessKeyId} must be an array of action names`,
        );
      }
      for (const action of c.deniedActions) entry.denied.add(action);
    }
    if (c.securityToken === undefined) entry.plainAllowed = true;
    else entry.tokens.set(c.securityToken, c.securityTokenExpiresAt ?? Number.POSITIVE_INFINITY);
  }

  /** Whether the RAM policy of `accessKeyId` denies `action` (see `deniedActions`). */
  denies(accessKeyId: string, action: string): boolean {
    return this.#keys.get(accessKeyId)?.denied.has(action) === true;
  }

  /** Verifies the signature of a request and returns who sent it and what it asks for; throws `SimulatorApiError`. */
  verify(req: RawRpcRequest): VerifiedRequest {
    const authorization = header(req.headers, 'authorization');
    if (authorization?.startsWith(V3_PREFIX)) return this.#verifyV3(req, authorization);
    return this.#verifyV1(req);
  }

  #key(accessKeyId: string): KeyEntry {
    const entry = this.#keys.get(accessKeyId);
    if (entry === undefined) throw apiErrors.accessKeyNotFound();
    return entry;
  }

  #checkTime(value: string): void {
    if (!ACS_DATE.test(value)) throw apiErrors.timestampFormat(value);
    const t = Date.parse(value);
    if (!Number.isFinite(t)) throw apiErrors.timestampFormat(value);
    if (Math.abs(this.#options.now() - t) > this.#options.timestampSkewMs)
      throw apiErrors.timestampExpired(value);
  }

  #checkNonce(accessKeyId: string, nonce: string): void {
    const now = this.#options.now();
    const nonces = this.#nonces;
    // Evict from the oldest end: insertion order is (nearly) expiry order.
    for (const [k, expiry] of nonces) {
      if (expiry > now && nonces.size < this.#options.maxNonces) break;
      nonces.delete(k);
    }
    const key = `${accessKeyId}\n${nonce}`;
    const seen = nonces.get(key);
    if (seen !== undefined && seen > now) throw apiErrors.nonceUsed();
    nonces.set(key, now + this.#options.nonceWindowMs);
  }

  #checkToken(entry: KeyEntry, token: string | undefined): void {
    if (token === undefined || token === '') {
      if (!entry.plainAllowed) throw apiErrors.missingSecurityToken();
      return;
    }
    if (entry.tokens.size === 0) throw apiErrors.securityTokenMismatch();
    const expiry = entry.tokens.get(token);
    if (expiry === undefined) throw apiErrors.securityTokenMalformed();
    if (expiry <= this.#options.now()) throw apiErrors.securityTokenExpired();
  }

  #verifyV3(req: RawRpcRequest, authorization: string): VerifiedRequest {
    let credential: string | undefined;
    let signedHeaders: string | undefined;
    let signature: string | undefined;
    for (const part of authorization.slice(V3_PREFIX.length).split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      if (name === 'Credential') credential = value;
      else if (name === 'SignedHeaders') signedHeaders = value;
      else if (name === 'Signature') signature = value;
    }
    if (!credential || !signedHeaders || !signature) {
      throw apiErrors.incompleteSignature(
        'The Authorization header needs Credential, SignedHeaders and Signature.',
      );
    }
    const h = req.headers;
    const action = header(h, 'x-acs-action');
    const version = header(h, 'x-acs-version');
    const date = header(h, 'x-acs-date');
    const nonce = header(h, 'x-acs-signature-nonce');
    const contentSha = header(h, 'x-acs-content-sha256');
    if (!action || !version || !date || !nonce || !contentSha) {
      throw apiErrors.incompleteSignature(
        'V3 requests need x-acs-action, x-acs-version, x-acs-date, x-acs-signature-nonce and x-acs-content-sha256.',
      );
    }
    const names = signedHeaders.split(';');
    // Every x-acs-* header and host must be signed, or a replayed request could change them freely.
    if (!names.includes('host')) throw apiErrors.incompleteSignature('SignedHeaders must include host.');
    for (const name in h) {
      if (name.startsWith('x-acs-') && !names.includes(name)) {
        throw apiErrors.incompleteSignature(`The header ${name} must be signed.`);
      }
    }
    const entry = this.#key(credential);
    this.#checkTime(date);

    // The canonical request of core's canonicalRequestV3, with the query part memoised: pollers
    // send the same query again and again, and canonicalising 100 IDs is the costly part.
    let headerBlock = '';
    for (const name of names) headerBlock += `${name}:${(header(h, name) ?? '').trim()}\n`;
    const query = req.canonicalQuery ? req.canonicalQuery() : canonicalQueryString(req.query);
    const canonical = `${req.method.toUpperCase()}\n/\n${query}\n${headerBlock}\n${signedHeaders}\n${contentSha}`;
    const stringToSign = stringToSignV3(canonical);
    const expected = signatureV3(entry.secret, stringToSign);
    if (!safeEqual(expected, signature.toLowerCase())) throw apiErrors.signatureDoesNotMatch(stringToSign);
    // The payload hash is signed, so a body that does not match it is a signature mismatch too.
    if (contentSha.toLowerCase() !== sha256Hex(req.body)) throw apiErrors.signatureDoesNotMatch(stringToSign);

    this.#checkNonce(credential, nonce);
    const token = header(h, 'x-acs-security-token');
    this.#checkToken(entry, token);
    return {
      scheme: 'V3',
      accessKeyId: credential,
      accountId: entry.accountId,
      action,
      version,
      securityToken: token,
    };
  }

  #verifyV1(req: RawRpcRequest): VerifiedRequest {
    const p = req.params;
    const signature = p.Signature;
    const accessKeyId = p.AccessKeyId;
    if (!signature || !accessKeyId) {
      throw apiErrors.incompleteSignature(
        'V1 requests need AccessKeyId and Signature (or a V3 Authorization header).',
      );
    }
    if (p.SignatureMethod !== 'HMAC-SHA1' || p.SignatureVersion !== '1.0') {
      throw apiErrors.incompleteSignature(
        'V1 requests need SignatureMethod=HMAC-SHA1 and SignatureVersion=1.0.',
      );
    }
    const nonce = p.SignatureNonce;
    if (!nonce) throw apiErrors.incompleteSignature('V1 requests need a SignatureNonce.');
    const timestamp = p.Timestamp;
    if (!timestamp) throw apiErrors.missingTimestamp();
    const action = p.Action;
    const version = p.Version;
    if (!action) throw apiErrors.missingParameter('Action');
    if (!version) throw apiErrors.missingParameter('Version');
    const entry = this.#key(accessKeyId);
    this.#checkTime(timestamp);

    const signed = signV1(req.method, p, entry.secretV1);
    if (!safeEqual(signed.signature, signature)) throw apiErrors.signatureDoesNotMatch(signed.stringToSign);

    this.#checkNonce(accessKeyId, nonce);
    const token = p.SecurityToken;
    this.#checkToken(entry, token);
    return { scheme: 'V1', accessKeyId, accountId: entry.accountId, action, version, securityToken: token };
  }
}
