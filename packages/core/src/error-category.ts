/**
 * What kind of failure an error is, decided once, here, for every error of core: the waiter
 * decides between "poll again", "bisect" and "give up" from it, and the CLI its exit code. The
 * rules were spread over the waiter's classify.ts and the CLI's exit-code.ts as regular
 * expressions over `apiCode` and `statusCode`; they live here now, next to the retry decision
 * (`isRetryableApiError`) they must agree with.
 */

/**
 * - `throttled`: the API refused for rate (`Throttling*`); retry later, slower.
 * - `transient`: worth another attempt: a network failure, a timeout, a 5xx, a malformed answer.
 *   `throttled` and `transient` are exactly the errors with `retryable: true`.
 * - `auth`: the caller's identity or rights are wrong: no credentials, a bad signature, key,
 *   token or clock, a permission refused (HTTP 401/403 other than a quota).
 * - `not-found`: the API does not know a resource named in the request (`*.NotFound`).
 * - `bad-request`: the request itself is wrong (a parameter, a region, a page size): fix the input.
 * - `other`: anything else (a closed client, a response over `maxResponseBytes`, a 4xx nobody
 *   listed).
 */
export type ErrorCategory = 'throttled' | 'transient' | 'auth' | 'not-found' | 'bad-request' | 'other';

/** API codes that mean the caller's identity or rights are wrong. */
const AUTH_API_CODE =
  /^(?:Signature|IncompleteSignature|InvalidAccessKey|InvalidSecurityToken|InvalidTimeStamp|IllegalTimestamp|Forbidden|NoPermission|InvalidAuthorization|Unauthorized)/;

/** API codes that mean the region (user input) is wrong. */
const REGION_API_CODE = /^(?:InvalidRegionId|RegionId\.|InvalidRegion|UnsupportedRegion)/;

/** API codes that mean the request's parameters are wrong. */
const BAD_REQUEST_API_CODE =
  /^(?:InvalidParameter|InvalidParam\.|Missing|InvalidAction|UnsupportedHTTPMethod)/;

/** What {@link apiErrorCategory} reads of an API error. */
export interface ApiErrorFacts {
  readonly apiCode: string;
  readonly statusCode: number;
  readonly retryable: boolean;
}

/**
 * The category of an error answer of the API. The order matters: the retry decision first (so
 * `throttled`/`transient` means exactly "core would retry it"), then identity (a signature, key or
 * token code is `auth` whatever the status), then the region, then the status (401/403 are `auth`
 * unless the code is a quota's `ExceedLimit`), then NotFound.
 */
export function apiErrorCategory(facts: ApiErrorFacts): ErrorCategory {
  const { apiCode, statusCode, retryable } = facts;
  if (retryable) return apiCode.includes('Throttling') ? 'throttled' : 'transient';
  if (AUTH_API_CODE.test(apiCode)) return 'auth';
  if (REGION_API_CODE.test(apiCode)) return 'bad-request';
  if ((statusCode === 401 || statusCode === 403) && !apiCode.includes('ExceedLimit')) return 'auth';
  if (apiCode.includes('NotFound')) return 'not-found';
  if (BAD_REQUEST_API_CODE.test(apiCode) || (statusCode >= 400 && statusCode < 500)) return 'bad-request';
  return 'other';
}

/** Whether `value` is one of the {@link ErrorCategory} names. */
export function isErrorCategory(value: unknown): value is ErrorCategory {
  return (
    value === 'throttled' ||
    value === 'transient' ||
    value === 'auth' ||
    value === 'not-found' ||
    value === 'bad-request' ||
    value === 'other'
  );
}

/**
 * The category of any error: core's errors carry it (`error.category`); for an error of another
 * SDK, `undefined` (the waiter then falls back to its duck-typed rules).
 */
export function categoryOf(error: unknown): ErrorCategory | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const category = (error as { category?: unknown }).category;
  return isErrorCategory(category) ? category : undefined;
}
