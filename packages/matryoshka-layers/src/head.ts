import * as tf from '@tensorflow/tfjs-core';
import { layerNormNoAffine, prefix, prefixLayerNorm } from './layer-norm';
import { matMulTransposeB } from './matmul';
import type { Width } from './nesting';

/**
 * How the tied head normalises the embedding matrix E (v x d):
 * - 'full':   W = LN_d(E), then its first m columns (experiments 1-3, as the original);
 * - 'prefix': W_m = LN_m(E[:, :m]) (experiment 4, and its FIX: the same in training and generation).
 */
export type HeadNormalisation = 'full' | 'prefix';

/** The tied head's weight matrix at width m (v x m), or each replica's (R, v, m) from E (R, v, d). */
export function tiedHeadWeights<T extends tf.Tensor>(embedding: T, m: Width, normalisation: HeadNormalisation): T {
  return tf.tidy(() =>
    normalisation === 'full' ? prefix(layerNormNoAffine(embedding), m) : prefixLayerNorm(embedding, m),
  );
}

/**
 * logits = x[..., :m] @ W_m^T, for x of shape (..., >= m) -> (..., v); for replicas, W (R, v, m)
 * and x (R, ..., >= m), each replica through its own W in one batched matmul.
 */
export function tiedHeadLogits(x: tf.Tensor, weights: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [v, m] = weights.shape.slice(-2);
    const xs = prefix(x, m);
    const lead = xs.shape.slice(0, -1);
    const flat = tf.reshape(xs, [...weights.shape.slice(0, -2), -1, m]);
    const logits = matMulTransposeB(flat, weights);
    return tf.reshape(logits, [...lead, v]);
  });
}

/**
 * The matryoshka head (docs/EXPERIMENTS.md, "Tied head and loss"): logits for every width from one hidden
 * state x (..., d) and the tied embedding matrix, with W = LN_d(E) computed once (for replicas:
 * x (R, ..., d) and E (R, v, d)).
 */
export function matryoshkaHeadLogits(
  x: tf.Tensor,
  embedding: tf.Tensor,
  widths: readonly Width[],
  normalisation: HeadNormalisation = 'full',
): tf.Tensor[] {
  return tf.tidy(() => {
    const full = normalisation === 'full' ? layerNormNoAffine(embedding) : undefined;
    return widths.map((m) => tiedHeadLogits(x, full ? prefix(full, m) : prefixLayerNorm(embedding, m)));
  });
}
