import { FigureOutput, renderFigure } from './figure';
import { tokenLabel } from './token-label';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { VegaLiteSpec } from './vega-render';

export interface SimilarityHeatmapInput {
  /** Tokens (raw; they are passed through tokenLabel), in the order rows/columns appear. */
  labels: string[];
  /** Square matrix, matrix[i][j] = similarity of labels[i] and labels[j], expected in -1..1. */
  matrix: number[][];
  /** Shown above the plot; should name the embedding width, e.g. "cosine similarity, width 32". */
  title: string;
  /** Draw only cells with row >= column (the matrix is symmetric). Default true. */
  lowerTriangle?: boolean;
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
    throw new Error(`${FN}: matrix must have ${n} rows (one per label), got ${Array.isArray(input.matrix) ? input.matrix.length : typeof input.matrix}`);
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

/**
 * Vega-Lite spec of a cosine-similarity heat map. Rows and columns are encoded by index (so
 * tokens whose labels coincide still get their own cell) and the axes show the readable labels.
 */
export function similarityHeatmapSpec(input: SimilarityHeatmapInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  const cells = cellsOf(input);
  const labels = input.labels.map((token, i) => {
    if (typeof token !== 'string' || token.length === 0) throw new Error(`${FN}: labels[${i}] must be a non-empty string`);
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
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    name: 'cells', // SVG class of the cell marks: "cells_marks"
    title: { text: title, anchor: 'middle' },
    background: 'white',
    width: { step },
    height: { step },
    data: { values: cells },
    mark: { type: 'rect', tooltip: false },
    encoding: {
      x: {
        field: 'col',
        type: 'ordinal',
        scale: { domain: indices },
        axis: { title: null, labelExpr, labelAngle: longest > 2 ? -90 : 0, labelFontSize, labelFont: 'DejaVu Sans Mono, monospace' },
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
        legend: { title: 'cosine', values: [-1, -0.5, 0, 0.5, 1], format: '~g', gradientLength: Math.max(80, Math.min(300, n * step)) },
      },
    },
    config: { view: { stroke: null }, axis: { grid: false, domain: false, ticks: false } },
  };
}

/** Render the heat map to SVG (and `<outBase>.svg/.png` if given). */
export function renderSimilarityHeatmap(input: SimilarityHeatmapInput & FigureOutput): Promise<string> {
  return renderFigure(similarityHeatmapSpec(input), input);
}
