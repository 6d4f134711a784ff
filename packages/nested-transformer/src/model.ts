// MatryoshkaGPT: a character GPT whose width can be cut at powers of two (docs/ARCHITECTURE.md,
// "One idea"), in the order data flows: attention -> MLP -> block -> trunk -> head -> the model.
// How it is nested is a property of its weights, so it lives in its config (config.ts):
//   nesting 'embedding' (experiments 1-3): the trunk runs once at d; the tied head reads every
//                       width m: logits_m = x[:, :m] @ W[:, :m]^T (docs/EXPERIMENTS.md, "Tied head and loss");
//   nesting 'width'     (experiment 4): every width m is a whole GPT sliced from the full-size
//                       variables (slicing.ts), LN_m everywhere, head LN_m(x) @ LN_m(E[:, :m])^T.
// The variables exist at full size only (parameters.ts). The layer norm without affine
// parameters, the backend-aware matmuls and the tied head are in @matryoshka/matryoshka-layers.
import * as tf from '@tensorflow/tfjs-core';
import {
  embeddingLookup,
  layerNormNoAffine as layerNorm,
  matMul,
  matMulTransposeB,
  matryoshkaHeadLogits,
  matryoshkaLoss,
  tiedHeadLogits,
  tiedHeadWeights,
  type MatryoshkaLoss,
  type Width,
} from '@matryoshka/matryoshka-layers';
import { configWidths, resolveConfig, type GPTConfig, type ResolvedGPTConfig } from './config';
import { flopsPerToken, forwardFlopsPerToken, parameterCount } from './cost-model';
import { applyDropout, type DropoutPlan, type DropoutSite } from './dropout';
import { initialVariables, parameterSpecs } from './parameters';
import { parameterKind, sliceToWidth, weightsAtWidth, type BlockWeights, type WidthWeights } from './slicing';
import { tidyKeep } from './tidy';

// ---------------------------------------------------------------------------------- attention

/** One layer's keys and values of the positions seen so far, each (b, h, S, m/h). */
export interface LayerCache {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/** What every layer of one forward call shares. */
interface Pass {
  /** m, the width the trunk runs at (it seeds dropout). */
  width: number;
  batch: number;
  heads: number;
  /** From causalMask(T, past + T). */
  mask: tf.Tensor2D | null;
  dropout: DropoutPlan;
}

/** Additive mask (T, S) letting query i (absolute position S - T + i) see keys 0..S-T+i; null if T = 1. */
export function causalMask(queryLength: number, keyLength: number): tf.Tensor2D | null {
  if (queryLength === 1) return null;
  const offset = keyLength - queryLength;
  const mask = new Float32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) {
    for (let j = offset + i + 1; j < keyLength; j++) mask[i * keyLength + j] = -1e9;
  }
  return tf.tensor2d(mask, [queryLength, keyLength]);
}

/** Dropout of one site of one layer, seeded by (width, layer, site) in training. */
function dropout(x: tf.Tensor, pass: Pass, layer: number, site: DropoutSite): tf.Tensor {
  return applyDropout(x, pass.dropout, pass.width, layer, site);
}

/**
 * Causal multi-head self-attention of x (b*T, m), already layer-normed, all heads in one batched
 * matmul over (b, h, T, m/h). Returns the projected output (b*T, m) and the keys/values
 * including `past` (generation with a KV cache).
 */
