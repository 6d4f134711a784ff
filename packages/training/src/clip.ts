import * as tf from '@tensorflow/tfjs-core';

/**
 * Scale all gradients together so that their global L2 norm is at most maxNorm
 * (PyTorch's clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), capped at 1).
 * Stays on the device (no read-back); returns new tensors and the pre-clipping norm. With
 * `replicas` R (every gradient has a leading replica axis) each replica is clipped by its own
 * norm, as if it were trained alone, and `norm` is (R,).
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
  replicas?: number,
): { grads: Record<string, tf.Tensor>; norm: tf.Tensor } {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return tf.tidy(() => {
    const norm = replicas === undefined ? globalNorm(Object.values(grads)) : replicaNorms(Object.values(grads), replicas);
    const coefficient = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))));
    const clipped: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) {
      clipped[name] = tf.mul(g, replicas === undefined ? coefficient : tf.reshape(coefficient, [replicas, ...g.shape.slice(1).map(() => 1)]));
    }
    return { grads: clipped, norm };
  });
}

/** sqrt of the sum of squares of every element of every tensor. */
export function globalNorm(tensors: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Scalar;
  });
}

/** Each replica's global norm (R,): the tensors' leading axis is the replica. */
export function replicaNorms(tensors: readonly tf.Tensor[], replicas: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.zeros([replicas]) as tf.Tensor1D;
    return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(tf.reshape(t, [replicas, -1])), 1)))) as tf.Tensor1D;
  });
}
