/**
 * Durations on the command line: `500ms`, `90s`, `10m`, `1h30m` (units largest first), or a bare
 * number whose unit depends on the flag. The one grammar of the simulator's flags: `--delivery-window`
 * (bare = seconds, the waiter CLI's rule), `--boot`/`--appear` distributions (bare = milliseconds,
 * as they always were) and `--quota` windows (a unit is required).
 */
const GROUP = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/y;
const BARE = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const ORDER = ['h', 'm', 's', 'ms'];

/**
 * The milliseconds `text` stands for (not rounded), or undefined when it is not a duration.
 * `bareUnitMs` is what a bare number counts (1000: seconds, 1: milliseconds); undefined refuses
 * a bare number.
 */
export function durationMs(text: string, bareUnitMs: number | undefined): number | undefined {
  const input = text.trim();
  if (BARE.test(input)) return bareUnitMs === undefined ? undefined : Number(input) * bareUnitMs;
  if (input === '') return undefined;
  let ms = 0;
  let last = -1;
  GROUP.lastIndex = 0;
  try {
    while (GROUP.lastIndex < input.length) {
      const m = GROUP.exec(input);
      if (m === null) return undefined;
      const rank = ORDER.indexOf(m[2]!);
      if (rank <= last) return undefined;
      last = rank;
      ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    }
  } finally {
    GROUP.lastIndex = 0;
  }
  return ms;
}

/** A duration where a bare number means seconds, in whole ms; a RangeError naming the flag otherwise. */
export function parseDurationMs(text: string, name: string): number {
  const ms = durationMs(text, 1000);
  if (ms === undefined) {
    throw new RangeError(
      `${name}: ${JSON.stringify(text)} is not a duration; use e.g. 500ms, 90s, 2m, 1h30m (a bare number means seconds)`,
    );
  }
  return Math.round(ms);
}