function attention(x: tf.Tensor2D, w: BlockWeights, pass: Pass, layer: number, past?: LayerCache): { output: tf.Tensor2D; cache: LayerCache } {
  const { batch: b, heads: h } = pass;
  const [rows, m] = x.shape;
  const T = rows / b;
  const headSize = m / h;
  // (b*T, 3m) -> (b, T, 3h, hs) -> (b, 3h, T, hs) -> q, k, v each (b, h, T, hs). A 4-D transpose:
  // the 5-D one it replaces took ~400 us on wasm and tfjs-node alike, even for experiment 1's tiny tensors.
  const qkv = tf.transpose(tf.reshape(matMul(x, w.wqkv), [b, T, 3 * h, headSize]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor4D[];
  const keys = past ? (tf.concat([past.keys, k], 2) as tf.Tensor4D) : k;
  const values = past ? (tf.concat([past.values, v], 2) as tf.Tensor4D) : v;
  // Scale by 1/sqrt(head size at this width).
  let scores = matMulTransposeB(tf.mul(q, 1 / Math.sqrt(headSize)), keys);
  if (pass.mask) scores = tf.add(scores, pass.mask);
  const weights = dropout(tf.softmax(scores), pass, layer, 'attention-weights');
  // (b, h, T, hs) -> (b, T, h, hs) -> (b*T, m): heads concatenated in head order.
  const heads = tf.reshape(tf.transpose(matMul(weights, values), [0, 2, 1, 3]), [b * T, m]) as tf.Tensor2D;
  const output = dropout(tf.add(matMul(heads, w.wo), w.bo), pass, layer, 'attention-output') as tf.Tensor2D;
  return { output, cache: { keys, values } };
}

// ---------------------------------------------------------------------------------------- MLP

/** m -> 4m (bias) -> ReLU -> 4m -> m (bias) -> dropout. */
function mlp(x: tf.Tensor2D, w: BlockWeights, pass: Pass, layer: number): tf.Tensor2D {
  // ReLU as max(x, 0): same values, but its gradient is 3 native ops where tf.relu's Step
  // costs ~1.5 ms per call on the tensorflow backend.
  const hidden = tf.maximum(tf.add(matMul(x, w.w1), w.b1), 0) as tf.Tensor2D;
  return dropout(tf.add(matMul(hidden, w.w2), w.b2), pass, layer, 'ffn-output') as tf.Tensor2D;
}

// -------------------------------------------------------------------------------------- block

/**
 * One pre-norm block, the same in training, evaluation and generation (docs/EXPERIMENTS.md,
 * "The base GPT trunk"): x1 = x + MHA(LN(x)); x2 = x1 + MLP(LN(x1)).
 */
function block(x: tf.Tensor2D, w: BlockWeights, pass: Pass, layer: number, past?: LayerCache): { output: tf.Tensor2D; cache: LayerCache } {
  const attended = attention(layerNorm(x), w, pass, layer, past);
  const x1 = tf.add(x, attended.output) as tf.Tensor2D;
  const x2 = tf.add(x1, mlp(layerNorm(x1), w, pass, layer)) as tf.Tensor2D;
  return { output: x2, cache: attended.cache };
}

// -------------------------------------------------------------------------------------- trunk

export interface TrunkOptions {
  dropout: DropoutPlan;
  /** Absolute position of ids[:, 0] (> 0 when continuing from a KV cache). */
  positionOffset?: number;
  /** Per-layer keys/values of the positions before positionOffset. */
  past?: LayerCache[];
}

/**
 * The trunk at the width of `weights`: x0 = LN_m(E[ids, :m]) + P[offset.., :m], the blocks, a
 * final LN_m. Returns that (b*T, m) hidden state and every layer's keys/values.
 */
export function runTrunk(ids: tf.Tensor2D, weights: WidthWeights, options: TrunkOptions): { hidden: tf.Tensor2D; cache: LayerCache[] } {
  const [b, T] = ids.shape;
  const offset = options.positionOffset ?? 0;
  const t = weights.positionEmbedding.shape[0];
  if (offset + T > t) throw new Error(`sequence of ${offset + T} positions exceeds contextLength ${t}`);
  const m = weights.width;
  const tokens = tf.reshape(embeddingLookup(weights.tokenEmbedding, ids), [b, T, m]);
  const positions = tf.slice(weights.positionEmbedding, [offset, 0], [T, m]);
  let x = tf.reshape(tf.add(layerNorm(tokens), positions), [b * T, m]) as tf.Tensor2D;
  const pass: Pass = { width: m, batch: b, heads: weights.heads, mask: causalMask(T, offset + T), dropout: options.dropout };
  const cache = weights.blocks.map((w, layer) => {
    const out = block(x, w, pass, layer, options.past?.[layer]);
    x = out.output;
    return out.cache;
  });
  return { hidden: layerNorm(x), cache };
}

// ------------------------------------------------------------------------------- the model

export interface ForwardOptions {
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

  /** The token embedding E (v, d), which the tied head reads too. */
  get tokenEmbedding(): tf.Tensor2D {
    return this.variables.get('token_embedding') as tf.Tensor2D;
  }

  /**
   * What runs to give the width-m logits: the trunk's weights (at d for nesting 'embedding', at
   * m for 'width') and the tied head's W_m (v, m). Where nothing is cut the trunk's tensors are
   * the variables themselves: use inside tf.tidy and copy what must outlive it.
   */
  weightsForWidth(m: Width): { trunk: WidthWeights; head: tf.Tensor2D } {
    this.checkWidth(m);
    const { nesting, width: d, layers, heads, headNormalisation } = this.config;
    return {
      trunk: weightsAtWidth(this.variables, layers, heads, nesting === 'width' ? m : d),
      head: tiedHeadWeights(this.tokenEmbedding, m, nesting === 'width' ? 'prefix' : headNormalisation),
    };
  }

  /** Logits (b, T, v) for every requested width, in the order of `widths`. */
  forward(ids: tf.Tensor2D, options: ForwardOptions): tf.Tensor3D[] {
    const widths = options.widths ?? this.widths;
    widths.forEach((m) => this.checkWidth(m));
    const { nesting, width: d, layers, heads, headNormalisation, vocabSize: v } = this.config;
    const dropout: DropoutPlan = { rate: this.config.dropout, training: options.training, seed: options.dropoutSeed };
    return tf.tidy(() => {
      const [b, T] = ids.shape;
      const toLogits = (flat: tf.Tensor) => tf.reshape(flat, [b, T, v]) as tf.Tensor3D;
      const hiddenAt = (m: Width) => runTrunk(ids, weightsAtWidth(this.variables, layers, heads, m), { dropout }).hidden;
      if (nesting === 'embedding') {
        // One trunk at d; the head reads each width's prefix, with W = LN_d(E) computed once.
        return matryoshkaHeadLogits(hiddenAt(d), this.tokenEmbedding, widths, headNormalisation).map(toLogits);
      }
      return widths.map((m) => toLogits(tiedHeadLogits(hiddenAt(m), tiedHeadWeights(this.tokenEmbedding, m, 'prefix'))));
    });
  }

  /** Logits (b, T, v) at one width. */
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

  /** Parameters used by the width-m submodel (default d: the whole model). See cost-model.ts. */
  parameterCount(m: Width = this.config.width): number {
    return parameterCount(this.config, m);
  }

  /** Forward FLOPs per token of the width-m submodel. See cost-model.ts for the formula. */
  flopsPerToken(m: Width = this.config.width): number {
    return flopsPerToken(this.config, m);
  }

  /** Forward FLOPs per token of one training forward (all widths); training is ~3x this. */
  trainingForwardFlopsPerToken(widths: readonly Width[] = this.widths): number {
    return forwardFlopsPerToken(this.config, widths);
  }

  /**
   * The width-m submodel of a width-nested model as a standalone model with d = m (same heads,
   * layers, vocabulary and context) holding sliced copies; its logits equal this model's width-m logits.
   */
  extractSubmodel(m: Width): MatryoshkaGPT {
    if (this.config.nesting !== 'width') {
      throw new Error(`extractSubmodel: only a model with nesting 'width' has standalone submodels (this one has '${this.config.nesting}')`);
    }
    this.checkWidth(m);
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

  /** Throws unless width m can be read: 1 <= m <= d, and for nesting 'width' h divides m. */
  checkWidth(m: Width): void {
    const d = this.config.width;
    if (!Number.isInteger(m) || m < 1 || m > d) throw new Error(`width ${m} must be an integer in [1, ${d}]`);
    if (this.config.nesting === 'width' && m % this.config.heads !== 0) {
      throw new Error(`width ${m} of a width-nested model must be a multiple of heads (${this.config.heads})`);
    }
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
