/**
 * Types for the part of ml-hclust 4 we use. The package ships its own types, but only behind its
 * "exports" map, which the workspace's `moduleResolution: node` cannot see; this declaration
 * mirrors lib/agnes.d.ts and lib/cluster.d.ts of ml-hclust 4.0.0 (its methods: our LINKAGES).
 */
declare module 'ml-hclust' {
  export interface AgnesOptions {
    method?: import('./cluster-options').Linkage;
    isDistanceMatrix?: boolean;
  }

  export class Cluster {
    children: Cluster[];
    height: number;
    size: number;
    index: number;
    isLeaf: boolean;
  }

  export function agnes(data: number[][], options?: AgnesOptions): Cluster;
}
