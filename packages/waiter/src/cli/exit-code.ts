import { categoryOf, type ErrorCategory } from '@cloud-assistant-gate/core';
import { ExitCode, isCliUsageError } from './errors.js';
import { isRegionRefused } from './hints.js';
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
 * The category core gave the error (see `ErrorCategory`), or the first one along its causes: the
 * waiter wraps a fatal source error (StatusSourceError, RemediationError) and keeps it as cause.
 */
export const categoryAlong = (error: unknown): ErrorCategory | undefined => {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const category = categoryOf(current);
    if (category !== undefined) return category;
    current = fields(current).cause;
  }
  return undefined;
};

/** The exit code of each error category core decides: identity and rights are 3, the rest 4. */
const EXIT_CODE_OF_CATEGORY: Readonly<Record<ErrorCategory, ExitCode>> = {
  auth: ExitCode.credentials,
  'bad-request': ExitCode.api,
  'not-found': ExitCode.api,
  throttled: ExitCode.api,
  transient: ExitCode.api,
  other: ExitCode.api,
};

/**
 * The exit code for an error that ended a run (timeouts and aborts are decided by the caller,
 * which knows the outcome): 2 for usage and bad input (a region ECS refuses is input too), 3 for
 * credentials, signature and permission (core's `auth` category), 4 for the rest of what the API
 * or network did.
 */
export const exitCodeForError = (error: unknown): ExitCode => {
  if (isCliUsageError(error)) return ExitCode.usage;
  const code = fields(error).code;
  if (code === 'WAITER_TIMEOUT' || code === 'WAITER_QUORUM_UNREACHABLE' || code === 'CLI_TIMEOUT')
    return ExitCode.notReady;
  if (code === 'WAITER_INVALID_INSTANCE_ID') return ExitCode.usage;
  // Among bad requests, only the region is something the user typed: the rest (a page size, a
  // parameter) is ours or the API's, so an API failure.
  if (isRegionRefused(apiCodeOf(error))) return ExitCode.usage;
  const category = categoryAlong(error);
  return category === undefined ? ExitCode.api : EXIT_CODE_OF_CATEGORY[category];
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
