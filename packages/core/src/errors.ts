/**
 * Errors of the ECS client. Every error is an {@link EcsError} with a literal `name`, a stable
 * `code` and a boolean `retryable`; callers branch on `code` (through the type guards), never on
 * message text. No error keeps request headers, signatures, secrets or tokens: messages built from
 * server text are redacted, and `toJSON`/`util.inspect` show only the structured fields.
 */
import { inspect } from 'node:util';
import { apiErrorCategory, type ErrorCategory } from './error-category.js';

/** The stable codes of every error this package throws. */
export type EcsErrorCode =
  | 'ECS_ERROR'
  | 'ECS_API_ERROR'
  | 'ECS_THROTTLED'
  | 'ECS_NETWORK_ERROR'
  | 'ECS_TIMEOUT'
  | 'ECS_RESPONSE_INVALID'
  | 'ECS_RESPONSE_TOO_LARGE'
  | 'ECS_CREDENTIALS'
  | 'ECS_CLIENT_CLOSED';

const ECS_CODES: ReadonlySet<string> = new Set<EcsErrorCode>([
  'ECS_ERROR',
  'ECS_API_ERROR',
  'ECS_THROTTLED',
  'ECS_NETWORK_ERROR',
  'ECS_TIMEOUT',
  'ECS_RESPONSE_INVALID',
  'ECS_RESPONSE_TOO_LARGE',
  'ECS_CREDENTIALS',
  'ECS_CLIENT_CLOSED',
]);

interface EcsErrorOptions {
  readonly cause?: unknown;
  readonly retryable?: boolean;
}

/** Base class of every error thrown by `@cloud-assistant-gate/core`. */
export class EcsError extends Error {
  override readonly name: string = 'EcsError';
  readonly code: EcsErrorCode = 'ECS_ERROR';
  /** `true` when the same request may succeed if sent again later. */
  readonly retryable: boolean;

  constructor(message: string, options: EcsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }

  /**
   * What kind of failure this is (see {@link ErrorCategory}), decided once in core: callers
   * branch on it instead of matching codes. A getter, so `toJSON` and reports stay as they were.
   */
  get category(): ErrorCategory {
    return this.retryable ? 'transient' : 'other';
  }

  /** The structured fields, for logs and JSON reports. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message };
    for (const [key, value] of Object.entries(this)) {
      if (key !== 'cause' && value !== undefined) out[key] = value;
    }
    return out;
  }

  /** Shows the fields and the stack, and the cause only by its name and code (never its internals). */
  [inspect.custom](): string {
    const fields = this.toJSON();
    delete fields.message;
    delete fields.name;
    const cause = this.cause as { name?: unknown; code?: unknown } | undefined;
    if (cause !== undefined) {
      fields.cause =
        cause instanceof Error
          ? `${cause.name}${'code' in cause ? ` (${String(cause.code)})` : ''}`
          : typeof cause;
    }
    return `${this.stack ?? `${this.name}: ${this.message}`} ${inspect(fields)}`;
  }
}

export interface EcsApiErrorFields {
  readonly apiCode: string;
  readonly apiMessage?: string | undefined;
  readonly statusCode: number;
  readonly requestId?: string | undefined;
  readonly hostId?: string | undefined;
  readonly recommend?: string | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly action?: string | undefined;
  /** For a body that was not JSON: its first characters. */
  readonly excerpt?: string | undefined;
}

/** Where ECS's `SignatureDoesNotMatch` message echoes the string it signed. */
const SERVER_STRING_TO_SIGN = /\s*server string to sign is:\s*([\s\S]*)$/i;

