import { lossCurvesSpec, renderLossCurves, LossSeries } from './loss-curves';
import { attribute, elements, markGroups, markTexts, texts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

const curve = (start: number, end: number) =>
  [0, 50, 100].map((step, i) => ({ step, loss: start + ((end - start) * i) / 2 }));
const series: LossSeries[] = [
  { width: 8, split: 'train', points: curve(4, 2.5) },
  { width: 8, split: 'val', points: curve(4.1, 2.7) },
  { width: 32, split: 'train', points: curve(4, 1.8) },
  { width: 32, split: 'val', points: curve(4.1, 2.0) },
  { width: 64, split: 'train', points: curve(4, 1.5) },
];

describe('renderLossCurves', () => {
  let svg: string;
  let paths: string[];
  beforeAll(async () => {
    svg = await renderLossCurves({ series, title: 'Loss by width' });
    paths = markGroups(svg, 'curves_marks').flatMap((g) => elements(g, 'path'));
  });

  it('draws one line path per series', () => {
    expect(paths).toHaveLength(series.length);
  });

  it('dashes exactly the val series and colours by width', () => {
    const dashed = paths.filter((p) => attribute(p, 'stroke-dasharray') === '6,3');
    expect(dashed).toHaveLength(2);
    const strokes = new Set(paths.map((p) => attribute(p, 'stroke')));
    expect(strokes.size).toBe(3); // three widths
  });

  it('has the axis titles, the title and legends for width and split', () => {
    expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['loss (log scale)', 'step']);
    expect(markTexts(svg, 'role-title-text')).toEqual(['Loss by width']);
    expect(markTexts(svg, 'role-legend-title')).toEqual(['width', 'split']);
    expect(markTexts(svg, 'role-legend-label')).toEqual(['8', '32', '64', 'train', 'val']);
  });

  it('uses a linear step axis: the step ticks are evenly spaced numbers', () => {
    // The step axis' labels (the loss axis' are at most 5 here).
    const xLabels = markGroups(svg, 'role-axis-label')
      .map((g) => texts(g).map(Number))
      .find((labels) => Math.max(...labels) >= 50) as number[];
    const gaps = new Set(xLabels.slice(1).map((v, i) => v - xLabels[i]));
    expect(gaps.size).toBe(1);
  });
});

