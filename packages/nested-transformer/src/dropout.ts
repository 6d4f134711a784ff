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
  rate: number;
  /** Rate at the 'attention-weights' site (default `rate`). */
  attentionRate?: number;
  /** Off in evaluation and generation. */
  training: boolean;
  /** Base seed; every (width, layer, site) gets its own seed from it, so a step is reproducible. */
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
  const n = shape.reduce((a, b) => a * b, 1);
  const mask = new Float32Array(n);
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
  return tf.tensor(mask, shape, 'float32');
}

/** The rate a site uses: `attentionRate` on the attention weights, `rate` elsewhere. */
export function siteRate(plan: DropoutPlan, site: DropoutSite): number {
  return site === 'attention-weights' ? (plan.attentionRate ?? plan.rate) : plan.rate;
}

export function applyDropout(x: tf.Tensor, plan: DropoutPlan, width: number, layer: number, site: DropoutSite): tf.Tensor {
  const rate = siteRate(plan, site);
  if (!plan.training || rate === 0) return x;
  const seed = plan.seed === undefined ? Math.floor(Math.random() * 4294967296) : dropoutSeedFor(plan.seed, width, layer, site);
  return tf.mul(x, dropoutMask(x.shape, rate, seed));
}
