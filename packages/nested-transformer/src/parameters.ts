// The model's variables, at full size only (docs/EXPERIMENTS.md, "Slices of every parameter": every width slices them).
//
// Layout chosen so that width m is one slice per weight and one matmul:
//   wqkv [d, 3, h, d/h]   q/k/v of every head; width m = wqkv[:m, :, :, :m/h] -> [m, 3m]
//   wo   [h, d/h, d]      rows grouped per head; width m = wo[:, :m/h, :m] -> [m, m]
//   bo [d], w1 [d, 4d], b1 [4d], w2 [4d, d], b2 [d]
//   tokenEmbedding E [v, d], positionEmbedding P [t, d]
// A fixed mix (config.layerWidths) stores each layer at the shape it runs at (storedSubmodel).
import * as tf from '@tensorflow/tfjs-core';
import type { InitScheme, ResolvedGPTConfig } from './config';
import { storedSubmodel } from './submodels';

/** docs/EXPERIMENTS.md, "Data (all experiments)": every weight matrix ~ N(0, 0.02) (and, by default, both embeddings; biases 0). */
export const INIT_STD = 0.02;

/** Standard deviation of each kind of parameter at initialisation (0: zeros). See InitScheme. */
export function initStd(scheme: InitScheme, kind: ParameterSpec['kind']): number {
  if (kind === 'weight') return INIT_STD;
  if (scheme === 'original') return kind === 'embedding' ? 1 : INIT_STD;
  return kind === 'embedding' ? INIT_STD : 0;
}

/** The parameters of one block, by their last name part. */
export type BlockParameterKind = 'wqkv' | 'wo' | 'bo' | 'w1' | 'b1' | 'w2' | 'b2';

/** A block parameter's name as `namedVariables()` and weight files report it: `blocks.3.attn.wqkv`. */
export function blockParameterName(layer: number, kind: BlockParameterKind): string {
  const part = kind === 'wqkv' || kind === 'wo' || kind === 'bo' ? 'attn' : 'ffn';
  return `blocks.${layer}.${part}.${kind}`;
}

/** A parameter's name (as `namedVariables()` reports it), shape, and what kind it is. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  kind: 'embedding' | 'weight' | 'bias';
}

/** Every parameter in a fixed order; the order fixes each one's init seed. */
export function parameterSpecs(config: ResolvedGPTConfig): ParameterSpec[] {
  const { vocabSize: v, contextLength: t, heads: h } = config;
  const stored = storedSubmodel(config);
  const d = stored.width;
  const specs: ParameterSpec[] = [
    { name: 'token_embedding', shape: [v, d], kind: 'embedding' },
    { name: 'position_embedding', shape: [t, d], kind: 'embedding' },
  ];
  stored.layers.forEach((layer, i) => {
    if (!layer) return;
    const { width: a, hidden } = layer;
    const name = (kind: BlockParameterKind) => blockParameterName(i, kind);
    specs.push(
      { name: name('wqkv'), shape: [a, 3, h, a / h], kind: 'weight' },
      { name: name('wo'), shape: [h, a / h, a], kind: 'weight' },
      { name: name('bo'), shape: [a], kind: 'bias' },
      { name: name('w1'), shape: [a, hidden], kind: 'weight' },
      { name: name('b1'), shape: [hidden], kind: 'bias' },
      { name: name('w2'), shape: [hidden, a], kind: 'weight' },
      { name: name('b2'), shape: [a], kind: 'bias' },
    );
  });
  return specs;
}

/**
 * A parameter's shape in a model of R replicas: R first, then a 1 where the forward pass
 * broadcasts it over the batch (a bias over positions, the position embedding over sequences),
 * so that a replicated model runs the same kernels as a single one, with no reshapes.
 */
export function replicatedShape(spec: ParameterSpec, replicas: number): number[] {
  const broadcast = spec.kind === 'bias' || spec.name === 'position_embedding' ? [1] : [];
  return [replicas, ...broadcast, ...spec.shape];
}

/** A 32-bit seed for parameter `index` from the config seed (different parameters, unrelated streams). */
export function parameterSeed(configSeed: number, index: number): number {
  let x = (Math.imul(configSeed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/** Fresh, seeded variables (config.init: by default weights N(0, 0.02), biases 0) keyed by their spec names. */
export function initialVariables(config: ResolvedGPTConfig): Map<string, tf.Variable> {
  const vars = new Map<string, tf.Variable>();
  parameterSpecs(config).forEach((spec, index) => {
    const std = initStd(config.init, spec.kind);
    const init = tf.tidy(() =>
      std === 0
        ? tf.zeros(spec.shape)
        : tf.randomNormal(spec.shape, 0, std, 'float32', parameterSeed(config.seed, index)),
    );
    // Unnamed: tfjs variable names are global, and several models may live side by side.
    vars.set(spec.name, tf.variable(init, true));
    init.dispose();
  });
  return vars;
}
