import type { HierarchyLevel } from './hierarchy';
import { identityTargets, targetMatrices, targetMatrix } from './target-matrix';

// docs/EXPERIMENTS.md, "Target matrices", worked example: the 13 symbols of Tiny Shakespeare.
const SYMBOLS = ['\n', ' ', '!', '$', '&', "'", ',', '-', '.', '3', ':', ';', '?'];
const END = ['!', '.', '?'];
const MID = [' ', '$', '&', "'", ',', '-', ':', ';'];
const level: HierarchyLevel = { width: 4, groups: { 'end-of-sentence': END, 'mid-sentence': MID } };

const row = (m: Float32Array, v: number, token: string): number[] => {
  const i = SYMBOLS.indexOf(token);
  return Array.from(m.subarray(i * v, (i + 1) * v));
};
const expectedRow = (members: string[]): number[] => SYMBOLS.map((t) => (members.includes(t) ? 1 / members.length : 0));

describe('targetMatrix (worked example of docs/EXPERIMENTS.md, "Target matrices")', () => {
  const v = SYMBOLS.length;
  const m = targetMatrix(level, SYMBOLS);

  it('is v x v', () => expect(m).toHaveLength(13 * 13));

  it.each(END)('row of %j is 1/3 over ! . ? only', (token) => {
    row(m, v, token).forEach((x, j) => expect(x).toBeCloseTo(expectedRow(END)[j], 7));
  });

  it.each(MID)('row of %j is 1/8 over the eight mid-sentence symbols only', (token) => {
    row(m, v, token).forEach((x, j) => expect(x).toBeCloseTo(expectedRow(MID)[j], 7));
  });

  it.each(['\n', '3'])('row of %j stays one-hot', (token) => {
    expect(row(m, v, token)).toEqual(expectedRow([token]));
  });

  it('has rows summing to 1', () => {
    for (const token of SYMBOLS) expect(row(m, v, token).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('is the identity when the level has no groups', () => {
    expect(Array.from(targetMatrix({ width: 4, groups: {} }, SYMBOLS))).toEqual(Array.from(identityTargets(13)));
  });

  it('rejects a token in two groups instead of letting the last group win', () => {
    expect(() => targetMatrix({ width: 2, groups: { a: ['!', '.'], b: ['.', '?'] } }, SYMBOLS)).toThrow(
      /"\." appears in both groups "a" and "b"/,
    );
  });
});

describe('identityTargets', () => {
  it('has ones exactly on the diagonal', () => {
    expect(Array.from(identityTargets(3))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
  it('rejects a non-positive size', () => expect(() => identityTargets(0)).toThrow(/positive integer/));
});

describe('targetMatrices', () => {
  it('gives one matrix per width: the level where it exists, the identity elsewhere and at full width', () => {
    const ms = targetMatrices({ name: 't', levels: [level] }, SYMBOLS, [2, 4, 8]);
    expect(ms).toHaveLength(3);
    expect(Array.from(ms[0])).toEqual(Array.from(identityTargets(13)));
    expect(Array.from(ms[1])).toEqual(Array.from(targetMatrix(level, SYMBOLS)));
    expect(Array.from(ms[2])).toEqual(Array.from(identityTargets(13)));
  });

  it('validates the hierarchy first', () => {
    expect(() => targetMatrices({ name: 't', levels: [{ width: 3, groups: {} }] }, SYMBOLS, [2, 4, 8])).toThrow(
      /width 3, which is not in the nesting list \[2,4,8\]/,
    );
  });
});
