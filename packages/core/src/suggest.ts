/**
 * "Did you mean …?" for names a person typed (flags, options): the closest candidate by edit
 * distance, if it is close enough to be a typo. Shared by the CLIs of the waiter and the simulator.
 */

/** Levenshtein distance (insertions, deletions, substitutions), in O(|a|·|b|) time and O(|b|) space. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/**
 * The candidate closest to `name` when it is at most `maxDistance` edits away (a typo), else
 * undefined. Ties go to the earlier candidate.
 *
 * @example closestMatch('--timout'.slice(2), ['timeout', 'region']) // 'timeout'
 */
export function closestMatch(
  name: string,
  candidates: Iterable<string>,
  maxDistance = 2,
): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}