describe('the untrained model and the log loss axis', () => {
  type Spec = {
    data: { values: { step: number }[] };
    title: { subtitle?: string[] };
    encoding: { y: { scale: { type: string }; axis: { values?: number[] } } };
    mark: { point?: boolean };
  };
  // The mrl-embeddings defaults, measured: at step 0 the loss is about the width, at step 50 width 32 is still at 11.7.
  const measured: LossSeries[] = [
    {
      width: 8,
      split: 'val',
      points: [
        { step: 0, loss: 8.74 },
        { step: 50, loss: 3.89 },
        { step: 100, loss: 3.52 },
        { step: 5000, loss: 2.53 },
      ],
    },
    {
      width: 32,
      split: 'val',
      points: [
        { step: 0, loss: 31.09 },
        { step: 50, loss: 11.69 },
        { step: 100, loss: 5.4 },
        { step: 5000, loss: 2.5 },
      ],
    },
  ];

  it('states the step-0 losses in the subtitle instead of drawing them', () => {
    const spec = lossCurvesSpec({ title: 't', series: measured }) as unknown as Spec;
    expect(spec.data.values.map((r) => r.step)).toEqual([50, 100, 5000, 50, 100, 5000]);
    expect(spec.title.subtitle).toEqual(['step 0 (not drawn), val: w8 8.74, w32 31.1']);
  });

  it('says nothing of step 0 for curves that start later (a zoomed view)', () => {
    const later = measured.map((s) => ({ ...s, points: s.points.filter((p) => p.step >= 100) }));
    const spec = lossCurvesSpec({ title: 't', subtitle: 'from step 100', series: later }) as unknown as Spec;
    expect(spec.data.values.map((r) => r.step)).toEqual([100, 5000, 100, 5000]);
    expect(spec.title.subtitle).toEqual(['from step 100']);
  });

  it('wraps a long step-0 note over lines that do not widen the figure', () => {
    const widths = [2, 4, 8, 16, 32, 64, 128];
    const many = (['train', 'val'] as const).flatMap((split) =>
      widths.map((width) => ({
        width,
        split,
        points: [
          { step: 0, loss: width },
          { step: 50, loss: 3 },
        ],
      })),
    );
    const lines = (lossCurvesSpec({ title: 't', series: many }) as unknown as Spec).title.subtitle ?? [];
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]).toMatch(/^step 0 \(not drawn\), train\/val: w2 2\.00\/2\.00,/);
    expect(lines.join(' ')).toContain('w128 128/128');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(76);
  });

  it('draws step 0 when it is all there is, as dots', () => {
    const spec = lossCurvesSpec({
      title: 't',
      series: [{ width: 8, split: 'val', points: [{ step: 0, loss: 8 }] }],
    }) as unknown as Spec;
    expect(spec.data.values.map((r) => r.step)).toEqual([0]);
    expect(spec.title).toBe('t');
    expect(spec.mark.point).toBe(true);
  });

  it('puts the loss on a log axis with ticks that crowd where training ends', () => {
    const spec = lossCurvesSpec({ title: 't', series: measured }) as unknown as Spec;
    expect(spec.encoding.y.scale.type).toBe('log');
    const ticks = spec.encoding.y.axis.values ?? [];
    expect(ticks.slice(0, 3)).toEqual([2.5, 3, 3.5]);
    // At least 20 px apart on the 300 px axis from 2.5 to 11.69.
    const px = (v: number) => (300 * Math.log(v / 2.5)) / Math.log(11.69 / 2.5);
    ticks.slice(1).forEach((v, i) => expect(px(v) - px(ticks[i])).toBeGreaterThanOrEqual(20));
  });

  it('rejects a loss of 0 or below, which a log axis cannot show', () => {
    const zero: LossSeries[] = [
      {
        width: 8,
        split: 'val',
        points: [
          { step: 50, loss: 2 },
          { step: 100, loss: 0 },
        ],
      },
    ];
    expect(() => lossCurvesSpec({ title: 't', series: zero })).toThrow(
      /series\[0\]\.points\[1\]\.loss must be > 0 on the log loss axis, got 0/,
    );
  });

  it('gives the last 90% of training a readable share of the plot at the mrl-embeddings defaults', async () => {
    // Val losses measured at the defaults (5000 steps, evaluated every 50), widths 8, 16, 32.
    const measuredRun: [number, number, number, number][] = [
      [0, 8.743, 15.65, 31.09],
      [50, 3.888, 4.631, 11.688],
      [100, 3.518, 3.741, 5.395],
      [150, 3.418, 3.443, 4.239],
      [200, 3.303, 3.292, 3.615],
      [250, 3.277, 3.263, 3.582],
      [500, 3.276, 3.227, 3.315],
      [1000, 2.948, 2.909, 2.945],
      [2000, 2.691, 2.636, 2.637],
      [3000, 2.511, 2.451, 2.472],
      [5000, 2.527, 2.494, 2.499],
    ];
    const run: LossSeries[] = [8, 16, 32].map((width, k) => ({
      width,
      split: 'val',
      points: measuredRun.map((r) => ({ step: r[0], loss: r[k + 1] })),
    }));
    const svg = await renderLossCurves({ title: 'defaults', series: run });
    // Path points are "x,y" in plot pixels; the plot is 480 px wide for steps 0..5000.
    const points = markGroups(svg, 'curves_marks')
      .flatMap((g) => elements(g, 'path'))
      .flatMap((p) =>
        [...(attribute(p, 'd') ?? '').matchAll(/[ML]([\d.]+),([\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]),
      );
    const late = points.filter(([x]) => x >= 480 * 0.1 - 1).map(([, y]) => y);
    // From 3.3 to 2.45: 3% of the height on the linear axis from 0 to 31 that the report had; now over 15%.
    expect(Math.max(...late) - Math.min(...late)).toBeGreaterThan(0.15 * 300);
  });
});

describe('lossCurvesSpec input checks', () => {
  it('rejects a repeated (width, split)', () => {
    expect(() => lossCurvesSpec({ title: 't', series: [series[0], series[0]] })).toThrow(
      /series\[1\] repeats width 8 split train/,
    );
  });
  it('rejects a series without points', () => {
    expect(() => lossCurvesSpec({ title: 't', series: [{ width: 8, split: 'val', points: [] }] })).toThrow(/points/);
  });
  it('rejects an unknown split and a NaN loss', () => {
    const badSplit = [{ width: 8, split: 'test' as 'val', points: curve(1, 1) }];
    expect(() => lossCurvesSpec({ title: 't', series: badSplit })).toThrow(/split/);
    const badLoss = [{ width: 8, split: 'val' as const, points: [{ step: 0, loss: NaN }] }];
    expect(() => lossCurvesSpec({ title: 't', series: badLoss })).toThrow(/points\[0\]\.loss/);
  });
});

