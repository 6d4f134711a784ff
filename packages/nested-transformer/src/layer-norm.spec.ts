import * as tf from '@tensorflow/tfjs-core';
import { layerNormNoAffine } from '@matryoshka/matryoshka-layers';
import { layerNorm } from './layer-norm';

describe('layerNorm with its analytic gradient', () => {
  it('matches layerNormNoAffine in value and gradient', () => {
    const x = tf.randomNormal([3, 5, 8], 0.3, 2, 'float32', 4);
    const weights = tf.randomNormal([3, 5, 8], 0, 1, 'float32', 5);
    const objective = (norm: (t: tf.Tensor) => tf.Tensor) => (t: tf.Tensor) => tf.sum(tf.mul(tf.square(norm(t)), weights));
    const close = (a: tf.Tensor, b: tf.Tensor) => {
      const p = Array.from(a.dataSync());
      const q = Array.from(b.dataSync());
      p.forEach((v, i) => expect(Math.abs(v - q[i])).toBeLessThan(1e-4));
    };
    close(layerNorm(x), layerNormNoAffine(x));
    close(tf.grad(objective(layerNorm))(x), tf.grad(objective(layerNormNoAffine))(x));
    tf.dispose([x, weights]);
  });
});
