import * as tf from '@tensorflow/tfjs-core';

/** EXPERIMENTS.md: layer norm without affine parameters, epsilon 1e-5, biased variance. */
export const LAYER_NORM_EPSILON = 1e-5;

/** LN_n over the last axis (no scale, no shift). */
export function layerNormNoAffine<T extends tf.Tensor>(x: T, epsilon = LAYER_NORM_EPSILON): T {
  return tf.tidy(() => {
    const axis = x.rank - 1;
    const mean = tf.mean(x, axis, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axis, true);
    return tf.mul(centred, tf.rsqrt(tf.add(variance, epsilon))) as T;
  });
}

/** The first `m` coordinates of the last axis (slice, which has a gradient on every backend). */
export function prefix<T extends tf.Tensor>(x: T, m: number): T {
  const last = x.shape[x.rank - 1];
  if (m > last) throw new Error(`prefix width ${m} exceeds the last axis (${last})`);
  if (m === last) return x;
  const begin = x.shape.map(() => 0);
  const size = x.shape.map((s, i) => (i === x.rank - 1 ? m : s));
  return tf.slice(x, begin, size) as T;
}

/** LN_m(x[..., :m]). */
export function prefixLayerNorm<T extends tf.Tensor>(x: T, m: number): T {
  return tf.tidy(() => layerNormNoAffine(prefix(x, m)));
}
