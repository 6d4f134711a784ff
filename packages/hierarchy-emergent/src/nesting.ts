import { sortGroups } from './cut-tree';

/**
 * Make a wider level's groups nest inside the narrower level's groups (docs/EXPERIMENTS.md,
 * "Nesting and stability": a true hierarchy, coarse groups at small widths refined at larger widths).
 *
 * Rule: each wide group G is split along the narrow level's partition into the pieces G ∩ P for
 * every narrow group P. Tokens of G that are ungrouped at the narrow level become ungrouped here
 * too (they lie in no narrow group, so no group containing them could nest). Pieces smaller than
 * minGroupSize become ungrouped, as after any cut. Every result is a subset of exactly one P.
 */
export function nestWithin(
  groups: readonly (readonly number[])[],
  narrowerGroups: readonly (readonly number[])[],
  minGroupSize: number,
): number[][] {
  const parentOf = new Map<number, number>();
  narrowerGroups.forEach((group, p) => group.forEach((id) => parentOf.set(id, p)));
  const pieces: number[][] = [];
  for (const group of groups) {
    const byParent = new Map<number, number[]>();
    for (const id of group) {
      const parent = parentOf.get(id);
      if (parent === undefined) continue;
      const piece = byParent.get(parent) ?? [];
      piece.push(id);
      byParent.set(parent, piece);
    }
    pieces.push(...byParent.values());
  }
  return sortGroups(pieces.filter((piece) => piece.length >= minGroupSize));
}
