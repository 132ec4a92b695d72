import { printable } from '@cloud-assistant-gate/core';
import { formatClock, formatDuration } from './duration.js';
import { makeStyle, type Style, stripAnsi, type TextSink } from './render.js';

/** One round's progress, in the CLI's own terms (main.ts maps the engine's event to it). */
export interface ProgressView {
  readonly total: number;
  readonly ready: number;
  readonly notFound: number;
  /** How many must be ready to succeed (the quorum; `total` by default). */
  readonly target: number;
  readonly elapsedMs: number;
  readonly round: number;
  readonly nextDelayMs?: number | undefined;
}

/** What one HTTP attempt reported (core's `AttemptEvent`, reduced to what the display needs). */
export interface AttemptView {
  /** The API code (`ServiceUnavailable`) or our error code (`ECS_NETWORK_ERROR`); absent on success. */
  readonly code?: string | undefined;
  /** The low-level code behind a network failure (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`). */
  readonly causeCode?: string | undefined;
  readonly statusCode?: number | undefined;
  /** How long the attempt took (shown for a timeout, which has no other detail). */
  readonly durationMs?: number | undefined;
  /**
   * Where the attempt went (its region's endpoint, with several regions): named next to its
   * error, and a success clears only the error of the same endpoint.
   * @default the renderer's `endpoint`
   */
  readonly endpoint?: string | undefined;
}

/** Everything the progress display needs to know about its surroundings. */
export interface RendererOptions {
  readonly out: TextSink;
  /** A live bar (`\r` redraws) on a terminal; plain lines otherwise. */
  readonly tty: boolean;
  readonly color: boolean;
  /**
   * The terminal's width, read at every redraw (a number for tests): a resized terminal is
   * followed at the next redraw.
   * @default 80
   */
  readonly columns?: number | (() => number | undefined) | undefined;
  /** Show progress at all (`--no-progress` and `--quiet` turn it off). */
  readonly progress: boolean;
  /** Plain mode: print a "still waiting" line after this long without a change. @default 30_000 */
  readonly quietPeriodMs?: number;
  /** Plain mode: at most one line about a new error this often. @default 5_000 */
  readonly errorLineEveryMs?: number;
  /** The wait's deadline, for "time left". */
  readonly timeoutMs?: number | undefined;
  /** Where the calls go, named next to the last error. */
  readonly endpoint?: string | undefined;
}

/**
 * Codes come from the network: control characters become visible escapes (core's `printable`,
 * as everywhere the CLI prints such text), and anything else outside printable ASCII a `?`, so a
 * code never drives the terminal nor takes more columns than its length (the bar is fitted by it).
 */
const safeCode = (code: string): string => printable(code.slice(0, 64)).replace(/[^\x20-\x7e]/g, '?');

/** `ECS_NETWORK_ERROR (ECONNREFUSED)`, `ServiceUnavailable (HTTP 503)`, `ECS_TIMEOUT (no answer in 10s)`. */
export const describeAttemptError = (a: AttemptView): string => {
  const code = safeCode(a.code ?? 'error');
  const detail =
    a.causeCode !== undefined && a.causeCode !== a.code
      ? safeCode(a.causeCode)
      : a.statusCode !== undefined
        ? `HTTP ${a.statusCode}`
        : a.durationMs !== undefined && a.code === 'ECS_TIMEOUT'
          ? `no answer in ${formatDuration(a.durationMs)}`
          : undefined;
  return detail === undefined ? code : `${code} (${detail})`;
};

type PartName = 'ready' | 'need' | 'notFound' | 'error' | 'clock' | 'left';
/** The order of the bar's tail. */
const PART_ORDER: readonly PartName[] = ['ready', 'need', 'notFound', 'error', 'clock', 'left'];
/**
 * How a narrow terminal degrades the tail, one step at a time (a step moves a part to its next
 * shorter form, past the last form it is gone): the endpoint, the time left and the clock go
 * first; the count of ready instances stays longest, then the error.
 */
const DEGRADE: readonly PartName[] = [
  'error', // without the endpoint
  'left',
  'clock',
  'error', // without "last error:"
  'notFound', // "3?"
  'need',
  'error', // the code alone
  'ready', // "370/1000"
  'notFound',
  'error',
];

/**
 * The widest line we draw: three columns short of the terminal, so neither the cursor nor the
 * terminal's own `^C` echo after it ever wraps (a wrapped echo would leave the bar behind).
 */
const fitWidth = (columns: number): number => Math.max(1, columns - 3);

