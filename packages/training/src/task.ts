import type * as tf from '@tensorflow/tfjs-core';

/** Loss of one batch: the weighted sum that is differentiated, and each width's own loss. */
export interface TaskLoss {
  total: tf.Scalar;
  perWidth: tf.Scalar[];
}

export interface TaskLossOptions {
  /** True while training (dropout on), false for evaluation. */
  training: boolean;
  /** Seed for this step's dropout masks, so that a step is reproducible (and a resumed run exact). */
  dropoutSeed: number;
  /**
   * Which widths to compute, as indices into `widths` (default: all). A training step of the
   * sampled regime asks for one; `perWidth` then holds those widths' losses, in this order.
   */
  widthIndices?: readonly number[];
}

/**
 * What the training loop knows of a model: its widths, its trainable variables and a loss.
 * Apps adapt their model to this (the loop never imports a model package).
 */
export interface TrainingTask {
  /** The nested widths m_k, in the order of `perWidth` in `loss`. */
  widths: readonly number[];
  /** Trainable variables by stable name; these names are the checkpoint's tensor names. */
  variables: Record<string, tf.Variable>;
  /** Loss for a batch of token ids x and next-token ids y, both int32 (batch, context), at the widths asked. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, options: TaskLossOptions): TaskLoss;
}
