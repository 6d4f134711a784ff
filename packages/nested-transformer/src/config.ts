// The model's hyper-parameters (docs/EXPERIMENTS.md, "Notation") and the two experiments' defaults.
import { isPowerOfTwo, nestingWidths, type HeadNormalisation, type Width } from '@matryoshka/matryoshka-layers';
import { DEFAULT_SEED } from '@matryoshka/tokenizer';

/**
 * How the model is nested, a property of its trained weights (submodels.ts says exactly what
 * each submodel m reads):
 * - 'embedding' (experiments 1-3, Matryoshka Representation Learning): the trunk runs once at the
 *   full width d and the tied head reads every prefix width m of its output and of E;
 * - 'width' (experiment 4): every width m is a whole smaller GPT sliced from the full-size
 *   weights (slicing.ts): embeddings, attention, MLP, layer norms and the residual stream;
 * - 'ffn' (MatFormer): everything runs at d except each FFN, whose hidden layer is cut to 4m;
 * - 'width+depth': as 'width', and submodel m_k also runs only its first l_k layers.
 */
export type Nesting = 'embedding' | 'width' | 'ffn' | 'width+depth';
export const NESTINGS: readonly Nesting[] = ['embedding', 'width', 'ffn', 'width+depth'];

/** Nestings whose every submodel is a standalone smaller GPT (all but 'embedding'). */
export function nestsSubmodels(nesting: Nesting): boolean {
  return nesting !== 'embedding';
}

/** Nestings that cut the residual stream, attention and embeddings to m (not only the FFN). */
export function cutsResidualWidth(nesting: Nesting): boolean {
  return nesting === 'width' || nesting === 'width+depth';
}

/**
 * How fresh weights are drawn (docs/EXPERIMENTS.md, "Departures from the original notebooks"):
 * - 'small' (ours, the default): every weight matrix and both embeddings N(0, 0.02), biases 0;
 * - 'original' (experiment 4's notebook): embeddings N(0, 1) (PyTorch's nn.Embedding default),
 *   weight matrices N(0, 0.02), biases N(0, 0.02).
 */
export type InitScheme = 'small' | 'original';
export const INIT_SCHEMES: readonly InitScheme[] = ['small', 'original'];

export interface GPTConfig {
  /** v: number of token ids. */
  vocabSize: number;
  /** t: the longest context the model sees (size of the position table). */
  contextLength: number;
  /** d: the full model width, a power of two. */
  width: number;
  /** l: number of transformer blocks. */
  layers: number;
  /** h: attention heads, at every width (head size d/h shrinks to m/h at width m). */
  heads: number;
  /** Dropout rate, applied only in training. */
  dropout: number;
  /** Dropout rate on the attention weights (default: `dropout`; experiment 4's notebook: 0). */
  attentionDropout?: number;
  /** Nested widths are 2^minPower, ..., d. */
  minPower: number;
  /** How the model is nested (default 'embedding'). */
  nesting?: Nesting;
  /**
   * How the tied head normalises E, for nesting 'embedding' only: 'full' = LN_d(E)[:, :m] (the
   * original, default) or 'prefix' = LN_m(E[:, :m]). Nesting 'width' always uses 'prefix' (each
   * width is its own model); asking it for 'full' is an error.
   */
  headNormalisation?: HeadNormalisation;
  /** Seed of the weight initialisation (default DEFAULT_SEED). */
  seed?: number;
  /** How fresh weights are drawn (default 'small'). */
  init?: InitScheme;
  /**
   * Nesting 'width+depth' only: l_k, the layers submodel m_k runs (its first l_k), one per nested
   * width, non-decreasing, the last = l. Default ceil(l m_k / d): l=8, widths 32/64/128 -> 2/4/8.
   */
  layersPerWidth?: number[] | null;
  /**
   * A fixed Mix'n'Match model (export --layer-widths): the width each layer runs at (0 = skipped,
   * nesting 'width+depth' only). Such a model has one width, d; its variables are each layer's
   * slice (submodels.ts, mixSubmodel). Null for an ordinary nested model.
   */
  layerWidths?: number[] | null;
}

/** A config with every optional field filled in. */
export type ResolvedGPTConfig = Required<GPTConfig>;

/**
 * Model defaults plus the batch size an experiment trains with; add `vocabSize` from the tokenizer.
 * `attentionDropout` is left out so that it follows `dropout` unless set.
 */
export interface ExperimentDefaults extends Omit<ResolvedGPTConfig, 'vocabSize' | 'attentionDropout'> {
  batchSize: number;
}

export const DEFAULT_INIT_SEED = DEFAULT_SEED;

/** Experiment 1 (mrl-embeddings), docs/EXPERIMENTS.md, "Defaults per app": b=4 t=16 d=32 h=4 l=4 dropout=0.2 minPower=3. */
export const EXP1_DEFAULTS: Readonly<ExperimentDefaults> = Object.freeze({
  batchSize: 4,
  contextLength: 16,
  width: 32,
  heads: 4,
  layers: 4,
  dropout: 0.2,
  minPower: 3,
  nesting: 'embedding',
  headNormalisation: 'full',
  seed: DEFAULT_INIT_SEED,
  init: 'small',
  layersPerWidth: null,
  layerWidths: null,
});

