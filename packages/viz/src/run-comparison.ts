/**
 * Charts that set runs side by side (the runner's `compare`): curves coloured by run, each with
 * the min-max band of its replicas, and one mean per (category, run) with an error bar
 * (mean ± std), the runs side by side within each category.
 */
import { FigureOutput, renderFigure } from './figure';
import { BAND_OPACITY, LINE_LEGEND, type LossPoint } from './loss-curves';
import { chartTitle, optionalRange, requireFinite, requireNonEmptyArray } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export interface RunCurve {
  /** The run's name in the legend; each curve's must be unique. */
  run: string;
  /** As in LossSeries: the mean over replicas, with `low`/`high` (together) for a band. */
  points: LossPoint[];
}

export interface RunCurvesInput {
  curves: RunCurve[];
  title: string;
  subtitle?: string;
  /** Axis titles; default "step" and "loss". */
  xTitle?: string;
  yTitle?: string;
}

export interface ErrorBarPoint {
  /** Where on the x axis (e.g. "w32"); categories keep their first-seen order. */
  category: string;
  /** Which run; colours the point and sets its offset within the category. */
  series: string;
  mean: number;
  /** The bar's ends (e.g. mean - std, mean + std), given together; none: a point alone. */
  low?: number;
  high?: number;
}

export interface ErrorBarsInput {
  points: ErrorBarPoint[];
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
}

/** A legend that shows whole run names (run directories are long), one per line. */
const LEGEND = { orient: 'bottom', direction: 'vertical', labelLimit: 0, titleLimit: 0 };

const RUN_CURVES = 'runCurves';

/**
 * Vega-Lite spec: one line per run (colour by run, in the given order), and where a point has
 * low/high a translucent band behind it (layer "bands", SVG class "bands_marks"; the lines are
 * layer "curves", class "curves_marks").
 */
export function runCurvesSpec(input: RunCurvesInput): VegaLiteSpec {
  const title = chartTitle(RUN_CURVES, input);
  const curves = requireNonEmptyArray(RUN_CURVES, 'curves', input.curves);
  const runs: string[] = [];
  const rows = curves.flatMap((c, k) => {
    if (typeof c.run !== 'string' || c.run === '')
      throw new Error(`${RUN_CURVES}: curves[${k}].run must be a non-empty string`);
    if (runs.includes(c.run)) throw new Error(`${RUN_CURVES}: curves[${k}] repeats run ${JSON.stringify(c.run)}`);
    runs.push(c.run);
    return requireNonEmptyArray(RUN_CURVES, `curves[${k}].points (${c.run})`, c.points).map((p, i) => {
      const at = `curves[${k}].points[${i}]`;
      const loss = requireFinite(RUN_CURVES, `${at}.loss`, p.loss);
      return {
        run: c.run,
        step: requireFinite(RUN_CURVES, `${at}.step`, p.step),
        loss,
        ...optionalRange(RUN_CURVES, at, loss, p.low, p.high),
      };
    });
  });
  const x = { field: 'step', type: 'quantitative', title: input.xTitle ?? 'step' };
  const yScale = { zero: false };
  const yTitle = input.yTitle ?? 'loss';
  const color = {
    field: 'run',
    type: 'nominal',
    scale: { domain: runs },
    title: 'run',
    legend: { ...LEGEND, ...LINE_LEGEND },
  };
  const lines = {
    name: 'curves',
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x,
      y: { field: 'loss', type: 'quantitative', scale: yScale, title: yTitle },
      color,
      order: { field: 'step', type: 'quantitative' },
    },
  };
  const banded = rows.some((r) => r.low !== undefined);
  const bands = {
    name: 'bands',
    transform: [{ filter: 'isValid(datum.low)' }],
    mark: { type: 'area', opacity: BAND_OPACITY },
    encoding: {
      x,
      y: { field: 'low', type: 'quantitative', scale: yScale, title: yTitle },
      y2: { field: 'high' },
      color,
    },
  };
  return {
    ...SPEC_BASE,
    title,
    width: 480,
    height: 300,
    data: { values: rows },
    layer: banded ? [bands, lines] : [lines],
  };
}

/** Render the run curves to SVG (and `<outBase>.svg/.png` if given). */
export function renderRunCurves(input: RunCurvesInput & FigureOutput): Promise<string> {
  return renderFigure(runCurvesSpec(input), input);
}

const ERROR_BARS = 'errorBars';

/**
 * Vega-Lite spec: per category, one filled point per series at its mean (layer "means", class
 * "means_marks"), side by side and coloured by series, with a vertical bar from low to high where
 * given (layer "bars", class "bars_marks").
 */
export function errorBarsSpec(input: ErrorBarsInput): VegaLiteSpec {
  const title = chartTitle(ERROR_BARS, input);
  const seen = new Set<string>();
  const rows = requireNonEmptyArray(ERROR_BARS, 'points', input.points).map((p, i) => {
    const at = `points[${i}]`;
    if (typeof p.category !== 'string' || typeof p.series !== 'string')
      throw new Error(`${ERROR_BARS}: ${at} needs a category and a series (strings)`);
    const key = JSON.stringify([p.category, p.series]);
    if (seen.has(key))
      throw new Error(
        `${ERROR_BARS}: ${at} repeats category ${JSON.stringify(p.category)} of series ${JSON.stringify(p.series)}`,
      );
    seen.add(key);
    const mean = requireFinite(ERROR_BARS, `${at}.mean`, p.mean);
    return { category: p.category, series: p.series, mean, ...optionalRange(ERROR_BARS, at, mean, p.low, p.high) };
  });
  const categories = [...new Set(rows.map((r) => r.category))];
  const series = [...new Set(rows.map((r) => r.series))];
  const x = { field: 'category', type: 'nominal', sort: categories, title: input.xTitle, axis: { labelAngle: 0 } };
  const xOffset = { field: 'series', type: 'nominal', sort: series };
  const color = { field: 'series', type: 'nominal', scale: { domain: series }, title: 'run', legend: LEGEND };
  const y = { type: 'quantitative', scale: { zero: false }, title: input.yTitle };
  return {
    ...SPEC_BASE,
    title,
    width: Math.max(240, categories.length * (24 * series.length + 24)), // about 24 px per point, and a gap between categories
    height: 260,
    data: { values: rows },
    layer: [
      {
        name: 'bars',
        transform: [{ filter: 'isValid(datum.low)' }],
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, xOffset, y: { ...y, field: 'low' }, y2: { field: 'high' }, color },
      },
      {
        name: 'means',
        mark: { type: 'point', filled: true, size: 50, opacity: 1 },
        encoding: { x, xOffset, y: { ...y, field: 'mean' }, color },
      },
    ],
  };
}

/** Render the error bars to SVG (and `<outBase>.svg/.png` if given). */
export function renderErrorBars(input: ErrorBarsInput & FigureOutput): Promise<string> {
  return renderFigure(errorBarsSpec(input), input);
}
