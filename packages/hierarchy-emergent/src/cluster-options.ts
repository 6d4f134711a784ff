/** Linkage rules of ml-hclust's agnes (aliases included: upgma = average, wpgma, upgmc = centroid, wpgmc = median). */
export const LINKAGES = [
  'single',
  'complete',
  'average',
  'upgma',
  'wpgma',
  'median',
  'wpgmc',
  'centroid',
  'upgmc',
  'ward',
  'ward2',
] as const;
export type Linkage = (typeof LINKAGES)[number];

/**
 * How the tree is cut into groups:
 * - 'threshold': the clusters whose merge height is <= threshold (cosine distance);
 * - 'k': exactly k clusters (split the highest merges first);
 * - 'auto': the k in 2..maxK whose clusters have the best mean silhouette.
 */
export const CUT_METHODS = ['threshold', 'k', 'auto'] as const;
export type CutMethod = (typeof CUT_METHODS)[number];

export interface ClusterOptions {
  /** Cosine-distance cut for cut = 'threshold' (0.1 = similarity >= 0.9, as the original DBSCAN eps). */
  threshold: number;
  /** Clusters with fewer tokens become ungrouped tokens (any cut). */
  minGroupSize: number;
  linkage: Linkage;
  cut: CutMethod;
  /** Number of clusters for cut = 'k' (required then). */
  k?: number;
  /** Largest k tried by cut = 'auto'. */
  maxK: number;
}

/** The defaults of docs/EXPERIMENTS.md, "Clustering and cut rules" (threshold 0.1, min 3 tokens, average linkage): the one source of truth. */
export const DEFAULT_CLUSTER_OPTIONS: Readonly<ClusterOptions> = Object.freeze({
  threshold: 0.1,
  minGroupSize: 3,
  linkage: 'average',
  cut: 'threshold',
  maxK: 10,
});

/** Defaults filled in and every field checked, with an error naming the bad option. */
export function resolveClusterOptions(options: Partial<ClusterOptions> = {}): ClusterOptions {
  const resolved: ClusterOptions = { ...DEFAULT_CLUSTER_OPTIONS, ...options };
  const { threshold, minGroupSize, linkage, cut, k, maxK } = resolved;
  if (!(LINKAGES as readonly string[]).includes(linkage)) {
    throw new Error(`unknown linkage "${linkage}"; expected one of ${LINKAGES.join(', ')}`);
  }
  if (!(CUT_METHODS as readonly string[]).includes(cut)) {
    throw new Error(`unknown cut "${cut}"; expected one of ${CUT_METHODS.join(', ')}`);
  }
  if (!Number.isFinite(threshold) || threshold < 0)
    throw new Error(`threshold must be a number >= 0, got ${threshold}`);
  if (!Number.isInteger(minGroupSize) || minGroupSize < 1) {
    throw new Error(`minGroupSize must be a positive integer, got ${minGroupSize}`);
  }
  if (cut === 'k' && (k === undefined || !Number.isInteger(k) || k < 1)) {
    throw new Error(`cut "k" needs k, a positive integer number of groups; got ${k}`);
  }
  if (!Number.isInteger(maxK) || maxK < 2) throw new Error(`maxK must be an integer >= 2, got ${maxK}`);
  return resolved;
}