/** The API answered with an error (HTTP status ≥ 300), or with a body that is not JSON. */
export class EcsApiError extends EcsError {
  override readonly name: string = 'EcsApiError';
  override readonly code: EcsErrorCode = 'ECS_API_ERROR';
  /** The API's `Code`, e.g. `InvalidInstance.NotFound`; `NonJsonResponse` when the body was not JSON. */
  readonly apiCode: string;
  /** The API's `Message`, redacted. */
  readonly apiMessage: string | undefined;
  readonly statusCode: number;
  readonly requestId: string | undefined;
  readonly hostId: string | undefined;
  /** The troubleshooting URL the API suggests. */
  readonly recommend: string | undefined;
  /** From the `x-acs-retry-after` response header, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  readonly action: string | undefined;
  readonly excerpt: string | undefined;
  /**
   * For `SignatureDoesNotMatch`: the string ECS signed, as it echoed it (redacted like the
   * message), to compare with the client's own. Kept out of `message` and `apiMessage`: not
   * secret, but a long line of noise in a log.
   */
  readonly serverStringToSign: string | undefined;

  constructor(fields: EcsApiErrorFields, options: EcsErrorOptions = {}) {
    const echoed = fields.apiMessage?.match(SERVER_STRING_TO_SIGN);
    const apiMessage =
      echoed === null || echoed === undefined
        ? fields.apiMessage
        : fields.apiMessage?.slice(0, echoed.index).trimEnd() || undefined;
    super(apiErrorMessage({ ...fields, apiMessage }), {
      ...options,
      retryable: options.retryable ?? isRetryableApiError(fields.apiCode, fields.statusCode),
    });
    this.apiCode = fields.apiCode;
    this.apiMessage = apiMessage;
    this.serverStringToSign = echoed?.[1] || undefined;
    this.statusCode = fields.statusCode;
    this.requestId = fields.requestId;
    this.hostId = fields.hostId;
    this.recommend = fields.recommend;
    this.retryAfterMs = fields.retryAfterMs;
    this.action = fields.action;
    this.excerpt = fields.excerpt;
  }

  override get category(): ErrorCategory {
    return apiErrorCategory(this);
  }
}

function apiErrorMessage(f: EcsApiErrorFields): string {
  const what = f.action === undefined ? 'ECS' : `ECS ${f.action}`;
  if (f.excerpt !== undefined) {
    return `${what} answered HTTP ${f.statusCode} with a body that is not JSON: ${JSON.stringify(f.excerpt)}`;
  }
  const request = f.requestId === undefined ? '' : ` (request ${f.requestId})`;
  const detail = f.apiMessage ? `: ${f.apiMessage}` : '';
  return `${what} failed with ${f.apiCode}, HTTP ${f.statusCode}${detail}${request}`;
}

/** The API throttled the request: its `Code` contains `Throttling` (as the official SDK decides). */
export class ThrottlingError extends EcsApiError {
  override readonly name: string = 'ThrottlingError';
  override readonly code: EcsErrorCode = 'ECS_THROTTLED';
}

/** The request did not reach ECS or the connection broke (mapped from undici/Node error codes). */
export class EcsNetworkError extends EcsError {
  override readonly name: string = 'EcsNetworkError';
  override readonly code: EcsErrorCode = 'ECS_NETWORK_ERROR';
  /** The low-level error code, e.g. `ECONNRESET` or `UND_ERR_SOCKET`. */
  readonly causeCode: string | undefined;

  constructor(message: string, causeCode: string | undefined, options: EcsErrorOptions = {}) {
    super(message, { retryable: true, ...options });
    this.causeCode = causeCode;
  }
}

/** One attempt took longer than `timeoutMs` (or undici's connect/headers/body timeout fired). */
export class EcsTimeoutError extends EcsError {
  override readonly name: string = 'EcsTimeoutError';
  override readonly code: EcsErrorCode = 'ECS_TIMEOUT';
  readonly timeoutMs: number | undefined;
  readonly causeCode: string | undefined;

  constructor(
    message: string,
    timeoutMs: number | undefined,
    causeCode: string | undefined,
    options: EcsErrorOptions = {},
  ) {
    super(message, { retryable: true, ...options });
    this.timeoutMs = timeoutMs;
    this.causeCode = causeCode;
  }
}

/** A response (HTTP 2xx) did not have the expected shape; `path` names the missing or bad field. */
export class ResponseValidationError extends EcsError {
  override readonly name: string = 'ResponseValidationError';
  override readonly code: EcsErrorCode = 'ECS_RESPONSE_INVALID';
  /** The field path, e.g. `InstanceCloudAssistantStatusSet.InstanceCloudAssistantStatus[0].InstanceId`. */
  readonly path: string;
  readonly action: string | undefined;

