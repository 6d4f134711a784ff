import { DEFAULT_CLUSTER_OPTIONS } from './cluster-options';
import { buildDendrogram, clusterDistances, clusterTokens } from './cluster-tokens';
import { cosineDistanceMatrix } from './cosine-distance';
import { cutIntoK } from './cut-tree';
import { leavesOf } from './dendrogram';
import { plantedVectors } from './planted.test-helper';

// Three well-separated directions (6, 5 and 7 tokens), plus an outlier and a pair around two more.
const planted = plantedVectors([6, 5, 7, 1, 2], 8, 0.03, 42);
const [big1, big2, big3, outlier, pair] = planted.clusters;
const sortById = (groups: number[][]) => [...groups].sort((a, b) => a[0] - b[0]);

describe('buildDendrogram', () => {
  // Three points with distances d01 = 1, d02 = 4, d12 = 3: {0,1} merge at 1, then {0,1} meets 2 at
  // single = min(4,3) = 3, complete = max = 4, average = (4 + 3) / 2 = 3.5.
  const d = [
    [0, 1, 4],
    [1, 0, 3],
    [4, 3, 0],
  ];
  it.each([
    ['single', 3],
    ['complete', 4],
    ['average', 3.5],
  ] as const)('%s linkage merges the last point at %d', (linkage, height) => {
    const tree = buildDendrogram(d, linkage);
    expect(tree.height).toBeCloseTo(height, 12);
    if (!tree.children) throw new Error('expected an internal root');
    const [a, b] = tree.children;
    const inner = a.children ? a : b;
    const leaf = a.children ? b : a;
    expect(leaf).toEqual({ index: 2, height: 0 });
    expect(inner.height).toBe(1);
    expect(leavesOf(inner)).toEqual([0, 1]);
  });

  it('rejects a non-square matrix', () => {
    expect(() => buildDendrogram([[0, 1], [1]], 'average')).toThrow('row 1 has 1 entries, expected 2');
  });
});

describe('clusterTokens on planted structure', () => {
  it('uses the documented defaults', () => {
    expect(DEFAULT_CLUSTER_OPTIONS).toMatchObject({
      threshold: 0.1,
      minGroupSize: 3,
      linkage: 'average',
      cut: 'threshold',
    });
  });

  it('recovers the three planted groups exactly at the default threshold; outlier and pair stay ungrouped', () => {
    const { groups, tree, clusterCount } = clusterTokens(planted.vectors);
    expect(groups).toEqual(sortById([big1, big2, big3]));
    expect(clusterCount).toBe(5); // the outlier and the pair were clusters, dropped as too small
    const grouped = groups.flat();
    for (const id of [...outlier, ...pair]) expect(grouped).not.toContain(id);
    expect(leavesOf(tree)).toEqual(planted.vectors.map((_, i) => i));
  });

  it('keeps the pair as a group when minGroupSize allows 2', () => {
    const { groups } = clusterTokens(planted.vectors, { minGroupSize: 2 });
    expect(groups).toEqual(sortById([big1, big2, big3, pair]));
  });

  it.each(['single', 'complete', 'ward'] as const)('recovers the same groups with %s linkage', (linkage) => {
    expect(clusterTokens(planted.vectors, { linkage }).groups).toEqual(sortById([big1, big2, big3]));
  });

  it('leaves everything ungrouped at threshold 0 (every token its own cluster)', () => {
    expect(clusterTokens(planted.vectors, { threshold: 0 }).groups).toEqual([]);
  });

  it.each([1, 2, 3, 4, 5, 7])('a k-cut with minGroupSize 1 gives exactly k = %i groups covering every token', (k) => {
    const { groups } = clusterTokens(planted.vectors, { cut: 'k', k, minGroupSize: 1 });
    expect(groups).toHaveLength(k);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(planted.vectors.map((_, i) => i));
  });

  it('a k-cut at k = 5 finds the five planted clusters', () => {
    const { groups } = clusterTokens(planted.vectors, { cut: 'k', k: 5, minGroupSize: 1 });
    expect(groups).toEqual(sortById(planted.clusters));
  });

  it('a k-cut on clean data gives exactly the planted groups', () => {
    const clean = plantedVectors([4, 6, 5], 6, 0.05, 7);
    expect(clusterTokens(clean.vectors, { cut: 'k', k: 3 }).groups).toEqual(sortById(clean.clusters));
  });

  it.each([
    [[6, 5, 7], 3],
    [[4, 6, 5, 8], 4],
    [[5, 5], 2],
  ])('the automatic cut picks the planted k for sizes %j', (sizes, k) => {
    const data = plantedVectors(sizes, 8, 0.05, 11);
    const { groups, clusterCount } = clusterTokens(data.vectors, { cut: 'auto' });
    expect(clusterCount).toBe(k);
    expect(groups).toEqual(sortById(data.clusters));
  });

  it('rejects a k-cut without k, an unknown linkage, and k larger than the vocabulary', () => {
    expect(() => clusterTokens(planted.vectors, { cut: 'k' })).toThrow('cut "k" needs k');
    expect(() => clusterTokens(planted.vectors, { linkage: 'fancy' as never })).toThrow('unknown linkage "fancy"');
    expect(() => clusterTokens(planted.vectors, { cut: 'k', k: 99 })).toThrow(
      'cannot cut 21 tokens into k = 99 groups',
    );
    expect(() => clusterTokens(planted.vectors, { minGroupSize: 0 })).toThrow(
      'minGroupSize must be a positive integer',
    );
  });

  it('refuses an automatic cut on fewer than 3 tokens', () => {
    expect(() =>
      clusterDistances(
        [
          [0, 1],
          [1, 0],
        ],
        { cut: 'auto' },
      ),
    ).toThrow('needs at least 3 tokens');
  });
});

describe('cutIntoK', () => {
  it('splits the highest merges first', () => {
    // Points on a line at 0, 1, 10, 11, 30: pairs merge low, then {0,1}+{10,11}, then 30 joins last.
    const xs = [0, 1, 10, 11, 30];
    const d = xs.map((a) => xs.map((b) => Math.abs(a - b)));
    const tree = buildDendrogram(d, 'single');
    expect(cutIntoK(tree, 2)).toEqual([[0, 1, 2, 3], [4]]);
    expect(cutIntoK(tree, 3)).toEqual([[0, 1], [2, 3], [4]]);
    expect(cutIntoK(tree, 5)).toEqual([[0], [1], [2], [3], [4]]);
  });
});

describe('planted data sanity', () => {
  it('is well separated: within-cluster distances << 0.1 << between-cluster distances', () => {
    const d = cosineDistanceMatrix(planted.vectors);
    let maxWithin = 0;
    let minBetween = Infinity;
    d.forEach((row, i) =>
      row.forEach((x, j) => {
        if (i === j) return;
        if (planted.labels[i] === planted.labels[j]) maxWithin = Math.max(maxWithin, x);
        else minBetween = Math.min(minBetween, x);
      }),
    );
    expect(maxWithin).toBeLessThan(0.05);
    expect(minBetween).toBeGreaterThan(0.5);
  });
});