/**
 * Shows progress while waiting. On a terminal: one bar line, redrawn in place (ready/total, the
 * quorum, unknown IDs, elapsed, time left before the deadline, the last API error), fitted to the
 * terminal's current width at every redraw and never wrapped; the lowest-value parts go first
 * when it is narrow. Elsewhere (CI logs): one plain line per change and never an escape code.
 *
 * There is no ETA: boot times are long-tailed, and an extrapolation from the arrival rate was
 * wrong both ways (seconds shown 20 s before a quorum, minutes beyond the deadline). The time
 * left before `--timeout` is exact.
 */
export class ProgressRenderer {
  readonly #o: RendererOptions;
  readonly #style: Style;
  #last: ProgressView | undefined;
  #lastPrintedAtMs = 0;
  /** Plain mode: the counts of the last line printed, so a line is printed only when they change. */
  #printed: { ready: number; notFound: number } | undefined;
  #barShown = false;
  /** Width of the bar line on screen, to clean up after a terminal that re-wrapped it. */
  #barWidth = 0;
  /**
   * The unanswered errors by endpoint, oldest first: a success clears its own endpoint's only, so
   * with several regions one that answers does not hide one that fails. One region: one entry.
   */
  readonly #errors = new Map<string, string>();
  #lastError: string | undefined;
  #lastErrorFrom: string | undefined;
  #printedError: string | undefined;
  #errorPrintedAtMs = Number.NEGATIVE_INFINITY;

  constructor(options: RendererOptions) {
    this.#o = options;
    this.#style = makeStyle(options.color);
  }

  get style(): Style {
    return this.#style;
  }

  /** The last attempt's error, as shown (undefined after a successful attempt to the same endpoint). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** The endpoint the last error came from, when known. */
  get lastErrorFrom(): string | undefined {
    return this.#lastErrorFrom;
  }

