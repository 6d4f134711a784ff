import * as tf from '@tensorflow/tfjs-core';

/** Flatten logits (..., v) to (N, v) and their integer targets (...) to (N,). */
function flatten(logits: tf.Tensor, targets: tf.Tensor): { logits2d: tf.Tensor2D; ids: tf.Tensor1D; v: number } {
  const v = logits.shape[logits.rank - 1];
  const n = logits.size / v;
  if (targets.size !== n) {
    throw new Error(`targets have ${targets.size} entries but logits have ${n} positions (shape ${logits.shape})`);
  }
  return { logits2d: tf.reshape(logits, [n, v]), ids: tf.cast(tf.reshape(targets, [n]), 'int32') as tf.Tensor1D, v };
}

/** Mean cross-entropy of integer targets; one-hot based so it differentiates on every backend. */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const { logits2d, ids, v } = flatten(logits, targets);
    const logp = tf.logSoftmax(logits2d);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(ids, v), logp), 1))) as tf.Scalar;
  });
}

/**
 * docs/EXPERIMENTS.md, "Soft-target loss": mean over positions of -sum_j M[y, j] log_softmax(logits)_j,
 * where M (v x v) is a row-stochastic target matrix. M = I gives crossEntropy.
 */
export function softTargetCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, targetMatrix: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const { logits2d, ids, v } = flatten(logits, targets);
    if (targetMatrix.shape[0] !== v || targetMatrix.shape[1] !== v) {
      throw new Error(`target matrix is ${targetMatrix.shape.join('x')} but the vocabulary has ${v} tokens`);
    }
    const dist = tf.matMul(tf.oneHot(ids, v), targetMatrix);
    return tf.neg(tf.mean(tf.sum(tf.mul(dist, tf.logSoftmax(logits2d)), 1))) as tf.Scalar;
  });
}

export interface MatryoshkaLossOptions {
  /** Relative importance c_k per width (default all 1). */
  importance?: readonly number[];
  /** Per-width target matrices; null/undefined at a width = hard targets (identity). */
  targetMatrices?: readonly (tf.Tensor2D | null | undefined)[];
}

export interface MatryoshkaLoss {
  /** sum_k c_k * loss_k */
  total: tf.Scalar;
  /** loss_k per width, unweighted (for logging). */
  perWidth: tf.Scalar[];
}

/** docs/EXPERIMENTS.md, "Tied head and loss" and "Soft-target loss": sum over widths of (soft-target) cross-entropy. */
export function matryoshkaLoss(
  logitsPerWidth: readonly tf.Tensor[],
  targets: tf.Tensor,
  options: MatryoshkaLossOptions = {},
): MatryoshkaLoss {
  const g = logitsPerWidth.length;
  const importance = options.importance ?? new Array(g).fill(1);
  if (importance.length !== g) throw new Error(`importance has ${importance.length} entries for ${g} widths`);
  if (options.targetMatrices && options.targetMatrices.length !== g) {
    throw new Error(`targetMatrices has ${options.targetMatrices.length} entries for ${g} widths`);
  }
  const perWidth = logitsPerWidth.map((logits, k) => {
    const m = options.targetMatrices?.[k];
    return m ? softTargetCrossEntropy(logits, targets, m) : crossEntropy(logits, targets);
  });
  const total = tf.tidy(() => tf.addN(perWidth.map((l, k) => tf.mul(l, importance[k]))) as tf.Scalar);
  return { total, perWidth };
}
