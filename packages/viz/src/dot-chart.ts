import { FigureOutput, renderFigure } from './figure';
import { chartTitle, optionalRange, requireFinite, requireNonEmptyArray, valueScale } from './validate';
import { SPEC_BASE, VegaLiteSpec } from './vega-render';

/**
 * Width in px an x label needs at vega's 10 px axis font: 6.5 px per character bounds DejaVu Sans
 * (digits 6.4, capitals up to 7.7 but few), plus a gap, so neighbouring labels never overlap.
 */
function labelRoom(label: string): number {
  return Math.ceil(6.5 * [...label].length) + 8;
}

export interface Dot {
  label: string;
  /** E.g. a val loss, or the mean over replicas. */
  value: number;
  /** A range drawn through the dot (e.g. min and max over replicas), given together, low <= value <= high. */
  low?: number;
  high?: number;
}

export interface DotChartInput {
  dots: Dot[];
  title: string;
  /** Shown under the title; should say what the ranges are, e.g. "dot: mean of 8 replicas; bar: min to max". */
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  /** The y axis' extent, e.g. [0, 1] for an adjusted Rand index; default: the data's, not forced to include 0. */
  yDomain?: [number, number];
}

const FN = 'dotChart';

/**
 * Vega-Lite spec: one dot per label in the given order (layer "dots"), its value printed beside it
 * (layer "values"), and a vertical bar from low to high where given (layer "ranges"). Unlike bars,
 * dots need no zero: the y axis spans the values, so 2.53 and 2.78 are far apart. A fixed height,
 * and a width that grows only with the number of labels (e.g. widths of a model, never epochs).
 */
export function dotChartSpec(input: DotChartInput): VegaLiteSpec {
  const title = chartTitle(FN, input);
  const seen = new Set<string>();
  const rows = requireNonEmptyArray(FN, 'dots', input.dots).map((d, i) => {
    const at = `dots[${i}]`;
    if (typeof d.label !== 'string') throw new Error(`${FN}: ${at}.label must be a string`);
    if (seen.has(d.label)) throw new Error(`${FN}: ${at} repeats label ${JSON.stringify(d.label)}`);
    seen.add(d.label);
    const value = requireFinite(FN, `${at}.value (${JSON.stringify(d.label)})`, d.value);
    return { label: d.label, value, ...optionalRange(FN, at, value, d.low, d.high) };
  });
  const yScale = valueScale(FN, input.yDomain);
  const labels = rows.map((r) => r.label);
  const x = {
    field: 'label',
    type: 'nominal',
    sort: labels,
    title: input.xTitle,
    axis: { labelAngle: 0, labelLimit: 0 },
  };
  const y = { type: 'quantitative', scale: yScale, title: input.yTitle };
  const layer: Record<string, unknown>[] = [];
  if (rows.some((r) => 'low' in r)) {
    layer.push({
      name: 'ranges',
      transform: [{ filter: 'isValid(datum.low)' }],
      mark: { type: 'rule', strokeWidth: 1.5, color: '#4c78a8' },
      encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
    });
  }
  layer.push(
    {
      name: 'dots',
      mark: { type: 'point', filled: true, size: 70, opacity: 1, color: '#4c78a8' },
      encoding: { x, y: { ...y, field: 'value' } },
    },
    {
      name: 'values',
      mark: { type: 'text', align: 'left', baseline: 'middle', dx: 8, fontSize: 10 },
      encoding: { x, y: { ...y, field: 'value' }, text: { field: 'value', type: 'quantitative', format: '.4~g' } },
    },
  );
  return {
    ...SPEC_BASE,
    title,
    // Room for each label (never truncated) and for a value beside its dot.
    width: { step: Math.max(90, ...labels.map(labelRoom)) },
    height: 260,
    data: { values: rows },
    layer,
  };
}

/** Render the dot chart to SVG (and `<outBase>.svg/.png` if given). */
export function renderDotChart(input: DotChartInput & FigureOutput): Promise<string> {
  return renderFigure(dotChartSpec(input), input);
}
