import type { EcsClient, EcsClientOptions } from '@cloud-assistant-gate/core';
import type { CliSettings } from './args.js';
import type { ByteSource, OpenFile } from './ids.js';
import { colorEnabled, type TextSink } from './render.js';

/** The process environment, or a test's. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Everything the CLI touches, injected: `bin.ts` passes the process's, tests their own. */
export interface RunCliOptions {
  /** Arguments after the program name. */
  readonly argv: readonly string[];
  readonly env: Env;
  readonly stdin?: ByteSource | undefined;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Whether stdout and stderr are terminals (a boolean means both). @default false */
  readonly isTTY?: boolean | { readonly stdout?: boolean; readonly stderr?: boolean } | undefined;
  /**
   * Terminal width for the progress bar: a number, or a function of the stream that is read at
   * every redraw, so a resized terminal is followed. @default 80
   */
  readonly columns?: number | ((stream: 'stdout' | 'stderr') => number | undefined) | undefined;
  /** Calls `listener` when the terminal of `stream` is resized; returns how to stop. */
  readonly onResize?: ((stream: 'stdout' | 'stderr', listener: () => void) => () => void) | undefined;
  /** Aborting it stops the wait cleanly; the run then returns 130. */
  readonly signal?: AbortSignal | undefined;
  /** Wall clock, for heartbeat ages and elapsed time. @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Test seam for `--ids-file`. */
  readonly openFile?: OpenFile | undefined;
  /** Test seam: extra options for the ECS client (e.g. `credentials`, `retry`). */
  readonly clientOptions?: Partial<EcsClientOptions> | undefined;
}

/** The run's output streams, secrets blanked out, and whether each is a terminal. */
export interface Streams {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  readonly tty: { readonly stdout: boolean; readonly stderr: boolean };
}

/** What a command needs of the world: its settings, where text goes, the clock and the signal. */
export interface Context {
  readonly settings: CliSettings;
  readonly env: Env;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Human text: stdout normally, stderr with `--json` (stdout then holds only the report). */
  readonly human: TextSink;
  /** The human stream is a terminal that can redraw (not `TERM=dumb`). */
  readonly humanTTY: boolean;
  readonly color: boolean;
  readonly columns: number | (() => number | undefined) | undefined;
  readonly onResize: ((listener: () => void) => () => void) | undefined;
  readonly now: () => number;
  readonly signal: AbortSignal | undefined;
}

/**
 * A command (`wait`, `status`, the dry run): runs over the instance entries as given (`i-…` or
 * `region:i-…`) with one client per region, and returns the exit code. What ends the run with
 * an error is thrown, for `runCli` to report.
 */
export type CommandRun = (
  ctx: Context,
  clients: readonly EcsClient[],
  entries: readonly string[],
) => Promise<number>;

/** Environment variables whose values must never be printed, whatever an error message says. */
const SECRET_VARIABLES = [
  'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
  'ALIBABA_CLOUD_SECURITY_TOKEN',
  'ALICLOUD_ACCESS_KEY_SECRET',
  'ALICLOUD_SECURITY_TOKEN',
  'ALIBABA_CLOUD_ACCESS_KEY_Secret',
];

/** A sink that blanks out known secrets: a last line of defence, core already redacts. */
const redacting = (sink: TextSink, secrets: readonly string[]): TextSink => {
  const real = secrets.filter((s) => s.length >= 4);
  if (real.length === 0) return sink;
  return { write: (text: string) => sink.write(real.reduce((t, s) => t.split(s).join('***'), text)) };
};

/** The run's streams: every write passes the secret filter, before anything is parsed. */
export const openStreams = (options: RunCliOptions): Streams => {
  const secrets = SECRET_VARIABLES.map((v) => options.env[v]).filter((v): v is string => v !== undefined);
  return {
    stdout: redacting(options.stdout, secrets),
    stderr: redacting(options.stderr, secrets),
    tty:
      typeof options.isTTY === 'boolean'
        ? { stdout: options.isTTY, stderr: options.isTTY }
        : { stdout: options.isTTY?.stdout === true, stderr: options.isTTY?.stderr === true },
  };
};

/** The context of a command, once the command line is parsed. */
export const commandContext = (options: RunCliOptions, streams: Streams, settings: CliSettings): Context => {
  const humanTTY = settings.json ? streams.tty.stderr : streams.tty.stdout;
  const humanStream = settings.json ? 'stderr' : 'stdout';
  const { columns, onResize } = options;
  return {
    settings,
    env: options.env,
    stdout: streams.stdout,
    stderr: streams.stderr,
    human: settings.json ? streams.stderr : streams.stdout,
    humanTTY: humanTTY && options.env['TERM'] !== 'dumb',
    color: colorEnabled(humanTTY, options.env),
    columns: typeof columns === 'function' ? () => columns(humanStream) : columns,
    onResize: onResize === undefined ? undefined : (listener) => onResize(humanStream, listener),
    now: options.now ?? Date.now,
    signal: options.signal,
  };
};
