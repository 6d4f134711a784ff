// ml-hclust's own types sit behind its "exports" map, invisible to `moduleResolution: node`;
// this reference carries our declaration of them to every program that compiles this file
// (including apps importing the package by its source path), which an `import` cannot do.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./ml-hclust.d.ts" />
import { type Cluster, agnes } from 'ml-hclust';
import { type ClusterOptions, type Linkage, resolveClusterOptions } from './cluster-options';
import { cosineDistanceMatrix } from './cosine-distance';
import { cutAtThreshold, cutAutomatically, cutIntoK, dropSmallGroups } from './cut-tree';
import type { DendrogramNode } from './dendrogram';

export interface TokenClustering {
  /** Groups of token ids (members ascending, groups by smallest member); small clusters left out. */
  groups: number[][];
  /** The full agglomerative merge tree. */
  tree: DendrogramNode;
  /** Number of clusters the cut made, before small ones were dropped. */
  clusterCount: number;
}

/** Plain-data copy of an ml-hclust tree (drops its methods, sizes and the -1 index of inner nodes). */
function fromHclust(cluster: Cluster): DendrogramNode {
  if (cluster.isLeaf) return { index: cluster.index, height: 0 };
  if (cluster.children.length !== 2) {
    throw new Error(`expected a binary merge tree, found a node with ${cluster.children.length} children`);
  }
  return { height: cluster.height, children: [fromHclust(cluster.children[0]), fromHclust(cluster.children[1])] };
}

/** Agglomerative merge tree of a precomputed distance matrix (ml-hclust agnes). */
export function buildDendrogram(distances: readonly (readonly number[])[], linkage: Linkage): DendrogramNode {
  if (distances.length === 0) throw new Error('buildDendrogram: empty distance matrix');
  distances.forEach((row, i) => {
    if (row.length !== distances.length) {
      throw new Error(
        `buildDendrogram: distance matrix must be square; row ${i} has ${row.length} entries, expected ${distances.length}`,
      );
    }
  });
  return fromHclust(
    agnes(
      distances.map((row) => [...row]),
      { method: linkage, isDistanceMatrix: true },
    ),
  );
}

/** Cluster tokens given their pairwise distances: build the tree, cut it, drop small groups. */
export function clusterDistances(
  distances: readonly (readonly number[])[],
  options: Partial<ClusterOptions> = {},
): TokenClustering {
  const o = resolveClusterOptions(options);
  const tree = buildDendrogram(distances, o.linkage);
  const clusters =
    o.cut === 'threshold'
      ? cutAtThreshold(tree, o.threshold)
      : o.cut === 'k'
        ? cutIntoK(tree, o.k as number)
        : cutAutomatically(tree, distances, o.maxK).clusters;
  return { groups: dropSmallGroups(clusters, o.minGroupSize), tree, clusterCount: clusters.length };
}

/**
 * docs/EXPERIMENTS.md, "Clustering and cut rules": embeddings (typically the prefixes E[:, :m]) -> cosine distances ->
 * agglomerative clustering (ml-hclust, linkage selectable, average by default) -> cut.
 * Note: 'ward'/'centroid'/'median' assume Euclidean geometry; on cosine distances they are heuristics.
 */
export function clusterTokens(
  vectors: readonly (readonly number[])[],
  options: Partial<ClusterOptions> = {},
): TokenClustering {
  return clusterDistances(cosineDistanceMatrix(vectors), options);
}
