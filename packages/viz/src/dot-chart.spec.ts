import { dotChartSpec, renderDotChart } from './dot-chart';
import { attribute, elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

/** The y of each symbol's centre (vega places a symbol path with transform="translate(x,y)"). */
const ys = (svg: string, mark: string) =>
  markGroups(svg, mark)
    .flatMap((g) => elements(g, 'path'))
    .map((p) => Number(/translate\([\d.-]+,([\d.-]+)\)/.exec(attribute(p, 'transform') ?? '')?.[1]));

describe('renderDotChart', () => {
  let svg: string;
  beforeAll(async () => {
    svg = await renderDotChart({
      dots: [
        { label: 'w8 (head 1.04K FLOP/tok)', value: 2.78, low: 2.74, high: 2.83 },
        { label: 'w16 (head 2.08K FLOP/tok)', value: 2.6 },
        { label: 'w32 (head 4.16K FLOP/tok)', value: 2.53, low: 2.5, high: 2.57 },
      ],
      title: 'validation loss per width',
      subtitle: 'dot: mean of 8 replicas; bar: min to max',
      xTitle: 'width',
      yTitle: 'val loss',
    });
  });

  it('draws a dot per label in order, its value beside it, and a range where given', () => {
    expect(markGroups(svg, 'dots_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(3);
    expect(markTexts(svg, 'values_marks')).toEqual(['2.78', '2.6', '2.53']);
    expect(markGroups(svg, 'ranges_marks').flatMap((g) => elements(g, 'line'))).toHaveLength(2);
    expect(markTexts(svg, 'role-axis-label').slice(0, 3)).toEqual([
      'w8 (head 1.04K FLOP/tok)',
      'w16 (head 2.08K FLOP/tok)',
      'w32 (head 4.16K FLOP/tok)',
    ]);
    expect(markTexts(svg, 'role-title-subtitle')).toEqual(['dot: mean of 8 replicas; bar: min to max']);
  });

  it('does not start the axis at 0: 2.53 and 2.78 are far apart (bars from 0 made them look alike)', () => {
    const [w8, , w32] = ys(svg, 'dots_marks');
    expect(w32 - w8).toBeGreaterThan(0.5 * 260);
  });
});

describe('dotChartSpec input checks', () => {
  const base = { title: 't', xTitle: 'x', yTitle: 'y' };
  it('rejects a repeated label, a lone low and a value outside its range', () => {
    expect(() =>
      dotChartSpec({
        ...base,
        dots: [
          { label: 'a', value: 1 },
          { label: 'a', value: 2 },
        ],
      }),
    ).toThrow(/dots\[1\] repeats label "a"/);
    expect(() => dotChartSpec({ ...base, dots: [{ label: 'a', value: 1, low: 0 }] })).toThrow(
      /dots\[0\] must have both low and high or neither, got only low/,
    );
    expect(() => dotChartSpec({ ...base, dots: [{ label: 'a', value: 1, low: 1.5, high: 2 }] })).toThrow(
      /low <= value <= high, got low 1.5, value 1, high 2/,
    );
    expect(() => dotChartSpec({ ...base, dots: [{ label: 'a', value: Infinity }] })).toThrow(
      /dots\[0\]\.value \("a"\) must be a finite number/,
    );
  });
});
