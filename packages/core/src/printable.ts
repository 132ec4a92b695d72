/**
 * Text that came from the network or from files, made safe to print: nothing in it may drive the
 * terminal (set the window title, erase a line, move the cursor, forge a "✔ ready" line) or
 * reorder what the reader sees. Applied whatever the output mode: TTY or not, `NO_COLOR` or not.
 * In core because both CLIs (the gate's and the simulator's) print such text, and core is the
 * package they share.
 */

/**
 * C0 controls (ESC, CR, BEL, backspace, …), DEL, C1 controls (U+0080–U+009F: a UTF-8 terminal
 * may read U+009B as CSI), the bidirectional controls that reorder text (U+061C, U+200E/F,
 * U+202A–U+202E, U+2066–U+2069) and the Unicode line and paragraph separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without `\n`, for multi-line messages. */
const UNSAFE_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw (it escapes C0 itself): DEL, C1, bidi controls, separators. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * `text` with every unsafe character shown as a visible `\uXXXX` escape (so nothing is lost and
 * nothing acts). `multiline`: keep `\n` (a message listing several lines); `\r` is escaped
 * either way, since it rewrites the line it is on.
 *
 * @example
 * printable('1.0\u001b]0;pwned\u0007'); // '1.0\\u001b]0;pwned\\u0007'
 */
export const printable = (text: string, multiline = false): string =>
  text.replace(multiline ? UNSAFE_BUT_NEWLINE : UNSAFE, unicodeEscape);

/**
 * {@link printable} for an optional field.
 *
 * @example
 * printableOrUndefined(status.osType); // undefined stays undefined
 */
export const printableOrUndefined = (text: string | undefined): string | undefined =>
  text === undefined ? undefined : printable(text);

/**
 * One JSON document on one line: `JSON.stringify`, plus `\uXXXX` escapes for what it leaves raw
 * (DEL, C1, bidi controls, U+2028/9). These can only occur inside strings, where the escape
 * means the same character, so the JSON is the same data, still valid, and safe on a terminal.
 *
 * @example
 * process.stdout.write(jsonLine({ ok: true, version: '1.0\u009b2J' })); // {"ok":true,"version":"1.0\\u009b2J"}\n
 */
export const jsonLine = (value: unknown): string =>
  `${JSON.stringify(value).replace(UNSAFE_IN_JSON, unicodeEscape)}\n`;
