import * as tf from '@tensorflow/tfjs-core';
import { layerNormNoAffine } from './layer-norm';

// An independent layer norm: the textbook formula left to tfjs' autodiff (no custom gradient).
function plainLayerNorm(x: tf.Tensor, eps = 1e-5): tf.Tensor {
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  return tf.div(centred, tf.sqrt(tf.add(tf.mean(tf.square(centred), axis, true), eps)));
}

const close = (a: tf.Tensor, b: tf.Tensor, tol: number) => {
  const p = a.dataSync();
  const q = b.dataSync();
  expect(p.length).toBe(q.length);
  for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - q[i])).toBeLessThan(tol);
};

describe('layerNormNoAffine with its analytic gradient', () => {
  // Made once the test setup has selected the backend, not while the file is collected.
  let x: tf.Tensor;
  let weights: tf.Tensor;
  beforeAll(() => {
    x = tf.randomNormal([3, 5, 8], 0.3, 2, 'float32', 4);
    weights = tf.randomNormal([3, 5, 8], 0, 1, 'float32', 5);
  });
  const objective = (norm: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) =>
    tf.sum(tf.mul(tf.square(norm(t)), weights));
  afterAll(() => tf.dispose([x, weights]));

  it('equals the plain formula in value and in autodiff gradient', () => {
    close(layerNormNoAffine(x), plainLayerNorm(x), 1e-5);
    close(tf.grad(objective(layerNormNoAffine))(x), tf.grad(objective(plainLayerNorm))(x), 1e-4);
  });

  it('matches central finite differences', () => {
    const f = objective(layerNormNoAffine);
    const analytic = tf.grad(f)(x).dataSync();
    const base = x.dataSync();
    const h = 1e-2;
    for (const i of [0, 7, 19, 64, 119]) {
      const at = (delta: number) => {
        const moved = Float32Array.from(base);
        moved[i] += delta;
        return tf.tidy(() => f(tf.tensor(moved, x.shape)).dataSync()[0]);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(numeric - analytic[i])).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
    }
  });

  it('honours a custom epsilon (a constant row normalises to 0, a 2-vector to +-1/sqrt(1+eps))', () => {
    close(layerNormNoAffine(tf.tensor2d([[1, 3]]), 1), tf.tensor2d([[-1 / Math.sqrt(2), 1 / Math.sqrt(2)]]), 1e-6);
    close(layerNormNoAffine(tf.tensor2d([[5, 5, 5]])), tf.zeros([1, 3]), 1e-6);
  });
});
