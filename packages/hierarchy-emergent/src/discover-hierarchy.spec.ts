import { type Hierarchy, validateHierarchy } from '@matryoshka/hierarchy-imposed';
import { SeededRandom } from '@matryoshka/tokenizer';
import { discoverHierarchy, discoverLevels } from './discover-hierarchy';
import { nestWithin } from './nesting';
import { plantedVectors } from './planted.test-helper';
import { hierarchyAgreement, hierarchyStability } from './stability';

// Twelve tokens a..l with two crossing structures (d = 8, widths 2, 4, 8):
//   dims 0-1: coarse direction, a-f vs g-l (so width 2 sees two groups);
//   dims 2-3: a fine direction 5x stronger, {a,b,c,g,h,i} vs {d,e,f,j,k,l}, which dominates the
//   width-4 prefix and cuts ACROSS the coarse groups (cos = 25/26, distance 0.04 < 0.1);
//   dims 4-7: noise only. Plus N(0, 0.02^2) jitter everywhere.
const VOCABULARY = [...'abcdefghijkl'];
const WIDTHS = [2, 4, 8];
const random = new SeededRandom(2024);
const EMBEDDINGS = VOCABULARY.map((_, t) => {
  const coarse = t < 6 ? 0 : 1;
  const fine = t % 6 < 3 ? 0 : 1;
  const clean = [coarse === 0 ? 1 : 0, coarse === 1 ? 1 : 0, fine === 0 ? 5 : 0, fine === 1 ? 5 : 0, 0, 0, 0, 0];
  return clean.map((x) => x + random.normal(0, 0.02));
});

const groupsAt = (h: Hierarchy, width: number): string[] =>
  Object.values(h.levels.find((l) => l.width === width)?.groups ?? {})
    .map((g) => [...g].sort().join(''))
    .sort();
const isSubsetOfOne = (group: string[], narrower: string[][]): boolean =>
  narrower.filter((parent) => group.every((t) => parent.includes(t))).length === 1;

describe('discoverHierarchy', () => {
  it('finds the coarse groups at width 2 and the (crossing) fine groups at width 4 without nesting', () => {
    const h = discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY, widths: WIDTHS });
    expect(h.levels.map((l) => l.width)).toEqual([2, 4]);
    expect(groupsAt(h, 2)).toEqual(['abcdef', 'ghijkl']);
    expect(groupsAt(h, 4)).toEqual(['abcghi', 'defjkl']);
    // ...which is exactly why nesting is an option: these width-4 groups do not nest.
    const narrow = Object.values(h.levels[0].groups);
    expect(Object.values(h.levels[1].groups).some((g) => !isSubsetOfOne(g, narrow))).toBe(true);
  });

  it('with nesting, splits each wider group along the narrower groups', () => {
    const h = discoverHierarchy({
      embeddings: EMBEDDINGS,
      vocabulary: VOCABULARY,
      widths: WIDTHS,
      options: { nested: true },
    });
    expect(groupsAt(h, 2)).toEqual(['abcdef', 'ghijkl']);
    expect(groupsAt(h, 4)).toEqual(['abc', 'def', 'ghi', 'jkl']);
    const narrow = Object.values(h.levels[0].groups);
    for (const group of Object.values(h.levels[1].groups)) expect(isSubsetOfOne(group, narrow)).toBe(true);
  });

  it('names groups w<width>-g<i> and returns a merge tree per level', () => {
    const { hierarchy, levels } = discoverLevels({
      embeddings: EMBEDDINGS,
      vocabulary: VOCABULARY,
      widths: WIDTHS,
      options: { name: 'run-1' },
    });
    expect(hierarchy.name).toBe('run-1');
    expect(Object.keys(hierarchy.levels[0].groups)).toEqual(['w2-g0', 'w2-g1']);
    expect(hierarchy.levels[0].groups['w2-g0']).toEqual([...'abcdef']);
    expect(levels.map((l) => l.tree.height > 0.5)).toEqual([true, true]);
  });

  it.each([
    { nested: false },
    { nested: true },
    { cut: 'k' as const, k: 3, nested: true },
    { cut: 'auto' as const },
    { linkage: 'complete' as const, threshold: 0.3, minGroupSize: 2 },
  ])('output passes hierarchy-imposed validateHierarchy (%j)', (options) => {
    const h = discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY, widths: WIDTHS, options });
    expect(() => validateHierarchy(h, VOCABULARY, WIDTHS)).not.toThrow();
    expect(h.levels).toHaveLength(2);
  });

  it('also on random-looking planted data at widths 2, 4, 8, 16', () => {
    const data = plantedVectors([6, 5, 7, 1, 2, 9], 16, 0.1, 5);
    const vocabulary = data.vectors.map((_, i) => String.fromCharCode(65 + i));
    for (const nested of [false, true]) {
      const h = discoverHierarchy({ embeddings: data.vectors, vocabulary, widths: [2, 4, 8, 16], options: { nested } });
      expect(() => validateHierarchy(h, vocabulary, [2, 4, 8, 16])).not.toThrow();
    }
  });

  it('rejects mismatched input with a clear message', () => {
    expect(() =>
      discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY.slice(1), widths: WIDTHS }),
    ).toThrow('12 embedding rows but a vocabulary of 11 tokens');
    expect(() => discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY, widths: [2, 4, 16] })).toThrow(
      'embedding row 0 has 8 values, expected the full width 16',
    );
    expect(() => discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY, widths: [4, 2, 8] })).toThrow(
      'strictly increasing',
    );
  });
});

