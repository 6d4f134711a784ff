import { DendrogramMerge, DendrogramTree, layoutDendrogram, mergesToTree } from './dendrogram-layout';
import { FigureOutput, renderFigure } from './figure';
import { tokenLabel } from './token-label';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export interface DendrogramInput {
  /** Raw tokens (shown through tokenLabel), indexed by the tree's leaf `index`. */
  labels: string[];
  /** Either a SciPy-style merge list or a tree (see DendrogramTree). */
  merges: DendrogramMerge[] | DendrogramTree;
  title: string;
  /** Height at which the tree is cut into clusters; drawn as a dashed horizontal rule. */
  threshold?: number;
  /** Title of the height axis; default "merge height". */
  heightTitle?: string;
}

const FN = 'dendrogram';

/**
 * Vega-Lite spec: the tree as rule marks (layer "branches"), leaf labels as text marks under
 * the leaves (layer "leaves"), and the optional cut as a dashed rule (layer "threshold") labelled
 * "cut at <height>" (layer "thresholdLabel").
 */
export function dendrogramSpec(input: DendrogramInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  const labels = requireNonEmptyArray(FN, 'labels', input.labels).map((token, i) => {
    if (typeof token !== 'string' || token.length === 0)
      throw new Error(`${FN}: labels[${i}] must be a non-empty string`);
    return tokenLabel(token);
  });
  const tree = Array.isArray(input.merges) ? mergesToTree(input.merges, labels.length) : input.merges;
  const layout = layoutDendrogram(tree, labels.length);
  const threshold = input.threshold === undefined ? undefined : requireFinite(FN, 'threshold', input.threshold);
  const top = Math.max(layout.maxHeight, threshold ?? 0) || 1;
  const n = labels.length;
  const longest = Math.max(...labels.map((l) => [...l].length));
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: { domain: [-0.5, n - 0.5], nice: false, zero: false },
    axis: null,
  };
  const y = { field: 'y', type: 'quantitative', scale: { domain: [0, top], nice: true } };

  const layer: Record<string, unknown>[] = [
    {
      name: 'branches',
      data: { values: layout.segments },
      mark: { type: 'rule', color: '#333', strokeWidth: 1.2 },
      encoding: {
        x,
        x2: { field: 'x2' },
        y: { ...y, title: input.heightTitle ?? 'merge height' },
        y2: { field: 'y2' },
      },
    },
    {
      name: 'leaves',
      data: { values: layout.leaves.map((leaf) => ({ x: leaf.x, y: 0, label: labels[leaf.index] })) },
      // Short labels stay upright; longer ones are turned to read bottom-to-top.
      mark: {
        type: 'text',
        ...(longest > 2
          ? { angle: 270, align: 'right', baseline: 'middle', dx: -4 }
          : { align: 'center', baseline: 'top', dy: 4 }),
        fontSize: 11,
        font: 'DejaVu Sans Mono, monospace',
      },
      encoding: { x, y, text: { field: 'label', type: 'nominal' } },
    },
  ];
  if (threshold !== undefined) {
    layer.push(
      {
        name: 'threshold',
        data: { values: [{ y: threshold }] },
        mark: { type: 'rule', color: '#d62728', strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y },
      },
      {
        // The red line's legend, written on it at the right end.
        name: 'thresholdLabel',
        data: { values: [{ x: n - 0.5, y: threshold, text: `cut at ${Number(threshold.toPrecision(3))}` }] },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -3, fontSize: 10, color: '#d62728' },
        encoding: { x, y, text: { field: 'text', type: 'nominal' } },
      },
    );
  }
  return {
    ...SPEC_BASE,
    title,
    width: Math.max(240, n * 16),
    height: 260,
    layer,
    config: { view: { stroke: null } },
  };
}

/** Render the dendrogram to SVG (and `<outBase>.svg/.png` if given). */
export function renderDendrogram(input: DendrogramInput & FigureOutput): Promise<string> {
  return renderFigure(dendrogramSpec(input), input);
}
