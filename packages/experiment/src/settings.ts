// The runner's command-line definitions (docs/ARCHITECTURE.md, "The command-line contract"):
// the flags every app shares. Each app joins
// these with its own (`mergeFlagSpecs(trainFlags, [hierarchyFlag])`) and supplies its defaults.
// The backend names come from matryoshka-layers, their one home. The model's shape rules are
// checked where the model is defined (nested-transformer's resolveConfig), not here.
import { BACKEND_CHOICES, WASM_MAX_ACTIVATION, backendOrder, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { ADAMW_DEFAULTS, TRAIN_DEFAULTS, type FlagSpec } from '@matryoshka/training';

/** What weight decay may skip (AdamW decays every parameter by default, as the original did). */
export const DECAY_EXCLUSIONS = ['biases', 'embeddings'] as const;
export type DecayExclusion = (typeof DECAY_EXCLUSIONS)[number];

/** How the widths share the training steps (docs/EXPERIMENTS.md, "Training regimes"). */
export const REGIMES = ['all', 'sample'] as const;
export type Regime = (typeof REGIMES)[number];

const firstThatLoads = (order: readonly string[]) => `the first that loads of ${order.join(', ')}`;

/** `--backend` of a command that names no workload (export): selectBackend's default order. */
export const backendFlag: FlagSpec = {
  name: 'backend',
  key: 'backend',
  type: 'choice',
  choices: BACKEND_CHOICES,
  help: 'tensor backend to force; MATRYOSHKA_BACKEND=node|wasm|cpu does the same',
  defaultHelp: firstThatLoads(backendOrder()),
};

/** `--backend` of training: the order depends on the model's activation size (engine.ts, backendOrder). */
export const trainBackendFlag: FlagSpec = {
  ...backendFlag,
  defaultHelp:
    `${firstThatLoads(backendOrder('training', WASM_MAX_ACTIVATION))} when batch x context x width <= ` +
    `${WASM_MAX_ACTIVATION.toLocaleString('en')}, else of ${backendOrder('training').join(', ')}`,
};

/** `--backend` of sample and analyze, whose work is token-by-token generation. */
export const generationBackendFlag: FlagSpec = { ...backendFlag, defaultHelp: firstThatLoads(backendOrder('generation')) };

const seedFlag: FlagSpec = { name: 'seed', key: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, help: 'random seed' };

const runFlag: FlagSpec = {
  name: 'run',
  key: 'run',
  type: 'string',
  metavar: 'DIR',
  required: true,
  help: 'run directory written by train',
};

/**
 * The flags every app's `train` shares. Each names its place in the run's config (`path`): the
 * model's own fields under `model` (a GPTConfig, whole), the loop's under `training`
 * (TrainingSettings); `out`, `resume` and `backend` say how to run, and are not stored.
 */
export const trainFlags: readonly FlagSpec[] = [
  { name: 'out', key: 'out', type: 'string', metavar: 'DIR', help: 'run directory to create (default runs/<app>/<timestamp>)' },
  { name: 'resume', key: 'resume', type: 'string', metavar: 'DIR', help: 'continue the run in DIR from its last checkpoint' },
  { name: 'data', key: 'data', path: 'training.data', type: 'string', metavar: 'FILE', help: 'training text' },
  { name: 'steps', key: 'steps', path: 'training.steps', type: 'int', min: 1, help: 'total optimiser steps' },
  { name: 'eval-interval', key: 'evalInterval', path: 'training.evalInterval', type: 'int', min: 1, help: 'evaluate every N steps' },
  { name: 'eval-iters', key: 'evalIters', path: 'training.evalIters', type: 'int', min: 1, help: 'batches averaged per evaluation and split' },
  { name: 'batch', key: 'batch', path: 'training.batchSize', type: 'int', min: 1, help: 'sequences per batch (b)' },
  { name: 'context', key: 'context', path: 'model.contextLength', type: 'int', min: 1, help: 'context length in tokens (t)' },
  { name: 'width', key: 'width', path: 'model.width', type: 'int', min: 2, help: 'model width d, a power of two' },
  { name: 'min-power', key: 'minPower', path: 'model.minPower', type: 'int', min: 0, max: 30, help: 'smallest nested width is 2^N' },
  { name: 'layers', key: 'layers', path: 'model.layers', type: 'int', min: 1, help: 'transformer blocks (l)' },
  { name: 'heads', key: 'heads', path: 'model.heads', type: 'int', min: 1, help: 'attention heads (h), dividing the width' },
  { name: 'dropout', key: 'dropout', path: 'model.dropout', type: 'number', min: 0, max: 0.99, help: 'dropout probability' },
  {
    name: 'attention-dropout',
    key: 'attentionDropout',
    path: 'model.attentionDropout',
    type: 'number',
    min: 0,
    max: 0.99,
    help: 'dropout probability on the attention weights (experiment 4\'s notebook: 0)',
    defaultHelp: '--dropout',
  },
  {
    name: 'init',
    key: 'init',
    path: 'model.init',
    type: 'choice',
    choices: ['small', 'original'],
    help: "fresh weights: 'small' = every weight and embedding N(0, 0.02), biases 0; 'original' = experiment 4's notebook: embeddings N(0, 1), biases N(0, 0.02)",
  },
  { name: 'lr', key: 'lr', path: 'training.lr', type: 'number', min: 0, help: 'AdamW learning rate' },
  { name: 'weight-decay', key: 'weightDecay', path: 'training.weightDecay', type: 'number', min: 0, help: 'AdamW weight decay' },
  { ...seedFlag, path: 'training.seed', help: 'seed of the batches, dropout and evaluation' },
  { name: 'init-seed', key: 'initSeed', path: 'model.seed', type: 'int', min: 0, max: 2 ** 32 - 1, help: "seed of the weights' initialisation" },
  trainBackendFlag,
  { name: 'checkpoint-every', key: 'checkpointEvery', path: 'training.checkpointEvery', type: 'int', min: 1, help: 'write a checkpoint every N steps' },
  {
    name: 'warmup',
    key: 'warmup',
    path: 'training.warmup',
    type: 'int',
    min: 0,
    help: 'linear learning-rate warm-up steps; any warm-up also turns on the cosine decay to --min-lr',
  },
  {
    name: 'min-lr',
    key: 'minLr',
    path: 'training.minLr',
    type: 'number',
    min: 0,
    help:
      'learning rate at the last step: if above 0 (or with --warmup), the rate falls along a cosine from --lr, ' +
      'after the warm-up, to this value; 0 without --warmup keeps --lr constant',
  },
  { name: 'clip-norm', key: 'clipNorm', path: 'training.clipNorm', type: 'number', min: 0, help: 'clip the global gradient norm (0: no clipping)' },
  {
    name: 'regime',
    key: 'regime',
    path: 'training.regime',
    type: 'choice',
    choices: REGIMES,
    help: "'all': every nested width on every batch, losses summed; 'sample' (MatFormer): one width per step, drawn with --width-probs",
  },
  {
    name: 'width-probs',
    key: 'widthProbs',
    path: 'training.widthProbs',
    type: 'number',
    list: true,
    min: 0,
    help: "--regime sample: relative probability of drawing each nested width, smallest first",
    defaultHelp: 'uniform',
  },
  {
    name: 'importance',
    key: 'importance',
    path: 'training.importance',
    type: 'number',
    list: true,
    min: 0,
    help: 'relative loss weight per nested width, smallest first',
    defaultHelp: 'all 1',
  },
  {
    name: 'replicas',
    key: 'replicas',
    path: 'training.replicas',
    type: 'int',
    min: 1,
    max: 64,
    help: 'train R copies of the model at once, in the same ops, replica k with seeds --seed + k and --init-seed + k (with --sweep: R per value)',
  },
  {
    name: 'sweep',
    key: 'sweep',
    path: 'training.sweep',
    type: 'string',
    metavar: 'NAME=V1,V2,..',
    help: 'one replica (or --replicas R) per value of lr, weight-decay or dropout, all trained at once, e.g. lr=1e-3,3e-4',
    defaultHelp: 'none',
  },
  {
    name: 'no-decay',
    key: 'noDecay',
    path: 'training.noDecay',
    type: 'choice',
    choices: DECAY_EXCLUSIONS,
    list: true,
    help: 'parameters AdamW does not decay',
    defaultHelp: 'none, as the original',
  },
];

/** Which replica of a run of replicas (--replicas, --sweep) a command reads. */
export const replicaFlag: FlagSpec = { name: 'replica', key: 'replica', type: 'int', min: 0, help: 'which replica of a run of replicas', defaultHelp: '0' };

export const sampleFlags: readonly FlagSpec[] = [
  { ...runFlag, help: 'run directory written by train, or a .safetensors file written by export' },
  replicaFlag,
  {
    name: 'width',
    key: 'width',
    type: 'int',
    min: 1,
    alsoAccepts: ['all'],
    help: 'generate at this nested width, or at every width',
    defaultHelp: "the model's widest",
  },
  { name: 'prompt', key: 'prompt', type: 'string', metavar: 'TEXT', help: 'text to continue' },
  { name: 'tokens', key: 'tokens', type: 'int', min: 1, help: 'tokens to generate' },
  { name: 'temperature', key: 'temperature', type: 'number', min: 0, help: 'softmax temperature (0 behaves as --greedy)' },
  { name: 'top-k', key: 'topK', type: 'int', min: 1, help: 'sample only among the k most likely tokens' },
  seedFlag,
  {
    name: 'draft-width',
    key: 'draftWidth',
    type: 'int',
    min: 1,
    help:
      'speculative decoding (nested runs): this smaller width drafts --draft-tokens ids per round, --width verifies them in one ' +
      "forward; the text follows --width's distribution exactly (with --greedy it is --width's greedy text); statistics on stderr",
    defaultHelp: 'none',
  },
  { name: 'draft-tokens', key: 'draftTokens', type: 'int', min: 1, help: 'with --draft-width: ids drafted per round (k)' },
  {
    name: 'greedy',
    key: 'greedy',
    type: 'bool',
    help: 'always take the most likely token',
    conflicts: {
      temperature: '--greedy always takes the most likely token, which no temperature changes',
      'top-k': '--greedy always takes the most likely token, so there is no choice among the top k',
    },
  },
  generationBackendFlag,
];

export const analyzeFlags: readonly FlagSpec[] = [
  runFlag,
  { ...replicaFlag, help: 'which replica the heat maps and similarities show (the curves and tables cover all)' },
  {
    name: 'raw',
    key: 'raw',
    type: 'bool',
    help: 'compare raw embedding prefixes instead of layer-normalising each prefix first',
  },
  generationBackendFlag,
];

/** The training loop's part of a run's config (config.json's `training`), as `trainFlags` set it. */
export interface TrainingSettings {
  /** The training text. */
  data: string;
  steps: number;
  evalInterval: number;
  evalIters: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Seed of the batches, dropout and evaluation (the weights' seed is the model's). */
  seed: number;
  checkpointEvery: number;
  /** Warm-up steps; with minLr > 0 or any warm-up, the rate follows warm-up + cosine. */
  warmup: number;
  minLr: number;
  /** 0 = no clipping. */
  clipNorm: number;
  /** Relative importance per width, or null for all 1 (regime 'all'). */
  importance: number[] | null;
  /** 'all' (every width every step) or 'sample' (one drawn width per step). */
  regime: Regime;
  /** Regime 'sample': relative probability per width, or null for uniform. */
  widthProbs: number[] | null;
  /** Parameters AdamW does not decay, or null for none. */
  noDecay: DecayExclusion[] | null;
  /** Copies of the model trained at once (per sweep value), replica k seeded by seed + k and the model's seed + k. */
  replicas: number;
  /** `name=v1,v2,...` (lr, weight-decay or dropout): a group of replicas per value; null for none. */
  sweep: string | null;
}

export interface SampleFlags {
  run: string;
  replica?: number;
  width?: number | 'all';
  prompt?: string;
  tokens?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  /** Speculative decoding: the width that drafts (below `width`). */
  draftWidth?: number;
  /** Speculative decoding: ids drafted per round (k). */
  draftTokens?: number;
  greedy?: boolean;
  backend?: BackendChoice;
}

export interface AnalyzeFlags {
  run: string;
  replica?: number;
  raw?: boolean;
  backend?: BackendChoice;
}

/**
 * The training settings every experiment shares (docs/EXPERIMENTS.md, "Data (all experiments)");
 * an app adds its batch size, steps and evaluation interval.
 */
export const COMMON_TRAINING: Omit<TrainingSettings, 'batchSize' | 'steps' | 'evalInterval'> = {
  data: 'data/tinyshakespeare.txt',
  evalIters: TRAIN_DEFAULTS.evalIters,
  lr: ADAMW_DEFAULTS.lr,
  weightDecay: ADAMW_DEFAULTS.weightDecay,
  seed: TRAIN_DEFAULTS.seed,
  checkpointEvery: TRAIN_DEFAULTS.checkpointEvery,
  warmup: 0,
  minLr: 0,
  clipNorm: 0,
  importance: null,
  regime: 'all',
  widthProbs: null,
  noDecay: null,
  replicas: 1,
  sweep: null,
};
