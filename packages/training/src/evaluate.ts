import * as tf from '@tensorflow/tfjs-core';
import { BatchSampler } from '@matryoshka/tokenizer';
import type { FlatTrainingState, TrainingTask } from './task';

export interface SplitLoss {
  /** Mean loss per width, in the task's width order. */
  perWidth: number[];
  /** Mean of the task's total (weighted sum) loss. */
  total: number;
}

/**
 * docs/EXPERIMENTS.md, "Data (all experiments)": the mean loss over `evalIters` random batches of one split, with
 * dropout off. The batches come from samplers of their own seeded by `seeds`, one per replica,
 * so evaluating never moves the training sampler, and each replica
 * sees the batches it would see alone. One read-back per call; one SplitLoss per replica.
 */
export function evaluateSplit(
  task: TrainingTask,
  data: Int32Array,
  options: {
    batchSize: number;
    contextLength: number;
    evalIters: number;
    seeds: readonly number[];
    /** The fused step's weights: evaluate with the task's fused step on them instead of task.loss. */
    fused?: FlatTrainingState;
  },
): SplitLoss[] {
  const { batchSize, contextLength, evalIters, seeds, fused } = options;
  if (!Number.isInteger(evalIters) || evalIters < 1)
    throw new Error(`evalIters must be a positive integer, got ${evalIters}`);
  const R = task.replicas;
  if (seeds.length !== R) throw new Error(`evaluateSplit: ${seeds.length} seeds for ${R} replica(s)`);
  const samplers = seeds.map((seed) => new BatchSampler(data, { batchSize, contextLength, seed }));
  const shape = [R, batchSize, contextLength];
  const dropoutSeeds = seeds.map(() => 0);
  // (1 + widths, R): the total and each width's loss, each replica's, summed over the batches.
  let sum: tf.Tensor | undefined;
  let fusedSum: Float64Array | undefined;
  for (let i = 0; i < evalIters; i++) {
    const batch = stackBatches(samplers.map((s) => s.next()));
    if (fused && task.fusedStep) {
      const batchSpec = { ...batch, batchSize, length: contextLength };
      const { values } = task.fusedStep(fused, batchSpec, { training: false, dropoutSeeds });
      const sum = (fusedSum ??= new Float64Array(values.length - R)); // the losses; not the R norms after them
      for (let k = 0; k < sum.length; k++) sum[k] += values[k];
      continue;
    }
    const previous: tf.Tensor | undefined = sum;
    sum = tf.tidy(() => {
      const x = tf.tensor(batch.x, shape, 'int32');
      const y = tf.tensor(batch.y, shape, 'int32');
      const loss = task.loss(x, y, { training: false, dropoutSeeds });
      const stacked = tf.stack([loss.total, ...loss.perWidth]);
      return previous ? tf.add(previous, stacked) : stacked;
    });
    previous?.dispose();
  }
  const rows = fusedSum
    ? Array.from({ length: fusedSum.length / R }, (_, k) => Array.from(fusedSum!.subarray(k * R, (k + 1) * R)))
    : ((sum as tf.Tensor).arraySync() as number[][]);
  sum?.dispose();
  const column = (r: number) => rows.map((row) => row[r] / evalIters);
  return seeds.map((_, r) => {
    const values = column(r);
    return { total: values[0], perWidth: values.slice(1) };
  });
}

/** The batches of several samplers, replica after replica, as one (R, b, T) block. */
export function stackBatches(batches: readonly { x: Int32Array; y: Int32Array }[]): { x: Int32Array; y: Int32Array } {
  if (batches.length === 1) return batches[0];
  const n = batches[0].x.length;
  const x = new Int32Array(n * batches.length);
  const y = new Int32Array(n * batches.length);
  batches.forEach((b, r) => {
    x.set(b.x, r * n);
    y.set(b.y, r * n);
  });
  return { x, y };
}
