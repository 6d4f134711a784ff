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

/**
 * The mean of per-position losses (N,): over all positions (a scalar), or, with `replicas` R,
 * over each replica's own positions (the leading R-th parts) -> (R,).
 */
function meanLoss(perPosition: tf.Tensor1D, replicas: number | undefined): tf.Tensor {
  return replicas === undefined ? tf.mean(perPosition) : tf.mean(tf.reshape(perPosition, [replicas, -1]), 1);
}

/**
 * Mean cross-entropy of integer targets; one-hot based so it differentiates on every backend.
 * With `replicas` R, logits (R, ..., v) and targets (R, ...) give one mean per replica (R,).
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, replicas?: number): tf.Tensor {
  return tf.tidy(() => {
    const { logits2d, ids, v } = flatten(logits, targets);
    const logp = tf.logSoftmax(logits2d);
    return tf.neg(meanLoss(tf.sum(tf.mul(tf.oneHot(ids, v), logp), 1) as tf.Tensor1D, replicas));
  });
}

/**
 * docs/EXPERIMENTS.md, "Soft-target loss": mean over positions of -sum_j M[y, j] log_softmax(logits)_j,
 * where M (v x v) is a row-stochastic target matrix. M = I gives crossEntropy. With `replicas` R,
 * one mean per replica (R,), and M may be each replica's own (R, v, v).
 */
export function softTargetCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, targetMatrix: tf.Tensor, replicas?: number): tf.Tensor {
  return tf.tidy(() => {
    const { logits2d, ids, v } = flatten(logits, targets);
    const [rows, columns] = targetMatrix.shape.slice(-2);
    if (rows !== v || columns !== v) {
      throw new Error(`target matrix is ${targetMatrix.shape.join('x')} but the vocabulary has ${v} tokens`);
    }
    let dist: tf.Tensor;
    if (targetMatrix.rank === 3) {
      if (targetMatrix.shape[0] !== replicas) throw new Error(`target matrices for ${targetMatrix.shape[0]} replicas but the logits have ${replicas ?? 'no replica axis'}`);
      dist = tf.reshape(tf.matMul(tf.reshape(tf.oneHot(ids, v), [replicas, -1, v]), targetMatrix), [-1, v]);
    } else {
      dist = tf.matMul(tf.oneHot(ids, v), targetMatrix as tf.Tensor2D);
    }
    return tf.neg(meanLoss(tf.sum(tf.mul(dist, tf.logSoftmax(logits2d)), 1) as tf.Tensor1D, replicas));
  });
}

export interface MatryoshkaLossOptions {
  /** Relative importance c_k per width (default all 1). */
  importance?: readonly number[];
  /** Per-width target matrices (v, v), or (R, v, v) one per replica; null/undefined at a width = hard targets (identity). */
  targetMatrices?: readonly (tf.Tensor | null | undefined)[];
  /** R when logits and targets carry a leading replica axis: each loss is then one per replica (R,). */
  replicas?: number;
}

export interface MatryoshkaLoss {
  /** sum_k c_k * loss_k: a scalar, or (R,) one per replica (differentiate their sum: replicas' parameters are disjoint). */
  total: tf.Tensor;
  /** loss_k per width, unweighted (for logging): scalars, or (R,) one per replica. */
  perWidth: tf.Tensor[];
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
    return m ? softTargetCrossEntropy(logits, targets, m, options.replicas) : crossEntropy(logits, targets, options.replicas);
  });
  const total = tf.tidy(() => tf.addN(perWidth.map((l, k) => tf.mul(l, importance[k]))));
  return { total, perWidth };
}
