// The model's hyper-parameters (docs/EXPERIMENTS.md, "Notation") and the two experiments' defaults.
import { isPowerOfTwo, nestingWidths, type HeadNormalisation, type Width } from '@matryoshka/matryoshka-layers';

/**
 * How the model is nested, a property of its trained weights:
 * - 'embedding' (experiments 1-3, Matryoshka Representation Learning): the trunk runs once at the
 *   full width d and the tied head reads every prefix width m of its output and of E;
 * - 'width' (experiment 4): every width m is a whole smaller GPT sliced from the full-size
 *   weights (slicing.ts): embeddings, attention, MLP, layer norms and the residual stream.
 */
export type Nesting = 'embedding' | 'width';
export const NESTINGS: readonly Nesting[] = ['embedding', 'width'];

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
  /** Seed of the weight initialisation (default 1337). */
  seed?: number;
}

/** A config with every optional field filled in. */
export type ResolvedGPTConfig = Required<GPTConfig>;

/** Model defaults plus the batch size an experiment trains with; add `vocabSize` from the tokenizer. */
export interface ExperimentDefaults extends Omit<ResolvedGPTConfig, 'vocabSize'> {
  batchSize: number;
}

export const DEFAULT_INIT_SEED = 1337;

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
});

function requirePositiveInteger(name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Error(`GPTConfig.${name} must be a positive integer (got ${String(value)})`);
  }
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
    throw new Error(`GPTConfig.minPower must be an integer in [0, ${maxPower}] for width ${config.width} (got ${config.minPower})`);
  }
  if (config.width % config.heads !== 0) {
    throw new Error(`GPTConfig.heads (${config.heads}) must divide width d=${config.width}`);
  }
  const nesting = config.nesting ?? 'embedding';
  if (!NESTINGS.includes(nesting)) {
    throw new Error(`GPTConfig.nesting must be one of ${NESTINGS.map((n) => `'${n}'`).join(', ')} (got ${String(nesting)})`);
  }
  if (nesting === 'width') {
    for (const m of nestingWidths(config.width, config.minPower)) {
      if (m % config.heads !== 0) {
        throw new Error(
          `GPTConfig.heads (${config.heads}) must divide every nested width, but not ${m} ` +
            `(widths 2^${config.minPower}..${config.width}); raise minPower or lower heads`,
        );
      }
    }
  }
  const headNormalisation = config.headNormalisation ?? (nesting === 'width' ? 'prefix' : 'full');
  if (headNormalisation !== 'full' && headNormalisation !== 'prefix') {
    throw new Error(`GPTConfig.headNormalisation must be 'full' or 'prefix' (got ${String(headNormalisation)})`);
  }
  if (nesting === 'width' && headNormalisation !== 'prefix') {
    throw new Error(`GPTConfig.headNormalisation 'full' does not apply to nesting 'width', whose every width normalises its own prefix`);
  }
  const seed = config.seed ?? DEFAULT_INIT_SEED;
  if (!Number.isSafeInteger(seed)) throw new Error(`GPTConfig.seed must be a safe integer (got ${String(seed)})`);
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
  };
}

/** The nesting list m_k of a config. */
export function configWidths(config: Pick<GPTConfig, 'width' | 'minPower'>): Width[] {
  return nestingWidths(config.width, config.minPower);
}
