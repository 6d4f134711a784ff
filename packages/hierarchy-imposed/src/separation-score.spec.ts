import { cosineSimilarity, meanSilhouette, separationScore } from './separation-score';

// Hand-worked case: 4 vectors in 2D, groups {0,1} and {2,3}; r = 1/sqrt(2).
//   cos(0,1) = cos(2,3) = r                         (within)
//   cos(0,2) = 0, cos(0,3) = -r, cos(1,2) = r, cos(1,3) = 0   (between, mean 0)
// Silhouette with distance 1 - cos: a = 1 - r for everyone;
//   token 0: b = mean(1, 1 + r) = (2 + r) / 2;  token 1: b = mean(1 - r, 1) = (2 - r) / 2;
//   token 2: b = mean(d(2,0), d(2,1)) = (2 - r) / 2;  token 3: b = mean(1 + r, 1) = (2 + r) / 2.
const r = Math.SQRT1_2;
const vectors = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
];
const groups = [
  [0, 1],
  [2, 3],
];
const a = 1 - r;
const bFar = (2 + r) / 2;
const bNear = (2 - r) / 2;
const expectedSilhouette = ((bFar - a) / bFar + (bNear - a) / bNear) / 2;

describe('separationScore', () => {
  it('matches the hand-worked cosines and silhouette', () => {
    const s = separationScore(vectors, groups);
    expect(s.withinMean).toBeCloseTo(r, 12);
    expect(s.betweenMean).toBeCloseTo(0, 12);
    expect(s.score).toBeCloseTo(r, 12);
    expect(s.silhouette).toBeCloseTo(expectedSilhouette, 12);
    expect(expectedSilhouette).toBeCloseTo(0.66527, 4); // the arithmetic done by hand
  });

  it('ignores tokens in no group and is invariant to vector length', () => {
    const withStray = [
      [2, 0],
      [3, 3],
      [0, 0.5],
      [-4, 4],
      [5, -7],
    ];
    const stray = separationScore(withStray, groups);
    const plain = separationScore(vectors, groups);
    for (const key of ['withinMean', 'betweenMean', 'score', 'silhouette'] as const) {
      expect(stray[key]).toBeCloseTo(plain[key], 12);
    }
  });

  it('gives silhouette 1 and score 2 for perfectly opposite tight groups', () => {
    const s = separationScore(
      [
        [1, 0],
        [1, 0],
        [-1, 0],
        [-1, 0],
      ],
      groups,
    );
    expect(s.score).toBeCloseTo(2, 12);
    expect(s.silhouette).toBeCloseTo(1, 12);
  });

  it('says why a score is undefined (NaN) rather than leaving a bare NaN', () => {
    // One group {0, 1}: within = cos(0,1) = r, no pair between groups, no silhouette.
    const one = separationScore(vectors, [[0, 1]]);
    expect(one.withinMean).toBeCloseTo(r, 12);
    expect([one.betweenMean, one.score, one.silhouette]).toEqual([NaN, NaN, NaN]);
    expect(one.undefinedBecause).toBe('one group');
    // Groups {0} and {2}: no pair within a group; between = cos(0,2) = 0; silhouette 0 (singletons).
    const singletons = separationScore(vectors, [[0], [2]]);
    expect([singletons.withinMean, singletons.score]).toEqual([NaN, NaN]);
    expect(singletons.betweenMean).toBeCloseTo(0, 12);
    expect(singletons.silhouette).toBe(0);
    expect(singletons.undefinedBecause).toBe('every group has one token');
    expect(separationScore(vectors, groups).undefinedBecause).toBeUndefined();
  });

  it('rejects out-of-range and repeated ids', () => {
    expect(() => separationScore(vectors, [[0, 9]])).toThrow(/id 9, outside 0\.\.3/);
    expect(() =>
      separationScore(vectors, [
        [0, 1],
        [1, 2],
      ]),
    ).toThrow(/token id 1 is in more than one group/);
  });
});

describe('cosineSimilarity', () => {
  it('is 0 for a zero vector rather than NaN', () => expect(cosineSimilarity([0, 0], [1, 2])).toBe(0));
  it('is -1 for opposite vectors', () => expect(cosineSimilarity([1, 2], [-2, -4])).toBeCloseTo(-1, 12));
});

describe('meanSilhouette', () => {
  it('counts a one-token group as silhouette 0 and is NaN for a single group', () => {
    // Distances on a line: 0 at x=0, 1 at x=1, 2 at x=10; groups {0,1} and {2}.
    const d = [
      [0, 1, 10],
      [1, 0, 9],
      [10, 9, 0],
    ];
    // token 0: a = 1, b = 10 -> 0.9; token 1: a = 1, b = 9 -> 8/9; token 2: singleton -> 0.
    expect(meanSilhouette(d, [[0, 1], [2]])).toBeCloseTo((0.9 + 8 / 9 + 0) / 3, 12);
    expect(meanSilhouette(d, [[0, 1, 2]])).toBeNaN();
  });
});
