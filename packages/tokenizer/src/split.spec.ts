import { minimumCorpusLength, splitTrainVal, TRAIN_FRACTION_DEFAULT } from './split';

describe('splitTrainVal', () => {
  it('defaults to 0.9', () => {
    expect(TRAIN_FRACTION_DEFAULT).toBe(0.9);
  });

  it('puts the first floor(0.9 n) ids in train and the rest in val, as views', () => {
    const ids = Int32Array.from({ length: 25 }, (_, i) => i * 3);
    const { train, val } = splitTrainVal(ids);
    expect(train.length).toBe(22); // floor(22.5)
    expect(val.length).toBe(3);
    expect(Array.from(train)).toEqual(Array.from(ids).slice(0, 22));
    expect(Array.from(val)).toEqual([66, 69, 72]);
    expect(train.buffer).toBe(ids.buffer);
    expect(val.buffer).toBe(ids.buffer);
  });

  it('uses the given fraction', () => {
    const { train, val } = splitTrainVal(new Int32Array(10), 0.5);
    expect([train.length, val.length]).toEqual([5, 5]);
  });

  it('rejects fractions outside (0, 1)', () => {
    const ids = new Int32Array(10);
    for (const f of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(() => splitTrainVal(ids, f)).toThrow(/trainFraction must be strictly between 0 and 1/);
    }
  });

  it('rejects splits with an empty part, naming the sizes', () => {
    expect(() => splitTrainVal(new Int32Array(1))).toThrow(/1 ids with trainFraction 0.9 gives 0 train and 1 val/);
    expect(() => splitTrainVal(new Int32Array(5), 0.1)).toThrow(/gives 0 train and 5 val/);
  });
});

describe('minimumCorpusLength', () => {
  it('is the fewest tokens whose 90/10 split holds a window and its next token in each part', () => {
    // t = 8 needs 9 tokens per part. n = 81: train floor(72.9) = 72, val 9. n = 80: train 72, val 8.
    expect(minimumCorpusLength(8)).toBe(81);
    // t = 64 needs 65. n = 641: train floor(576.9) = 576, val 65. n = 640: train 576, val 64.
    expect(minimumCorpusLength(64)).toBe(641);
    // A 50/50 split, t = 3: 4 tokens per part, n = 8.
    expect(minimumCorpusLength(3, 0.5)).toBe(8);
    for (const t of [1, 8, 24, 64]) {
      const n = minimumCorpusLength(t);
      const fits = (length: number) =>
        Object.values(splitTrainVal(new Int32Array(length))).every((part) => part.length >= t + 1);
      expect([fits(n), fits(n - 1)]).toEqual([true, false]);
    }
  });
});
