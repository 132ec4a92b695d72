import { CliUsageError, quote } from './errors.js';

/**
 * The longest duration we accept: Node's timers overflow above 2^31 - 1 ms (about 24.8 days),
 * and a readiness gate that waits longer than that is a mistake anyway.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];

// One `<number><unit>` group; `ms` before `m` and `s` so that `500ms` is not read as 500 minutes.
const GROUP = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/y;
const BARE_NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

const HINT = 'use a number with a unit, e.g. 500ms, 90s, 10m, 1h30m (a bare number means seconds)';

/**
 * Parses a human duration into milliseconds.
 *
 * Grammar: one or more `<number><unit>` groups with units `h`, `m`, `s`, `ms` in that order,
 * each at most once (`1h30m`, `2m30s`, `1.5s`, `500ms`), or a bare non-negative number, which
 * means **seconds** (as in `sleep 5` and `timeout 5`). Surrounding whitespace is ignored; units
 * are lower case. The result is rounded to whole milliseconds and must be at most
 * {@link MAX_DURATION_MS}.
 *
 * @param text what the user typed
 * @param name the flag or environment variable it came from, for the error message
 * @throws CliUsageError naming `name` and the value, and only that
 * @example parseDuration('1h30m', '--timeout') // 5_400_000
 */
export const parseDuration = (text: string, name: string): number => {
  const input = text.trim();
  if (input === '') throw new CliUsageError(`${name} needs a duration; ${HINT}.`);
  if (/^-\.?\d/.test(input)) {
    throw new CliUsageError(`${name}: ${quote(text)} is negative; a duration is zero or more, e.g. 5s.`);
  }
  let ms: number;
  if (BARE_NUMBER.test(input)) {
    ms = Number(input) * 1000;
  } else {
    ms = 0;
    let last = -1;
    GROUP.lastIndex = 0;
    while (GROUP.lastIndex < input.length) {
      const at = GROUP.lastIndex;
      const match = GROUP.exec(input);
      if (match === null) {
        GROUP.lastIndex = 0;
        throw new CliUsageError(`${name}: ${quote(text)} is not a duration; ${HINT}.`);
      }
      const unit = match[2] as Unit;
      const rank = UNIT_ORDER.indexOf(unit);
      if (rank <= last) {
        GROUP.lastIndex = 0;
        throw new CliUsageError(
          `${name}: ${quote(text)} repeats or misorders a unit at ${quote(input.slice(at))}; write units largest first, each once (e.g. 1h30m).`,
        );
      }
      last = rank;
      ms += Number(match[1]) * UNIT_MS[unit];
    }
    GROUP.lastIndex = 0;
  }
  const rounded = Math.round(ms);
  if (!Number.isFinite(ms) || rounded > MAX_DURATION_MS) {
    throw new CliUsageError(
      `${name}: ${quote(text)} is too long; the maximum is ${formatDuration(MAX_DURATION_MS)}.`,
    );
  }
  return rounded;
};

/**
 * Milliseconds as a value of a duration flag, in the largest unit that divides them: `500ms`,
 * `90s`, `10m`, `2h`. Messages about a flag quote it this way (`--timeout 10m`), so the user sees
 * what they would type.
 */
export const formatFlagDuration = (ms: number): string => {
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
};

/**
 * Formats milliseconds for people: `850ms`, `12.3s`, `2m05s`, `1h02m`. Negative values count as 0.
 */
export const formatDuration = (ms: number): string => {
  const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) {
    const s = value / 1000;
    return s < 10 ? `${(Math.floor(s * 10) / 10).toFixed(1)}s` : `${Math.floor(s)}s`;
  }
  const totalS = Math.floor(value / 1000);
  if (value < 3_600_000) return `${Math.floor(totalS / 60)}m${String(totalS % 60).padStart(2, '0')}s`;
  const totalM = Math.floor(totalS / 60);
  return `${Math.floor(totalM / 60)}h${String(totalM % 60).padStart(2, '0')}m`;
};

/** A clock-style elapsed time for progress lines: `0:07`, `12:34`, `1:02:03`. */
export const formatClock = (ms: number): string => {
  const totalS = Math.floor((Number.isFinite(ms) && ms > 0 ? ms : 0) / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = String(totalS % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
};
