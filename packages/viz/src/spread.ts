/**
 * Spread over replicas (independently seeded copies of one model): mean ± sample standard
 * deviation for tables, and a plain rule for whether two results differ by more than their spread.
 */

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n - 1 denominator); 0 when n = 1. */
  std: number;
  n: number;
  min: number;
  max: number;
}

/** Mean, sample standard deviation, count, min and max; throws on an empty array or a non-finite value. */
export function meanStd(values: readonly number[]): MeanStd {
  if (!Array.isArray(values) || values.length === 0) throw new Error('meanStd: values must be a non-empty array');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`meanStd: values[${i}] must be a finite number, got ${String(v)}`);
  });
  const n = values.length;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  // Two passes (squares of deviations from the mean), not E[x²] - mean², which cancels badly.
  const std = n === 1 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, min: Math.min(...values), max: Math.max(...values) };
}

/**
 * "mean ± std (n=N)" with `digits` decimals, e.g. "2.512 ± 0.013 (n=4)"; a single value is
 * just "2.512" (no spread to show). A value may be an undefined statistic (NaN, or null as JSON
 * writes NaN: the silhouette of one group), never shown as a number: when all are, the text is
 * "n/a (why)", with `undefinedBecause` as the why; when some are, they are left out and counted,
 * "0.412 ± 0.050 (n=2; 1 n/a: why)".
 */
export function formatMeanStd(values: readonly (number | null)[], digits = 3, undefinedBecause?: string): string {
  if (!Number.isInteger(digits) || digits < 0 || digits > 20) {
    throw new Error(`formatMeanStd: digits must be an integer from 0 to 20, got ${String(digits)}`);
  }
  const defined = values.filter((v): v is number => v !== null && !Number.isNaN(v));
  const undefinedCount = values.length - defined.length;
  if (values.length > 0 && undefinedCount === values.length)
    return undefinedBecause ? `n/a (${undefinedBecause})` : 'n/a';
  const { mean, std, n } = meanStd(defined);
  const value = n === 1 ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${std.toFixed(digits)}`;
  if (undefinedCount === 0) return n === 1 ? value : `${value} (n=${n})`;
  return `${value} (n=${n}; ${undefinedCount} n/a${undefinedBecause ? `: ${undefinedBecause}` : ''})`;
}

/**
 * Whether two sets of replica results differ by a difference larger than the two spreads
 * together: |mean(a) - mean(b)| > std(a) + std(b), with std the sample standard deviation.
 * This is a rough screen, not a significance test. If either side has a single value (n = 1)
 * it has no spread to compare against, so the answer is false.
 */
export function differenceExceedsSpread(a: readonly number[], b: readonly number[]): boolean {
  const sa = meanStd(a);
  const sb = meanStd(b);
  if (sa.n === 1 || sb.n === 1) return false;
  return Math.abs(sa.mean - sb.mean) > sa.std + sb.std;
}