  #columns(): number {
    const c = this.#o.columns;
    const value = typeof c === 'function' ? c() : c;
    return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 80;
  }

  /** Shows a bar before the first round has answered, so a slow first call is not silence. */
  start(total: number, target: number): void {
    this.#last = { total, ready: 0, notFound: 0, target, elapsedMs: 0, round: 0 };
    if (this.#o.tty && this.#o.progress) this.#drawBar(0);
  }

  /** Prints a line of text above the bar (or just a line, in plain mode). */
  log(text: string): void {
    this.#clearBar();
    this.#o.out.write(`${text}\n`);
    if (this.#last !== undefined && this.#o.tty && this.#o.progress) this.#drawBar(this.#last.elapsedMs);
  }

  progress(view: ProgressView): void {
    this.#last = view;
    if (!this.#o.progress) return;
    if (this.#o.tty) {
      this.#drawBar(view.elapsedMs);
      return;
    }
    const printed = this.#printed;
    const changed =
      printed === undefined || printed.ready !== view.ready || printed.notFound !== view.notFound;
    const quietFor = view.elapsedMs - this.#lastPrintedAtMs;
    if (!changed && quietFor < (this.#o.quietPeriodMs ?? 30_000)) return;
    const gained = printed === undefined ? 0 : view.ready - printed.ready;
    this.#plainLine(view, view.elapsedMs, gained > 0 ? ` (+${gained})` : '', changed ? '' : 'still waiting');
  }

  /**
   * Every HTTP attempt, as it happens: a failure becomes the "last error" of the display (the bar,
   * or one plain line when it changes), a success clears it.
   */
  attempt(attempt: AttemptView, elapsedMs: number): void {
    const from = attempt.endpoint ?? this.#o.endpoint;
    const key = from ?? '';
    this.#errors.delete(key);
    if (attempt.code !== undefined) this.#errors.set(key, describeAttemptError(attempt));
    let error: string | undefined;
    let errorFrom: string | undefined;
    for (const [k, e] of this.#errors) {
      error = e;
      errorFrom = k === '' ? undefined : k;
    }
    const changed = error !== this.#lastError || errorFrom !== this.#lastErrorFrom;
    this.#lastError = error;
    this.#lastErrorFrom = errorFrom;
    if (!this.#o.progress || this.#last === undefined) return;
    if (this.#o.tty) {
      if (changed) this.#drawBar(elapsedMs);
      return;
    }
    if (
      error !== undefined &&
      error !== this.#printedError &&
      elapsedMs - this.#errorPrintedAtMs >= (this.#o.errorLineEveryMs ?? 5_000)
    ) {
      this.#errorPrintedAtMs = elapsedMs;
      this.#plainLine(this.#last, elapsedMs, '', '');
    }
  }

  #plainLine(view: ProgressView, elapsedMs: number, gained: string, note: string): void {
    this.#lastPrintedAtMs = elapsedMs;
    this.#printed = { ready: view.ready, notFound: view.notFound };
    const parts = [`[${formatClock(elapsedMs)}]`, `${view.ready}/${view.total} ready${gained}`];
    if (view.target < view.total) parts.push(`need ${view.target}`);
    if (view.notFound > 0) parts.push(`${view.notFound} not found`);
    if (note !== '') parts.push(note);
    if (this.#lastError !== undefined) {
      this.#printedError = this.#lastError;
      const where = this.#lastErrorFrom === undefined ? '' : ` from ${this.#lastErrorFrom}`;
      parts.push(`last error: ${this.#lastError}${where}`);
    }
    this.#o.out.write(`${parts.join('  ')}\n`);
  }

  /** Redraws the bar with a fresh elapsed time (TTY only; called about once a second). */
  tick(elapsedMs: number): void {
    if (this.#o.tty && this.#o.progress && this.#last !== undefined) this.#drawBar(elapsedMs);
  }

  /** Removes the bar so that the summary starts on a clean line. */
  close(): void {
    this.#clearBar();
  }

  /** The bar line for the current width, without cursor codes (tested directly). */
  barLine(view: ProgressView, elapsedMs: number): string {
    const s = this.#style;
    const width = fitWidth(this.#columns());
    const left =
      this.#o.timeoutMs === undefined
        ? undefined
        : formatDuration(Math.max(0, this.#o.timeoutMs - elapsedMs));
    const error = this.#lastError;
    const parts: Record<PartName, readonly string[] | undefined> = {
      ready: [`${view.ready}/${view.total} ready`, `${view.ready}/${view.total}`],
      need: view.target < view.total ? [`need ${view.target}`] : undefined,
      notFound: view.notFound > 0 ? [`${view.notFound} not found`, `${view.notFound}?`] : undefined,
      error:
        error === undefined
          ? undefined
          : [
              ...(this.#lastErrorFrom === undefined
                ? []
                : [`last error: ${error} from ${this.#lastErrorFrom}`]),
              `last error: ${error}`,
              error,
              error.replace(/ \(.*\)$/, ''),
            ],
      clock: [formatClock(elapsedMs)],
      left: left === undefined ? undefined : [`${left} left`],
    };
    const form: Record<PartName, number> = { ready: 0, need: 0, notFound: 0, error: 0, clock: 0, left: 0 };
    const paint = (name: PartName, text: string) =>
      name === 'error' ? s.red(text) : name === 'notFound' ? s.yellow(text) : text;
    const tail = () =>
      PART_ORDER.map((name) => {
        const forms = parts[name];
        const i = form[name];
        return forms === undefined || i >= forms.length ? undefined : paint(name, forms[i]!);
      })
        .filter((x) => x !== undefined)
        .join(' · ');
    const visible = (t: string) => stripAnsi(t).length;
    const MIN_BAR = 10;
    // Degrade one step at a time, least useful first, until the tail and a 10-column bar fit.
    for (const name of DEGRADE) {
      if (visible(tail()) + MIN_BAR + 1 <= width) break;
      if (parts[name] !== undefined) form[name]++;
    }
    const text = tail();
    const room = width - visible(text) - 1;
    const barWidth = room >= MIN_BAR ? Math.min(40, room) : room >= 3 ? room : 0;
    if (barWidth === 0) return truncate(text, width);
    const fraction = view.total === 0 ? 1 : view.ready / view.total;
    const filled = Math.round(fraction * barWidth);
    return `${s.green('█'.repeat(filled))}${s.dim('░'.repeat(barWidth - filled))} ${text}`;
  }

  #drawBar(elapsedMs: number): void {
    if (this.#last === undefined) return;
    const line = this.barLine(this.#last, elapsedMs);
    this.#o.out.write(`${this.#eraseBar()}${line}`);
    this.#barShown = true;
    this.#barWidth = stripAnsi(line).length;
  }

  /**
   * Cursor codes that erase the bar: the current line, and the rows above it that a terminal made
   * of it when it narrowed and re-wrapped the old line (tmux, most terminals reflow).
   */
  #eraseBar(): string {
    if (!this.#barShown) return '\r\x1b[2K';
    const rows = Math.ceil(this.#barWidth / this.#columns());
    return rows > 1 ? `\r\x1b[${rows - 1}A\x1b[J` : '\r\x1b[2K';
  }

  #clearBar(): void {
    if (!this.#barShown) return;
    this.#o.out.write(this.#eraseBar());
    this.#barShown = false;
    this.#barWidth = 0;
  }
}

/** Cuts a line to `width` visible characters (colour codes dropped if it has to be cut). */
const truncate = (text: string, width: number): string => {
  const plain = stripAnsi(text);
  if (plain.length <= width) return text;
  return width <= 1 ? plain.slice(0, width) : `${plain.slice(0, width - 1)}…`;
};
