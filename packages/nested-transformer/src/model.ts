// MatryoshkaGPT: a GPT whose width can be cut at powers of two (docs/ARCHITECTURE.md, "One idea").
//   trunk 'full'   (experiments 1-3): the trunk runs once at d; the tied head reads every width.
//   trunk 'nested' (experiment 4):    every width m runs its own submodel, sliced from the
//                                      full-size variables, with LN_m everywhere and the head
//                                      LN_m(x) @ LN_m(E[:, :m])^T.
import * as tf from '@tensorflow/tfjs-core';
import {
  matryoshkaHeadLogits,
  matryoshkaLoss,
  tiedHeadLogits,
  tiedHeadWeights,
  type MatryoshkaLoss,
  type Width,
} from '@matryoshka/matryoshka-layers';
import { configWidths, resolveConfig, type GPTConfig, type ResolvedGPTConfig } from './config';
import { flopsPerToken, forwardFlopsPerToken, parameterCount } from './counts';
import type { DropoutPlan } from './dropout';
import { generate, type GenerateOptions } from './generate';
import {
  initialVariables,
  parameterSpecs,
  structureParameters,
  type ModelParameters,
} from './parameters';
import { parameterKind, sliceToWidth } from './slicing';
import { tidyKeep } from './tidy';
import { runTrunk, trunkWeightsAtWidth } from './trunk';

/** Which trunk runs: once at full width (experiments 1-3) or once per width (experiment 4). */
export type Trunk = 'full' | 'nested';

export interface ForwardOptions {
  trunk: Trunk;
  /** Dropout is applied only when training. */
  training: boolean;
  /** Makes a training forward reproducible: each dropout call derives its seed from it. */
  dropoutSeed?: number;
  /** Widths whose logits to return (default: the config's nesting list). */
  widths?: readonly Width[];
}

export interface LossOptions extends ForwardOptions {
  /** Relative importance c_k per width (default all 1). */
  importance?: readonly number[];
  /** Per-width target matrices (experiments 2-3); null/undefined = the next token itself. */
  targetMatrices?: readonly (tf.Tensor2D | null | undefined)[];
}

export class MatryoshkaGPT {
  readonly config: ResolvedGPTConfig;
  /** The nesting list m_k = 2^minPower, ..., d. */
  readonly widths: readonly Width[];
  private readonly variables: Map<string, tf.Variable>;
  /** The variables grouped for the forward pass (same objects as `variables`). */
  readonly parameters: ModelParameters;

  /**
   * A freshly initialised model (weights N(0, 0.02) seeded by config.seed, biases 0), or one
   * holding copies of `weights` (keyed like namedVariables(), every name and shape checked).
   */
  constructor(config: GPTConfig, weights?: Record<string, tf.Tensor>) {
    this.config = resolveConfig(config);
    this.widths = configWidths(this.config);
    if (weights) {
      checkWeights(this.config, weights);
      this.variables = new Map(parameterSpecs(this.config).map((s) => [s.name, tf.variable(weights[s.name], true)]));
    } else {
      this.variables = initialVariables(this.config);
    }
    this.parameters = structureParameters(this.config, this.variables);
  }

  /** Every trainable variable by a stable name (`token_embedding`, `blocks.0.attn.wqkv`, ...). */
  namedVariables(): Record<string, tf.Variable> {
    return Object.fromEntries(this.variables);
  }

  /** Overwrite the variables with `weights` (names and shapes as namedVariables()). */
  assignWeights(weights: Record<string, tf.Tensor>): void {
    checkWeights(this.config, weights);
    for (const [name, variable] of this.variables) variable.assign(weights[name]);
  }

  /** Logits (b, T, v) for every requested width, in the order of `widths`. */
  forward(ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor3D[] {
    const widths = options.widths ?? this.widths;
    widths.forEach((m) => this.checkWidth(m, options.trunk));
    return tf.tidy(() => {
      const [b, T] = ids.shape;
      const v = this.config.vocabSize;
      const toLogits = (flat: tf.Tensor) => tf.reshape(flat, [b, T, v]) as tf.Tensor3D;
      if (options.trunk === 'full') {
        const hidden = this.trunkHidden(ids, this.config.width, options);
        const E = this.parameters.tokenEmbedding as tf.Tensor2D;
        return matryoshkaHeadLogits(hidden, E, widths, this.config.headNormalisation).map(toLogits);
      }
      return widths.map((m) => toLogits(this.nestedLogits(ids, m, options)));
    });
  }

  /** Logits (b, T, v) at one width: the full trunk with the width-m head, or the width-m submodel. */
  forwardWidth(ids: tf.Tensor2D, m: Width, options: Omit<ForwardOptions, 'widths'>): tf.Tensor3D {
    return this.forward(ids, { ...options, widths: [m] })[0];
  }

  /** The matryoshka loss of next-token targets y (b, T): total = sum_k c_k CE_k, and each CE_k. */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, options: LossOptions): MatryoshkaLoss {
    return tidyKeep(() => {
      const logits = this.forward(x, options);
      return matryoshkaLoss(logits, y, { importance: options.importance, targetMatrices: options.targetMatrices });
    });
  }

