import { type Hierarchy, type HierarchyLevel, groupsOfLevel } from '@matryoshka/hierarchy-imposed';
import { adjustedRandIndex } from './adjusted-rand-index';

/**
 * One label per token of the vocabulary: its group's index, or, for a token in no group, a label
 * of its own (ungrouped tokens count as singletons, so "both ungrouped" is not "same group").
 */
export function labelsOfLevel(level: HierarchyLevel | undefined, vocabulary: readonly string[]): string[] {
  const labels = vocabulary.map((_, id) => `ungrouped-${id}`);
  if (level) groupsOfLevel(level, vocabulary).forEach((group, g) => group.forEach((id) => (labels[id] = `group-${g}`)));
  return labels;
}

/**
 * How much the groups moved between two clusterings: ARI per width, for every width that has a
 * level in either hierarchy (a width missing from one counts as all tokens ungrouped there).
 */
export function hierarchyStability(prev: Hierarchy, next: Hierarchy, vocabulary: readonly string[]): Record<number, number> {
  const widths = [...new Set([...prev.levels, ...next.levels].map((l) => l.width))].sort((a, b) => a - b);
  const result: Record<number, number> = {};
  for (const width of widths) {
    const before = labelsOfLevel(prev.levels.find((l) => l.width === width), vocabulary);
    const after = labelsOfLevel(next.levels.find((l) => l.width === width), vocabulary);
    result[width] = adjustedRandIndex(before, after);
  }
  return result;
}
