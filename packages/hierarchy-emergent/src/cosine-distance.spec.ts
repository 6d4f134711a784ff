import { cosineDistanceMatrix } from './cosine-distance';

describe('cosineDistanceMatrix', () => {
  it('matches distances worked by hand', () => {
    // (1,0), (1,1), (0,2), (-3,0): cosines r = 1/sqrt(2), 0, -1, r, -r, 0.
    const r = Math.SQRT1_2;
    const expected = [
      [0, 1 - r, 1, 2],
      [1 - r, 0, 1 - r, 1 + r],
      [1, 1 - r, 0, 1],
      [2, 1 + r, 1, 0],
    ];
    const d = cosineDistanceMatrix([
      [1, 0],
      [1, 1],
      [0, 2],
      [-3, 0],
    ]);
    d.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(expected[i][j], 12)));
  });

  it('puts a zero vector at distance 1 from everything else and 0 from itself', () => {
    expect(
      cosineDistanceMatrix([
        [0, 0],
        [3, 4],
      ]),
    ).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('is exactly symmetric with a zero diagonal', () => {
    const d = cosineDistanceMatrix([
      [0.3, -1.2, 2],
      [1, 1, 1],
      [-0.5, 0.25, 4],
    ]);
    d.forEach((row, i) => row.forEach((x, j) => expect(x).toBe(d[j][i])));
    expect(d.map((row, i) => row[i])).toEqual([0, 0, 0]);
  });

  it('rejects ragged or non-finite input', () => {
    expect(() => cosineDistanceMatrix([[1, 2], [3]])).toThrow('row 1 has 1 values, row 0 has 2');
    expect(() => cosineDistanceMatrix([[1, Number.NaN]])).toThrow('value [0][1] is NaN');
    expect(() => cosineDistanceMatrix([])).toThrow('no vectors');
  });
});
