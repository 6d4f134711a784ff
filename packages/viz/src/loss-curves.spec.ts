import { lossCurvesSpec, renderLossCurves, LossSeries } from './loss-curves';
import { attribute, elements, markGroups, markTexts } from './svg-inspect';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

const curve = (start: number, end: number) => [0, 50, 100].map((step, i) => ({ step, loss: start + ((end - start) * i) / 2 }));
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
    expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['loss', 'step']);
    expect(markTexts(svg, 'role-title-text')).toEqual(['Loss by width']);
    expect(markTexts(svg, 'role-legend-title')).toEqual(['width', 'split']);
    expect(markTexts(svg, 'role-legend-label')).toEqual(['8', '32', '64', 'train', 'val']);
  });

  it('uses linear axes: the step ticks are evenly spaced numbers', () => {
    const xLabels = markTexts(svg, 'role-axis-label').filter((t) => /^\d+$/.test(t)).map(Number);
    const gaps = new Set(xLabels.slice(1).map((v, i) => v - xLabels[i]));
    expect(gaps.size).toBe(1);
  });
});

describe('lossCurvesSpec input checks', () => {
  it('rejects a repeated (width, split)', () => {
    expect(() => lossCurvesSpec({ title: 't', series: [series[0], series[0]] })).toThrow(/series\[1\] repeats width 8 split train/);
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
  const banded = (start: number, end: number) => curve(start, end).map((p) => ({ ...p, low: p.loss - 0.1, high: p.loss + 0.2 }));
  const bandSeries: LossSeries[] = [
    { width: 8, split: 'train', points: banded(4, 2.5) },
    { width: 8, split: 'val', points: banded(4.1, 2.7) },
    { width: 32, split: 'train', points: curve(4, 1.8) },
  ];
  const input = { series: bandSeries, title: 'Loss by width', subtitle: 'mean of 8 replicas, band: min-max' };

  it('layers an area from low to high behind the lines', () => {
    const spec = lossCurvesSpec(input) as { layer: { name: string; mark: { type: string; opacity?: number }; encoding: Record<string, { field: string }> }[] };
    expect(spec.layer.map((l) => [l.name, l.mark.type])).toEqual([['bands', 'area'], ['curves', 'line']]);
    expect(spec.layer[0].mark.opacity).toBeCloseTo(0.18);
    expect(spec.layer[0].encoding.y.field).toBe('low');
    expect(spec.layer[0].encoding.y2.field).toBe('high');
    const rows = (spec as unknown as { data: { values: Record<string, unknown>[] } }).data.values;
    expect(rows[0]).toEqual({ width: 8, split: 'train', step: 0, loss: 4, low: 3.9, high: 4.2 });
    expect(rows.filter((r) => 'low' in r && 'high' in r)).toHaveLength(6);
    expect(rows.filter((r) => r.width === 32).every((r) => !('low' in r) && !('high' in r))).toBe(true);
  });

  it('keeps the single line spec, without low/high, when no point has a band', () => {
    const spec = lossCurvesSpec({ series, title: 't' });
    expect(spec).not.toHaveProperty('layer');
    expect(spec).toMatchObject({ name: 'curves', title: 't', mark: { type: 'line' } });
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

    it('shows the subtitle and the usual legends', () => {
      expect(markTexts(svg, 'role-title-text')).toEqual(['Loss by width']);
      expect(markTexts(svg, 'role-title-subtitle')).toEqual(['mean of 8 replicas, band: min-max']);
      expect(markTexts(svg, 'role-legend-title')).toEqual(['width', 'split']);
      expect(markTexts(svg, 'role-axis-title').sort()).toEqual(['loss', 'step']);
    });
  });

  it('rejects low above the loss, a missing high and a non-finite low', () => {
    const one = (p: LossSeries['points'][number]): LossSeries[] => [series[0], { width: 8, split: 'val', points: [{ step: 0, loss: 3 }, p] }];
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
    expect(() => lossCurvesSpec({ title: 't', series: one({ step: 50, loss: 2, low: 1, high: 1.9 }) })).toThrow(/low <= loss <= high/);
  });
});
