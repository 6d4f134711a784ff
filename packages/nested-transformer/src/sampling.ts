// Picking the next token from one position's logits (docs/EXPERIMENTS.md, "Generation":
// temperature, top-k, seeded sampling, greedy).
import type { SeededRandom } from '@matryoshka/tokenizer';

export interface SamplingOptions {
  /** Logits are divided by it before the softmax (default 1; must be > 0). */
  temperature?: number;
  /** Keep only the k largest logits (ties with the k-th are kept, as nanoGPT does). */
  topK?: number;
  /** Take the most likely token (the first one on ties); temperature and top-k are ignored. */
  greedy?: boolean;
}

export function validateSampling(options: SamplingOptions, vocabSize: number): void {
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new Error(`temperature must be a positive number (got ${temperature}); pass greedy: true for the most likely token`);
  }
  if (options.topK !== undefined && (!Number.isInteger(options.topK) || options.topK < 1)) {
    throw new Error(`topK must be a positive integer (got ${options.topK})`);
  }
  if (vocabSize < 1) throw new Error('cannot sample from an empty vocabulary');
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The next token id from logits (v,), drawing one uniform number from `random` unless greedy. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: SeededRandom): number {
  if (options.greedy) return argmax(logits);
  const temperature = options.temperature ?? 1;
  const scaled = Array.from(logits, (x) => x / temperature);
  let threshold = -Infinity;
  if (options.topK !== undefined && options.topK < scaled.length) {
    threshold = [...scaled].sort((a, b) => b - a)[options.topK - 1];
  }
  const max = Math.max(...scaled);
  const weights = scaled.map((x) => (x >= threshold ? Math.exp(x - max) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  // Rounding left u >= 0: the last token with weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return 0;
}
