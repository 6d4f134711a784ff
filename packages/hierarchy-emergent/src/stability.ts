import { type Hierarchy, type HierarchyLevel, groupsOfLevel } from '@matryoshka/hierarchy-imposed';
import { adjustedRandIndex, ariUndefinedReason } from './adjusted-rand-index';

/**
 * One label per token of the vocabulary: its group's index, or, for a token in no group, a label
 * of its own (ungrouped tokens count as singletons, so "both ungrouped" is not "same group").
 */
export function labelsOfLevel(level: HierarchyLevel | undefined, vocabulary: readonly string[]): string[] {
  const labels = vocabulary.map((_, id) => `ungrouped-${id}`);
  if (level) groupsOfLevel(level, vocabulary).forEach((group, g) => group.forEach((id) => (labels[id] = `group-${g}`)));
  return labels;
}

/** The ARI of two clusterings' groups at one width, and why it is undefined where it is. */
export interface LevelAgreement {
  /** NaN where undefined: both clusterings found no groups at this width, or both one group of every token. */
  ari: number;
  /** Why `ari` is NaN (ariUndefinedReason: "no groups", "one group of everything"). */
  undefinedBecause?: string;
}

/**
 * How alike the groups of two clusterings are: ARI per width, with why it is undefined where it
 * is, for every width that has a level in either hierarchy (a width missing from one counts as
 * all tokens ungrouped there).
 */
export function hierarchyAgreement(
  a: Hierarchy,
  b: Hierarchy,
  vocabulary: readonly string[],
): Record<number, LevelAgreement> {
  const widths = [...new Set([...a.levels, ...b.levels].map((l) => l.width))].sort((x, y) => x - y);
  const result: Record<number, LevelAgreement> = {};
  for (const width of widths) {
    const [labelsA, labelsB] = [a, b].map((h) =>
      labelsOfLevel(
        h.levels.find((l) => l.width === width),
        vocabulary,
      ),
    );
    const undefinedBecause = ariUndefinedReason(labelsA, labelsB);
    result[width] = { ari: adjustedRandIndex(labelsA, labelsB), ...(undefinedBecause ? { undefinedBecause } : {}) };
  }
  return result;
}

/**
 * How much the groups moved between two clusterings: hierarchyAgreement's ARI per width (NaN
 * where undefined, e.g. neither clustering found groups at that width).
 */
export function hierarchyStability(
  prev: Hierarchy,
  next: Hierarchy,
  vocabulary: readonly string[],
): Record<number, number> {
  return Object.fromEntries(
    Object.entries(hierarchyAgreement(prev, next, vocabulary)).map(([width, { ari }]) => [width, ari]),
  );
}
