/**
 * Durations on the command line: `500ms`, `90s`, `10m`, `1h30m`, or a bare number of seconds, the
 * grammar of the waiter's CLI. Throws a RangeError naming the flag.
 */
const GROUP = /(\d+(?:\.\d+)?|\.\d+)(ms|h|m|s)/y;
const BARE = /^(?:\d+(?:\.\d+)?|\.\d+)$/;
const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const ORDER = ['h', 'm', 's', 'ms'];

export function parseDurationMs(text: string, name: string): number {
  const input = text.trim();
  const bad = () =>
    new RangeError(
      `${name}: ${JSON.stringify(text)} is not a duration; use e.g. 500ms, 90s, 2m, 1h30m (a bare number means seconds)`,
    );
  if (BARE.test(input)) return Math.round(Number(input) * 1000);
  if (input === '') throw bad();
  let ms = 0;
  let last = -1;
  GROUP.lastIndex = 0;
  try {
    while (GROUP.lastIndex < input.length) {
      const m = GROUP.exec(input);
      if (m === null) throw bad();
      const rank = ORDER.indexOf(m[2]!);
      if (rank <= last) throw bad();
      last = rank;
      ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    }
  } finally {
    GROUP.lastIndex = 0;
  }
  return Math.round(ms);
}
