// KL divergence between widths: mean KL(p_full || p_m) of the next-token distributions on
// validation batches (apps issue: "is each doll saying what the big one says?").
import * as tf from '@tensorflow/tfjs-core';
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer';
import { BatchSampler, type BatchSamplerOptions } from '@matryoshka/tokenizer';

/** Mean over positions of sum_j p(j) (log p(j) - log q(j)), for logits (..., v). */
export function meanKlDivergence(referenceLogits: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(referenceLogits);
    const logQ = tf.logSoftmax(logits);
    const perPosition = tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), -1);
    return tf.mean(perPosition) as tf.Scalar;
  });
}

/** The batches compared: `batches` of them, drawn as BatchSampler draws with these options. */
export type KlFromFullWidthOptions = BatchSamplerOptions & { batches: number };

/** Mean KL divergence of each width's next-token distribution from the full width's; width -> KL. */
export function klFromFullWidth(
  model: MatryoshkaGPT,
  valData: Int32Array,
  options: KlFromFullWidthOptions,
): Record<string, number> {
  const widths = model.widths;
  const full = widths[widths.length - 1];
  const sums = new Array(widths.length).fill(0);
  const sampler = new BatchSampler(valData, options);
  for (let i = 0; i < options.batches; i++) {
    const batch = sampler.next();
    const values = tf.tidy(() => {
      const x = tf.tensor3d(batch.x, [1, batch.batchSize, batch.contextLength], 'int32');
      const logits = model.forward(x, { training: false });
      return tf.stack(logits.map((l) => meanKlDivergence(logits[logits.length - 1], l))).dataSync();
    });
    values.forEach((v, k) => (sums[k] += v));
  }
  return Object.fromEntries(widths.map((m, k) => [String(m), m === full ? 0 : sums[k] / options.batches]));
}
