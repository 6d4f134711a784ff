import { FigureOutput, renderFigure } from './figure';
import { tokenLabel } from './token-label';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export interface SimilarityHeatmapInput {
  /** Tokens (raw; they are passed through tokenLabel), in the order rows/columns appear. */
  labels: string[];
  /** Square matrix, matrix[i][j] = similarity of labels[i] and labels[j], expected in -1..1. */
  matrix: number[][];
  /** Shown above the plot; should name the embedding width, e.g. "cosine similarity, width 32". */
  title: string;
  /** Draw only cells with row >= column (the matrix is symmetric). Default true. */
  lowerTriangle?: boolean;
  /**
   * When the labels are ordered by groups: the sizes of the consecutive groups, in label order
   * (e.g. [12, 5, 3]: labels 0-11, 12-16, 17-19); labels after the last group are ungrouped. A line
   * is drawn between neighbouring groups (and before the ungrouped ones). Default: no lines.
   */
  groupSizes?: readonly number[];
}

const FN = 'similarityHeatmap';

interface Cell {
  row: number;
  col: number;
  similarity: number;
}

function cellsOf(input: SimilarityHeatmapInput): Cell[] {
  const labels = requireNonEmptyArray(FN, 'labels', input.labels);
  const n = labels.length;
  if (!Array.isArray(input.matrix) || input.matrix.length !== n) {
    throw new Error(
      `${FN}: matrix must have ${n} rows (one per label), got ${Array.isArray(input.matrix) ? input.matrix.length : typeof input.matrix}`,
    );
  }
  const lower = input.lowerTriangle ?? true;
  const cells: Cell[] = [];
  input.matrix.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== n) {
      throw new Error(`${FN}: matrix row ${i} (${JSON.stringify(labels[i])}) must have ${n} entries`);
    }
    row.forEach((value, j) => {
      if (lower && j > i) return;
      requireFinite(FN, `matrix[${i}][${j}] (${JSON.stringify(labels[i])} vs ${JSON.stringify(labels[j])})`, value);
      cells.push({ row: i, col: j, similarity: value });
    });
  });
  return cells;
}

/** Where a group ends and the next begins, as label indices (0 < b < n), from the group sizes. */
function groupBoundaries(sizes: readonly number[], n: number): number[] {
  if (!Array.isArray(sizes)) throw new Error(`${FN}: groupSizes must be an array of group sizes`);
  let end = 0;
  const boundaries: number[] = [];
  sizes.forEach((size, i) => {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`${FN}: groupSizes[${i}] must be a positive whole number, got ${String(size)}`);
    end += size;
    if (end > n) throw new Error(`${FN}: groupSizes add up to more than the ${n} labels (${end} by groupSizes[${i}])`);
    if (end < n) boundaries.push(end);
  });
  return boundaries;
}

/** The group lines in pixels: along the top of a group's first row and the left of its first column (within the triangle if lower). */
function boundaryRules(boundaries: readonly number[], n: number, step: number, lower: boolean) {
  return boundaries.flatMap((b) => [
    { x: 0, x2: (lower ? b : n) * step, y: b * step, y2: b * step },
    { x: b * step, x2: b * step, y: (lower ? b : 0) * step, y2: n * step },
  ]);
}

/**
 * Vega-Lite spec of a cosine-similarity heat map. Rows and columns are encoded by index (so
 * tokens whose labels coincide still get their own cell) and the axes show the readable labels.
 * The cells are layer "cells" (SVG class "cells_marks"); group lines, if asked, layer "groups".
 */
export function similarityHeatmapSpec(input: SimilarityHeatmapInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  const cells = cellsOf(input);
  const labels = input.labels.map((token, i) => {
    if (typeof token !== 'string' || token.length === 0)
      throw new Error(`${FN}: labels[${i}] must be a non-empty string`);
    return tokenLabel(token);
  });
  const n = labels.length;
  const longest = Math.max(...labels.map((l) => [...l].length));
  // Vega expressions accept JSON string literals, so the label table is embedded as an array.
  const labelExpr = `${JSON.stringify(labels)}[datum.value]`;
  const step = n <= 30 ? 18 : n <= 60 ? 13 : n <= 100 ? 11 : 9;
  // A label's box is about 1.2 x its font size (and a two-character label as wide): keep it within a cell.
  const labelFontSize = Math.min(11, step - 2);
  const indices = labels.map((_, i) => i);
  const boundaries = input.groupSizes === undefined ? [] : groupBoundaries(input.groupSizes, n);
  const lower = input.lowerTriangle ?? true;
  const sizes = input.groupSizes ?? [];
  const ungrouped = sizes.reduce((a, b) => a + b, 0) < n;
  const subtitle = boundaries.length
    ? `lines: between the ${sizes.length} groups${ungrouped ? ' and before the ungrouped tokens' : ''}`
    : undefined;
  // Pixel positions (no scale): the cells' band scales have no outer padding, so row k starts at k x step.
  const px = (field: string) => ({ field, type: 'quantitative', scale: null, axis: null });
  const groups = {
    name: 'groups', // SVG class "groups_marks"
    data: { values: boundaryRules(boundaries, n, step, lower) },
    mark: { type: 'rule', color: '#111', strokeWidth: 1.2 },
    encoding: { x: px('x'), x2: { field: 'x2' }, y: px('y'), y2: { field: 'y2' } },
  };
  const cellLayer = {
    name: 'cells', // SVG class of the cell marks: "cells_marks"
    data: { values: cells },
    mark: { type: 'rect', tooltip: false },
    encoding: {
      x: {
        field: 'col',
        type: 'ordinal',
        scale: { domain: indices },
        axis: {
          title: null,
          labelExpr,
          labelAngle: longest > 2 ? -90 : 0,
          labelFontSize,
          labelFont: 'DejaVu Sans Mono, monospace',
        },
      },
      y: {
        field: 'row',
        type: 'ordinal',
        scale: { domain: indices },
        axis: { title: null, labelExpr, labelFontSize, labelFont: 'DejaVu Sans Mono, monospace' },
      },
      color: {
        field: 'similarity',
        type: 'quantitative',
        // Fixed domain so heat maps of different widths share one colour meaning.
        scale: { domain: [-1, 1], scheme: 'redblue', reverse: true, clamp: true },
        legend: {
          title: 'cosine',
          values: [-1, -0.5, 0, 0.5, 1],
          format: '~g',
          gradientLength: Math.max(80, Math.min(300, n * step)),
        },
      },
    },
  };
  return {
    ...SPEC_BASE,
    title: subtitle === undefined ? { text: title, anchor: 'middle' } : { text: title, subtitle, anchor: 'middle' },
    // n cells of `step` px (a fixed size, as `{ step }` would give, which layers with pixel rules do not allow).
    width: n * step,
    height: n * step,
    layer: boundaries.length ? [cellLayer, groups] : [cellLayer],
    config: { view: { stroke: null }, axis: { grid: false, domain: false, ticks: false } },
  };
}

/** Render the heat map to SVG (and `<outBase>.svg/.png` if given). */
export function renderSimilarityHeatmap(input: SimilarityHeatmapInput & FigureOutput): Promise<string> {
  return renderFigure(similarityHeatmapSpec(input), input);
}
