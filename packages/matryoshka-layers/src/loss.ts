import * as tf from '@tensorflow/tfjs-core';

/**
 * Logits (R, ..., v) and integer targets (R, ...) as R rows of n positions: (R, n, v) and
 * (R, n). R = 1 is a single model's batch (its logits carry no replica axis).
 */
function byReplica(
  logits: tf.Tensor,
  targets: tf.Tensor,
  replicas: number,
): { logits3d: tf.Tensor3D; ids: tf.Tensor2D; v: number } {
  const v = logits.shape[logits.rank - 1];
  const positions = logits.size / v;
  if (targets.size !== positions) {
    throw new Error(
      `targets have ${targets.size} entries but logits have ${positions} positions (shape ${logits.shape})`,
    );
  }
  const n = positions / replicas;
  return {
    logits3d: tf.reshape(logits, [replicas, n, v]),
    ids: tf.cast(tf.reshape(targets, [replicas, n]), 'int32') as tf.Tensor2D,
    v,
  };
}

/**
 * Mean cross-entropy of integer targets, one per replica (R,): logits (R, ..., v) and targets
 * (R, ...) with `replicas` R, or a single model's (..., v) and (...) as R = 1 -> (1,).
 * One-hot based so that it differentiates on every backend.
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, replicas = 1): tf.Tensor1D {
  return tf.tidy(() => {
    const { logits3d, ids, v } = byReplica(logits, targets, replicas);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(ids, v), tf.logSoftmax(logits3d)), 2), 1)) as tf.Tensor1D;
  });
}

/**
 * docs/EXPERIMENTS.md, "Soft-target loss": mean over positions of -sum_j M[y, j] log_softmax(logits)_j,
 * where M (v x v) is a row-stochastic target matrix. M = I gives crossEntropy. One mean per
 * replica (R,) as crossEntropy; M is shared (v, v) or each replica's own (R, v, v).
 */
export function softTargetCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  targetMatrix: tf.Tensor,
  replicas = 1,
): tf.Tensor1D {
  return tf.tidy(() => {
    const { logits3d, ids, v } = byReplica(logits, targets, replicas);
    const [rows, columns] = targetMatrix.shape.slice(-2);
    if (rows !== v || columns !== v) {
      throw new Error(`target matrix is ${targetMatrix.shape.join('x')} but the vocabulary has ${v} tokens`);
    }
    if (targetMatrix.rank === 3 && targetMatrix.shape[0] !== replicas) {
      throw new Error(`target matrices for ${targetMatrix.shape[0]} replicas but the logits hold ${replicas}`);
    }
    // (R, n, v) @ (v, v) or (R, v, v): a shared matrix broadcasts over the replicas.
    const dist = tf.matMul(tf.oneHot(ids, v), targetMatrix as tf.Tensor3D);
    return tf.neg(tf.mean(tf.sum(tf.mul(dist, tf.logSoftmax(logits3d)), 2), 1)) as tf.Tensor1D;
  });
}

export interface MatryoshkaLossOptions {
  /** Relative importance c_k per width (default all 1). */
  importance?: readonly number[];
  /** Per-width target matrices (v, v), or (R, v, v) one per replica; null/undefined at a width = hard targets (identity). */
  targetMatrices?: readonly (tf.Tensor | null | undefined)[];
  /** R, the logits' and targets' leading replica axis (default 1: a single model's, which has none). */
  replicas?: number;
}

export interface MatryoshkaLoss {
  /** sum_k c_k * loss_k, one per replica (R,) (differentiate their sum: replicas' parameters are disjoint). */
  total: tf.Tensor1D;
  /** loss_k per width, unweighted (for logging), each (R,). */
  perWidth: tf.Tensor1D[];
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
    return m
      ? softTargetCrossEntropy(logits, targets, m, options.replicas)
      : crossEntropy(logits, targets, options.replicas);
  });
  const total = tf.tidy(() => tf.addN(perWidth.map((l, k) => tf.mul(l, importance[k])))) as tf.Tensor1D;
  return { total, perWidth };
}
