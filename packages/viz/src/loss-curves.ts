import { FigureOutput, renderFigure } from './figure';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { VegaLiteSpec } from './vega-render';

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
  /** Axis titles; default "step" and "loss". */
  xTitle?: string;
  yTitle?: string;
  /** Shown under the title, e.g. "mean of 8 replicas, band: min-max". */
  subtitle?: string;
}

const FN = 'lossCurves';

/** Opacity of the min-max bands, drawn in their line's colour. */
const BAND_OPACITY = 0.18;

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
  const row: Row = { width, split, step: requireFinite(FN, `${at}.step`, p.step), loss: requireFinite(FN, `${at}.loss`, p.loss) };
  if (p.low === undefined && p.high === undefined) return row;
  if (p.low === undefined || p.high === undefined) {
    throw new Error(`${FN}: ${at} must have both low and high or neither, got only ${p.low === undefined ? 'high' : 'low'}`);
  }
  const low = requireFinite(FN, `${at}.low`, p.low);
  const high = requireFinite(FN, `${at}.high`, p.high);
  if (!(low <= row.loss && row.loss <= high)) {
    throw new Error(`${FN}: ${at} must have low <= loss <= high, got low ${low}, loss ${row.loss}, high ${high}`);
  }
  return { ...row, low, high };
}

/**
 * Vega-Lite spec: one line per (width, split) series, colour by width, dash by split, linear
 * axes. Each series must be unique, otherwise two curves would be joined into one path.
 * If some point has low/high, the spec is layered: a translucent area from low to high (layer
 * "bands", SVG class "bands_marks", one band per series over its points that have low/high)
 * behind the lines (layer "curves"); otherwise it is the single line mark.
 */
export function lossCurvesSpec(input: LossCurvesInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  if (input.subtitle !== undefined && typeof input.subtitle !== 'string') throw new Error(`${FN}: subtitle must be a string`);
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
      rows.push(pointRow(k, i, width, s.split, p));
    });
  });
  const widths = [...new Set(rows.map((r) => r.width))].sort((a, b) => a - b);
  const x = { field: 'step', type: 'quantitative', scale: { type: 'linear' }, title: input.xTitle ?? 'step' };
  const yScale = { type: 'linear', zero: false };
  const yTitle = input.yTitle ?? 'loss';
  const color = { field: 'width', type: 'ordinal', scale: { domain: widths, scheme: 'viridis' }, title: 'width' };
  const order = { field: 'step', type: 'quantitative' };
  const lineMark = { type: 'line', strokeWidth: 1.8 };
  const lineEncoding = {
    x,
    y: { field: 'loss', type: 'quantitative', scale: yScale, title: yTitle },
    color,
    strokeDash: {
      field: 'split',
      type: 'nominal',
      scale: { domain: ['train', 'val'], range: [[1, 0], [6, 3]] },
      title: 'split',
    },
    order,
  };
  const banded = rows.some((r) => r.low !== undefined);
  const head = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(banded ? {} : { name: 'curves' }), // SVG class of the line marks: "curves_marks"
    title: input.subtitle === undefined ? title : { text: title, subtitle: input.subtitle },
    background: 'white',
    width: 480,
    height: 300,
    data: { values: rows },
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
          y: { field: 'low', type: 'quantitative', scale: yScale, title: yTitle },
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
