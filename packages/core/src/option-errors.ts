/**
 * The errors of the option checker (`options.ts`), one shape for every option a function of the
 * workspace refuses: a caller branches on `code` and reads the option from `option`, and a CLI
 * says the same thing in its own terms (`--timeout` for `timeoutMs`) with `messageWith()`, instead
 * of rewriting message text with regular expressions.
 *
 * Which class: a value of the wrong type (a string where a number goes, a number where a function
 * goes) is an {@link OptionTypeError}; a value of the right type that is not allowed (out of range,
 * not a whole number, not one of the choices, malformed) is an {@link OptionRangeError}, as
 * ECMAScript's own option checks (`Intl`) do; a key nobody reads is an {@link UnknownOptionError}.
 */

/**
 * How a reader names options: a CLI returns the flag that sets one (`timeoutMs` → `--timeout`),
 * or `undefined` for an option it has no way to set (a clause offering that option is then left
 * out of the message, and the option itself is named as written).
 */
export type OptionNames = (option: string) => string | undefined;

/**
 * Writes an option error's message. `name` names an option for the reader (as written when the
 * reader has no other name); `settable` is `undefined` for an option the reader cannot set, so a
 * message offers it only where it can be used (`or set allowInsecureHttp: true`).
 */
export type OptionMessage = (
  name: (option: string) => string,
  settable: (option: string) => string | undefined,
) => string;

/** The stable codes of the option errors. */
export type OptionErrorCode = 'ERR_INVALID_OPTION' | 'ERR_UNKNOWN_OPTION';

const asWritten: OptionNames = (option) => option;

function render(message: OptionMessage, names: OptionNames): string {
  return message((option) => names(option) ?? option, names);
}

/** An option of the wrong type, e.g. `timeoutMs: '10m'`. */
export class OptionTypeError extends TypeError {
  override readonly name = 'OptionTypeError';
  readonly code = 'ERR_INVALID_OPTION';
  /** The option, as a dotted path when nested: `retry.maxAttempts`, `readiness.consecutive`. */
  readonly option: string;
  readonly #message: OptionMessage;

  constructor(option: string, message: OptionMessage) {
    super(render(message, asWritten));
    this.option = option;
    this.#message = message;
  }

  /** The message with the options named as `names` says (a CLI: its flags). */
  messageWith(names: OptionNames): string {
    return render(this.#message, names);
  }
}

/** An option of the right type with a value that is not allowed, e.g. `timeoutMs: -1`. */
export class OptionRangeError extends RangeError {
  override readonly name = 'OptionRangeError';
  readonly code = 'ERR_INVALID_OPTION';
  /** The option, as a dotted path when nested: `retry.maxAttempts`, `readiness.consecutive`. */
  readonly option: string;
  readonly #message: OptionMessage;

  constructor(option: string, message: OptionMessage) {
    super(render(message, asWritten));
    this.option = option;
    this.#message = message;
  }

  /** The message with the options named as `names` says (a CLI: its flags). */
  messageWith(names: OptionNames): string {
    return render(this.#message, names);
  }
}

/**
 * An option bag held a key the function does not read (`{ timeout: 5000 }`, meant: `timeoutMs`).
 * A `TypeError`, with the key as `option` and the closest valid key, if any, as `suggestion`.
 */
export class UnknownOptionError extends TypeError {
  override readonly name = 'UnknownOptionError';
  readonly code = 'ERR_UNKNOWN_OPTION';
  /** The unknown key, with its path when nested (`readiness.consecutiv`). */
  readonly option: string;
  /** The closest valid key, when one is close enough to be a likely typo. */
  readonly suggestion: string | undefined;
  /** The function or option object the key was given to. */
  readonly where: string;
  readonly #allowed: readonly string[];

  constructor(option: string, suggestion: string | undefined, where: string, allowed: readonly string[]) {
    super(unknownMessage(option, suggestion, where, allowed, (o) => o));
    this.option = option;
    this.suggestion = suggestion;
    this.where = where;
    this.#allowed = allowed;
  }

  /** The message with the options named as `names` says. */
  messageWith(names: OptionNames): string {
    return unknownMessage(this.option, this.suggestion, this.where, this.#allowed, (o) => names(o) ?? o);
  }
}

function unknownMessage(
  option: string,
  suggestion: string | undefined,
  where: string,
  allowed: readonly string[],
  name: (option: string) => string,
): string {
  const hint =
    suggestion === undefined
      ? `; valid options are ${allowed.map((k) => `\`${name(k)}\``).join(', ')}`
      : `; did you mean \`${name(suggestion)}\`?`;
  return `Unknown option \`${name(option)}\` for ${where}${hint}`;
}

/** Any error of the option checker. */
export type OptionError = OptionTypeError | OptionRangeError | UnknownOptionError;

/**
 * Whether `error` is an option error (checked by `code`, so an error from another copy of this
 * package counts too): `option` names the option, `messageWith()` says it in other terms.
 *
 * @example
 * try {
 *   createEcsClient({ region: 'cn-hangzhou', timeoutMs: -1 });
 * } catch (error) {
 *   if (isOptionError(error)) console.error(`bad option ${error.option}: ${error.message}`);
 * }
 */
export function isOptionError(error: unknown): error is OptionError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, option, messageWith } = error as Partial<OptionTypeError> & { code?: unknown };
  return (
    (code === 'ERR_INVALID_OPTION' || code === 'ERR_UNKNOWN_OPTION') &&
    typeof option === 'string' &&
    typeof messageWith === 'function'
  );
}
