import type { Hierarchy, HierarchyLevel, TokenId } from './hierarchy';

/** Nesting list sanity: positive integers, strictly increasing. */
function checkWidths(widths: readonly number[]): void {
  if (widths.length === 0) throw new Error('validateHierarchy: the nesting list (widths) is empty');
  widths.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1)
      throw new Error(`validateHierarchy: widths[${i}] = ${w} is not a positive integer`);
    if (i > 0 && w <= widths[i - 1]) {
      throw new Error(`validateHierarchy: widths must be strictly increasing, got ${JSON.stringify(widths)}`);
    }
  });
}

/**
 * The groups of one level as token ids (group order and member order as in the file).
 * Throws on a non-string token, a token not in the vocabulary, an empty group, or a token in two
 * groups of the level (FIX of the original, which let the last group silently win: we reject).
 */
export function groupsOfLevel(level: HierarchyLevel, vocabulary: readonly string[], index?: number): TokenId[][] {
  const where = index === undefined ? `level of width ${level.width}` : `levels[${index}] (width ${level.width})`;
  const idOf = new Map<string, TokenId>();
  vocabulary.forEach((token, id) => idOf.set(token, id));
  const owner = new Map<TokenId, string>();
  return Object.entries(level.groups).map(([name, members]) => {
    if (!Array.isArray(members) || members.length === 0) {
      throw new Error(`empty group "${name}" in ${where}: a group needs at least one token`);
    }
    return members.map((token: unknown, i) => {
      if (typeof token !== 'string') {
        throw new Error(`group "${name}" in ${where}: token #${i} is ${JSON.stringify(token)}, not a string`);
      }
      const id = idOf.get(token);
      if (id === undefined) {
        if ([...token].length > 1) {
          throw new Error(
            `multi-character token ${JSON.stringify(token)} in group "${name}" of ${where} is not in the vocabulary ` +
              `(list each vocabulary entry as its own string, e.g. ${JSON.stringify([...token][0])})`,
          );
        }
        throw new Error(`unknown token ${JSON.stringify(token)} in group "${name}" of ${where}: not in the vocabulary`);
      }
      const previous = owner.get(id);
      if (previous !== undefined) {
        const both = previous === name ? `twice in group "${name}"` : `in both groups "${previous}" and "${name}"`;
        throw new Error(
          `token ${JSON.stringify(token)} appears ${both} of ${where}; a token may belong to one group per level`,
        );
      }
      owner.set(id, name);
      return id;
    });
  });
}

/**
 * Check a hierarchy against a vocabulary and a nesting list (docs/EXPERIMENTS.md, "Hierarchy files and validation").
 * Levels must sit at widths of the list, strictly increasing, below the full (last) width, and
 * there can be at most `widths.length - 1` of them. Throws one clear error for the first problem.
 */
export function validateHierarchy(
  hierarchy: Hierarchy,
  vocabulary: readonly string[],
  widths: readonly number[],
): void {
  checkWidths(widths);
  const fullWidth = widths[widths.length - 1];
  const name = `hierarchy "${hierarchy.name}"`;
  if (hierarchy.levels.length > widths.length - 1) {
    throw new Error(
      `${name} has ${hierarchy.levels.length} group levels but the nesting list ${JSON.stringify(widths)} has ` +
        `${widths.length} widths, so at most ${widths.length - 1} levels (the full width ${fullWidth} is always the identity)`,
    );
  }
  hierarchy.levels.forEach((level, i) => {
    if (level.width === fullWidth) {
      throw new Error(
        `${name}: levels[${i}] is at the full width ${fullWidth}, which always predicts the token itself`,
      );
    }
    if (!widths.includes(level.width)) {
      throw new Error(
        `${name}: levels[${i}] has width ${level.width}, which is not in the nesting list ${JSON.stringify(widths)}`,
      );
    }
    if (i > 0 && level.width <= hierarchy.levels[i - 1].width) {
      throw new Error(
        `${name}: level widths must be strictly increasing, but levels[${i}] has width ${level.width} after ${hierarchy.levels[i - 1].width}`,
      );
    }
    groupsOfLevel(level, vocabulary, i);
  });
}
