import * as tf from '@tensorflow/tfjs-core';

/**
 * Scale each replica's gradients together so that their global L2 norm is at most maxNorm
 * (PyTorch's clip_grad_norm_: coefficient maxNorm / (norm + 1e-6), capped at 1), as if each were
 * trained alone: every gradient leads with the replica axis R (a single model's is 1).
 * Stays on the device (no read-back); returns new tensors and each replica's pre-clipping norm (R,).
 */
export function clipByGlobalNorm(
  grads: Record<string, tf.Tensor>,
  maxNorm: number,
  replicas: number,
): { grads: Record<string, tf.Tensor>; norm: tf.Tensor1D } {
  if (!(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return tf.tidy(() => {
    const norm = replicaNorms(Object.values(grads), replicas);
    const coefficient = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))));
    const clipped: Record<string, tf.Tensor> = {};
    for (const [name, g] of Object.entries(grads)) {
      clipped[name] = tf.mul(g, tf.reshape(coefficient, [replicas, ...g.shape.slice(1).map(() => 1)]));
    }
    return { grads: clipped, norm };
  });
}

/** Each replica's global norm (R,): sqrt of the sum of squares of its part of every tensor (their leading axis is the replica). */
export function replicaNorms(tensors: readonly tf.Tensor[], replicas: number): tf.Tensor1D {
  return tf.tidy(() => {
    if (tensors.length === 0) return tf.zeros([replicas]) as tf.Tensor1D;
    return tf.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(tf.reshape(t, [replicas, -1])), 1)))) as tf.Tensor1D;
  });
}
