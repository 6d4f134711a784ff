import { barChartSpec, renderBarChart } from './bar-chart';
import { attribute, elements, markGroups, markTexts } from './svg-inspect';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

describe('renderBarChart', () => {
  it('draws one bar per entry in the given order, with values and axis titles', async () => {
    const svg = await renderBarChart({
      bars: [
        { label: 'w32', value: 1.6 },
        { label: 'w8', value: 2.25 },
        { label: 'w16', value: 1.9 },
      ],
      title: 'Val loss vs compute',
      xTitle: 'width',
      yTitle: 'val loss',
    });
    const bars = markGroups(svg, 'bars_marks').flatMap((g) => elements(g, 'path'));
    expect(bars).toHaveLength(3);
    // Taller bar = larger value: the w8 bar (2.25) is the tallest.
    const heights = bars.map((b) => Number(/v(-?[\d.]+)/.exec(attribute(b, 'd') ?? '')?.[1]));
    expect(heights.indexOf(Math.max(...heights))).toBe(1);
    expect(markTexts(svg, 'values_marks')).toEqual(['1.6', '2.25', '1.9']);
    expect(markTexts(svg, 'role-axis-label').slice(0, 3)).toEqual(['w32', 'w8', 'w16']);
    expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['val loss', 'width']);
  });

  it('colours grouped bars by group and lists the groups in the legend', async () => {
    const svg = await renderBarChart({
      bars: [
        { label: '8', value: 2, group: 'nested' },
        { label: '8', value: 2.1, group: 'separate' },
        { label: '32', value: 1.5, group: 'nested' },
        { label: '32', value: 1.6, group: 'separate' },
      ],
      title: 'grouped',
      xTitle: 'width',
      yTitle: 'loss',
    });
    const fills = markGroups(svg, 'bars_marks')
      .flatMap((g) => elements(g, 'path'))
      .map((p) => attribute(p, 'fill'));
    expect(fills).toHaveLength(4);
    expect(fills[0]).toBe(fills[2]);
    expect(fills[0]).not.toBe(fills[1]);
    expect(markTexts(svg, 'role-legend-label')).toEqual(['nested', 'separate']);
  });

  it('spaces long labels so that neighbours never overlap (the bars widen instead)', async () => {
    const labels = ['w8 (head 1.04K FLOP/tok)', 'w16 (head 2.08K FLOP/tok)', 'w32 (head 4.16K FLOP/tok)'];
    const svg = await renderBarChart({
      bars: labels.map((label, i) => ({ label, value: i + 1 })),
      title: 't',
      xTitle: 'x',
      yTitle: 'y',
    });
    const xLabels = markGroups(svg, 'role-axis-label')
      .flatMap((g) => elements(g, 'text'))
      .map((t) => Number(/translate\(([-\d.]+),/.exec(attribute(t, 'transform') ?? '')?.[1]));
    expect(markTexts(svg, 'role-axis-label').slice(0, 3)).toEqual(labels);
    // Centred labels of ~6.5 px per character at the 10 px axis font: centres at least that far apart.
    const widest = Math.max(...labels.map((l) => 6.5 * l.length));
    expect(xLabels[1] - xLabels[0]).toBeGreaterThanOrEqual(widest);
    expect(xLabels[2] - xLabels[1]).toBeGreaterThanOrEqual(widest);
  });

  it('gives grouped bars the room of their label, not each bar that room (4 groups were 4x too wide)', async () => {
    const bars = [4, 8, 16, 32].flatMap((w) =>
      ['min', 'mean', 'max'].map((label, i) => ({ label, value: 0.3 + 0.2 * i, group: `width ${w}` })),
    );
    const svg = await renderBarChart({ bars, title: 'agreement', xTitle: 'over the pairs', yTitle: 'ARI' });
    // 3 labels of 4 bars of 24 px, plus the axis and the legend: 1,691 px before.
    expect(Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1])).toBeLessThan(600);
  });

  it('rejects a non-finite value, naming the bar', () => {
    expect(() =>
      barChartSpec({ bars: [{ label: 'w8', value: Infinity }], title: 't', xTitle: 'x', yTitle: 'y' }),
    ).toThrow(/bars\[0\]\.value \("w8"\)/);
  });
});
