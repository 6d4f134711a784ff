// The nesting list m_k = [2^minPower, ..., d] (docs/EXPERIMENTS.md, "Notation").

/** A model width: the size of an embedding prefix, always a power of two. */
export type Width = number;

export function isPowerOfTwo(n: number): boolean {
  // Not `n & (n - 1)`: JS bitwise operators truncate to 32 bits. Nor Number.isInteger(Math.log2(n)):
  // log2(2^52 + 1) rounds to exactly 52. Rounding the exponent and raising 2 to it is exact.
  return Number.isSafeInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

/** Widths 2^minPower, 2^(minPower+1), ..., d. Throws a message naming the bad field. */
export function nestingWidths(d: number, minPower: number): Width[] {
  if (!isPowerOfTwo(d)) throw new Error(`width d must be a power of two (got ${d})`);
  const maxPower = Math.log2(d);
  if (!Number.isInteger(minPower) || minPower < 0 || minPower > maxPower) {
    throw new Error(`minPower must be an integer in [0, ${maxPower}] for d=${d} (got ${minPower})`);
  }
  const widths: Width[] = [];
  for (let p = minPower; p <= maxPower; p++) widths.push(2 ** p);
  return widths;
}

/** Check a width list is strictly increasing powers of two ending at d. */
export function validateWidths(widths: readonly Width[], d: number): void {
  if (widths.length === 0) throw new Error('widths: the nesting list is empty');
  widths.forEach((w, i) => {
    if (!isPowerOfTwo(w)) throw new Error(`widths[${i}] = ${w} is not a power of two`);
    if (i > 0 && w <= widths[i - 1])
      throw new Error(`widths must increase (widths[${i}] = ${w} after ${widths[i - 1]})`);
  });
  if (widths[widths.length - 1] !== d)
    throw new Error(`the last width must be d=${d} (got ${widths[widths.length - 1]})`);
}
