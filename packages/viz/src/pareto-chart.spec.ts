import { paretoChartSpec, renderParetoChart, ScatterPoint } from './pareto-chart';
import { attribute, elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

/** Pixel position of a symbol (vega places each one by a translate). */
const position = (tag: string) => {
  const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(attribute(tag, 'transform') ?? '');
  return { x: Number(m?.[1]), y: Number(m?.[2]) };
};
/** x coordinates of the vertices of a line path ("M x,y L x,y ..."). */
const pathXs = (tag: string) => [...(attribute(tag, 'd') ?? '').matchAll(/[ML]([-\d.e]+),/g)].map((m) => Number(m[1]));
const base = { title: 'Val loss vs compute', xTitle: 'forward FLOPs / token', yTitle: 'val loss' };

describe('renderParetoChart', () => {
  // Series are listed not alphabetically, and the front points of 'random mix' out of x order.
  const points: ScatterPoint[] = [
    { x: 4160, y: 1.9, series: 'random mix', label: 'w32', front: true },
    { x: 1040, y: 2.5, series: 'random mix', label: 'w8', front: true },
    { x: 3000, y: 2.4, series: 'random mix' },
    { x: 2080, y: 2.2, series: 'random mix', label: 'w16', front: true },
    { x: 1040, y: 2.6, series: 'trained width' },
    { x: 2000, y: 2.7, series: 'trained width' },
    { x: 1500, y: 2.45, series: 'trained alone', label: 'a16' },
  ];
  let svg: string;
  let symbols: string[];
  beforeAll(async () => {
    svg = await renderParetoChart({ ...base, points });
    symbols = markGroups(svg, 'points_marks').flatMap((g) => elements(g, 'path'));
  });

  it('draws one marker per point, with title and axis titles', () => {
    expect(symbols).toHaveLength(points.length);
    expect(markTexts(svg, 'role-title-text')).toEqual(['Val loss vs compute']);
    expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['forward FLOPs / token', 'val loss']);
  });

  it('lists the series in the legend in first-appearance order, one colour and shape each', () => {
    expect(markTexts(svg, 'role-legend-label')).toEqual(['random mix', 'trained width', 'trained alone']);
    const strokes = symbols.map((s) => attribute(s, 'stroke'));
    expect(new Set(strokes).size).toBe(3);
    expect(strokes[4]).toBe(strokes[5]); // same series, same colour
    const shapes = [0, 4, 6].map((i) => attribute(symbols[i], 'd')?.replace(/[\d.]+/g, '#'));
    expect(new Set(shapes).size).toBe(3);
  });

  it('writes the labels as text and draws labelled points larger and filled', () => {
    expect(markTexts(svg, 'labels_marks')).toEqual(['w32', 'w8', 'w16', 'a16']);
    const labels = markGroups(svg, 'labels_marks').flatMap((g) => elements(g, 'text'));
    expect(labels.every((t) => attribute(t, 'font-size') === '9px')).toBe(true);
    const [labelled, plain] = [symbols[1], symbols[2]]; // same series
    expect(attribute(labelled, 'fill')).toBe(attribute(labelled, 'stroke'));
    expect(attribute(plain, 'fill')).toBe('white');
    const radius = (tag: string) => Number(/^M([\d.]+),/.exec(attribute(tag, 'd') ?? '')?.[1]);
    expect(radius(labelled)).toBeGreaterThan(radius(plain));
  });

  it("joins a series' front points by one line in x order, in the series colour", () => {
    const lines = markGroups(svg, 'fronts_marks').flatMap((g) => elements(g, 'path'));
    expect(lines).toHaveLength(1);
    expect(attribute(lines[0], 'stroke')).toBe(attribute(symbols[0], 'stroke'));
    const xs = pathXs(lines[0]);
    expect(xs).toHaveLength(3);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // The vertices are the front markers (w8, w16, w32), not the off-front point at 3000.
    const frontXs = [1, 3, 0].map((i) => position(symbols[i]).x);
    xs.forEach((x, i) => expect(x).toBeCloseTo(frontXs[i], 3));
  });

  it("with fronts 'across series', joins every front point by one grey dashed line, whatever its series", async () => {
    const mixed = points.map((p, i) => (i === 4 ? { ...p, front: true } : p)); // a 'trained width' point joins the front
    const across = await renderParetoChart({ ...base, points: mixed, fronts: 'across series' });
    const lines = markGroups(across, 'fronts_marks').flatMap((g) => elements(g, 'path'));
    expect(lines).toHaveLength(1);
    expect(attribute(lines[0], 'stroke')).toBe('#555');
    expect(attribute(lines[0], 'stroke-dasharray')).toBe('5,3');
    expect(pathXs(lines[0])).toHaveLength(4);
    expect(() => paretoChartSpec({ ...base, points, fronts: 'some' as 'per series' })).toThrow(
      "fronts must be 'per series' or 'across series'",
    );
  });

  it('does not force the y axis to zero', () => {
    const yTicks = markTexts(svg, 'role-axis-label')
      .map(Number)
      .filter((v) => v < 10);
    expect(Math.min(...yTicks)).toBeGreaterThan(1);
  });

  it('draws no front line and no labels when no point has them', async () => {
    const plain = await renderParetoChart({ ...base, points: points.map(({ x, y, series }) => ({ x, y, series })) });
    expect(markGroups(plain, 'points_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(points.length);
    expect(markGroups(plain, 'fronts_marks')).toHaveLength(0);
    expect(markGroups(plain, 'labels_marks')).toHaveLength(0);
  });

  it('uses a log x axis when asked: decades are evenly spaced, and not on a linear axis', async () => {
    const decades = [1e3, 1e4, 1e5].map((x, i) => ({ x, y: 3 - i, series: 's' }));
    const gaps = (chart: string) => {
      const xs = markGroups(chart, 'points_marks')
        .flatMap((g) => elements(g, 'path'))
        .map((s) => position(s).x);
      return [xs[1] - xs[0], xs[2] - xs[1]];
    };
    const [logA, logB] = gaps(await renderParetoChart({ ...base, points: decades, logX: true }));
    expect(logA).toBeGreaterThan(0);
    expect(logA).toBeCloseTo(logB, 3);
    const [linA, linB] = gaps(await renderParetoChart({ ...base, points: decades }));
    expect(linB).toBeGreaterThan(5 * linA);
  });
});

describe('paretoChartSpec input checks', () => {
  it('rejects an empty point list', () => {
    expect(() => paretoChartSpec({ ...base, points: [] })).toThrow(/paretoChart: points must be a non-empty array/);
  });
  it('rejects a non-finite x or y, naming the index', () => {
    const ok = { x: 1, y: 1, series: 's' };
    expect(() => paretoChartSpec({ ...base, points: [ok, { ...ok, x: NaN }] })).toThrow(
      /points\[1\]\.x must be a finite number/,
    );
    expect(() => paretoChartSpec({ ...base, points: [ok, ok, { ...ok, y: Infinity }] })).toThrow(
      /points\[2\]\.y must be a finite number/,
    );
  });
  it('rejects x <= 0 on a log axis only', () => {
    const points = [
      { x: 10, y: 1, series: 's' },
      { x: 0, y: 1, series: 's' },
    ];
    expect(() => paretoChartSpec({ ...base, points, logX: true })).toThrow(/points\[1\]\.x must be > 0 .*logX/);
    expect(() => paretoChartSpec({ ...base, points: [{ x: -5, y: 1, series: 's' }], logX: true })).toThrow(
      /points\[0\]\.x/,
    );
    expect(() => paretoChartSpec({ ...base, points })).not.toThrow();
  });
  it('rejects a missing series name and an empty title', () => {
    expect(() => paretoChartSpec({ ...base, points: [{ x: 1, y: 1, series: '' }] })).toThrow(/points\[0\]\.series/);
    expect(() => paretoChartSpec({ ...base, title: ' ', points: [{ x: 1, y: 1, series: 's' }] })).toThrow(/title/);
  });
});
