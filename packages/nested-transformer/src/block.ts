// One pre-norm transformer block (docs/EXPERIMENTS.md, "The base GPT trunk" and "Departures from the original notebooks"):
//   x1 = x + MHA(LN(x));  x2 = x1 + FFN(LN(x1))
// the same in training, evaluation and generation.
import * as tf from '@tensorflow/tfjs-core';
import { layerNormNoAffine as layerNorm, matMul } from '@matryoshka/matryoshka-layers';
import { causalSelfAttention, type AttentionInput, type LayerCache } from './attention';
import { applyDropout, type DropoutPlan } from './dropout';
import type { BlockAtWidth } from './slicing';

/** FFN: m -> 4m (bias) -> ReLU -> 4m -> m (bias) -> dropout. */
export function feedForward(x: tf.Tensor2D, w: BlockAtWidth, dropout: DropoutPlan, layer: number): tf.Tensor2D {
  // ReLU as max(x, 0): same values, but its gradient is 3 native ops where tf.relu's Step
  // costs ~1.5 ms per call on the tensorflow backend.
  const hidden = tf.maximum(tf.add(matMul(x, w.w1), w.b1), 0) as tf.Tensor2D;
  const out = tf.add(matMul(hidden, w.w2), w.b2);
  return applyDropout(out, dropout, x.shape[1], layer, 'ffn-output') as tf.Tensor2D;
}

/** A block reads what its attention reads: the residual stream, the shapes, weights, mask, cache, dropout. */
export type BlockInput = AttentionInput;

export function transformerBlock(input: BlockInput): { output: tf.Tensor2D; cache: LayerCache } {
  const { x, weights, dropout, layer } = input;
  const attention = causalSelfAttention({ ...input, x: layerNorm(x) });
  const x1 = tf.add(x, attention.output) as tf.Tensor2D;
  const x2 = tf.add(x1, feedForward(layerNorm(x1), weights, dropout, layer)) as tf.Tensor2D;
  return { output: x2, cache: attention.cache };
}