describe('loss curves with min-max bands', () => {
  // Mean line with a band from min to max over replicas; the width-32 series has no band.
  const banded = (start: number, end: number) =>
    curve(start, end).map((p) => ({ ...p, low: p.loss - 0.1, high: p.loss + 0.2 }));
  const bandSeries: LossSeries[] = [
    { width: 8, split: 'train', points: banded(4, 2.5) },
    { width: 8, split: 'val', points: banded(4.1, 2.7) },
    { width: 32, split: 'train', points: curve(4, 1.8) },
  ];
  const input = { series: bandSeries, title: 'Loss by width', subtitle: 'mean of 8 replicas, band: min-max' };

  it('layers an area from low to high behind the lines', () => {
    const spec = lossCurvesSpec(input) as {
      layer: { name: string; mark: { type: string; opacity?: number }; encoding: Record<string, { field: string }> }[];
    };
    expect(spec.layer.map((l) => [l.name, l.mark.type])).toEqual([
      ['bands', 'area'],
      ['curves', 'line'],
    ]);
    expect(spec.layer[0].mark.opacity).toBeCloseTo(0.18);
    expect(spec.layer[0].encoding.y.field).toBe('low');
    expect(spec.layer[0].encoding.y2.field).toBe('high');
    const rows = (spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    expect(rows[0]).toEqual({ width: 8, split: 'train', step: 50, loss: 3.25, low: 3.15, high: 3.45 });
    expect(rows.filter((r) => 'low' in r && 'high' in r)).toHaveLength(4); // steps 50 and 100 of two series
    expect(rows.filter((r) => r.width === 32).every((r) => !('low' in r) && !('high' in r))).toBe(true);
  });

  it('keeps the single line spec, without low/high, when no point has a band', () => {
    const spec = lossCurvesSpec({ series, title: 't' });
    expect(spec).not.toHaveProperty('layer');
    expect(spec).toMatchObject({ name: 'curves', title: { text: 't' }, mark: { type: 'line' } });
    expect((spec.data as { values: object[] }).values.every((r) => !('low' in r))).toBe(true);
  });

  describe('rendered', () => {
    let svg: string;
    beforeAll(async () => {
      svg = await renderLossCurves(input);
    });

    it('draws one translucent band per banded series, in its line colour', () => {
      const bands = markGroups(svg, 'bands_marks').flatMap((g) => elements(g, 'path'));
      expect(bands).toHaveLength(2);
      for (const b of bands) {
        expect(attribute(b, 'd')).toMatch(/^M[\d.,L-]+Z$/);
        expect(Number(attribute(b, 'opacity'))).toBeCloseTo(0.18);
      }
      const lines = markGroups(svg, 'curves_marks').flatMap((g) => elements(g, 'path'));
      expect(lines).toHaveLength(3);
      const width8Stroke = attribute(lines[0], 'stroke');
      expect(bands.map((b) => attribute(b, 'fill'))).toEqual([width8Stroke, width8Stroke]);
      // The bands come before (behind) the lines.
      expect(svg.indexOf('bands_marks')).toBeLessThan(svg.indexOf('curves_marks'));
    });

    it("shows each width in the legend by its line's colour, at full opacity (not the pale band)", () => {
      const lines = markGroups(svg, 'curves_marks').flatMap((g) => elements(g, 'path'));
      const symbols = markGroups(svg, 'role-legend-symbol')
        .flatMap((g) => elements(g, 'path'))
        .slice(0, 2); // widths 8 and 32
      expect(symbols.map((p) => attribute(p, 'stroke'))).toEqual([
        attribute(lines[0], 'stroke'),
        attribute(lines[2], 'stroke'),
      ]);
      expect(symbols.map((p) => [attribute(p, 'd'), attribute(p, 'opacity')])).toEqual([
        ['M-5,0L5,0', '1'],
        ['M-5,0L5,0', '1'],
      ]);
    });

    it('shows the subtitle, then the step-0 losses, and the usual legends', () => {
      expect(markTexts(svg, 'role-title-text')).toEqual(['Loss by width']);
      const lines = markGroups(svg, 'role-title-subtitle').flatMap((g) =>
        [...g.matchAll(/<tspan\b[^>]*>(.*?)<\/tspan>/g)].map((m) => m[1]),
      );
      expect(lines).toEqual([
        'mean of 8 replicas, band: min-max',
        'step 0 (not drawn), train/val: w8 4.00/4.10, w32 4.00/-',
      ]);
      expect(markTexts(svg, 'role-legend-title')).toEqual(['width', 'split']);
      expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['loss (log scale)', 'step']);
    });
  });

  it('rejects low above the loss, a missing high and a non-finite low', () => {
    const one = (p: LossSeries['points'][number]): LossSeries[] => [
      series[0],
      { width: 8, split: 'val', points: [{ step: 0, loss: 3 }, p] },
    ];
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, low: 2.5, high: 3 }) })).toThrow(
      /series\[1\]\.points\[1\] must have low <= loss <= high, got low 2\.5, loss 2, high 3/,
    );
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, high: 3 }) })).toThrow(
      /series\[1\]\.points\[1\] must have both low and high or neither, got only high/,
    );
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, low: 1.5 }) })).toThrow(/got only low/);
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, low: -Infinity, high: 3 }) })).toThrow(
      /series\[1\]\.points\[1\]\.low must be a finite number/,
    );
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, low: 1, high: 1.9 }) })).toThrow(
      /low <= loss <= high/,
    );
  });
});
