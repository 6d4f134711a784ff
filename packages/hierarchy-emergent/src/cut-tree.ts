import { meanSilhouette } from '@matryoshka/hierarchy-imposed';
import { type DendrogramNode, leavesOf } from './dendrogram';

/** Groups in canonical order: members ascending, groups by their smallest member. */
export function sortGroups(groups: readonly (readonly number[])[]): number[][] {
  return groups.map((g) => [...g].sort((a, b) => a - b)).sort((a, b) => a[0] - b[0]);
}

/**
 * The maximal subtrees whose merge height is <= threshold: each is one cluster (all tokens covered).
 * Descends from the root, so with a non-monotone linkage (centroid, median) a subtree is taken whole
 * once its own merge is low enough, as ml-hclust's Cluster.cut does.
 */
export function cutAtThreshold(tree: DendrogramNode, threshold: number): number[][] {
  const clusters: number[][] = [];
  const visit = (node: DendrogramNode): void => {
    if (!node.children || node.height <= threshold) clusters.push(leavesOf(node));
    else node.children.forEach(visit);
  };
  visit(tree);
  return sortGroups(clusters);
}

/**
 * Exactly k clusters covering all tokens: starting from the root, repeatedly split the cluster
 * with the highest merge (the earliest tie in visiting order wins), like cutting a dendrogram
 * at a height that crosses k branches.
 */
export function cutIntoK(tree: DendrogramNode, k: number): number[][] {
  const n = leavesOf(tree).length;
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new Error(`cannot cut ${n} tokens into k = ${k} groups (need 1 <= k <= ${n})`);
  const frontier: DendrogramNode[] = [tree];
  while (frontier.length < k) {
    let highest = -1;
    frontier.forEach((node, i) => {
      if (node.children && (highest < 0 || node.height > frontier[highest].height)) highest = i;
    });
    const [left, right] = frontier[highest].children as [DendrogramNode, DendrogramNode];
    frontier.splice(highest, 1, left, right);
  }
  return sortGroups(frontier.map(leavesOf));
}

/**
 * The k in 2..min(maxK, n - 1) whose k-cut has the best mean silhouette under `distances`
 * (singleton clusters count as silhouette 0); ties go to the smaller k.
 */
export function cutAutomatically(
  tree: DendrogramNode,
  distances: readonly (readonly number[])[],
  maxK: number,
): { clusters: number[][]; k: number; silhouette: number } {
  const n = distances.length;
  const largestK = Math.min(maxK, n - 1);
  if (largestK < 2) throw new Error(`the automatic cut needs at least 3 tokens (it compares k = 2..n-1), got ${n}`);
  let best = { clusters: [] as number[][], k: 0, silhouette: -Infinity };
  for (let k = 2; k <= largestK; k++) {
    const clusters = cutIntoK(tree, k);
    const silhouette = meanSilhouette(distances, clusters);
    if (silhouette > best.silhouette) best = { clusters, k, silhouette };
  }
  return best;
}

/** Drop clusters smaller than minGroupSize: their tokens become ungrouped (keep one-hot targets). */
export function dropSmallGroups(clusters: readonly (readonly number[])[], minGroupSize: number): number[][] {
  return sortGroups(clusters.filter((c) => c.length >= minGroupSize));
}
