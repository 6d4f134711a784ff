// The heat maps' token order by a hierarchy's groups (docs/EXPERIMENTS.md, "Analysis"); within a
// group and after the groups, tokens go by the tokenizer's category order (categoryOrder).
import type { Hierarchy } from '@matryoshka/hierarchy-imposed';
import { categoryOrder } from '@matryoshka/tokenizer';

/**
 * The order that shows a hierarchy level's groups as blocks: the tokens of each group in group
 * order (each group internally by category), then the ungrouped tokens by category; with the
 * size of each group's block (the ungrouped tokens follow the last block).
 */
export function groupBlocks(
  vocabulary: readonly string[],
  groups: readonly (readonly string[])[],
): { order: number[]; sizes: number[] } {
  const idOf = new Map(vocabulary.map((t, i) => [t, i]));
  const byCategory = categoryOrder(vocabulary);
  const rank = new Map(byCategory.map((id, pos) => [id, pos]));
  const seen = new Set<number>();
  const order: number[] = [];
  const sizes: number[] = [];
  for (const group of groups) {
    const ids = group.map((t) => {
      const id = idOf.get(t);
      if (id === undefined) throw new Error(`groupBlocks: token ${JSON.stringify(t)} is not in the vocabulary`);
      return id;
    });
    ids.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const before = order.length;
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      order.push(id);
    }
    if (order.length > before) sizes.push(order.length - before);
  }
  for (const id of byCategory) if (!seen.has(id)) order.push(id);
  return { order, sizes };
}

/** Groups (token lists) of the hierarchy level whose width is m, or [] if it has none. */
export function groupsAtWidth(hierarchy: Hierarchy | undefined, m: number): string[][] {
  const level = hierarchy?.levels.find((l) => l.width === m);
  return level ? Object.values(level.groups).map((g) => [...g]) : [];
}

/** Rows and columns of a square matrix taken in `order`. */
export function reorder(matrix: readonly (readonly number[])[], order: readonly number[]): number[][] {
  return order.map((i) => order.map((j) => matrix[i][j]));
}
