// MatryoshkaGPT: a character GPT whose width can be cut at powers of two (docs/ARCHITECTURE.md,
// "One idea"), in the order data flows: attention -> MLP -> block -> trunk -> head -> the model.
// How it is nested is a property of its weights, so it lives in its config (config.ts):
//   nesting 'embedding' (experiments 1-3): the trunk runs once at d; the tied head reads every
//                       width m: logits_m = x[:, :m] @ W[:, :m]^T (docs/EXPERIMENTS.md, "Tied head and loss");
//   the others          (experiment 4 and MatFormer): every width m is a whole smaller GPT, a
//                       Submodel (submodels.ts) sliced from the full-size variables (slicing.ts),
//                       head LN_M(x) @ LN_M(E[:, :M])^T; so is every Mix'n'Match mix.
// The variables exist at full size only (parameters.ts). The layer norm without affine
// parameters, the backend-aware matmuls and the tied head are in @matryoshka/matryoshka-layers.
import * as tf from '@tensorflow/tfjs-core';
import {
  embeddingLookup,
  layerNormNoAffine as layerNorm,
  matMul,
  prefix,
  matMulTransposeB,
  matryoshkaHeadLogits,
  matryoshkaLoss,
  tiedHeadLogits,
  tiedHeadWeights,
  type MatryoshkaLoss,
  type Width,
} from '@matryoshka/matryoshka-layers';
import {
  checkReplicaConfigs,
  configWidths,
  cutsResidualWidth,
  resolveConfig,
  type GPTConfig,
  type ResolvedGPTConfig,
} from './config';
import { flopsPerToken, forwardFlopsPerToken, parameterCount } from './cost-model';
import { applyDropout, type DropoutPlan, type DropoutSite } from './dropout';
import { initialVariables, parameterSpecs, replicatedShape, type ParameterSpec } from './parameters';
import { parameterKind, sliceParameter, weightsOf, type BlockWeights, type SubmodelWeights } from './slicing';
import { layersAtWidth, mixSubmodel, submodelAt, type Submodel } from './submodels';
import { tidyKeep } from './tidy';

// ---------------------------------------------------------------------------------- attention

