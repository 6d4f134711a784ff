import { FigureOutput, renderFigure } from './figure';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { VegaLiteSpec } from './vega-render';

export type LossSplit = 'train' | 'val';

export interface LossSeries {
  /** Embedding width (prefix size) the curve belongs to. */
  width: number;
  split: LossSplit;
  points: { step: number; loss: number }[];
}

export interface LossCurvesInput {
  series: LossSeries[];
  title: string;
  /** Axis titles; default "step" and "loss". */
  xTitle?: string;
  yTitle?: string;
}

const FN = 'lossCurves';

/**
 * Vega-Lite spec: one line per (width, split) series, colour by width, dash by split, linear
 * axes. Each series must be unique, otherwise two curves would be joined into one path.
 */
export function lossCurvesSpec(input: LossCurvesInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  const series = requireNonEmptyArray(FN, 'series', input.series);
  const seen = new Set<string>();
  const rows: { width: number; split: LossSplit; step: number; loss: number }[] = [];
  series.forEach((s, k) => {
    const width = requireFinite(FN, `series[${k}].width`, s.width);
    if (s.split !== 'train' && s.split !== 'val') {
      throw new Error(`${FN}: series[${k}].split must be "train" or "val", got ${JSON.stringify(s.split)}`);
    }
    const key = `${width}/${s.split}`;
    if (seen.has(key)) throw new Error(`${FN}: series[${k}] repeats width ${width} split ${s.split}`);
    seen.add(key);
    requireNonEmptyArray(FN, `series[${k}].points (width ${width}, ${s.split})`, s.points).forEach((p, i) => {
      rows.push({
        width,
        split: s.split,
        step: requireFinite(FN, `series[${k}].points[${i}].step`, p.step),
        loss: requireFinite(FN, `series[${k}].points[${i}].loss`, p.loss),
      });
    });
  });
  const widths = [...new Set(rows.map((r) => r.width))].sort((a, b) => a - b);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    name: 'curves', // SVG class of the line marks: "curves_marks"
    title,
    background: 'white',
    width: 480,
    height: 300,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: { field: 'step', type: 'quantitative', scale: { type: 'linear' }, title: input.xTitle ?? 'step' },
      y: { field: 'loss', type: 'quantitative', scale: { type: 'linear', zero: false }, title: input.yTitle ?? 'loss' },
      color: { field: 'width', type: 'ordinal', scale: { domain: widths, scheme: 'viridis' }, title: 'width' },
      strokeDash: {
        field: 'split',
        type: 'nominal',
        scale: { domain: ['train', 'val'], range: [[1, 0], [6, 3]] },
        title: 'split',
      },
      order: { field: 'step', type: 'quantitative' },
    },
  };
}

/** Render the loss curves to SVG (and `<outBase>.svg/.png` if given). */
export function renderLossCurves(input: LossCurvesInput & FigureOutput): Promise<string> {
  return renderFigure(lossCurvesSpec(input), input);
}