/** Experiment 4 (nested), docs/EXPERIMENTS.md, "Defaults per app": b=16 t=64 d=128 h=4 l=8 dropout=0.1 minPower=5. */
export const EXP4_DEFAULTS: Readonly<ExperimentDefaults> = Object.freeze({
  batchSize: 16,
  contextLength: 64,
  width: 128,
  heads: 4,
  layers: 8,
  dropout: 0.1,
  minPower: 5,
  nesting: 'width',
  headNormalisation: 'prefix',
  seed: DEFAULT_INIT_SEED,
  init: 'small',
  layersPerWidth: null,
  layerWidths: null,
});

function requirePositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`GPTConfig.${name} must be a positive integer (got ${String(value)})`);
  }
}

function requireOneOf<T>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    const list = allowed.map((n) => `'${n}'`).join(', ');
    throw new Error(`GPTConfig.${name} must be one of ${list} (got ${String(value)})`);
  }
  return value;
}

/**
 * Check every field and fill in the optional ones: the one place the model's shape rules live.
 * Errors name the field: d a power of two, h dividing d (and, for nesting 'width', every nested
 * width m, so every head size m/h is an integer), ... Extra fields (such as `batchSize` from the
 * defaults) are dropped.
 */
export function resolveConfig(config: GPTConfig): ResolvedGPTConfig {
  requirePositiveInteger('vocabSize', config.vocabSize);
  requirePositiveInteger('contextLength', config.contextLength);
  requirePositiveInteger('width', config.width);
  requirePositiveInteger('layers', config.layers);
  requirePositiveInteger('heads', config.heads);
  if (!isPowerOfTwo(config.width)) throw new Error(`GPTConfig.width (d) must be a power of two (got ${config.width})`);
  if (typeof config.dropout !== 'number' || !(config.dropout >= 0 && config.dropout < 1)) {
    throw new Error(`GPTConfig.dropout must be in [0, 1) (got ${String(config.dropout)})`);
  }
  const maxPower = Math.log2(config.width);
  if (!Number.isInteger(config.minPower) || config.minPower < 0 || config.minPower > maxPower) {
    throw new Error(
      `GPTConfig.minPower must be an integer in [0, ${maxPower}] for width ${config.width} (got ${config.minPower})`,
    );
  }
  if (config.width % config.heads !== 0) {
    throw new Error(`GPTConfig.heads (${config.heads}) must divide width d=${config.width}`);
  }
  const nesting = requireOneOf('nesting', config.nesting ?? 'embedding', NESTINGS);
  const widths = nestingWidths(config.width, config.minPower);
  if (cutsResidualWidth(nesting)) {
    for (const m of widths) {
      if (m % config.heads !== 0) {
        throw new Error(
          `GPTConfig.heads (${config.heads}) must divide every nested width, but not ${m} ` +
            `(widths 2^${config.minPower}..${config.width}); raise minPower or lower heads`,
        );
      }
    }
  }
  const headNormalisation = config.headNormalisation ?? (nestsSubmodels(nesting) ? 'prefix' : 'full');
  if (headNormalisation !== 'full' && headNormalisation !== 'prefix') {
    throw new Error(`GPTConfig.headNormalisation must be 'full' or 'prefix' (got ${String(headNormalisation)})`);
  }
  if (nestsSubmodels(nesting) && headNormalisation !== 'prefix') {
    throw new Error(
      `GPTConfig.headNormalisation 'full' does not apply to nesting '${nesting}', whose every width normalises its own prefix`,
    );
  }
  const seed = config.seed ?? DEFAULT_INIT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`GPTConfig.seed must be a safe integer (got ${String(seed)})`);
  const attentionDropout = config.attentionDropout ?? config.dropout;
  if (typeof attentionDropout !== 'number' || !(attentionDropout >= 0 && attentionDropout < 1)) {
    throw new Error(`GPTConfig.attentionDropout must be in [0, 1) (got ${String(attentionDropout)})`);
  }
  const init = requireOneOf('init', config.init ?? 'small', INIT_SCHEMES);
  const layersPerWidth = resolveLayersPerWidth(config, nesting, widths);
  const layerWidths = config.layerWidths ?? null;
  if (layerWidths !== null) checkLayerWidths(config, nesting, layerWidths);
  return {
    vocabSize: config.vocabSize,
    contextLength: config.contextLength,
    width: config.width,
    layers: config.layers,
    heads: config.heads,
    dropout: config.dropout,
    minPower: config.minPower,
    nesting,
    headNormalisation,
    seed,
    attentionDropout,
    init,
    layersPerWidth,
    layerWidths,
  };
}

