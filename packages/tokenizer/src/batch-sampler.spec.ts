import { BatchSampler } from './batch-sampler';
import { SeededRandom } from './random';

// Data whose values do not reveal their index, so the checks below really look up positions.
function makeData(length: number, seed: number): Int32Array {
  const rng = new SeededRandom(seed);
  return Int32Array.from({ length }, () => rng.nextInt(50));
}

describe('BatchSampler', () => {
  const data = makeData(500, 1);

  it('returns b*t windows whose targets are the inputs shifted by one in the data', () => {
    const b = 4;
    const t = 16;
    const sampler = new BatchSampler(data, { batchSize: b, contextLength: t, seed: 3 });
    for (let k = 0; k < 20; k++) {
      const batch = sampler.next();
      expect(batch.batchSize).toBe(b);
      expect(batch.contextLength).toBe(t);
      expect(batch.x.length).toBe(b * t);
      expect(batch.y.length).toBe(b * t);
      for (let i = 0; i < b; i++) {
        const start = batch.offsets[i];
        expect(start).toBeGreaterThanOrEqual(0);
        expect(start).toBeLessThanOrEqual(data.length - t - 1);
        expect(batch.x[i * t]).toBe(data[start]);
        for (let j = 0; j < t; j++) {
          expect(batch.x[i * t + j]).toBe(data[start + j]);
          expect(batch.y[i * t + j]).toBe(data[start + j + 1]);
        }
      }
    }
  });

  it('reaches both ends of the offset range [0, n - t - 1] and nothing beyond', () => {
    const small = makeData(12, 2);
    const t = 4;
    const sampler = new BatchSampler(small, { batchSize: 8, contextLength: t, seed: 4 });
    const seen = new Set<number>();
    for (let k = 0; k < 200; k++) sampler.next().offsets.forEach((o) => seen.add(o));
    expect([...seen].sort((a, c) => a - c)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('works with the shortest possible data (t + 1 tokens)', () => {
    const tiny = Int32Array.from([5, 6, 7]);
    const batch = new BatchSampler(tiny, { batchSize: 2, contextLength: 2, seed: 0 }).next();
    expect(Array.from(batch.x)).toEqual([5, 6, 5, 6]);
    expect(Array.from(batch.y)).toEqual([6, 7, 6, 7]);
  });

  it('same seed gives identical batches; different seeds differ', () => {
    const options = { batchSize: 8, contextLength: 8 };
    const a = new BatchSampler(data, { ...options, seed: 10 });
    const b = new BatchSampler(data, { ...options, seed: 10 });
    const c = new BatchSampler(data, { ...options, seed: 11 });
    for (let k = 0; k < 5; k++) {
      const ba = a.next();
      const bb = b.next();
      const bc = c.next();
      expect(Array.from(bb.x)).toEqual(Array.from(ba.x));
      expect(Array.from(bb.y)).toEqual(Array.from(ba.y));
      expect(Array.from(bc.offsets)).not.toEqual(Array.from(ba.offsets));
    }
  });

  it('resumes from a JSON round-tripped getState() with an identical continuation', () => {
    const options = { batchSize: 3, contextLength: 10 };
    const original = new BatchSampler(data, { ...options, seed: 5 });
    original.next();
    original.next();
    const state = JSON.parse(JSON.stringify(original.getState()));
    const expected = [original.next(), original.next(), original.next()];

    const resumed = new BatchSampler(data, { ...options, seed: 12345 });
    resumed.setState(state);
    for (const want of expected) {
      const got = resumed.next();
      expect(Array.from(got.offsets)).toEqual(Array.from(want.offsets));
      expect(Array.from(got.x)).toEqual(Array.from(want.x));
      expect(Array.from(got.y)).toEqual(Array.from(want.y));
    }
    expect(resumed.getState()).toEqual(original.getState());
    expect(resumed.getState().batchesDrawn).toBe(5);
  });

  it('refuses a state from a sampler of another shape', () => {
    const state = new BatchSampler(data, { batchSize: 3, contextLength: 10, seed: 1 }).getState();
    const other = new BatchSampler(data, { batchSize: 4, contextLength: 10, seed: 1 });
    expect(() => other.setState(state)).toThrow(/field "batchSize" is 3 but this sampler has 4/);
    expect(() => other.setState({} as never)).toThrow(/not a batch sampler state/);
  });

  it('validates its inputs with messages naming the lengths', () => {
    expect(() => new BatchSampler(new Int32Array(8), { batchSize: 1, contextLength: 8, seed: 0 })).toThrow(
      'BatchSampler: data has 8 tokens but contextLength 8 needs at least 9 (a window plus its next token)',
    );
    expect(() => new BatchSampler(data, { batchSize: 0, contextLength: 8, seed: 0 })).toThrow(
      /batchSize must be a positive integer, got 0/,
    );
    expect(() => new BatchSampler(data, { batchSize: 2, contextLength: 1.5, seed: 0 })).toThrow(
      /contextLength must be a positive integer, got 1.5/,
    );
    expect(() => new BatchSampler(data, { batchSize: 2, contextLength: 4, seed: 0.5 })).toThrow(
      /seed must be a safe integer/,
    );
  });
});
