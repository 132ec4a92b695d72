/**
 * "Did you mean": the one rule for suggesting the closest name, shared by the option checker
 * (unknown keys), the region check, and both CLIs (unknown flags).
 */

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
