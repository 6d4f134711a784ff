// A key/value-cache runner of one width's weights, for token-by-token generation.
//
// While the whole sequence fits in the context (length <= t), positions never move, so the keys
// and values of earlier positions stay valid: each new token costs one position. Once the
// sequence outgrows t, the reference (nanoGPT) crops to the last t ids, which shifts every
// absolute position embedding, so every cached key/value changes: `recompute` then runs the
// whole window from scratch (exactly the reference), and nothing is cached.
// Speculative decoding (speculative.ts) also scores several ids in one call (score) and rolls
// back the positions of rejected drafts (truncate).
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
  private readonly head: tf.Tensor3D;
  private cache: LayerCache[] | undefined;

  /**
   * Runs copies of a submodel's weights: `weights()` gives the trunk's weights and the tied head's
   * W_k (1, v, k) of a model of one replica, as its weightsFor(sub) does; it is called inside a
   * tf.tidy and its result copied once here, rather than sliced once per token.
   */
  constructor(weights: () => { trunk: SubmodelWeights; head: tf.Tensor3D }) {
    const copy = <T extends tf.Tensor>(x: T) => tf.clone(x) as T;
    [this.trunk, this.head] = tidyKeep(() => {
      const { trunk, head } = weights();
      const blocks = trunk.blocks.map(
        (b) => ({ ...b, ...Object.fromEntries(BLOCK_TENSORS.map((k) => [k, copy(b[k])])) }) as BlockWeights,
      );
      const kept: SubmodelWeights = {
        ...trunk,
        tokenEmbedding: copy(trunk.tokenEmbedding),
        positionEmbedding: copy(trunk.positionEmbedding),
        blocks,
      };
      if (head.shape[0] !== 1) throw new Error(`KVCacheRunner: runs one replica, got ${head.shape[0]}`);
      return [kept, copy(head)] as [SubmodelWeights, tf.Tensor3D];
    });
  }

  /** Feed ids that follow the cached positions; returns the logits (v) after the last one. */
  append(ids: readonly number[]): Float32Array {
    return this.score(ids, 1)[0];
  }

  /**
   * Feed ids that follow the cached positions, all in one forward, and cache them; returns the
   * logits (v) after each of the last `count` ids, in order. Speculative decoding (speculative.ts)
   * scores its k drafted ids and the position before them this way.
   */
  score(ids: readonly number[], count: number): Float32Array[] {
    if (ids.length === 0) throw new Error('KVCacheRunner: no ids to feed');
    if (!Number.isInteger(count) || count < 1 || count > ids.length) {
      throw new Error(`score: count ${count} must be an integer in [1, ${ids.length}] (the ids fed)`);
    }
    const { logits, cache } = this.run(ids, this.length, this.cache, count);
    const length = this.length + ids.length;
    this.dropCache();
    this.cache = cache;
    this.length = length;
    return logits;
  }

  /**
   * Keep only the first `length` cached positions (roll back: the next append continues at
   * `length`). Keys and values of a position depend only on the positions before it, so what is
   * kept is exactly what feeding those ids alone would have cached.
   */
  truncate(length: number): void {
    if (!Number.isInteger(length) || length < 0 || length > this.length) {
      throw new Error(`truncate: length ${length} must be an integer in [0, ${this.length}] (the cached positions)`);
    }
    if (length === this.length) return;
    if (length === 0) {
      this.dropCache();
      return;
    }
    const old = this.cache ?? [];
    // Keys and values are (1, h, S, m/h): as (h, S m/h) the kept part is one run per head, a 2-D
    // slice that backends copy run by run; the same cut as a 4-D slice copies each position's
    // m/h numbers apart (on wasm, 1.1 ms per truncate at width 128, as much as a forward).
    const cut = (x: tf.Tensor4D) => {
      const [b, h, , headSize] = x.shape;
      const kept = tf.slice(tf.reshape(x, [b * h, -1]), [0, 0], [b * h, length * headSize]);
      return tf.reshape(kept, [b, h, length, headSize]) as tf.Tensor4D;
    };
    this.cache = tidyKeep(() => old.map((c) => ({ keys: cut(c.keys), values: cut(c.values) })));
    tf.dispose(old.flatMap((c) => [c.keys, c.values]));
    this.length = length;
  }

  /** Run `ids` as a fresh window (positions 0..) without caching; returns the last logits. */
  recompute(ids: readonly number[]): Float32Array {
    this.dropCache();
    const { logits, cache } = this.run(ids, 0, undefined, 1);
    tf.dispose(cache.flatMap((c) => [c.keys, c.values]));
    return logits[0];
  }

  dispose(): void {
    this.dropCache();
    const w = this.trunk;
    tf.dispose([
      w.tokenEmbedding,
      w.positionEmbedding,
      this.head,
      ...w.blocks.flatMap((b) => BLOCK_TENSORS.map((k) => b[k])),
    ]);
  }

  private dropCache(): void {
    if (this.cache) tf.dispose(this.cache.flatMap((c) => [c.keys, c.values]));
    this.cache = undefined;
    this.length = 0;
  }

  /** The trunk on `ids` at positions offset..; the logits after each of the last `count` ids and every layer's keys/values. */
  private run(ids: readonly number[], offset: number, past: LayerCache[] | undefined, count: number) {
    const result = tidyKeep(() => {
      // One replica, one sequence: ids (1, 1, n) -> hidden (1, n, M).
      const input = tf.tensor3d([...ids], [1, 1, ids.length], 'int32');
      const { hidden, cache } = runTrunk(input, this.trunk, { dropout: NO_DROPOUT, positionOffset: offset, past });
      const last = tf.slice(hidden, [0, ids.length - count, 0], [1, count, this.trunk.width]);
      return { logits: tiedHeadLogits(last, this.head), cache };
    });
    const flat = result.logits.dataSync() as Float32Array;
    const v = result.logits.shape[2] as number;
    const logits = Array.from({ length: count }, (_, i) => flat.slice(i * v, (i + 1) * v));
    result.logits.dispose();
    return { logits, cache: result.cache };
  }
}
