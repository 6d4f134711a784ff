import type * as tf from '@tensorflow/tfjs-core';
import type { FlatTrainingState, FusedUpdate } from '@matryoshka/matryoshka-layers';

/** Loss of one batch: the weighted sum that is differentiated, and each width's own loss. */
export interface TaskLoss {
  /** The weighted sum over widths, each replica's (R,) (the loop differentiates their sum). */
  total: tf.Tensor;
  /** Each width's loss, each replica's (R,). */
  perWidth: tf.Tensor[];
}

export interface TaskLossOptions {
  /** True while training (dropout on), false for evaluation. */
  training: boolean;
  /** Seeds for this step's dropout masks, one per replica (a single model: one), so that a step is reproducible (and a resumed run exact). */
  dropoutSeeds: readonly number[];
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
  /**
   * R, the replicas trained at once (a single model: 1): every variable has a leading axis R, x
   * and y are (R, batch, context), each replica its own batch, and each loss is (R,).
   */
  replicas: number;
  /** Loss for a batch of token ids x and next-token ids y, both int32 (R, batch, context), at the widths asked. */
  loss(x: tf.Tensor, y: tf.Tensor, options: TaskLossOptions): TaskLoss;
  /** The same update outside tfjs, when the task's model has one and it was chosen (FusedStep). */
  fusedStep?: FusedStep;
}

export type { FlatTrainingState, FusedUpdate };

/** What a fused step is told besides the batch: this step's draws and, to train, the update. */
export interface FusedStepOptions extends TaskLossOptions {
  /** Training's update (with `training`); without it the call evaluates: losses only, dropout off. */
  update?: FusedUpdate;
}

/**
 * The loss, its gradient, clipping and AdamW of one update in a single call outside tfjs
 * (nested-transformer's fused step), in place on flat copies of the weights and moments; or,
 * not training, an evaluation batch's losses. It returns what the tfjs step reads back,
 * (1 + widths) x R losses then R gradient norms, and whether it applied an update (not when a
 * loss or norm is not finite).
 */
export type FusedStep = (
  state: FlatTrainingState,
  batch: { x: Int32Array; y: Int32Array; batchSize: number; length: number },
  options: FusedStepOptions,
) => { values: Float32Array; applied: boolean };
