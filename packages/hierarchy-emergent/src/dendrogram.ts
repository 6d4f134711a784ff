/**
 * A binary merge tree. Leaves carry `index` (a token id) and height 0; an internal node carries
 * the linkage distance at which its two children merged. Structurally what viz draws.
 */
export interface DendrogramNode {
  index?: number;
  height: number;
  children?: [DendrogramNode, DendrogramNode];
}

/** Token ids under a node, ascending. */
export function leavesOf(node: DendrogramNode): number[] {
  const out: number[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const n = stack.pop() as DendrogramNode;
    if (n.children) stack.push(...n.children);
    else if (n.index !== undefined) out.push(n.index);
  }
  return out.sort((a, b) => a - b);
}
