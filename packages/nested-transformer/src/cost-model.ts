// What a width costs: the parameters the width-m submodel reads and its forward FLOPs per token.
import type { ResolvedGPTConfig } from './config';

/**
 * Parameters the width-m submodel uses (m = d: the whole model):
 *   E v*m + P t*m + l * (wqkv 3m^2 + wo m^2 + bo m + w1 4m^2 + b1 4m + w2 4m^2 + b2 m)
 *   = (v + t) m + l (12 m^2 + 6 m).     No layer-norm parameters (they have no affine part).
 * Experiment 1 (v=65, t=16, d=32, l=4): 52,512. Experiment 4 (v=65, t=64, d=128, l=8): 1,595,520.
 */
export function parameterCount(config: ResolvedGPTConfig, m: number): number {
  const { vocabSize: v, contextLength: t, layers: l } = config;
  return (v + t) * m + l * (12 * m * m + 6 * m);
}

/**
 * Forward FLOPs per token of the width-m submodel, nanoGPT's convention (estimate_mfu):
 *   2 * (l * 12 m^2 + v m)   every matmul weight (blocks, and the tied head v x m) used once
 * + 4 * l * m * t            attention scores q k^T and the weighted sum, over a full context t
 * Biases, layer norms, softmax and the embedding lookup are neglected. Training costs ~3x this.
 */
export function flopsPerToken(config: ResolvedGPTConfig, m: number): number {
  const { vocabSize: v, contextLength: t, layers: l } = config;
  return 2 * (l * 12 * m * m + v * m) + 4 * l * m * t;
}

/**
 * Forward FLOPs per token of one training forward over the given widths: nesting 'embedding'
 * runs the trunk once at d and the tied head at every width; nesting 'width' runs every width's
 * submodel.
 */
export function forwardFlopsPerToken(config: ResolvedGPTConfig, widths: readonly number[]): number {
  if (config.nesting === 'width') return widths.reduce((sum, m) => sum + flopsPerToken(config, m), 0);
  const d = config.width;
  const trunkOnly = flopsPerToken(config, d) - 2 * config.vocabSize * d;
  return trunkOnly + widths.reduce((sum, m) => sum + 2 * config.vocabSize * m, 0);
}
