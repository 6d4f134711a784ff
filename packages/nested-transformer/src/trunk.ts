// The trunk at one width m: embeddings, l blocks, final LN_m (docs/EXPERIMENTS.md, "The base GPT trunk" and
// "Experiment 4"). At m = d it is the experiments 1-3 trunk.
import * as tf from '@tensorflow/tfjs-core';
import { embeddingLookup, layerNormNoAffine as layerNorm } from '@matryoshka/matryoshka-layers';
import type { LayerCache } from './attention';
import { causalMask } from './attention';
import { transformerBlock } from './block';
import type { DropoutPlan } from './dropout';
import type { ModelParameters } from './parameters';
import { blockAtWidth, sliceToWidth, type BlockAtWidth } from './slicing';

/** Every weight of the width-m submodel, sliced and shaped for the trunk. */
export interface TrunkWeights {
  width: number;
  heads: number;
  /** E[:, :m] (v, m). */
  tokenEmbedding: tf.Tensor2D;
  /** P[:, :m] (t, m). */
  positionEmbedding: tf.Tensor2D;
  blocks: BlockAtWidth[];
}

export function trunkWeightsAtWidth(params: ModelParameters, m: number, heads: number): TrunkWeights {
  return {
    width: m,
    heads,
    tokenEmbedding: sliceToWidth('token_embedding', params.tokenEmbedding, m, heads) as tf.Tensor2D,
    positionEmbedding: sliceToWidth('position_embedding', params.positionEmbedding, m, heads) as tf.Tensor2D,
    blocks: params.blocks.map((block) => blockAtWidth(block, m, heads)),
  };
}

export interface TrunkRun {
  /** (b, T) token ids. */
  ids: tf.Tensor2D;
  weights: TrunkWeights;
  dropout: DropoutPlan;
  /** Absolute position of ids[:, 0] (> 0 when continuing from a KV cache). */
  positionOffset?: number;
  /** Per-layer keys/values of positions 0..positionOffset. */
  past?: LayerCache[];
}

/** Returns LN_m of the last block's output, (b*T, m), and every layer's keys/values. */
export function runTrunk(run: TrunkRun): { hidden: tf.Tensor2D; cache: LayerCache[] } {
  const { ids, weights, dropout, past } = run;
  const [b, T] = ids.shape;
  const offset = run.positionOffset ?? 0;
  const t = weights.positionEmbedding.shape[0];
  if (offset + T > t) {
    throw new Error(`sequence of ${offset + T} positions exceeds contextLength ${t}`);
  }
  const m = weights.width;
  // x0 = LN_m(E[idx, :m]) + P[offset..offset+T, :m]
  const tokens = tf.reshape(embeddingLookup(weights.tokenEmbedding, ids), [b, T, m]);
  const positions = tf.slice(weights.positionEmbedding, [offset, 0], [T, m]);
  let x = tf.reshape(tf.add(layerNorm(tokens), positions), [b * T, m]) as tf.Tensor2D;
  const mask = causalMask(T, offset + T);
  const cache: LayerCache[] = [];
  weights.blocks.forEach((blockWeights, layer) => {
    const out = transformerBlock({
      x,
      batch: b,
      length: T,
      heads: weights.heads,
      weights: blockWeights,
      mask,
      past: past?.[layer],
      dropout,
      layer,
    });
    x = out.output;
    cache.push(out.cache);
  });
  return { hidden: layerNorm(x), cache };
}
