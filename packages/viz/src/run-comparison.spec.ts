import { errorBarsSpec, renderErrorBars, renderRunCurves, runCurvesSpec, type RunCurve } from './run-comparison';
import { attribute, elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

const points = (start: number, end: number, band = 0) =>
  [0, 50, 100].map((step, i) => {
    const loss = start + ((end - start) * i) / 2;
    return band ? { step, loss, low: loss - band, high: loss + band } : { step, loss };
  });

describe('renderRunCurves', () => {
  const curves: RunCurve[] = [
    { run: 'runs/imposed/20260101-120000', points: points(4, 2.5, 0.1) },
    { run: 'runs/mrl-embeddings/20260101-130000', points: points(4.1, 2.7, 0.05) },
    { run: 'alone', points: points(4.2, 2.6) },
  ];

  it('draws a line per run in its own colour, a band behind each run with replicas, and names every run whole', async () => {
    const svg = await renderRunCurves({
      curves,
      title: 'val loss at width 32',
      subtitle: "mean of each run's replicas; band: min to max",
    });
    const lines = markGroups(svg, 'curves_marks').flatMap((g) => elements(g, 'path'));
    expect(lines).toHaveLength(3);
    expect(new Set(lines.map((p) => attribute(p, 'stroke'))).size).toBe(3);
    expect(markGroups(svg, 'bands_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(2);
    expect(markTexts(svg, 'role-legend-label')).toEqual(curves.map((c) => c.run));
    expect(markTexts(svg, 'role-title-text')).toEqual(['val loss at width 32']);
  });

  it('has no band layer when no run has replicas', () => {
    const spec = runCurvesSpec({ curves: [curves[2]], title: 't' }) as { layer: { name: string }[] };
    expect(spec.layer.map((l) => l.name)).toEqual(['curves']);
  });

  it('refuses a repeated run, a NaN loss and a band that misses its mean, naming the field', () => {
    expect(() => runCurvesSpec({ curves: [curves[0], curves[0]], title: 't' })).toThrow(
      'runCurves: curves[1] repeats run "runs/imposed/20260101-120000"',
    );
    expect(() => runCurvesSpec({ curves: [{ run: 'a', points: [{ step: 0, loss: NaN }] }], title: 't' })).toThrow(
      'curves[0].points[0].loss must be a finite number, got NaN',
    );
    expect(() =>
      runCurvesSpec({ curves: [{ run: 'a', points: [{ step: 0, loss: 2, low: 2.1, high: 3 }] }], title: 't' }),
    ).toThrow('curves[0].points[0] must have low <= value <= high');
  });
});

describe('renderErrorBars', () => {
  const input = {
    title: 'val loss per width',
    xTitle: 'width',
    yTitle: 'val loss',
    points: [
      { category: 'w16', series: 'a', mean: 2.6, low: 2.55, high: 2.65 },
      { category: 'w16', series: 'b', mean: 2.7 },
      { category: 'w32', series: 'a', mean: 2.5, low: 2.45, high: 2.55 },
      { category: 'w32', series: 'b', mean: 2.52, low: 2.5, high: 2.54 },
    ],
  };

  it('draws a point per (category, run) and a bar where the point has a spread', async () => {
    const svg = await renderErrorBars(input);
    expect(markGroups(svg, 'means_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(4);
    expect(markGroups(svg, 'bars_marks').flatMap((g) => elements(g, 'line'))).toHaveLength(3);
    expect(markTexts(svg, 'role-axis-label').filter((t) => t.startsWith('w'))).toEqual(['w16', 'w32']);
    expect(markTexts(svg, 'role-legend-label')).toEqual(['a', 'b']);
  });

  it('refuses a repeated (category, run) and a bar with one end', () => {
    expect(() => errorBarsSpec({ ...input, points: [input.points[0], input.points[0]] })).toThrow(
      'errorBars: points[1] repeats category "w16" of series "a"',
    );
    expect(() => errorBarsSpec({ ...input, points: [{ category: 'w8', series: 'a', mean: 1, low: 0.5 }] })).toThrow(
      'errorBars: points[0] must have both low and high or neither, got only low',
    );
  });
});
