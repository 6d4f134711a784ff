import { FigureOutput, renderFigure } from './figure';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export interface ScatterPoint {
  /** E.g. forward FLOPs per token; finite, and > 0 when `logX`. */
  x: number;
  /** E.g. validation loss; finite. */
  y: number;
  /** Legend entry, giving colour and shape, e.g. 'random mix', 'trained width', 'trained alone'. */
  series: string;
  /** Optional short text drawn beside the point (e.g. 'w32'); labelled points are drawn larger and filled. */
  label?: string;
  /** On its series' Pareto front: the front points of each series are joined by a line in x order, in the series colour. */
  front?: boolean;
}

export interface ParetoChartInput {
  points: ScatterPoint[];
  title: string;
  xTitle: string;
  yTitle: string;
  /** Log-scaled x axis (default false). */
  logX?: boolean;
  /**
   * 'per series' (default): each series' front points joined in its colour; 'across series': one
   * front through every front point, whatever its series (a grey dashed line), for a front taken
   * over all the points (e.g. random mixes and trained widths together).
   */
  fronts?: 'per series' | 'across series';
}

const FN = 'paretoChart';

/** Marker areas in px²: labelled points stand out. */
const SIZE = 40;
const LABELLED_SIZE = 90;

/**
 * Vega-Lite spec: the points (layer "points", colour and shape by series, legend in
 * first-appearance order), each series' front as a line in x order (layer "fronts", only if
 * some point has `front`), and the labels beside their points (layer "labels", only if some
 * point has one). The caller decides which points are on a front; nothing is computed here.
 */
export function paretoChartSpec(input: ParetoChartInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  if (input.logX !== undefined && typeof input.logX !== 'boolean') throw new Error(`${FN}: logX must be a boolean`);
  const logX = input.logX ?? false;
  const rows = requireNonEmptyArray(FN, 'points', input.points).map((p, i) => {
    const x = requireFinite(FN, `points[${i}].x`, p.x);
    if (logX && x <= 0) throw new Error(`${FN}: points[${i}].x must be > 0 on a log x axis (logX), got ${x}`);
    const y = requireFinite(FN, `points[${i}].y`, p.y);
    if (typeof p.series !== 'string' || p.series === '')
      throw new Error(`${FN}: points[${i}].series must be a non-empty string`);
    if (p.label !== undefined && typeof p.label !== 'string')
      throw new Error(`${FN}: points[${i}].label must be a string`);
    if (p.front !== undefined && typeof p.front !== 'boolean')
      throw new Error(`${FN}: points[${i}].front must be a boolean`);
    const label = p.label ?? '';
    return { x, y, series: p.series, label, labelled: label !== '', front: p.front ?? false };
  });
  const seriesOrder = [...new Set(rows.map((r) => r.series))];
  const x = {
    field: 'x',
    type: 'quantitative',
    // Log domains are not rounded out to whole decades (that could leave most of the plot empty): padded instead.
    scale: logX ? { type: 'log', nice: false, padding: 12 } : { type: 'linear', zero: false },
    title: input.xTitle,
  };
  const y = { field: 'y', type: 'quantitative', scale: { type: 'linear', zero: false }, title: input.yTitle };
  const colourScale = { domain: seriesOrder, scheme: 'tableau10' };
  const color = { field: 'series', type: 'nominal', scale: colourScale, title: null };

  const layer: Record<string, unknown>[] = [];
  const fronts = input.fronts ?? 'per series';
  if (fronts !== 'per series' && fronts !== 'across series')
    throw new Error(`${FN}: fronts must be 'per series' or 'across series'`);
  if (rows.some((r) => r.front)) {
    const perSeries = fronts === 'per series';
    layer.push({
      name: 'fronts',
      transform: [{ filter: 'datum.front' }],
      mark: {
        type: 'line',
        strokeWidth: 1.5,
        ...(perSeries ? { opacity: 0.85 } : { strokeDash: [5, 3], color: '#555' }),
      },
      encoding: {
        x,
        y,
        ...(perSeries ? { color, detail: { field: 'series', type: 'nominal' } } : {}),
        order: { field: 'x', type: 'quantitative' },
      },
    });
  }
  layer.push({
    name: 'points',
    mark: { type: 'point', strokeWidth: 1.5, opacity: 1 },
    encoding: {
      x,
      y,
      color,
      shape: { field: 'series', type: 'nominal', scale: { domain: seriesOrder }, title: null },
      // Labelled points filled in their series colour and larger; the others hollow (white inside, over the lines).
      fill: {
        condition: { test: 'datum.labelled', field: 'series', type: 'nominal', scale: colourScale },
        value: 'white',
      },
      size: { condition: { test: 'datum.labelled', value: LABELLED_SIZE }, value: SIZE },
    },
  });
  if (rows.some((r) => r.labelled)) {
    layer.push({
      name: 'labels',
      transform: [{ filter: 'datum.labelled' }],
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 6, dy: -3, fontSize: 9, color: '#333' },
      encoding: { x, y, text: { field: 'label', type: 'nominal' } },
    });
  }
  return {
    ...SPEC_BASE,
    title,
    width: 370, // with the legend and axes: about 560 x 340 px
    height: 270,
    data: { values: rows },
    layer,
  };
}

/** Render the Pareto chart to SVG (and `<outBase>.svg/.png` if given). */
export function renderParetoChart(input: ParetoChartInput & FigureOutput): Promise<string> {
  return renderFigure(paretoChartSpec(input), input);
}
