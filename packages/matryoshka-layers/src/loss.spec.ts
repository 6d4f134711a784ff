import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, softTargetCrossEntropy, matryoshkaLoss } from './loss';
import { matryoshkaHeadLogits } from './head';

const logSumExp = (row: number[]) => {
  const mx = Math.max(...row);
  return mx + Math.log(row.reduce((s, z) => s + Math.exp(z - mx), 0));
};

describe('crossEntropy', () => {
  it('equals the mean of logsumexp(z) - z[y] computed by hand', () => {
    const z = [
      [1, 2, 3],
      [0.5, -1, 2],
      [0, 0, 0],
    ];
    const y = [2, 0, 1];
    const expected = z.reduce((s, row, i) => s + logSumExp(row) - row[y[i]], 0) / 3;
    const got = crossEntropy(tf.tensor2d(z), tf.tensor1d(y, 'int32')).dataSync()[0];
    expect(got).toBeCloseTo(expected, 5);
  });
  it('accepts (b, t, v) logits with (b, t) targets and names a size mismatch', () => {
    const z = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 1);
    const y = tf.tensor2d(
      [
        [0, 1, 2],
        [3, 4, 0],
      ],
      undefined,
      'int32',
    );
    expect(crossEntropy(z, y).dataSync()[0]).toBeCloseTo(
      crossEntropy(tf.reshape(z, [6, 5]), tf.reshape(y, [6])).dataSync()[0],
      6,
    );
    expect(() => crossEntropy(z, tf.tensor1d([1, 2], 'int32'))).toThrow(
      'targets have 2 entries but logits have 6 positions',
    );
  });
});

describe('softTargetCrossEntropy', () => {
  // Made once the test setup has selected the backend, not while the file is collected.
  let z: tf.Tensor2D;
  let y: tf.Tensor1D;
  beforeAll(() => {
    z = tf.tensor2d([
      [1, 2, 3, 0],
      [0.5, -1, 2, 1],
    ]);
    y = tf.tensor1d([2, 0], 'int32');
  });
  it('with identity targets equals the hard loss', () => {
    expect(softTargetCrossEntropy(z, y, tf.eye(4) as tf.Tensor2D).dataSync()[0]).toBeCloseTo(
      crossEntropy(z, y).dataSync()[0],
      6,
    );
  });
  it('with a group {0,2} spreads the target uniformly over the group', () => {
    const M = tf.tensor2d([
      [0.5, 0, 0.5, 0],
      [0, 1, 0, 0],
      [0.5, 0, 0.5, 0],
      [0, 0, 0, 1],
    ]);
    const rows = z.arraySync() as number[][];
    const lp = rows.map((r) => r.map((v) => v - logSumExp(r)));
    const expected = -(0.5 * lp[0][0] + 0.5 * lp[0][2] + 0.5 * lp[1][0] + 0.5 * lp[1][2]) / 2;
    expect(softTargetCrossEntropy(z, y, M).dataSync()[0]).toBeCloseTo(expected, 5);
    expect(() => softTargetCrossEntropy(z, y, tf.eye(3) as tf.Tensor2D)).toThrow(
      'target matrix is 3x3 but the vocabulary has 4 tokens',
    );
  });
});

describe('matryoshkaLoss', () => {
  let z1: tf.Tensor2D;
  let z2: tf.Tensor2D;
  let y: tf.Tensor1D;
  beforeAll(() => {
    z1 = tf.tensor2d([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    z2 = tf.tensor2d([
      [3, 0, -1],
      [2, 2, 1],
    ]);
    y = tf.tensor1d([1, 2], 'int32');
  });
  it('sums per-width losses and reports them unweighted; importance scales each term', () => {
    const l1 = crossEntropy(z1, y).dataSync()[0];
    const l2 = crossEntropy(z2, y).dataSync()[0];
    const plain = matryoshkaLoss([z1, z2], y);
    expect(plain.total.dataSync()[0]).toBeCloseTo(l1 + l2, 5);
    expect(plain.perWidth.map((l) => l.dataSync()[0])).toEqual([l1, l2].map((v) => expect.closeTo(v, 6)));
    const weighted = matryoshkaLoss([z1, z2], y, { importance: [0.25, 2] });
    expect(weighted.total.dataSync()[0]).toBeCloseTo(0.25 * l1 + 2 * l2, 5);
    expect(() => matryoshkaLoss([z1, z2], y, { importance: [1] })).toThrow('importance has 1 entries for 2 widths');
  });
  it('soft targets with identity matrices equal the hard loss', () => {
    const soft = matryoshkaLoss([z1, z2], y, { targetMatrices: [tf.eye(3) as tf.Tensor2D, null] });
    expect(soft.total.dataSync()[0]).toBeCloseTo(matryoshkaLoss([z1, z2], y).total.dataSync()[0], 5);
  });
  it('gradients with respect to E and x match central finite differences', () => {
    // A tiny tied-head model: loss(E, x) = matryoshka loss of head logits at widths 2 and 4.
    const v = 5,
      d = 4,
      n = 3;
    const E0 = tf.randomNormal([v, d], 0, 1, 'float32', 7) as tf.Tensor2D;
    const x0 = tf.randomNormal([n, d], 0, 1, 'float32', 8) as tf.Tensor2D;
    const y3 = tf.tensor1d([0, 3, 4], 'int32');
    const M = tf.tensor2d([
      [0.5, 0.5, 0, 0, 0],
      [0.5, 0.5, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 1, 0],
      [0, 0, 0, 0, 1],
    ]);
    const f = (E: tf.Tensor, x: tf.Tensor) =>
      matryoshkaLoss(matryoshkaHeadLogits(x, E as tf.Tensor2D, [2, 4], 'full'), y3, {
        importance: [0.7, 1.3],
        targetMatrices: [M, null],
      }).total;
    const [gE, gx] = tf.grads((E: tf.Tensor, x: tf.Tensor) => f(E, x))([E0, x0]);
    // float64 finite differences are not available in tfjs; use float32 with a moderate step.
    const h = 1e-2;
    const check = (which: 0 | 1, grad: tf.Tensor) => {
      const base = (which === 0 ? E0 : x0).arraySync() as number[][];
      const g = grad.arraySync() as number[][];
      for (let i = 0; i < base.length; i++) {
        for (let j = 0; j < base[0].length; j++) {
          const plus = base.map((r) => r.slice());
          const minus = base.map((r) => r.slice());
          plus[i][j] += h;
          minus[i][j] -= h;
          const fp = which === 0 ? f(tf.tensor2d(plus), x0) : f(E0, tf.tensor2d(plus));
          const fm = which === 0 ? f(tf.tensor2d(minus), x0) : f(E0, tf.tensor2d(minus));
          const fd = (fp.dataSync()[0] - fm.dataSync()[0]) / (2 * h);
          expect(Math.abs(fd - g[i][j])).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
        }
      }
    };
    check(0, gE);
    check(1, gx);
  });
});
