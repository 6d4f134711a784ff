// Incremental decoding at one width with a key/value cache per layer.
//
// While the whole sequence fits in the context (length <= t), positions never move, so the keys
// and values of earlier positions stay valid: each new token costs one position. Once the
// sequence outgrows t, the reference (nanoGPT) crops to the last t ids, which shifts every
// absolute position embedding, so every cached key/value changes: `recompute` then runs the
// whole window from scratch (exactly the reference), and nothing is cached.
import * as tf from '@tensorflow/tfjs-core';
import { tiedHeadLogits, tiedHeadWeights, type Width } from '@matryoshka/matryoshka-layers';
import type { LayerCache } from './attention';
import type { MatryoshkaGPT, Trunk } from './model';
import { tidyKeep } from './tidy';
import { runTrunk, trunkWeightsAtWidth, type TrunkWeights } from './trunk';

const NO_DROPOUT = { rate: 0, training: false } as const;

export class IncrementalDecoder {
  /** Number of positions held in the cache. */
  length = 0;
  private readonly weights: TrunkWeights;
  private readonly head: tf.Tensor2D;
  private cache: LayerCache[] | undefined;

  /**
   * trunk 'nested': only the width-m submodel runs. trunk 'full': the full-width trunk runs and
   * the width-m head reads it (experiment 1).
   */
  constructor(model: MatryoshkaGPT, width: Width, trunk: Trunk) {
    model.checkWidth(width, trunk);
    const { heads, width: d, headNormalisation } = model.config;
    const E = model.parameters.tokenEmbedding as tf.Tensor2D;
    // Slice once per decoder, not once per token.
    [this.weights, this.head] = tidyKeep(() => {
      const weights = trunkWeightsAtWidth(model.parameters, trunk === 'full' ? d : width, heads);
      const copy = <T extends tf.Tensor>(x: T) => tf.clone(x) as T;
      const kept: TrunkWeights = {
        ...weights,
        tokenEmbedding: copy(weights.tokenEmbedding),
        positionEmbedding: copy(weights.positionEmbedding),
        blocks: weights.blocks.map((b) => ({
          wqkv: copy(b.wqkv), wo: copy(b.wo), bo: copy(b.bo), w1: copy(b.w1), b1: copy(b.b1), w2: copy(b.w2), b2: copy(b.b2),
        })),
      };
      const head = tiedHeadWeights(E, width, trunk === 'full' ? headNormalisation : 'prefix');
      return [kept, head] as [TrunkWeights, tf.Tensor2D];
    });
  }

  /** Feed ids that follow the cached positions; returns the logits (v) after the last one. */
  append(ids: readonly number[]): Float32Array {
    if (ids.length === 0) throw new Error('append: no ids to feed');
    const { logits, cache } = this.run(ids, this.length, this.cache);
    const length = this.length + ids.length;
    this.dropCache();
    this.cache = cache;
    this.length = length;
    return logits;
  }

  /** Run `ids` as a fresh window (positions 0..) without caching; returns the last logits. */
  recompute(ids: readonly number[]): Float32Array {
    this.dropCache();
    const { logits, cache } = this.run(ids, 0, undefined);
    tf.dispose(cache.flatMap((c) => [c.keys, c.values]));
    return logits;
  }

  dispose(): void {
    this.dropCache();
    const w = this.weights;
    tf.dispose([w.tokenEmbedding, w.positionEmbedding, this.head, ...w.blocks.flatMap((b) => Object.values(b))]);
  }

  private dropCache(): void {
    if (this.cache) tf.dispose(this.cache.flatMap((c) => [c.keys, c.values]));
    this.cache = undefined;
    this.length = 0;
  }

  private run(ids: readonly number[], offset: number, past: LayerCache[] | undefined) {
    const result = tidyKeep(() => {
      const input = tf.tensor2d([...ids], [1, ids.length], 'int32');
      const { hidden, cache } = runTrunk({ ids: input, weights: this.weights, dropout: NO_DROPOUT, positionOffset: offset, past });
      const last = tf.slice(hidden, [ids.length - 1, 0], [1, hidden.shape[1]]);
      return { logits: tiedHeadLogits(last, this.head), cache };
    });
    const logits = Float32Array.from(result.logits.dataSync());
    result.logits.dispose();
    return { logits, cache: result.cache };
  }
}
