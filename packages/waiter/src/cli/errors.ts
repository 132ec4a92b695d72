import { jsonLine } from '@cloud-assistant-gate/core';

/**
 * Exit codes of `cloud-assistant-gate`, stable and documented in `--help`.
 * Scripts branch on them, so never renumber one.
 */
export const ExitCode = {
  /** Every instance (or the quorum) is ready; for `status`, the statuses were read. */
  ok: 0,
  /** Timed out, or the quorum can no longer be met; the stragglers are listed. */
  notReady: 1,
  /** Bad command line, bad environment variable or bad ID input. */
  usage: 2,
  /** Credentials missing or broken, signature rejected, or permission denied. */
  credentials: 3,
  /** An API or network failure that the retries could not overcome. */
  api: 4,
  /** Aborted by SIGINT or SIGTERM, after a clean stop. */
  aborted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A problem with what the user typed or fed in (flags, environment, ID files): exit code 2.
 * The message is one sentence that names the flag, variable or file and line at fault.
 */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
  readonly code: 'CLI_USAGE' | 'CLI_BAD_INPUT';
  readonly exitCode = ExitCode.usage;

  constructor(message: string, options?: { code?: 'CLI_USAGE' | 'CLI_BAD_INPUT'; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'CLI_USAGE';
  }
}

/** A command ran out of its `--timeout` before it could finish (for `status`): exit code 1. */
export class CliTimeoutError extends Error {
  override readonly name = 'CliTimeoutError';
  readonly code = 'CLI_TIMEOUT';
  readonly exitCode = ExitCode.notReady;
}

export const isCliUsageError = (error: unknown): error is CliUsageError =>
  error instanceof Error &&
  (error as { code?: unknown }).code !== undefined &&
  error.name === 'CliUsageError';

/**
 * Shows a user-supplied value in a message: quoted, control characters escaped (so that a
 * file cannot smuggle terminal escape sequences into our output), and cut to a readable length.
 */
export const quote = (value: string, max = 60): string => {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return jsonLine(cut).slice(0, -1);
};
