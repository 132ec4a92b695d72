import { categoryOf } from '@cloud-assistant-gate/core';

/** API codes that mean "ECS does not know (one of) these instance IDs". */
export const NOT_FOUND_API_CODES: ReadonlySet<string> = new Set([
  'InvalidInstance.NotFound',
  'InvalidInstanceId.NotFound',
  'InvalidInstanceIds.NotFound',
]);

const TRANSIENT_API_CODE = /Throttling|ServiceUnavailable|InternalError|UnknownError|Timeout/;

/** Node and undici network error codes worth another round (DNS failure `ENOTFOUND` is not). */
const TRANSIENT_NETWORK_CODE =
  /^(?:ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_.+)$/;

export type ErrorClass = 'not-found' | 'transient' | 'fatal';

interface ErrorShape {
  readonly code?: unknown;
  readonly apiCode?: unknown;
  readonly retryable?: unknown;
  readonly statusCode?: unknown;
  readonly name?: unknown;
}

function shape(error: unknown): ErrorShape {
  return typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
}

/**
 * The API error code of an error: core's `apiCode`, or `code` when it looks like an Alibaba API
 * code (the official SDK puts `InvalidInstance.NotFound` there), else undefined.
 */
export function apiCodeOf(error: unknown): string | undefined {
  const { apiCode, code } = shape(error);
  if (typeof apiCode === 'string' && apiCode !== '') return apiCode;
  if (
    typeof code === 'string' &&
    /^[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*$/.test(code) &&
    !code.includes('_')
  ) {
    return code;
  }
  return undefined;
}

/** Our stable `code` field of an error (e.g. `ECS_NETWORK_ERROR`), when it has one. */
export function codeOf(error: unknown): string | undefined {
  const { code } = shape(error);
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/** The key an error is counted under in `errors`: the API code, else the error code, else the name. */
export function errorKey(error: unknown): string {
  const { name } = shape(error);
  return apiCodeOf(error) ?? codeOf(error) ?? (typeof name === 'string' && name !== '' ? name : 'Error');
}

/** True when the error (or attempt) is a `Throttling*` rejection. */
export function isThrottled(error: unknown): boolean {
  const api = apiCodeOf(error);
  return api?.includes('Throttling') === true || codeOf(error) === 'ECS_THROTTLED';
}

/**
 * Classifies a failed status call: instance NotFound codes → bisect; for core's errors, their
 * `category` (decided in core: `throttled`/`transient` → poll again next round, anything else →
 * fatal). The rest is the fallback for sources built on other SDKs, duck-typed (`apiCode`,
 * `retryable`, `code`, `statusCode`): `retryable` when they have it; without it, throttling, 5xx
 * and timeouts are transient and anything else is fatal, because a waiter that spins on a 403
 * until its deadline helps nobody.
 */
export function classifyError(error: unknown): ErrorClass {
  const api = apiCodeOf(error);
  if (api !== undefined && NOT_FOUND_API_CODES.has(api)) return 'not-found';
  const category = categoryOf(error);
  if (category !== undefined)
    return category === 'throttled' || category === 'transient' ? 'transient' : 'fatal';
  const { retryable, statusCode, name } = shape(error);
  if (typeof retryable === 'boolean') return retryable ? 'transient' : 'fatal';
  const code = codeOf(error);
  if (code !== undefined && TRANSIENT_NETWORK_CODE.test(code)) return 'transient';
  // A per-attempt timeout inside a user source (`AbortSignal.timeout`).
  if (name === 'TimeoutError') return 'transient';
  if (api !== undefined && TRANSIENT_API_CODE.test(api)) return 'transient';
  if (typeof statusCode === 'number' && (statusCode >= 500 || statusCode === 429)) return 'transient';
  return 'fatal';
}
