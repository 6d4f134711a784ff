// A key/value-cache runner of one width's weights, for token-by-token generation.
//
// While the whole sequence fits in the context (length <= t), positions never move, so the keys
// and values of earlier positions stay valid: each new token costs one position. Once the
// sequence outgrows t, the reference (nanoGPT) crops to the last t ids, which shifts every
// absolute position embedding, so every cached key/value changes: `recompute` then runs the
// whole window from scratch (exactly the reference), and nothing is cached.
import * as tf from '@tensorflow/tfjs-core';
import { tiedHeadLogits } from '@matryoshka/matryoshka-layers';
import type { DropoutPlan } from './dropout';
import { runTrunk, type LayerCache } from './model';
import { BLOCK_TENSORS, type BlockWeights, type SubmodelWeights } from './slicing';
import { tidyKeep } from './tidy';

const NO_DROPOUT: DropoutPlan = { training: false, replicas: [] };

export class KVCacheRunner {
  /** Number of positions held in the cache. */
  length = 0;
  private readonly trunk: SubmodelWeights;
  private readonly head: tf.Tensor2D;
  private cache: LayerCache[] | undefined;

  /**
   * Runs copies of a submodel's weights: `weights()` gives the trunk's weights and the tied head's
   * W_k (v, k), as a model's weightsFor(sub) does; it is called inside a tf.tidy and its result
   * copied once here, rather than sliced once per token.
   */
  constructor(weights: () => { trunk: SubmodelWeights; head: tf.Tensor2D }) {
    const copy = <T extends tf.Tensor>(x: T) => tf.clone(x) as T;
    [this.trunk, this.head] = tidyKeep(() => {
      const { trunk, head } = weights();
      const blocks = trunk.blocks.map((b) => ({ ...b, ...Object.fromEntries(BLOCK_TENSORS.map((k) => [k, copy(b[k])])) }) as BlockWeights);
      const kept: SubmodelWeights = { ...trunk, tokenEmbedding: copy(trunk.tokenEmbedding), positionEmbedding: copy(trunk.positionEmbedding), blocks };
      return [kept, copy(head)] as [SubmodelWeights, tf.Tensor2D];
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
    const w = this.trunk;
    tf.dispose([w.tokenEmbedding, w.positionEmbedding, this.head, ...w.blocks.flatMap((b) => BLOCK_TENSORS.map((k) => b[k]))]);
  }

  private dropCache(): void {
    if (this.cache) tf.dispose(this.cache.flatMap((c) => [c.keys, c.values]));
    this.cache = undefined;
    this.length = 0;
  }

  private run(ids: readonly number[], offset: number, past: LayerCache[] | undefined) {
    const result = tidyKeep(() => {
      const input = tf.tensor2d([...ids], [1, ids.length], 'int32');
      const { hidden, cache } = runTrunk(input, this.trunk, { dropout: NO_DROPOUT, positionOffset: offset, past });
      const last = tf.slice(hidden, [ids.length - 1, 0], [1, this.trunk.width]);
      return { logits: tiedHeadLogits(last, this.head), cache };
    });
    const logits = Float32Array.from(result.logits.dataSync());
    result.logits.dispose();
    return { logits, cache: result.cache };
  }
}
