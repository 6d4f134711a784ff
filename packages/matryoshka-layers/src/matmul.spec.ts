import * as tf from '@tensorflow/tfjs-core';
import { matMul, matMulExplicitTransposeGradient, matMulTransposeB } from './matmul';

const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-4) => {
  expect(a.shape).toEqual(b.shape);
  const p = a.dataSync();
  const q = b.dataSync();
  for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(tol);
};

describe('matMul with the explicit-transpose gradient', () => {
  it('gives a hand-worked product and gradient', () => {
    const a = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const b = tf.tensor2d([
      [5, 6],
      [7, 8],
    ]);
    close(
      matMulExplicitTransposeGradient(a, b),
      tf.tensor2d([
        [19, 22],
        [43, 50],
      ]),
    );
    // d/dA sum(A B) = 1 B^T: row sums of B; d/dB = A^T 1: column sums of A.
    const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(matMulExplicitTransposeGradient(p, q)))([a, b]);
    close(
      ga,
      tf.tensor2d([
        [11, 15],
        [11, 15],
      ]),
    );
    close(
      gb,
      tf.tensor2d([
        [4, 4],
        [6, 6],
      ]),
    );
  });

  it.each([
    [
      [6, 5],
      [5, 3],
    ],
    // Several matrices of rank 3 (the replicas'), which are multiplied one by one.
    [
      [3, 6, 5],
      [3, 5, 4],
    ],
    [
      [2, 3, 6, 5],
      [2, 3, 5, 4],
    ],
  ])('agrees with tfjs matMul in value and gradient for %j @ %j', (sa, sb) => {
    const a = tf.randomNormal(sa, 0, 1, 'float32', 1);
    const b = tf.randomNormal(sb, 0, 1, 'float32', 2);
    const w = tf.randomNormal([...sa.slice(0, -1), sb[sb.length - 1]], 0, 1, 'float32', 3);
    const loss = (mm: (p: tf.Tensor, q: tf.Tensor) => tf.Tensor) => (p: tf.Tensor, q: tf.Tensor) =>
      tf.sum(tf.mul(mm(p, q), w));
    close(matMulExplicitTransposeGradient(a, b), tf.matMul(a, b));
    const [ga, gb] = tf.grads(loss(matMulExplicitTransposeGradient))([a, b]);
    const [ra, rb] = tf.grads(loss((p, q) => tf.matMul(p, q)))([a, b]);
    close(ga, ra);
    close(gb, rb);
    // The backend-chosen entry points compute the same product.
    close(matMul(a, b), tf.matMul(a, b));
    const swapLast = [...sb.keys()];
    swapLast.splice(-2, 2, sb.length - 1, sb.length - 2);
    close(matMulTransposeB(a, tf.transpose(b, swapLast)), tf.matMul(a, b));
  });

  it('multiplies several matrices of rank 3 one by one, and one matrix at once', async () => {
    const products = async (count: number) => {
      const a = tf.randomNormal([count, 6, 5], 0, 1, 'float32', 1);
      const b = tf.randomNormal([count, 5, 4], 0, 1, 'float32', 2);
      const info = await tf.profile(() => matMulExplicitTransposeGradient(a, b));
      tf.dispose([a, b, info.result as tf.Tensor]);
      return info.kernels.filter((k) => k.name === 'BatchMatMul').length;
    };
    expect(await products(3)).toBe(3);
    expect(await products(1)).toBe(1);
  });

  it('refuses batch shapes that would need broadcasting', () => {
    expect(() => matMulExplicitTransposeGradient(tf.zeros([2, 3, 4]), tf.zeros([1, 4, 5]))).toThrow(
      /batch shapes differ/,
    );
  });
});
