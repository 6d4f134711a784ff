// What a submodel costs (submodels.ts): the parameters it reads and its forward FLOPs per token.
import type { ResolvedGPTConfig } from './config';
import { submodelAt, type Submodel } from './submodels';

/**
 * Parameters a submodel reads, for a stream of width M and layers of width a with f hidden units:
 *   E v*M + P t*M + sum over layers (wqkv 3a^2 + wo a^2 + bo a + w1 a f + b1 f + w2 f a + b2 a)
 *   = (v + t) M + sum (4a^2 + 2af + f + 2a);   with every layer at a = m, f = 4m: (v + t) m + l (12 m^2 + 6 m).
 * No layer-norm parameters (they have no affine part); the tied head reuses E.
 * Experiment 1 (v=65, t=16, d=32, l=4): 52,512. Experiment 4 (v=65, t=64, d=128, l=8): 1,595,520.
 */
export function parameterCount(config: ResolvedGPTConfig, sub: Submodel): number {
  const { vocabSize: v, contextLength: t } = config;
  let count = (v + t) * sub.width;
  for (const layer of sub.layers) {
    if (!layer) continue;
    const { width: a, hidden: f } = layer;
    count += 4 * a * a + 2 * a * f + f + 2 * a;
  }
  return count;
}

/**
 * Forward FLOPs per token of a submodel, nanoGPT's convention (estimate_mfu):
 *   2 * (sum over layers (4a^2 + 2af) + v k)   every matmul weight (blocks, and the tied head v x k) used once
 * + 4 * t * sum over layers a                  attention scores q k^T and the weighted sum, over a full context t
 * (every layer at m: 2 (12 l m^2 + v m) + 4 l m t). Biases, layer norms, softmax and the
 * embedding lookup are neglected. Training costs ~3x this.
 */
export function flopsPerToken(config: ResolvedGPTConfig, sub: Submodel): number {
  const { vocabSize: v, contextLength: t } = config;
  let matmul = v * sub.headWidth;
  let attention = 0;
  for (const layer of sub.layers) {
    if (!layer) continue;
    const { width: a, hidden: f } = layer;
    matmul += 4 * a * a + 2 * a * f;
    attention += a;
  }
  return 2 * matmul + 4 * t * attention;
}

/**
 * Forward FLOPs per token of one training forward over the given widths: nesting 'embedding'
 * runs the trunk once at d and the tied head at every width; the others run every width's submodel.
 */
export function forwardFlopsPerToken(config: ResolvedGPTConfig, widths: readonly number[]): number {
  const cost = (m: number) => flopsPerToken(config, submodelAt(config, m));
  if (config.nesting !== 'embedding') return widths.reduce((sum, m) => sum + cost(m), 0);
  const d = config.width;
  const trunkOnly = cost(d) - 2 * config.vocabSize * d;
  return trunkOnly + widths.reduce((sum, m) => sum + 2 * config.vocabSize * m, 0);
}
