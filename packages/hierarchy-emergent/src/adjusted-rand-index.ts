const pairs = (n: number): number => (n * (n - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie 1985) of two labelings of the same items: 1 for identical
 * partitions (up to renaming labels), about 0 for independent ones, can be negative.
 * From the contingency table n_ij (items with label i in A and j in B), with row sums a_i,
 * column sums b_j and N items:
 *   index = sum_ij C(n_ij, 2), expected = sum_i C(a_i, 2) * sum_j C(b_j, 2) / C(N, 2),
 *   max = (sum_i C(a_i, 2) + sum_j C(b_j, 2)) / 2, ARI = (index - expected) / (max - expected).
 * max = expected only when both partitions are the same trivial one (every item alone, or all in
 * one block; or fewer than two items): the index is 0/0 there, undefined, and this returns NaN
 * (ariUndefinedReason says which), never a 1 that would read as "perfectly stable".
 */
export function adjustedRandIndex(
  labelsA: readonly (number | string)[],
  labelsB: readonly (number | string)[],
): number {
  if (labelsA.length !== labelsB.length) {
    throw new Error(`adjustedRandIndex: labelings have different lengths (${labelsA.length} vs ${labelsB.length})`);
  }
  const cells = new Map<string, number>();
  const rows = new Map<number | string, number>();
  const columns = new Map<number | string, number>();
  const bump = <K>(map: Map<K, number>, key: K): void => void map.set(key, (map.get(key) ?? 0) + 1);
  labelsA.forEach((a, i) => {
    const b = labelsB[i];
    bump(cells, JSON.stringify([a, b]));
    bump(rows, a);
    bump(columns, b);
  });
  const sumPairs = (map: Map<unknown, number>): number => [...map.values()].reduce((s, n) => s + pairs(n), 0);
  const index = sumPairs(cells);
  const rowPairs = sumPairs(rows);
  const columnPairs = sumPairs(columns);
  const total = pairs(labelsA.length);
  const expected = total === 0 ? 0 : (rowPairs * columnPairs) / total;
  const max = (rowPairs + columnPairs) / 2;
  return max === expected ? Number.NaN : (index - expected) / (max - expected);
}

/**
 * Why adjustedRandIndex of these labelings is undefined (NaN): "fewer than two items", "no
 * groups" (no two items share a label, on either side) or "one group of everything" (all items
 * share one label, on both sides); undefined when the index is a number.
 */
export function ariUndefinedReason(
  labelsA: readonly (number | string)[],
  labelsB: readonly (number | string)[],
): string | undefined {
  if (!Number.isNaN(adjustedRandIndex(labelsA, labelsB))) return undefined;
  if (labelsA.length < 2) return 'fewer than two items';
  return new Set(labelsA).size === labelsA.length ? 'no groups' : 'one group of everything';
}
