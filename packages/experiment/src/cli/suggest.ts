// "Did you mean ...?" for misspelt flags and config keys (edit distance by fastest-levenshtein).
import { distance } from 'fastest-levenshtein';

/**
 * The candidate closest to `word`, or undefined when none is close enough to be a plausible
 * typo (more than a third of the word, at least 2 edits, differs) and none contains it.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const edits = distance(word.toLowerCase(), candidate.toLowerCase());
    if (edits < bestDistance) {
      best = candidate;
      bestDistance = edits;
    }
  }
  if (best === undefined) return undefined;
  if (bestDistance <= Math.max(2, Math.floor(word.length / 3))) return best;
  const lower = word.toLowerCase();
  if (lower.length >= 3) return candidates.find((candidate) => candidate.toLowerCase().includes(lower));
  return undefined;
}
