/**
 * The one option checker of the workspace. Core's `createEcsClient`, the waiter's
 * `waitForCloudAssistant`/`watchCloudAssistant` and the simulator's `startEcsSimulator` check their
 * option bags with these functions, so every refused option reads the same way
 * (`Expected timeoutMs to be between 1 and 2147483647 ms, got -1.`), is an
 * {@link OptionTypeError} or {@link OptionRangeError} with the option's dotted path in `option`,
 * and can be said in a CLI's terms with `messageWith()`.
 *
 * Each check returns the value it accepted (typed), or its `default` when the value is
 * `undefined` and a default is given; `undefined` without a default is refused like any other
 * value. `null` is a value, never "not given".
 *
 * This module is the `@cloud-assistant-gate/core/options` entry point: for the workspace's own
 * packages and for anyone wrapping them who wants the same errors.
 */
import { closestMatch } from './closest-match.js';
import {
  type OptionMessage,
  OptionRangeError,
  OptionTypeError,
  UnknownOptionError,
} from './option-errors.js';

export { closestMatch, editDistance } from './closest-match.js';
export type { OptionError, OptionErrorCode, OptionMessage, OptionNames } from './option-errors.js';
export { isOptionError, OptionRangeError, OptionTypeError, UnknownOptionError } from './option-errors.js';

/**
 * The longest delay a Node timer holds: above 2^31 − 1 ms it warns (TimeoutOverflowWarning) and
 * fires after 1 ms. Every millisecond option is bounded by it unless it says otherwise.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Longest string shown in a message: an option is not a place for a document. */
const MAX_SHOWN_CHARS = 64;

/**
 * A value as an option error shows it: strings quoted (and cut at 64 characters), numbers and
 * booleans as written, and for anything else what it is (`a function`, `an object`, `an array`).
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value);
  }
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}

/** `Expected <option> to be <what>, got <value>.`, the sentence of every generic check. */
function expectation(option: string, what: string, value: unknown): OptionMessage {
  const got = describeValue(value);
  return (name) => `Expected ${name(option)} to be ${what}, got ${got}.`;
}

/**
 * An {@link OptionTypeError} saying `Expected <option> to be <what>, got <value>.`, for a check
 * of its own (`throw wrongType('client', 'a core EcsClient or a status source function', value)`).
 */
export function wrongType(option: string, what: string, value: unknown): OptionTypeError {
  return new OptionTypeError(option, expectation(option, what, value));
}

/** An {@link OptionRangeError} saying `Expected <option> to be <what>, got <value>.` */
export function outOfRange(option: string, what: string, value: unknown): OptionRangeError {
  return new OptionRangeError(option, expectation(option, what, value));
}

/** The value to check: `value`, or the default when it is `undefined` and there is one. */
function given<T>(value: unknown, spec: { readonly default?: T } | undefined): unknown {
  return value === undefined && spec?.default !== undefined ? spec.default : value;
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isNaN(value);
}

/** What {@link checkMilliseconds} accepts. */
export interface MillisecondsSpec {
  /** @default 0 */
  readonly min?: number;
  /** @default MAX_TIMER_MS (2^31 − 1) */
  readonly max?: number;
  /** Refuse fractions of a millisecond. @default false */
  readonly integer?: boolean;
  /** Returned for `undefined`. */
  readonly default?: number;
}

/**
 * A duration in milliseconds within `[min, max]` (a timer's bound by default).
 *
 * @example
 * checkMilliseconds('timeoutMs', -1, { min: 1 });
 * // OptionRangeError: Expected timeoutMs to be between 1 and 2147483647 ms, got -1.
 */
export function checkMilliseconds(option: string, value: unknown, spec?: MillisecondsSpec): number {
  const v = given(value, spec);
  const min = spec?.min ?? 0;
  const max = spec?.max ?? MAX_TIMER_MS;
  if (!isNumber(v)) throw wrongType(option, 'a number of milliseconds', v);
  if (v < min || v > max) throw outOfRange(option, `between ${min} and ${max} ms`, v);
  if (spec?.integer === true && !Number.isInteger(v)) {
    throw outOfRange(option, 'a whole number of milliseconds', v);
  }
  return v;
}

/** What {@link checkInteger} and {@link checkNumber} accept. */
export interface NumberSpec {
  /** The smallest value allowed. @default no bound */
  readonly min?: number;
  /** The largest value allowed. @default no bound */
  readonly max?: number;
  /** What the message says is expected, when the bounds alone do not say it (`a number ≥ 0.001 (or Infinity for no cap)`). */
  readonly expected?: string;
  /** Returned for `undefined`. */
  readonly default?: number;
}

function rangeText(kind: string, min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `between ${min} and ${max}`;
  if (min !== undefined) return `${kind} ≥ ${min}`;
  if (max !== undefined) return `${kind} ≤ ${max}`;
  return kind;
}

/**
 * A whole number within `[min, max]`.
 *
 * @example
 * checkInteger('concurrency', 500, { min: 1, max: 100 });
 * // OptionRangeError: Expected concurrency to be between 1 and 100, got 500.
 */
