import { adjustedRandIndex, ariUndefinedReason } from './adjusted-rand-index';

describe('adjustedRandIndex', () => {
  it('matches a contingency table worked by hand', () => {
    // A = [0,0,0,1,1,1], B = [0,0,1,1,2,2]. Contingency table (rows A, columns B):
    //        B0 B1 B2 | a_i
    //   A0    2  1  0 |  3
    //   A1    0  1  2 |  3
    //   b_j   2  2  2 |  N = 6
    // index = C(2,2) + C(2,2) = 2; sum C(a_i,2) = 3 + 3 = 6; sum C(b_j,2) = 1 + 1 + 1 = 3; C(6,2) = 15.
    // expected = 6 * 3 / 15 = 1.2; max = (6 + 3) / 2 = 4.5; ARI = (2 - 1.2) / (4.5 - 1.2) = 8/33.
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(8 / 33, 12);
  });

  it('is symmetric and gives 4/7 for the second hand case', () => {
    // A = [0,0,1,1], B = [0,0,1,2]: index 1, row pairs 2, column pairs 1, C(4,2) = 6,
    // expected 1/3, max 3/2, ARI = (2/3) / (7/6) = 4/7.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 12);
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(4 / 7, 12);
  });

  it('is 1 for identical partitions up to renaming the labels', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], ['x', 'x', 'y', 'y', 'z'])).toBe(1);
    expect(adjustedRandIndex([5, 5, 9, 1, 1, 9], [2, 2, 0, 7, 7, 0])).toBe(1);
  });

  it('is undefined (NaN), not 1, for the same trivial partition on both sides, and says why', () => {
    // All singletons: index 0, row and column pairs 0, C(3,2) = 3: expected 0, max 0 -> 0/0.
    expect(adjustedRandIndex([1, 2, 3], [7, 8, 9])).toBeNaN();
    expect(ariUndefinedReason([1, 2, 3], [7, 8, 9])).toBe('no groups');
    // One block: index 3, row and column pairs 3: expected 3 * 3 / 3 = 3, max 3 -> 0/0.
    expect(adjustedRandIndex([1, 1, 1], [4, 4, 4])).toBeNaN();
    expect(ariUndefinedReason([1, 1, 1], [4, 4, 4])).toBe('one group of everything');
    // One item: no pairs at all.
    expect(adjustedRandIndex([1], [2])).toBeNaN();
    expect(ariUndefinedReason([1], [2])).toBe('fewer than two items');
  });

  it('is 0 when one side is one block and the other all singletons', () => {
    // index 0, expected 3 * 0 / 3 = 0, max 1.5 -> 0.
    expect(adjustedRandIndex([1, 1, 1], [1, 2, 3])).toBe(0);
    expect(ariUndefinedReason([1, 1, 1], [1, 2, 3])).toBeUndefined();
  });

  it('can be negative (worse than chance)', () => {
    // A = [0,0,1,1], B = [0,1,0,1]: index 0, row pairs 2, column pairs 2, expected 4/6, max 2 -> -1/2.
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });

  it('rejects labelings of different lengths', () => {
    expect(() => adjustedRandIndex([0, 1], [0])).toThrow('different lengths (2 vs 1)');
  });
});