  constructor(path: string, problem: string, action?: string, options: EcsErrorOptions = {}) {
    super(`ECS ${action ?? ''} response field ${path || '(root)'} ${problem}`.replace('  ', ' '), {
      retryable: true,
      ...options,
    });
    this.path = path;
    this.action = action;
  }
}

/** The response body was larger than `maxResponseBytes`; the connection was dropped. */
export class ResponseTooLargeError extends EcsError {
  override readonly name: string = 'ResponseTooLargeError';
  override readonly code: EcsErrorCode = 'ECS_RESPONSE_TOO_LARGE';
  readonly limitBytes: number;

  constructor(limitBytes: number, action?: string) {
    super(
      `ECS ${action ?? ''} response body exceeds maxResponseBytes (${limitBytes} bytes); raise the option if this is expected`.replace(
        '  ',
        ' ',
      ),
    );
    this.limitBytes = limitBytes;
  }
}

/** No credentials were found, or a credential source is broken. `sources` lists every place looked. */
export class CredentialsError extends EcsError {
  override readonly name: string = 'CredentialsError';
  override readonly code: EcsErrorCode = 'ECS_CREDENTIALS';
  /** One line per source tried, with why it gave nothing. */
  readonly sources: readonly string[];

  constructor(message: string, sources: readonly string[] = [], options: EcsErrorOptions = {}) {
    super(sources.length === 0 ? message : `${message}:\n  - ${sources.join('\n  - ')}`, options);
    this.sources = sources;
  }

  override get category(): ErrorCategory {
    return 'auth';
  }
}

/**
 * The client was closed: a call made after `close()`, or one still queued, waiting to retry or in
 * flight when `close()` was called. Not retryable on that client.
 */
export class ClientClosedError extends EcsError {
  override readonly name: string = 'ClientClosedError';
  override readonly code: EcsErrorCode = 'ECS_CLIENT_CLOSED';
  readonly action: string | undefined;

  /** `action` is the call refused after `close()`; without it, a call that was pending. */
  constructor(action?: string) {
    super(
      action === undefined
        ? 'The ECS client was closed while the call was pending; create a new client to send it again'
        : `ECS client is closed; cannot send ${action} (create a new client)`,
    );
    this.action = action;
  }
}

function hasCode(error: unknown, codes: readonly string[]): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && codes.includes(code);
}

/** Any error thrown by this package. */
export function isEcsError(error: unknown): error is EcsError {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' && ECS_CODES.has(code) && typeof (error as EcsError).retryable === 'boolean'
  );
}
/** An error answer from the API (throttling included). */
export function isEcsApiError(error: unknown): error is EcsApiError {
  return isEcsError(error) && hasCode(error, ['ECS_API_ERROR', 'ECS_THROTTLED']);
}
export function isThrottlingError(error: unknown): error is ThrottlingError {
  return isEcsError(error) && hasCode(error, ['ECS_THROTTLED']);
}
export function isEcsNetworkError(error: unknown): error is EcsNetworkError {
  return isEcsError(error) && hasCode(error, ['ECS_NETWORK_ERROR']);
}
export function isEcsTimeoutError(error: unknown): error is EcsTimeoutError {
  return isEcsError(error) && hasCode(error, ['ECS_TIMEOUT']);
}
export function isResponseValidationError(error: unknown): error is ResponseValidationError {
  return isEcsError(error) && hasCode(error, ['ECS_RESPONSE_INVALID']);
}
export function isResponseTooLargeError(error: unknown): error is ResponseTooLargeError {
  return isEcsError(error) && hasCode(error, ['ECS_RESPONSE_TOO_LARGE']);
}
export function isCredentialsError(error: unknown): error is CredentialsError {
  return isEcsError(error) && hasCode(error, ['ECS_CREDENTIALS']);
}
export function isClientClosedError(error: unknown): error is ClientClosedError {
  return isEcsError(error) && hasCode(error, ['ECS_CLIENT_CLOSED']);
}