export function checkInteger(option: string, value: unknown, spec?: NumberSpec): number {
  const v = given(value, spec);
  if (!isNumber(v)) throw wrongType(option, spec?.expected ?? 'an integer', v);
  if (!Number.isInteger(v)) throw outOfRange(option, spec?.expected ?? 'an integer', v);
  if ((spec?.min !== undefined && v < spec.min) || (spec?.max !== undefined && v > spec.max)) {
    throw outOfRange(option, spec?.expected ?? rangeText('an integer', spec?.min, spec?.max), v);
  }
  return v;
}

/**
 * A number (not NaN) within `[min, max]`; `Infinity` passes when the bounds allow it.
 *
 * @example
 * checkNumber('probability', 1.5, { min: 0, max: 1 });
 * // OptionRangeError: Expected probability to be between 0 and 1, got 1.5.
 */
export function checkNumber(option: string, value: unknown, spec?: NumberSpec): number {
  const v = given(value, spec);
  if (!isNumber(v)) throw wrongType(option, spec?.expected ?? 'a number', v);
  if ((spec?.min !== undefined && v < spec.min) || (spec?.max !== undefined && v > spec.max)) {
    throw outOfRange(option, spec?.expected ?? rangeText('a number', spec?.min, spec?.max), v);
  }
  return v;
}

/** A boolean. */
export function checkBoolean(option: string, value: unknown, spec?: { readonly default?: boolean }): boolean {
  const v = given(value, spec);
  if (typeof v !== 'boolean') throw wrongType(option, 'a boolean', v);
  return v;
}

/** A function (a callback or a test seam such as `now`). */
export function checkFunction<T extends (...args: never[]) => unknown>(
  option: string,
  value: unknown,
  spec?: { readonly default?: T },
): T {
  const v = given(value, spec);
  if (typeof v !== 'function') throw wrongType(option, 'a function', v);
  return v as T;
}

/** A string; `nonEmpty` refuses `''`. `expected` replaces "a string" in the message. */
export function checkString(
  option: string,
  value: unknown,
  spec?: { readonly nonEmpty?: boolean; readonly expected?: string; readonly default?: string },
): string {
  const v = given(value, spec);
  const what = spec?.expected ?? (spec?.nonEmpty === true ? 'a non-empty string' : 'a string');
  if (typeof v !== 'string') throw wrongType(option, what, v);
  if (spec?.nonEmpty === true && v === '') throw outOfRange(option, what, v);
  return v;
}

/** `'a' or 'b'`, `'a', 'b' or 'c'`: the choices as a message lists them. */
function choiceList(choices: readonly unknown[]): string {
  const shown = choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  return shown.length <= 1 ? (shown[0] ?? 'nothing') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/**
 * One of a few values. A value of a type no choice has is an {@link OptionTypeError}, any other
 * value an {@link OptionRangeError}.
 *
 * @example
 * checkOneOf('notFound', 'skip', ['wait', 'fail'], { default: 'wait' });
 * // OptionRangeError: Expected notFound to be 'wait' or 'fail', got "skip".
 */
export function checkOneOf<const C extends readonly (string | number | boolean)[]>(
  option: string,
  value: unknown,
  choices: C,
  spec?: { readonly default?: C[number] },
): C[number] {
  const v = given(value, spec);
  if ((choices as readonly unknown[]).includes(v)) return v as C[number];
  const sameType = choices.some((c) => typeof c === typeof v);
  throw (sameType ? outOfRange : wrongType)(option, choiceList(choices), v);
}

/**
 * An object (not `null`; arrays pass, as `typeof` says). `expected` replaces "an object" in the
 * message (`an object of environment variables`).
 */
export function checkObject(
  option: string,
  value: unknown,
  spec?: { readonly expected?: string },
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) {
    throw wrongType(option, spec?.expected ?? 'an object', value);
  }
  return value as Record<string, unknown>;
}

/**
 * Throws an {@link UnknownOptionError} for the first own key of `options` that is not in
 * `allowed` (keys whose value is `undefined` included: a typo is a typo). `where` names the
 * function or option object in the message (`waitForCloudAssistant`, `options.readiness`);
 * `prefix` is put before the key in `option` for nested objects (`readiness.`).
 *
 * @example
 * checkOptionKeys({ timeout: 5000 }, ['timeoutMs', 'signal'], 'waitForCloudAssistant');
 * // UnknownOptionError: Unknown option `timeout` for waitForCloudAssistant; did you mean `timeoutMs`?
 */
export function checkOptionKeys(
  options: object,
  allowed: readonly string[],
  where: string,
  prefix = '',
): void {
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const suggestion = closestMatch(key, allowed);
    throw new UnknownOptionError(
      `${prefix}${key}`,
      suggestion === undefined ? undefined : `${prefix}${suggestion}`,
      where,
      allowed,
    );
  }
}

/**
 * Lists every key of an options type, checked by the compiler both ways: a key `T` does not have
 * is an error, and so is a key of `T` left out (the error names it as `missing`), so the list
 * given to {@link checkOptionKeys} cannot drift from the interface.
 *
 * @example
 * const KEYS = allKeys<WaitOptions>()(['timeoutMs', 'signal']);
 */
export function allKeys<T>(): <const K extends readonly (keyof T & string)[]>(
  keys: K &
    ([Exclude<keyof T, K[number]>] extends [never]
      ? unknown
      : { readonly missing: Exclude<keyof T, K[number]> }),
) => K {
  return (keys) => keys;
}
