#!/usr/bin/env node
/**
 * The `cloud-assistant-gate` executable: the only file that touches `process`. It wires
 * SIGINT/SIGTERM to an AbortController, runs the pure {@link runCli}, and sets
 * `process.exitCode` instead of calling `process.exit`, so that buffered output (a large
 * `--json` report into a pipe) is flushed before Node exits.
 *
 * A closed stdout (`status | head -3`) ends the program quietly, as `ls | head` does: no stack
 * trace, nothing more written. If the run had already decided its outcome (the table or report
 * was written), that is the exit code; if the reader went away mid-wait, the wait is stopped and
 * the exit code is 141 (128 + SIGPIPE, what a shell reports for `ls` there), never 0: an
 * unfinished wait must not pass for a ready fleet under `set -o pipefail`.
 */
import { runCli } from './main.js';

/** 128 + SIGPIPE (13): how a shell reports a program killed by a closed pipe. */
const EXIT_CLOSED_PIPE = 141;

const controller = new AbortController();
let signals = 0;
let stdoutClosed = false;
let firstSignalAt = 0;
const onSignal = (name: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    firstSignalAt = Date.now();
    controller.abort(new Error(`Interrupted by ${name}.`));
    return;
  }
  // Under `pnpm exec` or `npx`, one Ctrl-C arrives twice (from the terminal and forwarded by the
  // wrapper, milliseconds apart): that is not the user asking for a forced exit.
  if (Date.now() - firstSignalAt < 300) return;
  // A second Ctrl-C means "now": the user no longer wants the clean stop.
  process.stderr.write('\nForced exit.\n');
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const onStdoutError = (error: NodeJS.ErrnoException): void => {
  if (error.code !== 'EPIPE') throw error;
  stdoutClosed = true;
  controller.abort(new Error('stdout was closed.'));
};
process.stdout.on('error', onStdoutError);
// Writes after the reader left are dropped, not queued against a dead pipe.
const stdout = { write: (text: string) => (stdoutClosed ? true : process.stdout.write(text)) };
// stderr into a closed pipe too (`… 2>&1 | head`): drop what follows, quietly.
let stderrClosed = false;
process.stderr.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  stderrClosed = true;
});
const stderr = { write: (text: string) => (stderrClosed ? true : process.stderr.write(text)) };

const stdinWanted = process.argv.slice(2).some((a) => a === '-' || a === '--ids-file=-');
const streams = { stdout: process.stdout, stderr: process.stderr } as const;

runCli({
  argv: process.argv.slice(2),
  env: process.env,
  // Only touch stdin when asked to (`-`): opening it would keep an interactive run waiting.
  stdin: stdinWanted ? process.stdin : undefined,
  stdout,
  stderr,
  isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  // Read at every redraw: Node updates `columns` on SIGWINCH and emits 'resize'.
  columns: (stream) => streams[stream].columns,
  onResize: (stream, listener) => {
    streams[stream].on('resize', listener);
    return () => streams[stream].off('resize', listener);
  },
  signal: controller.signal,
}).then(
  (code) => {
    // Stopped because the reader left (not by a signal): the conventional closed-pipe code.
    process.exitCode = stdoutClosed && signals === 0 && code === 130 ? EXIT_CLOSED_PIPE : code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
  (error: unknown) => {
    // runCli reports every expected failure itself; this is a bug.
    process.stderr.write(
      `cloud-assistant-gate: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 4;
  },
);
