import { FigureOutput, renderFigure } from './figure';
import { optionalRange, requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

export type LossSplit = 'train' | 'val';

export interface LossSeries {
  /** Embedding width (prefix size) the curve belongs to. */
  width: number;
  split: LossSplit;
  /**
   * The curve. With replicas, `loss` is the mean over them and `low`/`high` (given together,
   * `low <= loss <= high`) their min and max at that step: a series with any such point gets a
   * translucent band from low to high behind its line.
   */
  points: LossPoint[];
}

export interface LossPoint {
  step: number;
  loss: number;
  low?: number;
  high?: number;
}

export interface LossCurvesInput {
  series: LossSeries[];
  title: string;
  /** Axis titles; default "step" and "loss" (the y title gets " (log scale)"). */
  xTitle?: string;
  yTitle?: string;
  /** Shown under the title, e.g. "mean of 8 replicas, band: min-max"; the step-0 losses follow it. */
  subtitle?: string;
}

const FN = 'lossCurves';

/** Opacity of the min-max bands, drawn in their line's colour. */
export const BAND_OPACITY = 0.18;

/** A legend of lines, not bands (with bands it would show their pale fill, hard to tell apart). */
export const LINE_LEGEND = { symbolType: 'stroke', symbolStrokeWidth: 2, symbolOpacity: 1 };

const HEIGHT = 300;

/** Pixels the log loss axis extends beyond the lowest and highest loss, so no line runs along an edge. */
const Y_PADDING = 8;

/**
 * Ticks of the log loss axis when it spans more than a factor of 2 (narrower, vega's own ticks are
 * fine: it falls back to linear ones): mantissas finer than vega's 1..9, kept from the bottom up
 * at least 20 px apart, so the low losses at the end of training get the most labels (2.5, 3, 3.5).
 */
function logTicks(low: number, high: number): number[] | undefined {
  if (high <= 2 * low) return undefined;
  const px = (v: number) => (HEIGHT * Math.log(v / low)) / Math.log(high / low);
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const m of [1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8]) {
      const v = Number((m * 10 ** decade).toPrecision(3));
      if (v >= low && v <= high && (ticks.length === 0 || px(v) - px(ticks[ticks.length - 1]) >= 20)) ticks.push(v);
    }
  }
  return ticks;
}

interface Row {
  width: number;
  split: LossSplit;
  step: number;
  loss: number;
  low?: number;
  high?: number;
}

/** The point as a data row; low/high only when given, checked as low <= loss <= high. */
function pointRow(k: number, i: number, width: number, split: LossSplit, p: LossPoint): Row {
  const at = `series[${k}].points[${i}]`;
  const row: Row = {
    width,
    split,
    step: requireFinite(FN, `${at}.step`, p.step),
    loss: requireFinite(FN, `${at}.loss`, p.loss),
  };
  return { ...row, ...optionalRange(FN, at, row.loss, p.low, p.high, 'loss') };
}

/** The loss axis is logarithmic: every value on it must be above 0. */
function requirePositive(k: number, i: number, row: Row): void {
  for (const field of ['loss', 'low'] as const) {
    const value = row[field];
    if (value !== undefined && !(value > 0)) {
      throw new Error(`${FN}: series[${k}].points[${i}].${field} must be > 0 on the log loss axis, got ${value}`);
    }
  }
}

/** Characters per subtitle line: at vega's 10 px subtitle font, about the 480 px of the plot. */
const NOTE_LINE = 76;

/**
 * "step 0 (not drawn), train/val: w8 8.59/8.74, w16 15.7/15.7": the untrained model's losses, per
 * width, for the splits that have them (a missing one shows as "-"), in lines of at most NOTE_LINE
 * characters so that the subtitle does not widen the figure.
 */
function stepZeroNote(rows: readonly Row[], widths: readonly number[]): string[] {
  const splits = (['train', 'val'] as const).filter((split) => rows.some((r) => r.split === split));
  const at = (width: number, split: LossSplit) => rows.find((r) => r.width === width && r.split === split)?.loss;
  const losses = widths
    .filter((width) => splits.some((split) => at(width, split) !== undefined))
    .map((width) => `w${width} ${splits.map((split) => at(width, split)?.toPrecision(3) ?? '-').join('/')}`);
  const lines = [`step 0 (not drawn), ${splits.join('/')}:`];
  losses.forEach((loss, i) => {
    const item = i < losses.length - 1 ? `${loss},` : loss;
    if (i === 0 || lines[lines.length - 1].length + 1 + item.length <= NOTE_LINE) lines[lines.length - 1] += ` ${item}`;
    else lines.push(item);
  });
  return lines;
}

