// Causal multi-head self-attention at one width (docs/EXPERIMENTS.md, "The base GPT trunk", MHA), all heads
// in one batched matmul over (b, h, T, m/h).
import * as tf from '@tensorflow/tfjs-core';
import { matMul, matMulTransposeB } from '@matryoshka/matryoshka-layers';
import { applyDropout, type DropoutPlan } from './dropout';
import type { BlockAtWidth } from './slicing';

/** One layer's keys and values of the positions seen so far, each (b, h, S, m/h). */
export interface LayerCache {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/** Additive mask (T, S) letting query i (absolute position S - T + i) see keys 0..S-T+i; null if T = 1. */
export function causalMask(queryLength: number, keyLength: number): tf.Tensor2D | null {
  if (queryLength === 1) return null;
  const offset = keyLength - queryLength;
  const mask = new Float32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) {
    for (let j = offset + i + 1; j < keyLength; j++) mask[i * keyLength + j] = -1e9;
  }
  return tf.tensor2d(mask, [queryLength, keyLength]);
}

export interface AttentionInput {
  /** (b*T, m), already layer-normed. */
  x: tf.Tensor2D;
  batch: number;
  length: number;
  heads: number;
  weights: BlockAtWidth;
  /** From causalMask(length, past + length). */
  mask: tf.Tensor2D | null;
  /** Keys/values of earlier positions (generation with a KV cache). */
  past?: LayerCache;
  dropout: DropoutPlan;
  layer: number;
}

/** Returns the projected output (b*T, m) and this layer's keys/values including `past`. */
export function causalSelfAttention(input: AttentionInput): { output: tf.Tensor2D; cache: LayerCache } {
  const { x, batch: b, length: T, heads: h, weights: w, mask, past, dropout, layer } = input;
  const m = x.shape[1];
  const headSize = m / h;
  // (b*T, 3m) -> (b, T, 3h, hs) -> (b, 3h, T, hs) -> q, k, v each (b, h, T, hs). A 4-D transpose:
  // the 5-D one it replaces took ~400 us on wasm and tfjs-node alike, even for experiment 1's tiny tensors.
  const qkv = tf.transpose(tf.reshape(matMul(x, w.wqkv), [b, T, 3 * h, headSize]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor4D[];
  const keys = past ? (tf.concat([past.keys, k], 2) as tf.Tensor4D) : k;
  const values = past ? (tf.concat([past.values, v], 2) as tf.Tensor4D) : v;
  // Scale by 1/sqrt(head size at this width).
  let scores = matMulTransposeB(tf.mul(q, 1 / Math.sqrt(headSize)), keys);
  if (mask) scores = tf.add(scores, mask);
  const attention = applyDropout(tf.softmax(scores), dropout, m, layer, 'attention-weights');
  // (b, h, T, hs) -> (b, T, h, hs) -> (b*T, m): heads concatenated in head order.
  const heads = tf.reshape(tf.transpose(matMul(attention, values), [0, 2, 1, 3]), [b * T, m]) as tf.Tensor2D;
  const projected = tf.add(matMul(heads, w.wo), w.bo);
  const output = applyDropout(projected, dropout, m, layer, 'attention-output') as tf.Tensor2D;
  return { output, cache: { keys, values } };
}
