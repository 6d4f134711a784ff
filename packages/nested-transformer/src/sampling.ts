// Picking the next token from one position's logits (docs/EXPERIMENTS.md, "Generation":
// temperature, top-k, seeded sampling, greedy). generate() draws with sampleToken; speculative
// decoding (speculative.ts) needs the distribution itself, for its accept/reject test: both use
// samplingDistribution, so the two cannot drift apart.
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
    throw new Error(
      `temperature must be a positive number (got ${temperature}); pass greedy: true for the most likely token`,
    );
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

/**
 * The distribution a sampled (not greedy) token is drawn from, in float64:
 * softmax(logits / temperature) over the top-k logits (ties with the k-th kept), zero elsewhere.
 */
export function samplingDistribution(logits: ArrayLike<number>, options: SamplingOptions): Float64Array {
  const temperature = options.temperature ?? 1;
  const scaled = Float64Array.from(logits, (x) => x / temperature);
  let threshold = -Infinity;
  if (options.topK !== undefined && options.topK < scaled.length)
    threshold = [...scaled].sort((a, b) => b - a)[options.topK - 1];
  const max = Math.max(...scaled);
  const weights = scaled.map((x) => (x >= threshold ? Math.exp(x - max) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** The id whose cumulative probability first exceeds u in [0, 1) (rounding: the last id with mass). */
export function drawFrom(probabilities: ArrayLike<number>, u: number): number {
  let cumulative = 0;
  for (let i = 0; i < probabilities.length; i++) {
    cumulative += probabilities[i];
    if (u < cumulative) return i;
  }
  for (let i = probabilities.length - 1; i >= 0; i--) if (probabilities[i] > 0) return i;
  return 0;
}

/** The next token id from logits (v,), drawing one uniform number from `random` unless greedy. */
export function sampleToken(logits: ArrayLike<number>, options: SamplingOptions, random: SeededRandom): number {
  if (options.greedy) return argmax(logits);
  return drawFrom(samplingDistribution(logits, options), random.next());
}
