#!/usr/bin/env node
/**
 * The `cloud-assistant-gate` executable: the only file that touches `process`. It wires
 * SIGINT/SIGTERM to an AbortController, runs the pure {@link runCli}, and sets
 * `process.exitCode` instead of calling `process.exit`, so that buffered output (a large
 * `--json` report into a pipe) is flushed before Node exits.
 */
import { runCli } from './main.js';

const controller = new AbortController();
let signals = 0;
const onSignal = (name: NodeJS.Signals): void => {
  signals += 1;
  if (signals === 1) {
    controller.abort(new Error(`Interrupted by ${name}.`));
    return;
  }
  // A second Ctrl-C means "now": the user no longer wants the clean stop.
  process.stderr.write('\nForced exit.\n');
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const stdinWanted = process.argv.slice(2).some((a) => a === '-' || a === '--ids-file=-');

runCli({
  argv: process.argv.slice(2),
  env: process.env,
  // Only touch stdin when asked to (`-`): opening it would keep an interactive run waiting.
  stdin: stdinWanted ? process.stdin : undefined,
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: { stdout: process.stdout.isTTY === true, stderr: process.stderr.isTTY === true },
  columns: process.stdout.columns || process.stderr.columns || 80,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
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
