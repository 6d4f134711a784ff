/** Small helpers for talking about characters as Unicode code points in error messages. */

/** "U+000A", "U+1F642": the conventional name of a code point. */
export function formatCodePoint(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** True when `value` is a string holding exactly one code point. */
export function isSingleCodePoint(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2) return false;
  const codePoint = value.codePointAt(0) as number;
  return value.length === (codePoint > 0xffff ? 2 : 1);
}
