// Token categories for ordering heat maps (docs/EXPERIMENTS.md, "Analysis"): newline;
// `! . ?`; other symbols; upper vowels; upper consonants; lower vowels; lower consonants.
const VOWELS = new Set('aeiouAEIOU');

/** Category rank of one token in the order of docs/EXPERIMENTS.md, "Analysis" (0 = newline ... 6 = lower consonant). */
export function categoryRank(token: string): number {
  if (token === '\n') return 0;
  if ('!.?'.includes(token)) return 1;
  const isUpper = token !== token.toLowerCase();
  const isLower = token !== token.toUpperCase();
  if (!isUpper && !isLower) return 2; // symbols, digits, spaces
  const vowel = VOWELS.has(token);
  if (isUpper) return vowel ? 3 : 4;
  return vowel ? 5 : 6;
}

/** Token ids sorted by category, then by id (stable). */
export function categoryOrder(vocabulary: readonly string[]): number[] {
  return vocabulary
    .map((token, id) => ({ id, rank: categoryRank(token) }))
    .sort((a, b) => a.rank - b.rank || a.id - b.id)
    .map((e) => e.id);
}