  /** Parameters used by the width-m submodel (default d: the whole model). See counts.ts. */
  parameterCount(m: Width = this.config.width): number {
    return parameterCount(this.config, m);
  }

  /** Forward FLOPs per token of the width-m submodel. See counts.ts for the formula. */
  flopsPerToken(m: Width = this.config.width): number {
    return flopsPerToken(this.config, m);
  }

  /** Forward FLOPs per token of one training forward (all widths); training is ~3x this. */
  trainingForwardFlopsPerToken(trunk: Trunk, widths: readonly Width[] = this.widths): number {
    return forwardFlopsPerToken(this.config, trunk, widths);
  }

  /** Generate after a prompt; returns the prompt followed by the new ids. See generate.ts. */
  generate(promptIds: readonly number[], options: GenerateOptions): number[] {
    return generate(this, promptIds, options);
  }

  /**
   * The width-m submodel as a standalone model with d = m (same heads, layers, vocabulary and
   * context) holding sliced copies; its logits equal this model's nested width-m logits.
   */
  extractSubmodel(m: Width): MatryoshkaGPT {
    this.checkWidth(m, 'nested');
    const minPower = Math.min(this.config.minPower, Math.log2(m));
    if (!Number.isInteger(minPower)) throw new Error(`extractSubmodel: width ${m} is not a power of two`);
    const sliced = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const [name, variable] of this.variables) {
        out[name] = tf.clone(sliceToWidth(parameterKind(name), variable, m, this.config.heads));
      }
      return out;
    });
    const sub = new MatryoshkaGPT({ ...this.config, width: m, minPower }, sliced);
    tf.dispose(Object.values(sliced));
    return sub;
  }

  /** Free the variables. */
  dispose(): void {
    tf.dispose([...this.variables.values()]);
  }

  /** Throws unless width m can be read: 1 <= m <= d, and for the nested trunk h divides m. */
  checkWidth(m: Width, trunk: Trunk): void {
    const d = this.config.width;
    if (!Number.isInteger(m) || m < 1 || m > d) throw new Error(`width ${m} must be an integer in [1, ${d}]`);
    if (trunk === 'nested' && m % this.config.heads !== 0) {
      throw new Error(`width ${m} of the nested trunk must be a multiple of heads (${this.config.heads})`);
    }
  }

  private dropoutPlan(options: ForwardOptions): DropoutPlan {
    return { rate: this.config.dropout, training: options.training, seed: options.dropoutSeed };
  }

  /** LN_m of the width-m trunk's output, (b*T, m). */
  private trunkHidden(ids: tf.Tensor2D, m: Width, options: ForwardOptions): tf.Tensor2D {
    const weights = trunkWeightsAtWidth(this.parameters, m, this.config.heads);
    return runTrunk({ ids, weights, dropout: this.dropoutPlan(options) }).hidden;
  }

  /** Experiment 4's submodel at width m: LN_m(x) @ LN_m(E[:, :m])^T, (b*T, v). */
  private nestedLogits(ids: tf.Tensor2D, m: Width, options: ForwardOptions): tf.Tensor {
    const hidden = this.trunkHidden(ids, m, options);
    return tiedHeadLogits(hidden, tiedHeadWeights(this.parameters.tokenEmbedding as tf.Tensor2D, m, 'prefix'));
  }
}

function checkWeights(config: ResolvedGPTConfig, weights: Record<string, tf.Tensor>): void {
  const specs = parameterSpecs(config);
  const expected = new Set(specs.map((s) => s.name));
  for (const name of Object.keys(weights)) {
    if (!expected.has(name)) throw new Error(`unexpected weight ${name} (not a parameter of this model)`);
  }
  for (const spec of specs) {
    const tensor = weights[spec.name];
    if (!tensor) throw new Error(`missing weight ${spec.name} (shape [${spec.shape}])`);
    if (tensor.shape.join(',') !== spec.shape.join(',')) {
      throw new Error(`weight ${spec.name} has shape [${tensor.shape}] but the model expects [${spec.shape}]`);
    }
  }
}
