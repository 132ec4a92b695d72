import { constants, createReadStream, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { INSTANCE_ID_PATTERN } from '../ids.js';
import { isInstanceRef } from '../targets.js';
import { CliUsageError, quote } from './errors.js';

/*
 * What counts as an ID is the library's rule (`INSTANCE_ID_PATTERN`, `isInstanceRef`): a prefix and
 * lower-case letters and digits, nothing else, optionally after `region:`. Being this strict is
 * what keeps `i-abc&Action=DeleteInstance` or a stray quote from ever reaching a request; upper
 * case is refused (with a hint) because ECS matches IDs exactly, so `I-ABC` would never be found.
 */

/** The longest line we buffer while looking for its end; real lines are about 25 bytes. */
export const MAX_LINE_BYTES = 64 * 1024;

/** How many bad entries one error message lists before it says "and N more". */
const MAX_LISTED = 10;

const NEWLINE = 0x0a;
const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Collects instance IDs from several sources (arguments, files, stdin) in order, without
 * duplicates, and the bad entries with where they were, so one error can list them all.
 */
export class IdCollector {
  readonly #ids = new Set<string>();
  readonly #problems: string[] = [];
  #problemCount = 0;
  /** Inside a JSON list (`terraform output -json`) that started on an earlier line of this source. */
  #inJsonList = false;

  /** Starts a new source (an argument, a file, stdin): a JSON list does not carry over. */
  beginSource(): void {
    this.#inJsonList = false;
  }

  /** Ends a source: a JSON list left open is a bad entry (a truncated file, a lost bracket). */
  endSource(name: string): void {
    if (this.#inJsonList) this.#problem(`${name}: the JSON list is not closed with ]`);
    this.#inJsonList = false;
  }

  /** The IDs so far, deduplicated, in the order first seen. */
  get ids(): string[] {
    return [...this.#ids];
  }

  get size(): number {
    return this.#ids.size;
  }

  /**
   * Adds the IDs on one line of text: whitespace-separated, `#` starts a comment, a trailing
   * `\r` (CRLF files) and a byte order mark are ignored.
   * @returns how many tokens the line held
   */
  addLine(line: string, where: string | (() => string)): number {
    // Fast path: the common "one ID per line" file.
    if (!this.#inJsonList && INSTANCE_ID_PATTERN.test(line)) {
      this.#ids.add(line);
      return 1;
    }
    if (this.#inJsonList || /^\s*\[/.test(line)) return this.#addJsonLine(line, where);
    const hash = line.indexOf('#');
    const content = hash === -1 ? line : line.slice(0, hash);
    let count = 0;
    // `\s` covers \r, tabs, Unicode spaces and U+FEFF (a BOM).
    for (const token of content.split(/\s+/)) {
      if (token === '') continue;
      count += 1;
      if (isInstanceRef(token)) this.#ids.add(token);
      else {
        const at = typeof where === 'string' ? where : where();
        this.#problem(`${at}: ${quote(token)} is not an instance ID${hintFor(token)}`);
      }
    }
    return count;
  }

  /**
   * One line of a JSON list of ID strings, as `terraform output -json` prints it, compact
   * (`["i-a","i-b"]`) or pretty (`[`, `  "i-a",`, `  "i-b"`, `]`). Only quoted IDs, commas and the
   * brackets are allowed; anything else is a bad entry.
   */
  #addJsonLine(line: string, where: string | (() => string)): number {
    let content = line.trim();
    if (!this.#inJsonList) {
      content = content.slice(1); // the opening bracket
      this.#inJsonList = true;
    }
    if (content.endsWith(']')) {
      content = content.slice(0, -1);
      this.#inJsonList = false;
    }
    let count = 0;
    for (const piece of content.split(',')) {
      const token = piece.trim();
      if (token === '') continue;
      count += 1;
      const id = /^"([^"\\]*)"$/.exec(token)?.[1];
      if (id !== undefined && INSTANCE_ID_PATTERN.test(id)) this.#ids.add(id);
      else {
        const at = typeof where === 'string' ? where : where();
        const hint = id === undefined ? hintFor(token) : hintFor(id);
        this.#problem(
          `${at}: ${quote(token)} is not an instance ID${hint || '; a JSON list holds quoted IDs: ["i-abc", "i-def"]'}`,
        );
      }
    }
    return count;
  }

  /** Records a problem that is not about one token (bad encoding, overlong line). */
  addProblem(message: string): void {
    this.#problem(message);
  }

  /** Throws one {@link CliUsageError} listing the bad entries, if there were any. */
  throwIfProblems(): void {
    if (this.#problemCount === 0) return;
    const more = this.#problemCount - this.#problems.length;
    const lines = this.#problems.map((p) => `  ${p}`);
    if (more > 0) lines.push(`  … and ${more} more`);
    const head =
      this.#problemCount === 1
        ? 'Bad instance ID input (expected i-… or mi-… followed by lower-case letters and digits):'
        : `${this.#problemCount} bad instance ID entries (expected i-… or mi-… followed by lower-case letters and digits):`;
    throw new CliUsageError(`${head}\n${lines.join('\n')}`, { code: 'CLI_BAD_INPUT' });
  }

  #problem(message: string): void {
    this.#problemCount += 1;
    if (this.#problems.length < MAX_LISTED) this.#problems.push(message);
  }
}

const hintFor = (token: string): string => {
  const lower = token.toLowerCase();
  if (isInstanceRef(lower)) return `; instance IDs are lower-case: did you mean ${lower}?`;
  if (token.includes(',')) return '; separate IDs with spaces or new lines, not commas';
  if (/^["']/.test(token)) return '; write bare IDs, or a JSON list such as ["i-abc", "i-def"]';
  if (token.startsWith('{'))
    return "; a JSON object is not a list of IDs: try terraform output -json NAME | jq -r '.[]'";
  // After the JSON forms: `{"ids":` has a colon too, but is no attempt at region:id.
  if (token.includes(':')) return '; an ID with its region is written region:id, e.g. cn-beijing:i-2ze…';
  if (token.includes('*')) return '; that is a masked placeholder, not a real ID';
  return '';
};

/**
 * Adds the IDs from command-line arguments. An argument may hold several IDs separated by
 * whitespace (a quoted `"$IDS"`), so arguments and files follow the same rules.
 */
export const addIdArguments = (collector: IdCollector, args: readonly string[]): void => {
  args.forEach((arg, index) => {
    collector.beginSource();
    for (const line of arg.split('\n')) collector.addLine(line, `argument ${index + 1}`);
    collector.endSource(`argument ${index + 1}`);
  });
};

/** Anything we can read bytes from: a Node stream (stdin, a file) or a test's async iterable. */
export type ByteSource = AsyncIterable<Uint8Array | string>;

/**
 * Reads IDs from a stream of bytes, streaming: memory stays bounded by the number of distinct
 * IDs, not the size of the input, and a million-line file takes well under a second.
 *
 * Bytes must be UTF-8 (a leading BOM is skipped); invalid UTF-8, a UTF-16 file, a line longer
 * than {@link MAX_LINE_BYTES} and every bad token are reported with `name:line`.
 *
 * @param name how to call the source in messages: a file path or `stdin`
 * @returns how many IDs (not necessarily distinct) the source held
 */
export const readIdStream = async (
  collector: IdCollector,
  source: ByteSource,
  name: string,
  signal?: AbortSignal,
): Promise<number> => {
  collector.beginSource();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let pending: Uint8Array = new Uint8Array(0);
  let lineNo = 0;
  let tokens = 0;
  let first = true;

  const takeLines = (bytes: Uint8Array, final: boolean): void => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      // Find the line that is not UTF-8, so the message can point at it.
      let start = 0;
      let n = lineNo;
      while (start <= bytes.length) {
        let end = bytes.indexOf(NEWLINE, start);
        if (end === -1) end = bytes.length;
        n += 1;
        try {
          decoder.decode(bytes.subarray(start, end));
        } catch {
          throw new CliUsageError(`${name}:${n}: the text is not valid UTF-8; save the file as UTF-8.`, {
            code: 'CLI_BAD_INPUT',
          });
        }
        start = end + 1;
      }
      throw new CliUsageError(`${name}: the text is not valid UTF-8; save the file as UTF-8.`, {
        code: 'CLI_BAD_INPUT',
      });
    }
    const lines = text.split('\n');
    // `bytes` ends just after a newline unless this is the end of the input.
    if (!final) lines.pop();
    for (let line of lines) {
      lineNo += 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') continue;
      // The location is built only for a bad line: a million template strings cost real time.
      const n = lineNo;
      tokens += collector.addLine(line, () => `${name}:${n}`);
    }
  };

  for await (const chunk of abortable(source, signal)) {
    let bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (first && bytes.length > 0) {
      first = false;
      if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
        throw new CliUsageError(`${name}: the text is UTF-16; save the file as UTF-8.`, {
          code: 'CLI_BAD_INPUT',
        });
      }
      if (bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2])
        bytes = bytes.subarray(3);
    }
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      pending = concat(pending, bytes);
      if (pending.length > MAX_LINE_BYTES) {
        throw new CliUsageError(
          `${name}:${lineNo + 1}: the line is longer than ${MAX_LINE_BYTES} bytes; put one ID per line.`,
          { code: 'CLI_BAD_INPUT' },
        );
      }
      continue;
    }
    takeLines(concat(pending, bytes.subarray(0, lastNewline + 1)), false);
    pending = bytes.slice(lastNewline + 1);
  }
  if (pending.length > 0) takeLines(pending, true);
  collector.endSource(name);
  return tokens;
};

