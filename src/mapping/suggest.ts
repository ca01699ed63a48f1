// "Did you mean …?" for config keys and values: the nearest candidate by edit distance (at most
// 2) or by prefix, so a typo points the user at the word they meant.

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(current[j - 1]! + 1, previous[j]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `input`: edit distance ≤ 2 (and less than the input's own length, so
 * "x" does not suggest "a"), or one being a prefix of the other. Case is ignored when comparing.
 * Returns undefined when nothing is close enough.
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const hay = candidate.toLowerCase();
    const distance = editDistance(needle, hay);
    let score = Number.POSITIVE_INFINITY;
    if (distance <= 2 && distance < needle.length) score = distance;
    // A prefix match (e.g. "request" for "requestTypes") ranks after every close typo.
    else if (needle.length >= 3 && (hay.startsWith(needle) || needle.startsWith(hay))) score = 3;
    if (score < (best?.score ?? Number.POSITIVE_INFINITY)) best = { candidate, score };
  }
  return best?.candidate;
}