/**
 * Codes no retry can fix (facts §2.3): a bad signature, key, permission, parameter or time, a
 * missing resource, a reused nonce. These win over the HTTP status.
 */
const NEVER_RETRY = [
  /^Signature/,
  /^IncompleteSignature/,
  /^InvalidAccessKeyId/,
  /^InvalidSecurityToken/,
  /^InvalidTimeStamp/,
  /^IllegalTimestamp/,
  /^Forbidden/,
  /^Missing/,
  /^InvalidParameter/,
  // InvalidParam.PageSize / .PageNumber: 400 since the 2024 tables (403 before), never retryable.
  /^InvalidParam\./,
  /^InvalidAction/,
  /^UnsupportedHTTPMethod/,
  /NotFound/,
  /ExceedLimit/,
];

/**
 * Whether an API error is transient (facts §2.3): throttling, `ServiceUnavailable`,
 * `InternalError*`, `UnknownError` and any 5xx, unless the code is one no retry can fix.
 */
export function isRetryableApiError(apiCode: string, statusCode: number): boolean {
  for (const re of NEVER_RETRY) if (re.test(apiCode)) return false;
  if (apiCode.includes('Throttling')) return true;
  if (apiCode === 'ServiceUnavailable' || apiCode === 'UnknownError' || apiCode.startsWith('InternalError')) {
    return true;
  }
  return statusCode >= 500 || statusCode === 429;
}

/** Error codes of undici and Node that mean a timeout. */
const TIMEOUT_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);

/** Error codes of undici and Node that mean a transient network failure, worth retrying. */
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_INFO',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  // A transient resolver failure (the DNS server did not answer); unlike ENOTFOUND, worth retrying.
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'HPE_INVALID_CONSTANT',
  'UND_ERR_PRX_TLS',
]);

/** Network failures a retry will not fix: TLS trust problems and the like. */
const PERMANENT_NETWORK_CODE =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** The `code` of an error or of the first error in its `cause` chain / `errors` list that has one. */
export function transportErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      current = errors[0];
      continue;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps an error thrown by undici (or Node's socket layer) to an {@link EcsError} by its `code`.
 * `timeoutMs` is set when our own per-attempt timer fired.
 */
export function fromTransportError(
  error: unknown,
  context: { readonly action?: string; readonly host?: string; readonly timeoutMs?: number | undefined },
): EcsError {
  if (isEcsError(error)) return error;
  const what = `ECS ${context.action ?? 'request'}${context.host === undefined ? '' : ` to ${context.host}`}`;
  const code = transportErrorCode(error);
  if (context.timeoutMs !== undefined) {
    return new EcsTimeoutError(`${what} timed out after ${context.timeoutMs} ms`, context.timeoutMs, code, {
      cause: error,
    });
  }
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new EcsTimeoutError(`${what} timed out (${code})`, undefined, code, { cause: error });
  }
  if (code === 'ENOTFOUND') {
    // The name does not exist (NXDOMAIN): another attempt will not make it resolve.
    return new EcsNetworkError(
      `${what} failed: host not found (ENOTFOUND); check the endpoint and region`,
      code,
      { cause: error, retryable: false },
    );
  }
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    return new EcsNetworkError(`${what} failed: network error ${code}`, code, { cause: error });
  }
  if (code !== undefined && PERMANENT_NETWORK_CODE.test(code)) {
    return new EcsNetworkError(`${what} failed: TLS error ${code}`, code, { cause: error, retryable: false });
  }
  return new EcsError(`${what} failed: unexpected transport error${code === undefined ? '' : ` ${code}`}`, {
    cause: error,
  });
}

/**
 * Removes secrets from text that came from a server (a `SignatureDoesNotMatch` message echoes the
 * server's string-to-sign, which for V1 holds the STS token): every known secret string, raw,
 * URL-encoded and double-encoded, and any `SecurityToken=…` / `Signature=…` / `AccessKeySecret=…`
 * value, encoded or not. Whole occurrences only: {@link serverText} also catches pieces.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) {
      for (const form of secretForms(secret)) out = out.split(form).join('[redacted]');
    }
  }
  return out.replace(
    /((?:SecurityToken|Signature|AccessKeySecret)(?:=|%3D|%253D|"?\s*:\s*"?))(?:(?!%26|%2526)[^&\s"',;])+/gi,
    '$1[redacted]',
  );
}

/** A secret as it may appear in text: raw, URL-encoded, double-encoded. */
function secretForms(secret: string): string[] {
  const forms = [secret];
  const once = encodeURIComponent(secret);
  if (once !== secret) forms.push(once, encodeURIComponent(once));
  return forms;
}