/**
 * Iterates `source` until `signal` aborts: then the pending read is abandoned with the signal's
 * reason and the stream destroyed, so a stdin that never ends (`sleep 100 | … -`) cannot keep
 * a Ctrl-C waiting. Stopping early for any reason (a bad line, an abort) closes the source.
 */
async function* abortable(
  source: ByteSource,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array | string> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted =
    signal === undefined
      ? undefined
      : new Promise<never>((_, reject) => {
          onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
        });
  aborted?.catch(() => undefined);
  let done = false;
  try {
    signal?.throwIfAborted();
    while (true) {
      const next =
        aborted === undefined ? await iterator.next() : await Promise.race([iterator.next(), aborted]);
      if (next.done === true) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    if (!done) {
      // A Node stream: destroy it at once (its iterator's return() may wait for the pending read).
      const destroy = (source as { destroy?: unknown }).destroy;
      if (typeof destroy === 'function') destroy.call(source);
      // Not awaited: an async generator's return() queues behind a read that never settles.
      iterator.return?.()?.catch(() => undefined);
    }
  }
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
};

/** Opens a file for {@link readIdStream}; a seam so tests need no files. */
export type OpenFile = (path: string) => ByteSource;

/**
 * Opens `--ids-file` so that no read can hold the process: a regular file is streamed; a FIFO
 * (`mkfifo`, `<(…)`, `/dev/stdin` on a pipe) is opened non-blocking and read through the event
 * loop as a pipe, so it waits for its writer without occupying a thread, and an abort (SIGINT,
 * SIGTERM) destroys it at once. A blocking `open` of a FIFO with no writer would otherwise sit in
 * libuv's thread pool, where no abort reaches it and even `process.exit` waits for it. A device
 * (a terminal, /dev/zero, /dev/urandom) or a socket is refused.
 */
export const openFileStream: OpenFile = (path) => {
  const stat = statSync(path);
  if (stat.isFIFO()) {
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    return new Socket({ fd, readable: true, writable: false });
  }
  if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  if (!stat.isFile()) {
    throw new CliUsageError(
      `--ids-file ${quote(path)}: is ${stat.isSocket() ? 'a socket' : 'a device'}, not a file or a pipe; ` +
        'give a file, or pipe the IDs into - (stdin).',
      { code: 'CLI_BAD_INPUT' },
    );
  }
  return createReadStream(path, { highWaterMark: 1 << 20 });
};

/** Where to read IDs from: arguments, `--ids-file` paths and `-` (stdin) in either. */
export interface IdInput {
  readonly args: readonly string[];
  readonly files: readonly string[];
  readonly stdin?: ByteSource | undefined;
  readonly openFile?: OpenFile | undefined;
  /** Aborting it stops reading (stdin or a file that never ends) and rejects with its reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Gathers every ID from arguments, files and stdin (an argument or file named `-`), validates
 * them all, and returns them deduplicated in order.
 *
 * @throws CliUsageError listing every bad entry with its file and line; naming a file (or stdin)
 *   that holds no IDs at all; or naming a file that cannot be read
 */
export const collectIds = async (input: IdInput): Promise<string[]> => {
  const collector = new IdCollector();
  const literal = input.args.filter((a) => a !== '-');
  const wantsStdin = input.args.includes('-') || input.files.includes('-');
  addIdArguments(collector, literal);
  const open = input.openFile ?? openFileStream;
  const sources: { name: string; source: () => ByteSource }[] = [];
  for (const file of input.files) {
    if (file !== '-') sources.push({ name: file, source: () => open(file) });
  }
  if (wantsStdin) {
    const stdin = input.stdin;
    if (stdin === undefined)
      throw new CliUsageError('IDs were to be read from stdin (-), but there is no stdin.');
    sources.push({ name: 'stdin', source: () => stdin });
  }
  for (const { name, source } of sources) {
    let count: number;
    try {
      count = await readIdStream(collector, source(), name, input.signal);
    } catch (error) {
      if (error instanceof CliUsageError || input.signal?.aborted) throw error;
      throw new CliUsageError(`--ids-file ${quote(name)}: ${describeFsError(error)}.`, {
        code: 'CLI_BAD_INPUT',
        cause: error,
      });
    }
    if (count === 0) {
      collector.throwIfProblems();
      throw new CliUsageError(`${name} contains no instance IDs.`, { code: 'CLI_BAD_INPUT' });
    }
  }
  collector.throwIfProblems();
  return collector.ids;
};

const describeFsError = (error: unknown): string => {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return typeof code === 'string' ? `cannot read it (${code})` : 'cannot read it';
  }
};
