import type { TokenId } from './hierarchy';

/**
 * Cosine similarity x.y / (|x| |y|). A zero vector has no direction; we define its similarity to
 * anything as 0 (neither alike nor opposite) rather than returning NaN.
 */
export function cosineSimilarity(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) throw new Error(`cosineSimilarity: lengths differ (${x.length} vs ${y.length})`);
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  return xx === 0 || yy === 0 ? 0 : dot / Math.sqrt(xx * yy);
}

/** Throws unless the groups are disjoint lists of ids in [0, n). */
export function checkGroupIds(groups: readonly (readonly TokenId[])[], n: number, caller: string): void {
  const seen = new Set<number>();
  groups.forEach((group, g) =>
    group.forEach((id) => {
      if (!Number.isInteger(id) || id < 0 || id >= n)
        throw new Error(`${caller}: groups[${g}] holds id ${id}, outside 0..${n - 1}`);
      if (seen.has(id)) throw new Error(`${caller}: token id ${id} is in more than one group (or twice in one)`);
      seen.add(id);
    }),
  );
}

/**
 * Mean silhouette (Rousseeuw 1987) of a grouping under a distance matrix. For each grouped token i:
 * a(i) = mean distance to the other members of its group, b(i) = the smallest mean distance to the
 * members of another group, s(i) = (b - a) / max(a, b) (0 when both are 0); s(i) = 0 for a member
 * of a one-token group. Returns the mean of s over grouped tokens, NaN with fewer than 2 groups.
 * Tokens in no group are ignored entirely.
 */
export function meanSilhouette(
  distances: readonly (readonly number[])[],
  groups: readonly (readonly TokenId[])[],
): number {
  checkGroupIds(groups, distances.length, 'meanSilhouette');
  if (groups.length < 2) return Number.NaN;
  const meanDistance = (i: number, group: readonly TokenId[]): number => {
    let sum = 0;
    let count = 0;
    for (const j of group) {
      if (j === i) continue;
      sum += distances[i][j];
      count++;
    }
    return sum / count;
  };
  let total = 0;
  let count = 0;
  groups.forEach((group, g) => {
    for (const i of group) {
      count++;
      if (group.length === 1) continue;
      const a = meanDistance(i, group);
      let b = Infinity;
      groups.forEach((other, h) => {
        if (h !== g) b = Math.min(b, meanDistance(i, other));
      });
      const scale = Math.max(a, b);
      total += scale === 0 ? 0 : (b - a) / scale;
    }
  });
  return total / count;
}

export interface SeparationScore {
  /** Mean cosine similarity over unordered pairs of distinct tokens in the same group (NaN if none). */
  withinMean: number;
  /** Mean cosine similarity over unordered pairs of tokens in different groups (NaN if none). */
  betweenMean: number;
  /** withinMean - betweenMean: > 0 when the embeddings separate the groups. */
  score: number;
  /** Mean silhouette with cosine distance 1 - cos (see meanSilhouette). */
  silhouette: number;
  /**
   * Set when a field above is NaN (undefined, not a bad score), saying why: "no groups", "one group"
   * (no pairs between groups, no silhouette) or "every group has one token" (no pairs within a group).
   */
  undefinedBecause?: string;
}

/**
 * How well embeddings separate groups (docs/EXPERIMENTS.md, "Separation scores"): cosine similarity of
 * the given vectors (typically the width-m prefixes E[:, :m]), averaged within groups and between
 * groups, plus the mean silhouette under cosine distance. Tokens in no group are ignored.
 */
export function separationScore(
  embeddings: readonly (readonly number[])[],
  groups: readonly (readonly TokenId[])[],
): SeparationScore {
  checkGroupIds(groups, embeddings.length, 'separationScore');
  const groupOf = new Map<TokenId, number>();
  groups.forEach((group, g) => group.forEach((id) => groupOf.set(id, g)));
  const members = [...groupOf.keys()].sort((a, b) => a - b);
  const distances: number[][] = embeddings.map(() => []);
  let within = 0;
  let withinCount = 0;
  let between = 0;
  let betweenCount = 0;
  for (let p = 0; p < members.length; p++) {
    const i = members[p];
    distances[i][i] = 0;
    for (let q = p + 1; q < members.length; q++) {
      const j = members[q];
      const cos = cosineSimilarity(embeddings[i], embeddings[j]);
      distances[i][j] = distances[j][i] = 1 - cos;
      if (groupOf.get(i) === groupOf.get(j)) {
        within += cos;
        withinCount++;
      } else {
        between += cos;
        betweenCount++;
      }
    }
  }
  const withinMean = within / withinCount;
  const betweenMean = between / betweenCount;
  const undefinedBecause =
    groups.length === 0
      ? 'no groups'
      : groups.length === 1
        ? 'one group'
        : withinCount === 0
          ? 'every group has one token'
          : undefined;
  return {
    withinMean,
    betweenMean,
    score: withinMean - betweenMean,
    silhouette: meanSilhouette(distances, groups),
    ...(undefinedBecause === undefined ? {} : { undefinedBecause }),
  };
}
