/** Input checks shared by the chart builders; messages name the function and the field. */

export function requireTitle(fn: string, title: unknown): string {
  if (typeof title !== 'string' || title.trim() === '') throw new Error(`${fn}: title must be a non-empty string`);
  return title;
}

export function requireFinite(fn: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`${fn}: ${what} must be a finite number, got ${String(value)}`);
  }
  return value;
}

export function requireNonEmptyArray<T>(fn: string, what: string, value: T[] | undefined): T[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`${fn}: ${what} must be a non-empty array`);
  return value;
}

/** A chart's title, with its subtitle under it when given (a string). */
export function chartTitle(
  fn: string,
  input: { title: unknown; subtitle?: unknown },
): string | { text: string; subtitle: string } {
  const title = requireTitle(fn, input.title);
  if (input.subtitle === undefined) return title;
  if (typeof input.subtitle !== 'string') throw new Error(`${fn}: subtitle must be a string`);
  return { text: title, subtitle: input.subtitle };
}

/** The value axis' scale: `yDomain` ([low, high], low < high) when given, else the data's, not forced to include 0. */
export function valueScale(fn: string, yDomain: unknown): Record<string, unknown> {
  if (yDomain === undefined) return { zero: false };
  const [low, high] = Array.isArray(yDomain) ? yDomain : [];
  if (!(requireFinite(fn, 'yDomain[0]', low) < requireFinite(fn, 'yDomain[1]', high))) {
    throw new Error(`${fn}: yDomain must be [low, high] with low < high, got [${low}, ${high}]`);
  }
  return { domain: [low, high] };
}

/** A point's range (e.g. min and max over replicas): both ends or neither, with low <= value <= high. */
export function optionalRange(
  fn: string,
  at: string,
  value: number,
  low: unknown,
  high: unknown,
  name = 'value',
): { low?: number; high?: number } {
  if (low === undefined && high === undefined) return {};
  if (low === undefined || high === undefined)
    throw new Error(
      `${fn}: ${at} must have both low and high or neither, got only ${low === undefined ? 'high' : 'low'}`,
    );
  const lo = requireFinite(fn, `${at}.low`, low);
  const hi = requireFinite(fn, `${at}.high`, high);
  if (!(lo <= value && value <= hi))
    throw new Error(`${fn}: ${at} must have low <= ${name} <= high, got low ${lo}, ${name} ${value}, high ${hi}`);
  return { low: lo, high: hi };
}