/** One layer's keys and values of the positions seen so far, each (b, h, S, m/h). */
export interface LayerCache {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/** What every layer of one forward call shares. */
interface Pass {
  /** The submodel's nested width m (it seeds dropout, so that each submodel has its own masks). */
  dropoutWidth: number;
  /** T: positions per sequence in this call. */
  length: number;
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
  return applyDropout(x, pass.dropout, pass.dropoutWidth, layer, site);
}

/**
 * Causal multi-head self-attention of x (b*T, m), already layer-normed, all heads in one batched
 * matmul over (b, h, T, m/h); replicas' x (R, b*T, m) fold R into that batch. Returns the
 * projected output (x's shape) and the keys/values including `past` (generation with a KV cache).
 */
function attention(
  x: tf.Tensor,
  w: BlockWeights,
  pass: Pass,
  layer: number,
  past?: LayerCache,
): { output: tf.Tensor; cache: LayerCache } {
  const { length: T, heads: h } = pass;
  const m = x.shape[x.rank - 1];
  const sequences = x.size / (T * m);
  const headSize = m / h;
  // (b*T, 3m) -> (b, T, 3h, hs) -> (b, 3h, T, hs) -> q, k, v each (b, h, T, hs). A 4-D transpose:
  // the 5-D one it replaces took ~400 us on wasm and tfjs-node alike, even for experiment 1's tiny tensors.
  const qkv = tf.transpose(tf.reshape(matMul(x, w.wqkv), [sequences, T, 3 * h, headSize]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 1) as tf.Tensor4D[];
  const keys = past ? (tf.concat([past.keys, k], 2) as tf.Tensor4D) : k;
  const values = past ? (tf.concat([past.values, v], 2) as tf.Tensor4D) : v;
  // Scale by 1/sqrt(head size at this width).
  let scores = matMulTransposeB(tf.mul(q, 1 / Math.sqrt(headSize)), keys);
  if (pass.mask) scores = tf.add(scores, pass.mask);
  const weights = dropout(tf.softmax(scores), pass, layer, 'attention-weights');
  // (b, h, T, hs) -> (b, T, h, hs) -> (b*T, m): heads concatenated in head order.
  const heads = tf.reshape(tf.transpose(matMul(weights, values), [0, 2, 1, 3]), x.shape);
  const output = dropout(tf.add(matMul(heads, w.wo), w.bo), pass, layer, 'attention-output');
  return { output, cache: { keys, values } };
}

// ---------------------------------------------------------------------------------------- MLP

/** a -> f (bias) -> ReLU -> a (bias) -> dropout, f = 4a (4m for nesting 'ffn'). */
function mlp(x: tf.Tensor, w: BlockWeights, pass: Pass, layer: number): tf.Tensor {
  // In training, ReLU as max(x, 0): its gradient is 3 native ops where tf.relu's Step costs
  // ~1.5 ms per call on the tensorflow backend. Elsewhere tf.relu, the same values in one kernel:
  // on wasm the broadcasting max took about 0.3 ms more a call at width 128 ((64, 512)
  // activations), 2.6 ms of a 20 ms forward of the 64-position window.
  const pre = tf.add(matMul(x, w.w1), w.b1);
  const hidden = pass.dropout.training ? tf.maximum(pre, 0) : tf.relu(pre);
  return dropout(tf.add(matMul(hidden, w.w2), w.b2), pass, layer, 'ffn-output');
}

// -------------------------------------------------------------------------------------- block

/**
 * One pre-norm block, the same in training, evaluation and generation (docs/EXPERIMENTS.md,
 * "The base GPT trunk"): x1 = x + MHA(LN(x)); x2 = x1 + MLP(LN(x1)). A block of width a below
 * the stream's M (a Mix'n'Match layer) runs on x[:, :a] and leaves x[:, a:] as it was.
 * x is (b*T, M), or (R, b*T, M) for replicas.
 */
function block(x: tf.Tensor, w: BlockWeights, pass: Pass, past?: LayerCache): { output: tf.Tensor; cache: LayerCache } {
  const last = x.rank - 1;
  const M = x.shape[last];
  const a = w.wqkv.shape[w.wqkv.rank - 2];
  const xa = prefix(x, a);
  const attended = attention(layerNorm(xa), w, pass, w.layer, past);
  const x1 = tf.add(xa, attended.output);
  const x2 = tf.add(x1, mlp(layerNorm(x1), w, pass, w.layer));
  if (a === M) return { output: x2, cache: attended.cache };
  // x[..., a:] passes unchanged (tf.slice without a size runs to the end of every axis).
  const begin = x.shape.map((_, i) => (i === last ? a : 0));
  return { output: tf.concat([x2, tf.slice(x, begin)], last), cache: attended.cache };
}

// -------------------------------------------------------------------------------------- trunk

export interface TrunkOptions {
  dropout: DropoutPlan;
  /** The nested width that seeds this pass's dropout (default: the stream's width M). */
  dropoutWidth?: number;
  /** Absolute position of ids[:, 0] (> 0 when continuing from a KV cache). */
  positionOffset?: number;
  /** Keys/values of the positions before positionOffset, one per block that runs. */
  past?: LayerCache[];
}

/**
 * The trunk of a submodel's weights, stream width M: x0 = LN_M(E[ids, :M]) + P[offset.., :M],
 * the blocks that run, a final LN_M. Returns that (b*T, M) hidden state and each block's
 * keys/values. Replicas: ids (R, b, T) and weights with a leading R give (R, b*T, M).
 */
export function runTrunk(
  ids: tf.Tensor,
  weights: SubmodelWeights,
  options: TrunkOptions,
): { hidden: tf.Tensor; cache: LayerCache[] } {
  const [b, T] = ids.shape.slice(-2);
  const P = weights.positionEmbedding; // (t, M), or (R, 1, t, M): it broadcasts over the sequences
  const t = P.shape[P.rank - 2];
  const offset = options.positionOffset ?? 0;
  if (offset + T > t) throw new Error(`sequence of ${offset + T} positions exceeds contextLength ${t}`);
  const m = weights.width;
  const tokens = embeddingLookup(weights.tokenEmbedding, ids);
  const lead = P.shape.slice(0, -2);
  const positions = tf.slice(P, [...lead.map(() => 0), offset, 0], [...lead, T, m]);
  let x = tf.reshape(tf.add(layerNorm(tokens), positions), [...ids.shape.slice(0, -2), b * T, m]);
  const pass: Pass = {
    dropoutWidth: options.dropoutWidth ?? m,
    length: T,
    heads: weights.heads,
    mask: causalMask(T, offset + T),
    dropout: options.dropout,
  };
  const cache = weights.blocks.map((w, i) => {
    const out = block(x, w, pass, options.past?.[i]);
    x = out.output;
    return out.cache;
  });
  return { hidden: layerNorm(x), cache };
}

// ------------------------------------------------------------------------------- the model

export interface ForwardOptions {
  /** Dropout is applied only when training. */
  training: boolean;
  /**
   * Makes a training forward reproducible: each dropout call derives its seed from it. One per
   * replica (a single model's list has one entry).
   */
  dropoutSeeds?: readonly number[];
  /** Widths whose logits to return (default: the config's nesting list). */
  widths?: readonly Width[];
}

export interface LossOptions extends ForwardOptions {
  /** Relative importance c_k per width (default all 1). */
  importance?: readonly number[];
  /**
   * Per-width target matrices (v, v) (experiments 2-3), or (R, v, v) one per replica; null/undefined
   * = the next token itself.
   */
  targetMatrices?: readonly (tf.Tensor | null | undefined)[];
}

export class MatryoshkaGPT {
  /** Replica 0's config (every replica has the same shapes; see configs). */
  readonly config: ResolvedGPTConfig;
  /**
   * One config per replica, R >= 1: the same shapes, each its own init seed and dropout rates
   * (REPLICA_FIELDS). A single model is R = 1.
   */
  readonly configs: readonly ResolvedGPTConfig[];
  /** The nesting list m_k = 2^minPower, ..., d. */
  readonly widths: readonly Width[];
  private readonly variables: Map<string, tf.Variable>;

  /**
   * R replicas in one model (one config: R = 1): every variable has a leading axis R (shaped by
   * replicatedShape), replica r initialised exactly as a lone model of configs[r] (weights
   * N(0, 0.02) seeded by its seed, biases 0), or holding copies of `weights` (keyed like
   * namedVariables(), every name and shape checked). Every forward pass and loss takes ids
   * (R, b, T), each replica its own batch.
   */
  constructor(config: GPTConfig | readonly GPTConfig[], weights?: Record<string, tf.Tensor>) {
    const list: readonly GPTConfig[] = Array.isArray(config) ? config : [config as GPTConfig];
    this.configs = checkReplicaConfigs(list.map((c) => resolveConfig(c)));
    this.config = this.configs[0];
    this.widths = configWidths(this.config);
    const R = this.configs.length;
    if (weights) {
      checkWeights(this.config, weights, R);
      this.variables = new Map(parameterSpecs(this.config).map((s) => [s.name, tf.variable(weights[s.name], true)]));
    } else {
      const each = this.configs.map((c) => initialVariables(c));
      const stacked = (s: ParameterSpec) =>
        tf.reshape(tf.stack(each.map((vars) => vars.get(s.name) as tf.Tensor)), replicatedShape(s, R));
      this.variables = new Map(
        parameterSpecs(this.config).map((s) => [s.name, tf.tidy(() => tf.variable(stacked(s), true))]),
      );
      each.forEach((vars) => tf.dispose([...vars.values()]));
    }
  }

  /** R, the replicas this model holds (a single model: 1). */
  get replicas(): number {
    return this.configs.length;
  }

  /** Replica i as a model of its own (R = 1) holding copies of its weights. */
  replica(i: number): MatryoshkaGPT {
    const R = this.replicas;
    if (!Number.isInteger(i) || i < 0 || i >= R)
      throw new Error(`replica ${i} does not exist: this model holds replicas 0..${R - 1}`);
    // tf.slice(v, i, 1): index i of the leading axis, every other axis whole.
    const weights = tf.tidy(() =>
      Object.fromEntries([...this.variables].map(([name, v]) => [name, tf.slice(v, i, 1)])),
    );
    const model = new MatryoshkaGPT(this.configs[i], weights);
    tf.dispose(Object.values(weights));
    return model;
  }

  /** Every trainable variable by a stable name (`token_embedding`, `blocks.0.attn.wqkv`, ...), each with its leading axis R. */
  namedVariables(): Record<string, tf.Variable> {
    return Object.fromEntries(this.variables);
  }

  /** The token embedding E, each replica's: (R, v, d). The tied head reads it too. */
  get tokenEmbedding(): tf.Tensor3D {
    return this.variables.get('token_embedding') as tf.Tensor3D;
  }

  /**
   * What runs for a submodel (default: submodel m of submodelAt): its trunk's weights and the
   * tied head's W_k (v, k). Where nothing is cut the trunk's tensors are the variables
   * themselves: use inside tf.tidy and copy what must outlive it.
   */
  weightsFor(sub: Submodel): { trunk: SubmodelWeights; head: tf.Tensor3D } {
    return { trunk: weightsOf(this.variables, this.config.heads, sub), head: this.headWeights(sub) as tf.Tensor3D };
  }

  /** The tied head's W_k of a submodel, each replica's: (R, v, k). */
  private headWeights(sub: Submodel): tf.Tensor {
    const { nesting, headNormalisation } = this.config;
    return tiedHeadWeights(this.tokenEmbedding, sub.headWidth, nesting === 'embedding' ? headNormalisation : 'prefix');
  }

  /** The weights that give the width-m logits (see weightsFor). */
  weightsForWidth(m: Width): { trunk: SubmodelWeights; head: tf.Tensor3D } {
    this.checkWidth(m);
    return this.weightsFor(submodelAt(this.config, m));
  }

  /** Submodel m (submodels.ts): what the width-m logits run. */
  submodel(m: Width): Submodel {
    this.checkWidth(m);
    return submodelAt(this.config, m);
  }

  /** A Mix'n'Match mix, one width per layer, as a Submodel (submodels.ts, mixSubmodel). */
  mix(layerWidths: readonly number[]): Submodel {
    return mixSubmodel(this.config, layerWidths);
  }

  /** Logits (R, b, T, v) of ids (R, b, T) for every requested width, in the order of `widths`. */
  forward(ids: tf.Tensor3D, options: ForwardOptions): tf.Tensor4D[] {
    const widths = options.widths ?? this.widths;
    widths.forEach((m) => this.checkWidth(m));
    const { nesting, width: d, headNormalisation } = this.config;
    if (nesting === 'embedding') {
      // One trunk at d; the head reads each width's prefix, with W = LN_d(E) computed once.
      return tf.tidy(() => {
        const hidden = this.trunkHidden(ids, submodelAt(this.config, d), d, options);
        return matryoshkaHeadLogits(hidden, this.tokenEmbedding, widths, headNormalisation).map((flat) =>
          this.toLogits(flat, ids),
        );
      });
    }
    return widths.map((m) => this.forwardSubmodel(ids, submodelAt(this.config, m), { ...options, dropoutWidth: m }));
  }

  /** Logits (R, b, T, v) at one width. */
  forwardWidth(ids: tf.Tensor3D, m: Width, options: Omit<ForwardOptions, 'widths'>): tf.Tensor4D {
    return this.forward(ids, { ...options, widths: [m] })[0];
  }

  /** Logits (R, b, T, v) of one submodel or mix (dropout seeded by `dropoutWidth`, default its stream width). */
  forwardSubmodel(
    ids: tf.Tensor3D,
    sub: Submodel,
    options: Omit<ForwardOptions, 'widths'> & { dropoutWidth?: number },
  ): tf.Tensor4D {
    return tf.tidy(() => {
      const hidden = this.trunkHidden(ids, sub, options.dropoutWidth ?? sub.width, options);
      return this.toLogits(tiedHeadLogits(hidden, this.headWeights(sub)), ids);
    });
  }

  private trunkHidden(
    ids: tf.Tensor3D,
    sub: Submodel,
    dropoutWidth: number,
    options: Omit<ForwardOptions, 'widths'>,
  ): tf.Tensor {
    const R = this.replicas;
    if (ids.rank !== 3 || ids.shape[0] !== R) {
      throw new Error(`ids of shape [${ids.shape}]: this model takes (${R} replica${R > 1 ? 's' : ''}, batch, time)`);
    }
    const seeds = options.dropoutSeeds;
    if (seeds && seeds.length !== R) {
      throw new Error(
        `dropoutSeeds: this model holds ${R} replica(s) and takes one seed per replica, got ${JSON.stringify(seeds)}`,
      );
    }
    const dropout: DropoutPlan = {
      training: options.training,
      replicas: this.configs.map((c, r) => ({ rate: c.dropout, attentionRate: c.attentionDropout, seed: seeds?.[r] })),
    };
    return runTrunk(ids, weightsOf(this.variables, this.config.heads, sub), { dropout, dropoutWidth }).hidden;
  }

  private toLogits(flat: tf.Tensor, ids: tf.Tensor3D): tf.Tensor4D {
    return tf.reshape(flat, [...ids.shape, this.config.vocabSize]);
  }

  /**
   * The matryoshka loss of next-token targets y (R, b, T) after x (R, b, T): total = sum_k c_k
   * CE_k, and each CE_k, one per replica (R,).
   */
  loss(x: tf.Tensor3D, y: tf.Tensor3D, options: LossOptions): MatryoshkaLoss {
    return tidyKeep(() => {
      const logits: tf.Tensor[] = this.forward(x, options);
      return matryoshkaLoss(logits, y, {
        importance: options.importance,
        targetMatrices: options.targetMatrices,
        replicas: this.replicas,
      });
    });
  }

  /** Parameters the width-m submodel reads (default d: the whole model). See cost-model.ts. */
  parameterCount(m: Width = this.config.width): number {
    return parameterCount(this.config, this.submodel(m));
  }

  /** Forward FLOPs per token of the width-m submodel. See cost-model.ts for the formula. */
  flopsPerToken(m: Width = this.config.width): number {
    return flopsPerToken(this.config, this.submodel(m));
  }

  /** Forward FLOPs per token of one training forward (all widths); training is ~3x this. */
  trainingForwardFlopsPerToken(widths: readonly Width[] = this.widths): number {
    return forwardFlopsPerToken(this.config, widths);
  }

  /**
   * Submodel m as a standalone model holding sliced copies; its logits equal this model's width-m
   * logits. Nesting 'width': a d = m GPT keeping the widths below m; 'width+depth': that, with
   * its first l_k layers; 'ffn': a fixed mix at d with every FFN at 4m.
   */
  extractSubmodel(m: Width): MatryoshkaGPT {
    const { nesting, minPower, layersPerWidth } = this.config;
    if (nesting === 'embedding') {
      throw new Error(
        `extractSubmodel: a model nested by its embedding has no standalone submodels (its trunk always runs at d)`,
      );
    }
    this.checkWidth(m);
    if (nesting === 'ffn' || this.config.layerWidths)
      return this.extractMix(Array.from({ length: this.config.layers }, () => m));
    if (!Number.isInteger(Math.log2(m))) throw new Error(`extractSubmodel: width ${m} is not a power of two`);
    const keptPower = Math.min(minPower, Math.log2(m));
    const keptWidths = configWidths(this.config).filter((w) => w <= m);
    return this.extract(submodelAt(this.config, m), {
      width: m,
      minPower: keptPower,
      layers: layersAtWidth(this.config, m),
      layersPerWidth: layersPerWidth ? layersPerWidth.slice(0, keptWidths.length) : null,
    });
  }

  /** A Mix'n'Match mix as a standalone model (a fixed mix: config.layerWidths) whose one width gives the mix's logits. */
  extractMix(layerWidths: readonly number[]): MatryoshkaGPT {
    const sub = this.mix(layerWidths);
    return this.extract(sub, {
      width: sub.width,
      minPower: Math.log2(sub.width),
      layersPerWidth: null,
      layerWidths: [...layerWidths],
    });
  }

  /** A model of every replica's config with `changes`, holding copies of its variables sliced to `sub`. */
  private extract(sub: Submodel, changes: Partial<ResolvedGPTConfig>): MatryoshkaGPT {
    const configs = this.configs.map((c) => ({ ...c, ...changes }));
    const config = configs[0];
    const sliced = tf.tidy(() => {
      const out: Record<string, tf.Tensor> = {};
      for (const spec of parameterSpecs(resolveConfig(config))) {
        const layer = /^blocks\.(\d+)\./.exec(spec.name);
        const shape = layer ? sub.layers[Number(layer[1])] : { width: sub.width, hidden: 0 };
        if (!shape) throw new Error(`extract: layer ${spec.name} is skipped by this submodel`);
        out[spec.name] = tf.clone(
          sliceParameter(
            parameterKind(spec.name),
            this.variables.get(spec.name) as tf.Tensor,
            sub.width,
            shape,
            config.heads,
          ),
        );
      }
      return out;
    });
    const model = new MatryoshkaGPT(configs, sliced);
    tf.dispose(Object.values(sliced));
    return model;
  }

  /** Free the variables. */
  dispose(): void {
    tf.dispose([...this.variables.values()]);
  }

  /**
   * Throws unless width m can be read: 1 <= m <= d; where attention is cut, h divides m; for
   * 'width+depth' m is a nested width (it has a depth); a fixed mix has the one width d.
   */
  checkWidth(m: Width): void {
    const { width: d, nesting, heads, layerWidths } = this.config;
    if (!Number.isInteger(m) || m < 1 || m > d) throw new Error(`width ${m} must be an integer in [1, ${d}]`);
    if (layerWidths && m !== d)
      throw new Error(
        `width ${m}: this model is one Mix'n'Match mix (${layerWidths.join(',')}); its only width is ${d}`,
      );
    if (cutsResidualWidth(nesting) && m % heads !== 0) {
      throw new Error(`width ${m} of a width-nested model must be a multiple of heads (${heads})`);
    }
    if (nesting === 'width+depth' && !this.widths.includes(m)) {
      throw new Error(
        `width ${m} is not a nested width of this width+depth model (${this.widths.join(', ')}): only those have a depth`,
      );
    }
  }
}

/** Every weight of the model is there with its shape (replicatedShape: R first). */
function checkWeights(config: ResolvedGPTConfig, weights: Record<string, tf.Tensor>, replicas: number): void {
  const specs = parameterSpecs(config).map((s) => ({ ...s, shape: replicatedShape(s, replicas) }));
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
