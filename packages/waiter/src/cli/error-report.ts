import type { EcsClient } from '@cloud-assistant-gate/core';
import { printable } from '@cloud-assistant-gate/core';
import {
  isRemediationError,
  isSourceUnreachableError,
  isStatusSourceError,
  isWaiterError,
  type WaitOutcomeError,
} from '../errors.js';
import type { Command } from './args.js';
import { CliUsageError, ExitCode, isCliUsageError } from './errors.js';
import { apiCodeOf, exitCodeForError, rootCodeOf } from './exit-code.js';
import { fixForApiCode } from './hints.js';
import { toJsonReport } from './json-report.js';
import { makeStyle, type TextSink } from './render.js';
import { inFlagTerms } from './wait-options.js';

/** Where a failure is reported, and what the run knew when it failed. */
export interface FailureOutput {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly json: boolean;
  /** Undefined when the command line named none. */
  readonly command: Command | undefined;
  readonly color: boolean;
  /** The clients the run had made, if it got that far. */
  readonly clients?: readonly EcsClient[] | undefined;
}

/**
 * Reports an error that ended the run, on stderr (and as the JSON report with `--json`), and
 * returns its exit code: one sentence to act on, the fix for a known API code, and, when the
 * error still accounts for every instance, which were ready.
 */
export const reportFailure = (error: unknown, out: FailureOutput): number => {
  const exitCode = exitCodeForError(error);
  const apiCode = apiCodeOf(error);
  const clients = out.clients !== undefined && out.clients.length > 0 ? out.clients : undefined;
  const endpoints = [...new Set(clients?.map((c) => c.endpoint))];
  // A denied remediation already names the permission to grant (InstallCloudAssistant or
  // RebootInstances); the generic hint would name the polling permission instead.
  const fix = isRemediationError(error)
    ? undefined
    : fixForApiCode(apiCode, {
        region: clients?.map((c) => c.region).join(' or '),
        endpoint: endpoints.length === 1 ? endpoints[0] : undefined,
      });
  // Messages quote the API (Message, an error page's excerpt) and files: printable only.
  const message = printable(describeError(error) + (fix === undefined ? '' : `\n${fix}`), true);
  const style = makeStyle(out.color);
  out.stderr.write(`${style.red('Error:')} ${message}\n`);
  // A failure during a wait still accounts for every instance: say which were ready, unless the
  // list would only repeat the error for each one (nothing ready, every reason the same error).
  const fatal = accountedFailure(error);
  if (
    fatal !== undefined &&
    (fatal.ready.length > 0 || fatal.pending.some((p) => !p.reason.startsWith('errors:')))
  ) {
    const shown = fatal.pending
      .slice(0, 3)
      .map((p) => `${p.instanceId} (${printable(p.reason)})`)
      .join(', ');
    const more = fatal.pending.length > 3 ? ` and ${fatal.pending.length - 3} more` : '';
    out.stderr.write(
      `${fatal.ready.length}/${fatal.ready.length + fatal.pending.length} ready when it failed; not ready: ${shown}${more}.\n`,
    );
  }
  if (isCliUsageError(error) && error.code === 'CLI_USAGE' && !message.includes('--help')) {
    out.stderr.write('Run with --help for usage.\n');
  }
  if (out.json) {
    out.stdout.write(
      toJsonReport({
        kind: 'error',
        command: out.command,
        exitCode,
        where: clients,
        tally:
          fatal === undefined
            ? undefined
            : {
                total: fatal.ready.length + fatal.pending.length,
                required: fatal.required,
                readyCount: fatal.ready.length,
                elapsedMs: fatal.elapsedMs,
                rounds: fatal.rounds,
                apiCalls: fatal.apiCalls,
                ready: fatal.ready,
                notReady: fatal.pending.map((p) => ({ instanceId: p.instanceId, reason: p.reason })),
              },
        error: {
          code: reportCode(error),
          apiCode,
          unreachable: isSourceUnreachableError(error)
            ? {
                lastErrorCode: error.lastErrorCode,
                lastErrorCauseCode: error.lastErrorCauseCode,
                endpoint: error.endpoint,
                regions: error.regions.length > 1 ? error.regions : undefined,
              }
            : undefined,
          message,
        },
      }),
    );
  }
  return exitCode;
};

/** A waiter error that still accounts for every instance (not the timeout or quorum, shown as outcomes). */
const accountedFailure = (error: unknown): WaitOutcomeError | undefined =>
  (isStatusSourceError(error) || isSourceUnreachableError(error) || isRemediationError(error)) &&
  error.pending.length > 0
    ? error
    : undefined;

/** The stable code of the JSON report's `error`: ours for CLI and waiter errors, else the root cause's. */
const reportCode = (error: unknown): string => {
  if (isCliUsageError(error)) return error.code;
  if (isSourceUnreachableError(error)) return error.code;
  return rootCodeOf(error) ?? 'ERROR';
};

/**
 * One or two sentences for a person: the error's message, plus its cause's when the error
 * wraps one (the waiter's StatusSourceError names the API code; core's message says more).
 * A usage error already says what to fix in CLI terms, so its cause is not repeated; the
 * credentials error keeps its multi-line list of every place that was looked in.
 */
export const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  const code = rootCodeOf(error);
  const exit = exitCodeForError(error);
  // Waiter messages name options; a CLI user knows the flags that set them.
  let text = isWaiterError(error) ? inFlagTerms(error) : error.message;
  if (isSourceUnreachableError(error))
    text = text.replace('check the endpoint and region', 'check --endpoint and --region');
  if (
    !(error instanceof CliUsageError) &&
    cause instanceof Error &&
    cause.message !== '' &&
    !text.includes(cause.message)
  ) {
    // The string to sign ECS echoes in SignatureDoesNotMatch is a field of core's error, not text.
    const short = cause.message.trim();
    text += ` Cause: ${code === 'ECS_CREDENTIALS' ? short : short.split('\n')[0]}`;
  }
  if (
    exit === ExitCode.credentials &&
    code === 'ECS_CREDENTIALS' &&
    /No Alibaba Cloud credentials found/.test(text)
  ) {
    text += `${text.includes('\n') ? '\n' : ' '}Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or pick a --profile.`;
  }
  return text;
};
