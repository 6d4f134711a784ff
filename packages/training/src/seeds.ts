/**
 * Independent seeds from one run seed: each consumer (training sampler, dropout of step s,
 * evaluation batches of a split at step s) gets deriveSeed(runSeed, stream, ...), so that none
 * of them perturbs another and each is a pure function of the run seed and the step.
 */
export const SEED_STREAMS = { trainBatches: 1, dropout: 2, evalTrain: 3, evalVal: 4, widthDraw: 5 } as const;

/** Hash integers (each a safe integer) to a seed in [0, 2^32) (murmur3-style mixing). */
export function deriveSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    if (!Number.isSafeInteger(part)) throw new Error(`deriveSeed: parts must be safe integers, got ${part}`);
    const low = part >>> 0;
    const high = Math.floor(part / 4294967296) >>> 0;
    h = mix(h ^ low);
    h = mix(h ^ high);
  }
  return h >>> 0;
}

function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (Math.imul(h, 0x9e3779b1) + 0x6d2b79f5) >>> 0;
}
