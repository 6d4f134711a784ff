import { drawIndex } from './width-draw';

describe('drawIndex', () => {
  it('draws each index with its relative probability (4000 seeds) and never one with probability 0', () => {
    const probabilities = [1, 0, 2, 1];
    const counts = [0, 0, 0, 0];
    for (let seed = 0; seed < 4000; seed++) counts[drawIndex(probabilities, seed)]++;
    expect(counts[1]).toBe(0);
    // Expected 1000 / 0 / 2000 / 1000; binomial sd <= 32, so 4 sd is ~130.
    expect(Math.abs(counts[0] - 1000)).toBeLessThan(130);
    expect(Math.abs(counts[2] - 2000)).toBeLessThan(130);
    expect(Math.abs(counts[3] - 1000)).toBeLessThan(130);
  });

  it('is a pure function of the seed', () => {
    const draws = (seeds: number[]) => seeds.map((s) => drawIndex([1, 1, 1], s));
    expect(draws([5, 6, 7, 5])).toEqual([...draws([5, 6, 7]), draws([5])[0]]);
  });
});
