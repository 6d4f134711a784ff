/**
 * Dendrogram input types and the data prep that turns a cluster tree into line segments.
 *
 * Tree shape (structurally compatible with ml-hclust's `Cluster`, which can be passed as is):
 * - a leaf has no children (absent or empty array) and `index` into the labels array;
 * - an internal node has >= 2 `children` and a merge `height`.
 * Leaf heights default to 0.
 */
export interface DendrogramTree {
  children?: DendrogramTree[];
  /** Merge height of an internal node; for leaves usually 0 (the default). */
  height?: number;
  /** Leaves only: index into labels. Ignored on internal nodes (ml-hclust uses -1 there). */
  index?: number;
}

/**
 * A linkage list in SciPy's convention: ids 0..n-1 are the leaves, id n+k is the cluster made by
 * merges[k]. The last merge is the root.
 */
export interface DendrogramMerge {
  left: number;
  right: number;
  height: number;
}

/** One straight line of the drawing, in data units (x: leaf position, y: height). */
export interface Segment {
  x: number;
  y: number;
  x2: number;
  y2: number;
}

export interface DendrogramLayout {
  /** Leaves left to right: label index and x position (0, 1, 2, ...). */
  leaves: { index: number; x: number }[];
  segments: Segment[];
  maxHeight: number;
}

const FN = 'dendrogram';

/** Build the tree from a SciPy-style merge list over `leafCount` leaves. */
export function mergesToTree(merges: DendrogramMerge[], leafCount: number): DendrogramTree {
  if (leafCount === 1 && merges.length === 0) return { index: 0, height: 0 };
  if (merges.length !== leafCount - 1) {
    throw new Error(`${FN}: ${leafCount} leaves need ${leafCount - 1} merges, got ${merges.length}`);
  }
  const nodes = new Map<number, DendrogramTree>();
  for (let i = 0; i < leafCount; i++) nodes.set(i, { index: i, height: 0 });
  merges.forEach((m, k) => {
    const take = (id: number, side: string): DendrogramTree => {
      const node = nodes.get(id);
      if (!Number.isInteger(id) || node === undefined) {
        throw new Error(`${FN}: merges[${k}].${side} = ${id} is not a leaf or an earlier, unmerged cluster`);
      }
      nodes.delete(id); // each cluster is merged exactly once
      return node;
    };
    if (!Number.isFinite(m.height)) throw new Error(`${FN}: merges[${k}].height must be a finite number`);
    const left = take(m.left, 'left');
    const right = take(m.right, 'right');
    nodes.set(leafCount + k, { children: [left, right], height: m.height });
  });
  return nodes.get(leafCount + merges.length - 1) as DendrogramTree;
}

interface Placed {
  x: number;
  y: number;
}

/**
 * Lay the tree out: leaves at x = 0..n-1 in traversal order; an internal node sits at the
 * midpoint of its outermost children. Each internal node with k children gives k vertical
 * segments (child height up to the node's height) and 1 horizontal bar joining them, so a
 * binary tree with n leaves has 3(n-1) segments.
 */
export function layoutDendrogram(tree: DendrogramTree, leafCount: number): DendrogramLayout {
  const leaves: { index: number; x: number }[] = [];
  const segments: Segment[] = [];
  const used = new Set<number>();
  let maxHeight = 0;

  const place = (node: DendrogramTree, path: string): Placed => {
    const children = node.children ?? [];
    const height = node.height ?? 0;
    if (!Number.isFinite(height)) throw new Error(`${FN}: node ${path} has a non-finite height`);
    maxHeight = Math.max(maxHeight, height);
    if (children.length === 0) {
      const index = node.index;
      if (index === undefined || !Number.isInteger(index) || index < 0 || index >= leafCount) {
        throw new Error(`${FN}: leaf ${path} has index ${String(index)}, expected an integer in 0..${leafCount - 1}`);
      }
      if (used.has(index)) throw new Error(`${FN}: leaf index ${index} appears twice (again at ${path})`);
      used.add(index);
      const x = leaves.length;
      leaves.push({ index, x });
      return { x, y: height };
    }
    if (children.length === 1) throw new Error(`${FN}: internal node ${path} has a single child`);
    const placed = children.map((child, i) => place(child, `${path}.children[${i}]`));
    for (const c of placed) segments.push({ x: c.x, y: c.y, x2: c.x, y2: height });
    const xs = placed.map((c) => c.x);
    const left = Math.min(...xs);
    const right = Math.max(...xs);
    segments.push({ x: left, y: height, x2: right, y2: height });
    return { x: (left + right) / 2, y: height };
  };

  place(tree, 'root');
  if (used.size !== leafCount) {
    const missing = [...Array(leafCount).keys()].filter((i) => !used.has(i));
    throw new Error(`${FN}: tree has no leaf for label index(es) ${missing.join(', ')}`);
  }
  return { leaves, segments, maxHeight };
}
