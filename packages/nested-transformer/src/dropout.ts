// Dropout with masks drawn in JavaScript by mulberry32 from a per-call seed.
// Why not tf.dropout: its random numbers come from tfjs-core's seeded alea generator, ~100 ns
// per value, which cost more than the whole backward pass of experiment 4 (10M values a step).
// mulberry32 is ~25x faster, and its masks are identical on every backend.
import * as tf from '@tensorflow/tfjs-core';

/** Where in a block dropout is applied (docs/EXPERIMENTS.md, "The base GPT trunk"). */
export type DropoutSite = 'attention-weights' | 'attention-output' | 'ffn-output';
const SITE_INDEX: Record<DropoutSite, number> = { 'attention-weights': 1, 'attention-output': 2, 'ffn-output': 3 };

/** Dropout settings of one forward pass. */
export interface DropoutPlan {
  /** Off in evaluation and generation. */
  training: boolean;
  /**
   * One entry per replica, in the order of the activations' leading replica axis (a single
   * model has one): its rates and base seed. Every (width, layer, site) gets its own seed from
   * the base seed, so a step is reproducible; without one, masks are unseeded.
   */
  replicas: readonly ReplicaDropout[];
}

export interface ReplicaDropout {
  rate: number;
  /** Rate at the 'attention-weights' site (default `rate`). */
  attentionRate?: number;
  seed?: number;
}

/** A 32-bit hash of the base seed and the call's coordinates. */
export function dropoutSeedFor(base: number, width: number, layer: number, site: DropoutSite): number {
  let x = Math.imul(base | 0, 0x27d4eb2d) ^ Math.imul(width, 0x165667b1) ^ Math.imul(layer + 1, 0x9e3779b1);
  x ^= Math.imul(SITE_INDEX[site], 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
}

/**
 * Inverted-dropout mask: each value is 0 with probability p, else 1 / (1 - p), where p is `rate`
 * rounded to a multiple of 2^-16 (each 32-bit draw gives two 16-bit uniforms).
 */
export function dropoutMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const mask = new Float32Array(shape.reduce((a, b) => a * b, 1));
  fillDropoutMask(mask, rate, seed);
  return tf.tensor(mask, shape, 'float32');
}

/** Write dropoutMask's values for (rate, seed) into `mask` (all of it; it must start zeroed). */
function fillDropoutMask(mask: Float32Array, rate: number, seed: number): void {
  const n = mask.length;
  const threshold = Math.round(rate * 65536);
  const keptValue = 65536 / (65536 - threshold);
  let state = seed >>> 0;
  for (let i = 0; i < n; i += 2) {
    // mulberry32 (as @matryoshka/tokenizer's SeededRandom), inlined for speed.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    t = (t ^ (t >>> 14)) >>> 0;
    if ((t & 0xffff) >= threshold) mask[i] = keptValue;
    if (i + 1 < n && t >>> 16 >= threshold) mask[i + 1] = keptValue;
  }
}

/** The rate a site uses: `attentionRate` on the attention weights, `rate` elsewhere. */
export function siteRate(replica: ReplicaDropout, site: DropoutSite): number {
  return site === 'attention-weights' ? (replica.attentionRate ?? replica.rate) : replica.rate;
}

/**
 * x times its dropout mask. x's leading axis holds the replicas when the plan has several: replica
 * r's part is masked exactly as a lone model's x with r's rate and seed would be (one tensor for all).
 */
export function applyDropout(
  x: tf.Tensor,
  plan: DropoutPlan,
  width: number,
  layer: number,
  site: DropoutSite,
): tf.Tensor {
  const { replicas } = plan;
  if (!plan.training || replicas.every((r) => siteRate(r, site) === 0)) return x;
  const mask = new Float32Array(x.size);
  const part = x.size / replicas.length;
  replicas.forEach((replica, r) => {
    const seed =
      replica.seed === undefined
        ? Math.floor(Math.random() * 4294967296)
        : dropoutSeedFor(replica.seed, width, layer, site);
    fillDropoutMask(mask.subarray(r * part, (r + 1) * part), siteRate(replica, site), seed);
  });
  return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
}
