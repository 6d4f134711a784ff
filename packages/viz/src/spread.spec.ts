import { differenceExceedsSpread, formatMeanStd, meanStd } from './spread';

describe('meanStd', () => {
  it('gives the mean and the sample (n - 1) standard deviation', () => {
    // Deviations from 2.5: -1.5, -0.5, 0.5, 1.5; squares sum to 5; divided by n - 1 = 3.
    const s = meanStd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s).toMatchObject({ n: 4, min: 1, max: 4 });
  });
  it('gives std 0 for a single value', () => {
    expect(meanStd([2.512])).toEqual({ mean: 2.512, std: 0, n: 1, min: 2.512, max: 2.512 });
  });
  it('throws on empty or non-finite input, naming the problem', () => {
    expect(() => meanStd([])).toThrow(/meanStd: values must be a non-empty array/);
    expect(() => meanStd([1, NaN])).toThrow(/meanStd: values\[1\] must be a finite number, got NaN/);
    expect(() => meanStd([Infinity])).toThrow(/values\[0\] must be a finite number, got Infinity/);
  });
});

describe('formatMeanStd', () => {
  it('writes mean ± std (n=N)', () => {
    // mean 2.51; deviations ±0.01, so std = sqrt(2 * 0.0001 / 1) = 0.01414...
    expect(formatMeanStd([2.5, 2.52])).toBe('2.510 ± 0.014 (n=2)');
    expect(formatMeanStd([1, 2, 3, 4], 2)).toBe('2.50 ± 1.29 (n=4)');
  });
  it('writes just the value for n = 1', () => {
    expect(formatMeanStd([2.512])).toBe('2.512');
    expect(formatMeanStd([2.5123], 1)).toBe('2.5');
  });
  it('shows an undefined statistic (NaN, or null from JSON) as n/a with its reason, never as a number', () => {
    expect(formatMeanStd([NaN], 3, 'one group')).toBe('n/a (one group)');
    expect(formatMeanStd([null, NaN], 3, 'no groups')).toBe('n/a (no groups)');
    expect(formatMeanStd([NaN])).toBe('n/a');
    // The defined ones are summarised and the others counted: mean 0.5 of [0.4, 0.6], std sqrt(0.02) = 0.141.
    expect(formatMeanStd([0.4, NaN, 0.6], 3, 'no groups')).toBe('0.500 ± 0.141 (n=2; 1 n/a: no groups)');
    expect(formatMeanStd([null, 0.25], 2, 'one group')).toBe('0.25 (n=1; 1 n/a: one group)');
    expect(() => formatMeanStd([Infinity])).toThrow(/finite/);
  });
  it('rejects a bad digits count and empty input', () => {
    expect(() => formatMeanStd([1, 2], -1)).toThrow(/digits/);
    expect(() => formatMeanStd([1, 2], 1.5)).toThrow(/digits/);
    expect(() => formatMeanStd([])).toThrow(/non-empty/);
  });
});

describe('differenceExceedsSpread', () => {
  // [1, 2, 3]: mean 2, std 1.
  it('is true when the means differ by more than the two stds together', () => {
    expect(differenceExceedsSpread([1, 2, 3], [4, 5, 6])).toBe(true); // |2 - 5| = 3 > 1 + 1
    expect(differenceExceedsSpread([4, 5, 6], [1, 2, 3])).toBe(true);
  });
  it('is false when the difference is within the spreads (or exactly equal to them)', () => {
    expect(differenceExceedsSpread([1, 2, 3], [2.5, 3.5, 4.5])).toBe(false); // 1.5 < 2
    expect(differenceExceedsSpread([1, 2, 3], [3, 4, 5])).toBe(false); // 2 = 2, not larger
  });
  it('is false when either side has a single value', () => {
    expect(differenceExceedsSpread([1], [100, 101])).toBe(false);
    expect(differenceExceedsSpread([100, 101], [1])).toBe(false);
  });
});
