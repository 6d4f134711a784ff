import { FigureOutput, renderFigure } from './figure';
import { requireFinite, requireNonEmptyArray, requireTitle } from './validate';
import { VegaLiteSpec } from './vega-render';

export interface Bar {
  label: string;
  value: number;
  /** Bars sharing a label but not a group stand side by side, coloured by group. */
  group?: string;
}

export interface BarChartInput {
  bars: Bar[];
  title: string;
  xTitle: string;
  yTitle: string;
}

const FN = 'barChart';

/**
 * Width in px an x label needs at vega's 10 px axis font: 6.5 px per character bounds DejaVu Sans
 * (digits 6.4, capitals up to 7.7 but few), plus a gap, so neighbouring labels never overlap.
 */
export function labelRoom(label: string): number {
  return Math.ceil(6.5 * [...label].length) + 8;
}

/** Vega-Lite spec: bars in the given order, value printed above each bar. */
export function barChartSpec(input: BarChartInput): VegaLiteSpec {
  const title = requireTitle(FN, input.title);
  const bars = requireNonEmptyArray(FN, 'bars', input.bars).map((b, i) => {
    if (typeof b.label !== 'string') throw new Error(`${FN}: bars[${i}].label must be a string`);
    if (b.group !== undefined && typeof b.group !== 'string')
      throw new Error(`${FN}: bars[${i}].group must be a string`);
    return {
      label: b.label,
      value: requireFinite(FN, `bars[${i}].value (${JSON.stringify(b.label)})`, b.value),
      group: b.group ?? '',
    };
  });
  const grouped = bars.some((b) => b.group !== '');
  const labelOrder = [...new Set(bars.map((b) => b.label))];
  const groupOrder = [...new Set(bars.map((b) => b.group))];
  const x = {
    field: 'label',
    type: 'nominal',
    sort: labelOrder,
    title: input.xTitle,
    axis: { labelAngle: 0, labelLimit: 0 },
  }; // step gives the room: no truncation
  const shared = grouped ? { x, xOffset: { field: 'group', type: 'nominal', sort: groupOrder } } : { x };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    // Each label gets the room it needs: long labels widen the bars rather than overlap. The step is
    // per label ('position'): vega-lite's default with xOffset is per bar, which made 4 groups 4x wider.
    width: { step: Math.max(grouped ? 24 * groupOrder.length : 40, ...labelOrder.map(labelRoom)), for: 'position' },
    height: 260,
    data: { values: bars },
    layer: [
      {
        name: 'bars',
        mark: 'bar',
        encoding: {
          ...shared,
          y: { field: 'value', type: 'quantitative', title: input.yTitle },
          ...(grouped ? { color: { field: 'group', type: 'nominal', sort: groupOrder, title: null } } : {}),
        },
      },
      {
        name: 'values',
        mark: { type: 'text', baseline: 'bottom', dy: -2, fontSize: 9 },
        encoding: {
          ...shared,
          y: { field: 'value', type: 'quantitative' },
          text: { field: 'value', type: 'quantitative', format: '.3~g' },
        },
      },
    ],
  };
}

/** Render the bar chart to SVG (and `<outBase>.svg/.png` if given). */
export function renderBarChart(input: BarChartInput & FigureOutput): Promise<string> {
  return renderFigure(barChartSpec(input), input);
}
