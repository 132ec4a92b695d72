/**
 * One HTTP answer of ECS turned into a result or a typed error. Server text reaches an error only
 * through `serverText`: redacted (the credentials and the attempt's signature, whole and in
 * pieces) and bounded, because a server, a proxy or an error page may echo anything.
 */
import { EcsApiError, serverText, ThrottlingError } from './errors.js';
import { bodyErrorCode } from './schemas.js';

/** Longest excerpt of a body that is not JSON, in an error. */
const EXCERPT_CHARS = 200;
/** Longest API `Message` kept in an error: real ones are one or two sentences; a 9 MB one is not a message. */
export const MAX_API_MESSAGE_CHARS = 1024;
/** Longest `Code`, `RequestId` or `HostId` kept (`Recommend`: four times this). */
const MAX_CODE_CHARS = 128;

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The result `parse` makes of a 2xx JSON answer without an error `Code`; otherwise throws the
 * {@link EcsApiError} (a {@link ThrottlingError} for `Throttling*`) the answer means. `secrets`
 * are redacted from any server text kept.
 */
export function interpretAnswer<T>(
  action: string,
  statusCode: number,
  headers: Record<string, string | string[] | undefined>,
  text: string,
  secrets: readonly (string | undefined)[],
  parse: (body: unknown) => T,
): T {
  let body: unknown;
  let json = true;
  try {
    body = JSON.parse(text);
  } catch {
    json = false;
  }
  if (!json || typeof body !== 'object' || body === null) {
    // A 2xx whose body is not JSON was cut short or mangled on the way (like a body that fails
    // the schema): transient. Otherwise the status decides (5xx/429 retryable).
    const ok = statusCode >= 200 && statusCode < 300;
    throw new EcsApiError(
      {
        apiCode: 'NonJsonResponse',
        statusCode,
        action,
        excerpt: serverText(text, secrets, { maxChars: EXCERPT_CHARS, collapseWhitespace: true }),
      },
      ok ? { retryable: true } : {},
    );
  }
  const ok = statusCode >= 200 && statusCode < 300;
  // An error can come with HTTP 200 (some gateways answer so): a body with an error `Code` is
  // that error whatever the status, never an empty result.
  if (ok && bodyErrorCode(body) === undefined) return parse(body);
  const b = body as Record<string, unknown>;
  const bounded = (value: unknown, maxChars: number): string | undefined =>
    typeof value === 'string' && value !== '' ? serverText(value, secrets, { maxChars }) : undefined;
  const apiCode =
    bounded(typeof b.Code === 'number' ? String(b.Code) : b.Code, MAX_CODE_CHARS) ?? `HTTP${statusCode}`;
  const rawRetryAfter = headerValue(headers, 'x-acs-retry-after');
  const retryAfter = rawRetryAfter === undefined ? Number.NaN : Number.parseInt(rawRetryAfter, 10);
  const fields = {
    apiCode,
    apiMessage: bounded(b.Message, MAX_API_MESSAGE_CHARS),
    statusCode,
    requestId:
      bounded(b.RequestId, MAX_CODE_CHARS) ??
      bounded(headerValue(headers, 'x-acs-request-id'), MAX_CODE_CHARS),
    hostId: bounded(b.HostId, MAX_CODE_CHARS),
    recommend: bounded(b.Recommend, MAX_CODE_CHARS * 4),
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    action,
  };
  throw apiCode.includes('Throttling') ? new ThrottlingError(fields) : new EcsApiError(fields);
}