/**
 * Vega-Lite spec: one line per (width, split) series, colour by width, dash by split, a linear
 * step axis and a log loss axis. Each series must be unique, otherwise two curves would be
 * joined into one path. If some point has low/high, the spec is layered: a translucent area from
 * low to high (layer "bands", SVG class "bands_marks", one band per series over its points that
 * have low/high) behind the lines (layer "curves"); otherwise it is the single line mark.
 *
 * Step 0 is stated, not drawn (when later steps are drawn): the untrained model's loss is about
 * its width (31 at width 32, 121 at 128: the tied head reads the layer-normed embedding of the
 * input token), ten times the rest, and drawn it would squash the whole of training into the
 * bottom of the plot. Its losses go in the subtitle instead. The log axis keeps the evaluations
 * just after it from doing the same (at the mrl-embeddings defaults, width 32 is still at 11.7 at
 * step 50, against 2.5 at the end). A series of a single drawn point shows as a dot.
 */
export function lossCurvesSpec(input: LossCurvesInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  if (input.subtitle !== undefined && typeof input.subtitle !== 'string')
    throw new Error(`${FN}: subtitle must be a string`);
  const series = requireNonEmptyArray(FN, 'series', input.series);
  const seen = new Set<string>();
  const rows: Row[] = [];
  series.forEach((s, k) => {
    const width = requireFinite(FN, `series[${k}].width`, s.width);
    if (s.split !== 'train' && s.split !== 'val') {
      throw new Error(`${FN}: series[${k}].split must be "train" or "val", got ${JSON.stringify(s.split)}`);
    }
    const key = `${width}/${s.split}`;
    if (seen.has(key)) throw new Error(`${FN}: series[${k}] repeats width ${width} split ${s.split}`);
    seen.add(key);
    requireNonEmptyArray(FN, `series[${k}].points (width ${width}, ${s.split})`, s.points).forEach((p, i) => {
      const row = pointRow(k, i, width, s.split, p);
      requirePositive(k, i, row);
      rows.push(row);
    });
  });
  const widths = [...new Set(rows.map((r) => r.width))].sort((a, b) => a - b);
  const later = rows.filter((r) => r.step !== 0);
  // Step 0 is left out (and stated) only when there is one and later steps to draw.
  const leftOut = later.length > 0 && later.length < rows.length;
  const drawn = leftOut ? later : rows;
  const notes = [
    ...(input.subtitle === undefined ? [] : [input.subtitle]),
    ...(leftOut
      ? stepZeroNote(
          rows.filter((r) => r.step === 0),
          widths,
        )
      : []),
  ];
  const pointsPerSeries = new Map<string, number>();
  for (const r of drawn)
    pointsPerSeries.set(`${r.width}/${r.split}`, (pointsPerSeries.get(`${r.width}/${r.split}`) ?? 0) + 1);
  const x = { field: 'step', type: 'quantitative', scale: { type: 'linear' }, title: input.xTitle ?? 'step' };
  const yScale = { type: 'log', nice: false, padding: Y_PADDING };
  const yTitle = `${input.yTitle ?? 'loss'} (log scale)`;
  const values = logTicks(
    Math.min(...drawn.map((r) => r.low ?? r.loss)),
    Math.max(...drawn.map((r) => r.high ?? r.loss)),
  );
  const yAxis = values ? { values, format: '~g' } : { format: '~g' };
  const color = {
    field: 'width',
    type: 'ordinal',
    scale: { domain: widths, scheme: 'viridis' },
    title: 'width',
    legend: LINE_LEGEND,
  };
  const order = { field: 'step', type: 'quantitative' };
  const lineMark = {
    type: 'line',
    strokeWidth: 1.8,
    ...(Math.min(...pointsPerSeries.values()) === 1 ? { point: true } : {}),
  };
  const lineEncoding = {
    x,
    y: { field: 'loss', type: 'quantitative', scale: yScale, title: yTitle, axis: yAxis },
    color,
    strokeDash: {
      field: 'split',
      type: 'nominal',
      scale: {
        domain: ['train', 'val'],
        range: [
          [1, 0],
          [6, 3],
        ],
      },
      title: 'split',
    },
    order,
  };
  const banded = drawn.some((r) => r.low !== undefined);
  const head = {
    ...SPEC_BASE,
    ...(banded ? {} : { name: 'curves' }), // SVG class of the line marks: "curves_marks"
    title: notes.length === 0 ? title : { text: title, subtitle: notes },
    width: 480,
    height: HEIGHT,
    data: { values: drawn },
  };
  if (!banded) return { ...head, mark: lineMark, encoding: lineEncoding };
  return {
    ...head,
    layer: [
      {
        name: 'bands', // SVG class "bands_marks"
        transform: [{ filter: 'isValid(datum.low)' }],
        mark: { type: 'area', opacity: BAND_OPACITY },
        encoding: {
          x,
          y: { field: 'low', type: 'quantitative', scale: yScale, title: yTitle, axis: yAxis },
          y2: { field: 'high' },
          color,
          detail: { field: 'split', type: 'nominal' }, // one band per (width, split); areas are drawn in step order
        },
      },
      { name: 'curves', mark: lineMark, encoding: lineEncoding }, // SVG class "curves_marks"
    ],
  };
}

/** Render the loss curves to SVG (and `<outBase>.svg/.png` if given). */
export function renderLossCurves(input: LossCurvesInput & FigureOutput): Promise<string> {
  return renderFigure(lossCurvesSpec(input), input);
}
