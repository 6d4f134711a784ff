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
