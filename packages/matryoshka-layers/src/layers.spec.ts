import * as tf from '@tensorflow/tfjs-core';
import { layerNormNoAffine, prefix, prefixLayerNorm } from './layer-norm';
import { embeddingLookup } from './embedding';
import { tiedHeadWeights, matryoshkaHeadLogits } from './head';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol);
};

describe('layerNormNoAffine', () => {
  it('matches a hand-worked case (biased variance, eps 1e-5)', () => {
    // [1,2,3,4]: mean 2.5, biased variance 1.25
    const y = layerNormNoAffine(tf.tensor2d([[1, 2, 3, 4]]));
    const s = Math.sqrt(1.25 + 1e-5);
    close(Array.from(y.dataSync()), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s]);
  });
  it('normalises a prefix independently of the rest', () => {
    const x = tf.tensor2d([[1, 3, 100, -7]]);
    close(Array.from(prefixLayerNorm(x, 2).dataSync()), [-1 / Math.sqrt(1 + 1e-5), 1 / Math.sqrt(1 + 1e-5)]);
    expect(prefix(x, 4)).toBe(x);
    expect(() => prefix(x, 5)).toThrow(/exceeds/);
  });
});

describe('embeddingLookup', () => {
  it('returns the rows of the table for ids of any shape', () => {
    const table = tf.tensor2d([
      [0, 1],
      [10, 11],
      [20, 21],
    ]);
    const out = embeddingLookup(
      table,
      tf.tensor2d(
        [
          [2, 0],
          [1, 1],
        ],
        undefined,
        'int32',
      ),
    );
    expect(out.shape).toEqual([2, 2, 2]);
    expect(Array.from(out.dataSync())).toEqual([20, 21, 0, 1, 10, 11, 10, 11]);
  });
  it('has a gradient (scatter-add of the upstream rows)', () => {
    const table = tf.zeros([3, 2]) as tf.Tensor2D;
    const g = tf.grad((t: tf.Tensor) => embeddingLookup(t as tf.Tensor2D, tf.tensor1d([1, 1, 2], 'int32')).sum())(
      table,
    );
    expect(Array.from(g.dataSync())).toEqual([0, 0, 2, 2, 1, 1]);
  });
});

describe('tied matryoshka head', () => {
  // Made once the test setup has selected the backend, not while the file is collected.
  let E: tf.Tensor2D;
  let x: tf.Tensor2D;
  beforeAll(() => {
    E = tf.tensor2d([
      [1, -2, 0.5, 3],
      [0, 1, 2, -1],
      [4, 1, -1, 0],
    ]);
    x = tf.tensor2d([[0.3, -1, 2, 0.7]]);
  });
  it("'full' normalises E over d then takes the first m columns", () => {
    const W = tiedHeadWeights(E, 2, 'full');
    const full = layerNormNoAffine(E).arraySync() as number[][];
    close(
      Array.from(W.dataSync()),
      full.flatMap((r) => r.slice(0, 2)),
    );
  });
  it("'prefix' normalises E[:, :m] over m", () => {
    const W = tiedHeadWeights(E, 2, 'prefix').arraySync() as number[][];
    // each 2-vector normalises to [-1, 1] or [1, -1] (times 1/sqrt(1+eps/var))
    W.forEach((row) => close([Math.abs(row[0]), Math.abs(row[1])], [1, 1], 1e-4));
  });
  it('logits at width m are x[:m] . W[:, :m] computed by hand', () => {
    const logits = matryoshkaHeadLogits(x, E, [2, 4], 'full');
    const Wn = layerNormNoAffine(E).arraySync() as number[][];
    const xs = x.arraySync()[0];
    for (const [k, m] of [2, 4].entries()) {
      const expected = Wn.map((row) => row.slice(0, m).reduce((s, w, j) => s + w * xs[j], 0));
      close(Array.from(logits[k].dataSync()), expected);
    }
  });
  it('width-m logits ignore coordinates >= m of x and (prefix mode) of E', () => {
    const x2 = tf.tensor2d([[0.3, -1, 99, -42]]);
    const E2 = tf.tensor2d([
      [1, -2, 7, 7],
      [0, 1, -5, 5],
      [4, 1, 0, 9],
    ]);
    const a = matryoshkaHeadLogits(x, E, [2], 'prefix')[0];
    const b = matryoshkaHeadLogits(x2, E2, [2], 'prefix')[0];
    close(Array.from(a.dataSync()), Array.from(b.dataSync()), 1e-6);
  });
});
