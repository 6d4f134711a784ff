import { nestingWidths, validateWidths, isPowerOfTwo } from './nesting';

describe('nestingWidths', () => {
  it('lists 2^minPower .. d', () => {
    expect(nestingWidths(32, 3)).toEqual([8, 16, 32]);
    expect(nestingWidths(32, 1)).toEqual([2, 4, 8, 16, 32]);
    expect(nestingWidths(128, 5)).toEqual([32, 64, 128]);
    expect(nestingWidths(8, 3)).toEqual([8]);
  });
  it('rejects a d that is not a power of two, naming it', () => {
    expect(() => nestingWidths(48, 3)).toThrow('width d must be a power of two (got 48)');
  });
  it('rejects minPower out of range, naming the range', () => {
    expect(() => nestingWidths(32, 6)).toThrow('minPower must be an integer in [0, 5] for d=32 (got 6)');
    expect(() => nestingWidths(32, -1)).toThrow(/got -1/);
    expect(() => nestingWidths(32, 1.5)).toThrow(/got 1.5/);
  });
  it('validates explicit width lists', () => {
    expect(() => validateWidths([8, 16, 32], 32)).not.toThrow();
    expect(() => validateWidths([8, 12, 32], 32)).toThrow('widths[1] = 12 is not a power of two');
    expect(() => validateWidths([16, 8, 32], 32)).toThrow(/must increase/);
    expect(() => validateWidths([8, 16], 32)).toThrow(/last width must be d=32/);
    expect(isPowerOfTwo(1)).toBe(true);
    expect(isPowerOfTwo(0)).toBe(false);
  });

  it('recognises powers of two beyond 32 bits and rejects their neighbours', () => {
    // 2^33 + 1 would pass a 32-bit `n & (n - 1)` test after truncation; check both sides.
    for (const p of [0, 5, 31, 32, 33, 52]) {
      expect(isPowerOfTwo(2 ** p)).toBe(true);
      if (p > 1) expect(isPowerOfTwo(2 ** p + 1)).toBe(false);
    }
    expect(isPowerOfTwo(2 ** 32 + 2 ** 31)).toBe(false);
    expect(isPowerOfTwo(0.5)).toBe(false);
    expect(isPowerOfTwo(-8)).toBe(false);
  });
});
