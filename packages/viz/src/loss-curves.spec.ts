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
