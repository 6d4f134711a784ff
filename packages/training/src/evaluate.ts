import * as tf from '@tensorflow/tfjs-core';
import { BatchSampler } from '@matryoshka/tokenizer';
import type { TrainingTask } from './task';

export interface SplitLoss {
  /** Mean loss per width, in the task's width order. */
  perWidth: number[];
  /** Mean of the task's total (weighted sum) loss. */
  total: number;
}

/**
 * docs/EXPERIMENTS.md, "Data (all experiments)": the mean loss over `evalIters` random batches of one split, with
 * dropout off. The batches come from a sampler of their own seeded by `seed`, so evaluating
 * never moves the training sampler. One read-back per call.
 */
export function evaluateSplit(
  task: TrainingTask,
  data: Int32Array,
  options: { batchSize: number; contextLength: number; evalIters: number; seed: number },
): SplitLoss {
  const { batchSize, contextLength, evalIters, seed } = options;
  if (!Number.isInteger(evalIters) || evalIters < 1) throw new Error(`evalIters must be a positive integer, got ${evalIters}`);
  const sampler = new BatchSampler(data, { batchSize, contextLength, seed });
  let sum: tf.Tensor | undefined;
  for (let i = 0; i < evalIters; i++) {
    const batch = sampler.next();
    const previous: tf.Tensor | undefined = sum;
    sum = tf.tidy(() => {
      const x = tf.tensor2d(batch.x, [batchSize, contextLength], 'int32');
      const y = tf.tensor2d(batch.y, [batchSize, contextLength], 'int32');
      const loss = task.loss(x, y, { training: false, dropoutSeed: 0 });
      const stacked = tf.stack([loss.total, ...loss.perWidth]);
      return previous ? tf.add(previous, stacked) : stacked;
    });
    previous?.dispose();
  }
  const totals = Array.from((sum as tf.Tensor).dataSync(), (value) => value / evalIters);
  sum?.dispose();
  return { total: totals[0], perWidth: totals.slice(1) };
}
