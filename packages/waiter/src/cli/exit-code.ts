import { ExitCode, isCliUsageError } from './errors.js';
import type { WaitOutcome } from './render.js';

interface ErrorFields {
  readonly code?: unknown;
  readonly apiCode?: unknown;
  readonly causeCode?: unknown;
  readonly statusCode?: unknown;
  readonly cause?: unknown;
}

const fields = (error: unknown): ErrorFields =>
  typeof error === 'object' && error !== null ? (error as ErrorFields) : {};

/** API codes that mean the caller's identity or rights are wrong: exit code 3. */
const CREDENTIAL_API_CODE =
  /^(?:Signature|IncompleteSignature|InvalidAccessKey|InvalidSecurityToken|InvalidTimeStamp|IllegalTimestamp|Forbidden|NoPermission|InvalidAuthorization|Unauthorized)/;

/** API codes that mean the region (user input) is wrong: exit code 2. */
const REGION_API_CODE = /^(?:InvalidRegionId|RegionId\.|InvalidRegion|UnsupportedRegion)/;

/** The API code of an error or of the error it wraps (the waiter wraps fatal source errors). */
export const apiCodeOf = (error: unknown): string | undefined => {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const f = fields(current);
    if (typeof f.apiCode === 'string' && f.apiCode !== '') return f.apiCode;
    current = f.cause;
  }
  return undefined;
};

/** Our stable code of the root cause (`ECS_CREDENTIALS`, `ECS_NETWORK_ERROR`, ...). */
export const rootCodeOf = (error: unknown): string | undefined => {
  const f = fields(error);
  if (typeof f.causeCode === 'string') return f.causeCode;
  let current: unknown = error;
  let found: string | undefined;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = fields(current).code;
    if (typeof code === 'string') found = code;
    current = fields(current).cause;
  }
  return found;
};

/**
 * The exit code for an error that ended a run (timeouts and aborts are decided by the caller,
 * which knows the outcome): 2 for usage and bad input, 3 for credentials, signature and
 * permission, 4 for the rest of what the API or network did.
 */
export const exitCodeForError = (error: unknown): ExitCode => {
  if (isCliUsageError(error)) return ExitCode.usage;
  const code = fields(error).code;
  if (code === 'WAITER_TIMEOUT' || code === 'WAITER_QUORUM_UNREACHABLE' || code === 'CLI_TIMEOUT')
    return ExitCode.notReady;
  if (code === 'WAITER_INVALID_INSTANCE_ID') return ExitCode.usage;
  if (rootCodeOf(error) === 'ECS_CREDENTIALS') return ExitCode.credentials;
  const api = apiCodeOf(error);
  if (api !== undefined && CREDENTIAL_API_CODE.test(api)) return ExitCode.credentials;
  if (api !== undefined && REGION_API_CODE.test(api)) return ExitCode.usage;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const status = fields(current).statusCode;
    if ((status === 401 || status === 403) && !(api ?? '').includes('ExceedLimit'))
      return ExitCode.credentials;
    current = fields(current).cause;
  }
  return ExitCode.api;
};

/** The exit code of a wait that ended with an outcome (not an exception). */
export const exitCodeForOutcome = (outcome: WaitOutcome): ExitCode => {
  if (outcome.kind === 'ready') return ExitCode.ok;
  if (outcome.kind === 'aborted') return ExitCode.aborted;
  // Every straggler was unknown only because the API kept failing: that is an API failure.
  if (outcome.stragglers.length > 0 && outcome.stragglers.every((s) => s.reason.startsWith('errors:'))) {
    return ExitCode.api;
  }
  return ExitCode.notReady;
};
