/**
 * Checking option bags: the one place that refuses keys nobody reads, so a typo such as
 * `{ timeout: 5000 }` (meant: `timeoutMs`) is an error naming the key and the closest valid one,
 * not a silent default. Every public entry point of the workspace (core's `createEcsClient`, the
 * waiter's `waitForCloudAssistant`/`watchCloudAssistant`, the simulator's `startEcsSimulator`)
 * calls {@link checkOptionKeys}; the CLI and the region check use the same distance.
 */

/**
 * An option bag held a key the function does not read. A `TypeError` (like every other option
 * error), with the key as `option` and the suggestion, if any, as `suggestion`.
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

  constructor(option: string, suggestion: string | undefined, where: string, allowed: readonly string[]) {
    const hint =
      suggestion === undefined
        ? `; valid options are ${allowed.map((k) => `\`${k}\``).join(', ')}`
        : `; did you mean \`${suggestion}\`?`;
    super(`Unknown option \`${option}\` for ${where}${hint}`);
    this.option = option;
    this.suggestion = suggestion;
    this.where = where;
  }
}

/** Levenshtein distance (insertions, deletions, substitutions), for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(above + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely typo: the same name in
 * another case, a name that holds the other (`timeout` → `timeoutMs`, `regionId` → `region`,
 * `sessionManager` → `requireSessionManager`), or one within `maxDistance` edits (default: a third of the name's
 * length, at least 2). Ties go to the longer common prefix, then to the candidate listed first.
 */
export function closestMatch(
  name: string,
  candidates: Iterable<string>,
  maxDistance = Math.max(2, Math.floor(name.length / 3)),
): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  let bestPrefix = -1;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    let score: number;
    if (c === lower) score = 0;
    else if (Math.min(lower.length, c.length) >= 4 && (c.includes(lower) || lower.includes(c))) {
      // One holds the other (a missing or an extra unit, prefix or suffix): as good as one edit.
      score = 1;
    } else {
      const d = editDistance(lower, c);
      if (d > maxDistance) continue;
      score = d;
    }
    // Ties go to the longer common prefix (`sped` → `speed`, not `seed`), then to the first listed.
    const prefix = commonPrefix(lower, c);
    if (score < bestScore || (score === bestScore && prefix > bestPrefix)) {
      bestScore = score;
      bestPrefix = prefix;
      best = candidate;
    }
  }
  return best;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
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