/** The shortest piece of a secret {@link serverText} hides: shorter pieces occur in plain text by chance. */
export const MIN_SECRET_FRAGMENT = 8;

/**
 * Hides every run of `text` made of pieces (≥ {@link MIN_SECRET_FRAGMENT} characters) of a
 * secret in any of its forms: what is left of a secret that an excerpt cut in half, or that a
 * server echoed only in part (a header truncated by a proxy's error page), never shows 8 of its
 * characters in a row.
 */
export function redactFragments(text: string, secrets: readonly (string | undefined)[]): string {
  const n = MIN_SECRET_FRAGMENT;
  if (text.length < n) return text;
  const grams = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < n) continue;
    for (const form of secretForms(secret)) {
      for (let i = 0; i + n <= form.length; i++) grams.add(form.slice(i, i + n));
    }
  }
  if (grams.size === 0) return text;
  // Mark every character covered by a secret piece, then replace each marked run once.
  let coveredTo = 0;
  let out = '';
  let runStart = -1;
  let last = 0;
  for (let i = 0; i + n <= text.length; i++) {
    if (!grams.has(text.slice(i, i + n))) continue;
    if (runStart === -1 || i > coveredTo) {
      if (runStart !== -1) {
        out += `${text.slice(last, runStart)}[redacted]`;
        last = coveredTo;
      }
      runStart = i;
    }
    coveredTo = i + n;
  }
  if (runStart === -1) return text;
  return `${out}${text.slice(last, runStart)}[redacted]${text.slice(coveredTo)}`;
}

/** Options of {@link serverText}. */
export interface ServerTextOptions {
  /** Longest result, in UTF-16 code units, the `…` marker included. */
  readonly maxChars: number;
  /** Collapse every run of whitespace to one space and trim (for an HTML page or a stack). */
  readonly collapseWhitespace?: boolean;
}

/**
 * Text a server sent, made fit for an error message: redacted first over the whole text (so a
 * secret is never cut before it is recognised), then cut to `maxChars` (with `…`), then any
 * piece of a secret the cut left is hidden too. Whitespace is collapsed while cutting, so a page
 * that pads a secret with kilobytes of blanks cannot push it out of, or half into, the excerpt
 * unseen. Bounded work: redaction is linear in the text (capped by `maxResponseBytes`), the rest
 * in `maxChars`.
 */
export function serverText(
  text: string,
  secrets: readonly (string | undefined)[],
  options: ServerTextOptions,
): string {
  const redacted = redact(text, secrets);
  const max = Math.max(1, options.maxChars);
  let cut: string;
  let truncated: boolean;
  if (options.collapseWhitespace === true) {
    const parts: string[] = [];
    let length = 0;
    let pendingSpace = false;
    truncated = false;
    const ws = /\s+/y;
    for (let i = 0; i < redacted.length; ) {
      ws.lastIndex = i;
      if (ws.test(redacted)) {
        pendingSpace = length > 0;
        i = ws.lastIndex;
        continue;
      }
      if (length + (pendingSpace ? 1 : 0) >= max) {
        truncated = true;
        break;
      }
      if (pendingSpace) {
        parts.push(' ');
        length++;
        pendingSpace = false;
      }
      parts.push(redacted[i]!);
      length++;
      i++;
    }
    cut = parts.join('');
  } else {
    truncated = redacted.length > max;
    cut = truncated ? redacted.slice(0, max) : redacted;
  }
  if (truncated) {
    // Never end on half a surrogate pair; leave room for the marker.
    let end = Math.max(0, Math.min(cut.length, max - 1));
    const code = cut.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    cut = `${cut.slice(0, end)}…`;
  }
  return redactFragments(cut, secrets);
}
