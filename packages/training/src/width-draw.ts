// The sampled regime's draw (MatFormer): which width one update trains.
import { SeededRandom } from '@matryoshka/tokenizer';

/** An index drawn with the given relative (non-negative) probabilities, from one seeded uniform. */
export function drawIndex(probabilities: readonly number[], seed: number): number {
  const total = probabilities.reduce((a, b) => a + b, 0);
  let u = new SeededRandom(seed).next() * total;
  for (let i = 0; i < probabilities.length; i++) {
    if (u < probabilities[i]) return i;
    u -= probabilities[i];
  }
  // Rounding left u at the very top: the last index with any probability.
  for (let i = probabilities.length - 1; ; i--) if (probabilities[i] > 0) return i;
}