describe('nestWithin', () => {
  it('intersects with the narrower groups, ungroups tokens ungrouped there, and drops small pieces', () => {
    const narrower = [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]; // 8 and 9 ungrouped at the narrower level
    const wider = [
      [0, 1, 2, 4, 5, 6, 8],
      [3, 7, 9],
    ];
    expect(nestWithin(wider, narrower, 3)).toEqual([
      [0, 1, 2],
      [4, 5, 6],
    ]);
    expect(nestWithin(wider, narrower, 1)).toEqual([[0, 1, 2], [3], [4, 5, 6], [7]]);
  });
});

describe('hierarchyStability', () => {
  const free = discoverHierarchy({ embeddings: EMBEDDINGS, vocabulary: VOCABULARY, widths: WIDTHS });
  const nested = discoverHierarchy({
    embeddings: EMBEDDINGS,
    vocabulary: VOCABULARY,
    widths: WIDTHS,
    options: { nested: true },
  });

  it('is 1 at every width for the same groups under other names', () => {
    const renamed: Hierarchy = {
      name: 'renamed',
      levels: free.levels.map((l) => ({
        width: l.width,
        groups: Object.fromEntries(
          Object.values(l.groups)
            .reverse()
            .map((g, i) => [`x${i}`, g]),
        ),
      })),
    };
    expect(hierarchyStability(free, renamed, VOCABULARY)).toEqual({ 2: 1, 4: 1 });
  });

  it('matches the hand-worked ARI where the groups changed', () => {
    // Width 4: {abcghi, defjkl} vs {abc, def, ghi, jkl}. Each old group splits into two of 3:
    // index 4*C(3,2) = 12, old pairs 2*C(6,2) = 30, new pairs 4*C(3,2) = 12, C(12,2) = 66,
    // expected 30*12/66 = 60/11, max 21, ARI = (12 - 60/11) / (21 - 60/11) = 72/171 = 8/19.
    const s = hierarchyStability(free, nested, VOCABULARY);
    expect(s[2]).toBe(1);
    expect(s[4]).toBeCloseTo(8 / 19, 12);
  });

  it('counts a width missing from one hierarchy as all tokens ungrouped (singletons)', () => {
    // {abcdef, ghijkl} vs all singletons: index 0, expected 30*0/66 = 0, max 15 -> 0.
    const empty: Hierarchy = { name: 'none', levels: [] };
    expect(hierarchyStability(free, empty, VOCABULARY)).toEqual({ 2: 0, 4: 0 });
  });

  it('is undefined (NaN, with why) where neither clustering found groups, never 1', () => {
    // Width 8 has no groups on either side: every token a singleton on both, ARI 0/0.
    const none: Hierarchy = { name: 'a', levels: [...free.levels, { width: 8, groups: {} }] };
    const alsoNone: Hierarchy = { name: 'b', levels: [...free.levels, { width: 8, groups: {} }] };
    expect(hierarchyStability(none, alsoNone, VOCABULARY)).toEqual({ 2: 1, 4: 1, 8: Number.NaN });
    expect(hierarchyAgreement(none, alsoNone, VOCABULARY)).toEqual({
      2: { ari: 1 },
      4: { ari: 1 },
      8: { ari: Number.NaN, undefinedBecause: 'no groups' },
    });
    const everything: Hierarchy = { name: 'one', levels: [{ width: 2, groups: { all: [...VOCABULARY] } }] };
    expect(hierarchyAgreement(everything, everything, VOCABULARY)).toEqual({
      2: { ari: Number.NaN, undefinedBecause: 'one group of everything' },
    });
  });
});
