import { lineChartSpec, renderLineChart, LinePoint } from './line-chart';
import { attribute, elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

/** ARI per width after each of `epochs` re-clusterings, as the emergent app's stability chart has it. */
const stability = (epochs: number): LinePoint[] =>
  Array.from({ length: epochs }, (_, e) => e + 1).flatMap((epoch) =>
    [4, 8, 16].map((w) => ({ series: `width ${w}`, x: epoch, y: Math.min(1, 0.5 + (0.1 * epoch) / (w / 4)) })),
  );

const svgWidth = (svg: string) => Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1]);

describe('renderLineChart', () => {
  let svg: string;
  beforeAll(async () => {
    svg = await renderLineChart({
      points: stability(5),
      title: 'stability',
      subtitle: '1 = the same groups',
      xTitle: 'epoch',
      yTitle: 'ARI',
      yDomain: [0, 1],
    });
  });

  it('draws one line per series and a marker at every point', () => {
    expect(markGroups(svg, 'lines_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(3);
    expect(markGroups(svg, 'points_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(15);
  });

  it('names every colour in the legend, in first-appearance order, with the titles', () => {
    expect(markTexts(svg, 'role-legend-label')).toEqual(['width 4', 'width 8', 'width 16']);
    expect(markTexts(svg, 'role-title-text')).toEqual(['stability']);
    expect(markTexts(svg, 'role-title-subtitle')).toEqual(['1 = the same groups']);
    expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['ARI', 'epoch']);
  });

  it('gives whole-number x values whole-number ticks, and keeps the given y domain', () => {
    const [x, y] = markGroups(svg, 'role-axis-label').map((g) => markTexts(`<g class="l">${g}</g>`, 'l'));
    expect(x.every((t) => /^\d+$/.test(t))).toBe(true);
    expect(y[0]).toBe('0.0');
    expect(y[y.length - 1]).toBe('1.0');
  });

  it('keeps one size whatever the number of points: 40 epochs as wide as 4', async () => {
    const few = await renderLineChart({ points: stability(4), title: 'stability', xTitle: 'epoch', yTitle: 'ARI' });
    const many = await renderLineChart({ points: stability(40), title: 'stability', xTitle: 'epoch', yTitle: 'ARI' });
    // The plot is 480 px in both; only the axis labels' widths may differ.
    expect(Math.abs(svgWidth(many) - svgWidth(few))).toBeLessThan(30);
    expect(svgWidth(many)).toBeLessThan(700);
    // Lines that coincide still show each series' marker shape.
    const shapes = new Set(
      markGroups(many, 'points_marks')
        .flatMap((g) => elements(g, 'path'))
        .map((p) => attribute(p, 'd')?.replace(/[\d.-]+/g, '')),
    );
    expect(shapes.size).toBe(3);
  });
});

describe('lineChartSpec input checks', () => {
  const base = { title: 't', xTitle: 'x', yTitle: 'y' };
  it('rejects no points, a non-finite value and a missing series, naming the point', () => {
    expect(() => lineChartSpec({ ...base, points: [] })).toThrow(/points must be a non-empty array/);
    expect(() => lineChartSpec({ ...base, points: [{ series: 'a', x: 1, y: NaN }] })).toThrow(
      /points\[0\]\.y \(a\) must be a finite number/,
    );
    expect(() => lineChartSpec({ ...base, points: [{ series: '', x: 1, y: 1 }] })).toThrow(/points\[0\]\.series/);
  });
  it('rejects a y domain that is not [low, high]', () => {
    expect(() => lineChartSpec({ ...base, points: [{ series: 'a', x: 1, y: 1 }], yDomain: [1, 0] })).toThrow(
      /yDomain must be \[low, high\] with low < high, got \[1, 0\]/,
    );
  });
});
