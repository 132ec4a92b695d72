import type { EcsClient } from '@cloud-assistant-gate/core';
import { COMMANDS, type Command, parseCliArgs } from './args.js';
import { connect } from './connect.js';
import { commandContext, openStreams, type RunCliOptions } from './context.js';
import { reportFailure } from './error-report.js';
import { ExitCode } from './errors.js';
import { helpText } from './help.js';
import { collectIds } from './ids.js';
import { runDryRun } from './remediation.js';
import { colorEnabled } from './render.js';
import { runStatus } from './status-command.js';
import { version } from './version.js';
import { runWait } from './wait-command.js';
import { planWait } from './wait-options.js';
import { reportAborted } from './wait-report.js';

export type { RunCliOptions } from './context.js';

/*
 * The CLI, file by file: `args.ts` and `options.ts` read the command line (`help.ts` prints it),
 * `ids.ts` the instance IDs, `connect.ts` finds credentials and regions and makes the clients;
 * then one command runs: `wait-command.ts` (with `wait-options.ts`, flags → the engine's options,
 * and `wait-report.ts`, how a wait ended), `status-command.ts` (with `read-statuses.ts`), or the
 * dry run in `remediation.ts`. `exit-code.ts` decides every exit code, `json-report.ts` every
 * `--json` document, `error-report.ts` what a failure says. Only `bin.ts` touches the process.
 */

/**
 * Runs `cloud-assistant-gate` with everything injected and returns the exit code; never calls
 * `process.exit` nor touches `process`. See `--help` for the commands, flags and exit codes.
 *
 * @example
 * const code = await runCli({ argv: ['wait', 'i-abc'], env: process.env, stdout: process.stdout, stderr: process.stderr });
 */
export const runCli = async (options: RunCliOptions): Promise<number> => {
  const streams = openStreams(options);
  const failureOutput = {
    stdout: streams.stdout,
    stderr: streams.stderr,
    color: colorEnabled(streams.tty.stderr, options.env),
  };

  let parsed: ReturnType<typeof parseCliArgs>;
  try {
    parsed = parseCliArgs(options.argv, options.env);
  } catch (error) {
    // The command is known even when a flag is not: the JSON report should say which one failed.
    const command = options.argv.find((a): a is Command => (COMMANDS as readonly string[]).includes(a));
    return reportFailure(error, { ...failureOutput, json: options.argv.includes('--json'), command });
  }
  if (parsed.kind === 'help') {
    streams.stdout.write(helpText());
    return ExitCode.ok;
  }
  if (parsed.kind === 'version') {
    streams.stdout.write(`${version()}\n`);
    return ExitCode.ok;
  }
  const { settings } = parsed;
  const ctx = commandContext(options, streams, settings);

  let clients: EcsClient[] = [];
  try {
    const ids = await collectIds({
      args: settings.idArgs,
      files: settings.idsFiles,
      stdin: options.stdin,
      openFile: options.openFile,
      signal: options.signal,
    });
    // A combination of flags the wait cannot run with is a usage error (exit 2): said before the
    // credentials chain is walked (it may ask the metadata service) and any client is made.
    if (settings.command === 'wait' && !settings.dryRun) planWait(settings, ids);
    clients = (await connect(settings, ids, options.env, options.clientOptions, options.signal)).clients;
    if (settings.command === 'status') return await runStatus(ctx, clients, ids);
    return settings.dryRun ? await runDryRun(ctx, clients, ids) : await runWait(ctx, clients, ids);
  } catch (error) {
    if (options.signal?.aborted) return reportAborted(ctx);
    return reportFailure(error, {
      ...failureOutput,
      json: settings.json,
      command: settings.command,
      clients,
    });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
};