/** l_k of a 'width+depth' model: given (checked) or ceil(l m_k / d); null for other nestings. */
function resolveLayersPerWidth(config: GPTConfig, nesting: Nesting, widths: readonly number[]): number[] | null {
  const given = config.layersPerWidth ?? null;
  if (nesting !== 'width+depth') {
    if (given !== null)
      throw new Error(`GPTConfig.layersPerWidth applies to nesting 'width+depth' only (this model's is '${nesting}')`);
    return null;
  }
  if (given === null) return widths.map((m) => Math.max(1, Math.ceil((config.layers * m) / config.width)));
  if (!Array.isArray(given) || given.length !== widths.length) {
    throw new Error(
      `GPTConfig.layersPerWidth needs one layer count per nested width (${widths.join(', ')}), got ${JSON.stringify(given)}`,
    );
  }
  given.forEach((count, k) => {
    if (!Number.isInteger(count) || count < 1 || count > config.layers) {
      throw new Error(`GPTConfig.layersPerWidth[${k}] = ${count} must be an integer in [1, ${config.layers}]`);
    }
    if (k > 0 && count < given[k - 1])
      throw new Error(`GPTConfig.layersPerWidth must not decrease (${given.join(', ')})`);
  });
  if (given[given.length - 1] !== config.layers) {
    throw new Error(
      `GPTConfig.layersPerWidth must end with layers l=${config.layers}: the widest submodel is the whole model (got ${given.join(', ')})`,
    );
  }
  return [...given];
}

/** The rules of a fixed mix's layer widths (submodels.ts, mixSubmodel, defines what they mean). */
function checkLayerWidths(config: GPTConfig, nesting: Nesting, layerWidths: readonly number[]): void {
  if (!nestsSubmodels(nesting))
    throw new Error(
      `GPTConfig.layerWidths: a model nested by its embedding has no Mix'n'Match (its trunk always runs at d)`,
    );
  checkMix(config, nesting, layerWidths, 'GPTConfig.layerWidths');
  const widest = Math.max(...layerWidths);
  if (cutsResidualWidth(nesting) && widest !== config.width) {
    throw new Error(`GPTConfig.layerWidths: the widest layer (${widest}) must be the model's width d=${config.width}`);
  }
  if (config.minPower !== Math.log2(config.width)) {
    throw new Error(
      `GPTConfig.minPower must be log2(d) = ${Math.log2(config.width)} for a fixed mix (layerWidths): its one width is d`,
    );
  }
}

/**
 * Check a mix, one width per layer, for a model of this shape: l entries, each a power of two
 * <= d (a multiple of heads where attention is cut); 0 (skip the layer) only for 'width+depth'.
 * Throws naming `what` (a field or a flag).
 */
export function checkMix(
  config: Pick<GPTConfig, 'width' | 'layers' | 'heads'>,
  nesting: Nesting,
  layerWidths: readonly number[],
  what: string,
): void {
  if (!Array.isArray(layerWidths) || layerWidths.length !== config.layers) {
    throw new Error(`${what} needs one width per layer (${config.layers}), got ${JSON.stringify(layerWidths)}`);
  }
  layerWidths.forEach((m, i) => {
    if (m === 0 && nesting === 'width+depth') return;
    if (!Number.isInteger(m) || m < 1 || m > config.width || !isPowerOfTwo(m)) {
      const zero = nesting === 'width+depth' ? ' or 0 (skip the layer)' : '';
      throw new Error(`${what}[${i}] = ${m} must be a power of two in [1, ${config.width}]${zero}`);
    }
    if (cutsResidualWidth(nesting) && m % config.heads !== 0) {
      throw new Error(`${what}[${i}] = ${m} must be a multiple of heads (${config.heads})`);
    }
  });
  if (layerWidths.every((m) => m === 0)) throw new Error(`${what} skips every layer`);
}

/** The nesting list m_k of a config. */
export function configWidths(config: Pick<GPTConfig, 'width' | 'minPower'>): Width[] {
  return nestingWidths(config.width, config.minPower);
}

/**
 * What may differ between the replicas of one model (each its own init seed and dropout rates);
 * every other field, and so every shape, is shared.
 */
export const REPLICA_FIELDS = [
  'seed',
  'dropout',
  'attentionDropout',
] as const satisfies readonly (keyof ResolvedGPTConfig)[];

/** Throws naming the field unless the configs differ only in REPLICA_FIELDS; returns them. */
export function checkReplicaConfigs(configs: readonly ResolvedGPTConfig[]): readonly ResolvedGPTConfig[] {
  if (configs.length === 0) throw new Error('a replicated model needs at least one replica config');
  const shared = (c: ResolvedGPTConfig) => {
    const copy: Record<string, unknown> = { ...c };
    for (const field of REPLICA_FIELDS) delete copy[field];
    return copy;
  };
  const first = shared(configs[0]);
  configs.forEach((config, r) => {
    const own = shared(config);
    for (const field of Object.keys(first)) {
      if (JSON.stringify(own[field]) !== JSON.stringify(first[field])) {
        throw new Error(
          `replica ${r}: GPTConfig.${field} is ${JSON.stringify(own[field])} but replica 0's is ${JSON.stringify(first[field])}; replicas share every field but ${REPLICA_FIELDS.join(', ')}`,
        );
      }
    }
  });
  return configs;
}
