import { FigureOutput, renderFigure } from './figure';
import { chartTitle, requireFinite, requireNonEmptyArray, valueScale } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export interface LinePoint {
  /** Which line, e.g. "width 8": colour and marker shape, named in the legend (first-appearance order). */
  series: string;
  x: number;
  y: number;
}

export interface LineChartInput {
  points: LinePoint[];
  title: string;
  /** Shown under the title. */
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  /** The y axis' extent, e.g. [0, 1] for an adjusted Rand index; default: the data's, not forced to include 0. */
  yDomain?: [number, number];
}

const FN = 'lineChart';

/** Marker area in px² (vega's default is 30): small enough for 40 points per line in 480 px. */
const POINT_SIZE = 22;

/**
 * Vega-Lite spec: one line per series in x order (layer "lines", SVG class "lines_marks") with a
 * marker at every point (layer "points"), colour and shape by series. The plot has a fixed size
 * (480 x 260 px) whatever the number of points: a line over 40 epochs is as wide as one over 4.
 * Whole-number x values (epochs, steps) get whole-number ticks.
 */
export function lineChartSpec(input: LineChartInput): VegaLiteSpec {
  const title = chartTitle(FN, input);
  const rows = requireNonEmptyArray(FN, 'points', input.points).map((p, i) => {
    if (typeof p.series !== 'string' || p.series === '')
      throw new Error(`${FN}: points[${i}].series must be a non-empty string`);
    return {
      series: p.series,
      x: requireFinite(FN, `points[${i}].x (${p.series})`, p.x),
      y: requireFinite(FN, `points[${i}].y (${p.series})`, p.y),
    };
  });
  const yScale = valueScale(FN, input.yDomain);
  const series = [...new Set(rows.map((r) => r.series))];
  const wholeX = rows.every((r) => Number.isInteger(r.x));
  const x = {
    field: 'x',
    type: 'quantitative',
    scale: { zero: false },
    title: input.xTitle,
    axis: wholeX ? { tickMinStep: 1, format: 'd' } : {},
  };
  const y = { field: 'y', type: 'quantitative', scale: yScale, title: input.yTitle };
  const color = { field: 'series', type: 'nominal', scale: { domain: series, scheme: 'tableau10' }, title: null };
  return {
    ...SPEC_BASE,
    title,
    width: 480,
    height: 260,
    data: { values: rows },
    layer: [
      {
        name: 'lines',
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: { x, y, color, order: { field: 'x', type: 'quantitative' } },
      },
      {
        name: 'points',
        // Lines that coincide (e.g. every width at ARI 1) still show each series' marker.
        mark: { type: 'point', size: POINT_SIZE, strokeWidth: 1.4, opacity: 1 },
        encoding: { x, y, color, shape: { field: 'series', type: 'nominal', scale: { domain: series }, title: null } },
      },
    ],
  };
}

/** Render the line chart to SVG (and `<outBase>.svg/.png` if given). */
export function renderLineChart(input: LineChartInput & FigureOutput): Promise<string> {
  return renderFigure(lineChartSpec(input), input);
}
