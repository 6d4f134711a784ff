import type { Hierarchy, HierarchyLevel } from './hierarchy';
import { groupsOfLevel, validateHierarchy } from './validate-hierarchy';

/** The `v x v` identity, row-major: plain next-token cross-entropy targets. */
export function identityTargets(vocabularySize: number): Float32Array {
  if (!Number.isInteger(vocabularySize) || vocabularySize < 1) {
    throw new Error(`identityTargets: vocabulary size must be a positive integer, got ${vocabularySize}`);
  }
  const m = new Float32Array(vocabularySize * vocabularySize);
  for (let i = 0; i < vocabularySize; i++) m[i * vocabularySize + i] = 1;
  return m;
}

/**
 * Soft target matrix of one level, `v x v` row-major; row y is the target distribution when the
 * next token is y. docs/EXPERIMENTS.md, "Target matrices": start from the identity; for each group G set the rows
 * of G to 0, then M[G, G] = 1; finally divide every row by its sum.
 */
export function targetMatrix(level: HierarchyLevel, vocabulary: readonly string[]): Float32Array {
  const v = vocabulary.length;
  const m = identityTargets(v);
  for (const group of groupsOfLevel(level, vocabulary)) {
    for (const row of group) m.fill(0, row * v, (row + 1) * v);
    for (const row of group) for (const col of group) m[row * v + col] = 1;
  }
  for (let row = 0; row < v; row++) {
    let sum = 0;
    for (let col = 0; col < v; col++) sum += m[row * v + col];
    for (let col = 0; col < v; col++) m[row * v + col] /= sum;
  }
  return m;
}

/** One target matrix per width of the nesting list: the level's where it has one, else the identity. */
export function targetMatrices(
  hierarchy: Hierarchy,
  vocabulary: readonly string[],
  widths: readonly number[],
): Float32Array[] {
  validateHierarchy(hierarchy, vocabulary, widths);
  return widths.map((width) => {
    const level = hierarchy.levels.find((l) => l.width === width);
    return level ? targetMatrix(level, vocabulary) : identityTargets(vocabulary.length);
  });
}
