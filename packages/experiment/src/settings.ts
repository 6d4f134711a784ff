// The runner's command-line definitions (docs/ARCHITECTURE.md, "The command-line contract"):
// the flags every app shares. Each app joins
// these with its own (`mergeFlagSpecs(trainFlags, [hierarchyFlag])`) and supplies its defaults.
// The backend names come from matryoshka-layers, their one home. The model's shape rules are
// checked where the model is defined (nested-transformer's resolveConfig), not here.
import { BACKEND_CHOICES, WASM_MAX_ACTIVATION, backendOrder } from '@matryoshka/matryoshka-layers';
import { TRAINING_ENGINES } from '@matryoshka/nested-transformer';
import { ADAMW_DEFAULTS, TRAIN_DEFAULTS } from '@matryoshka/training';
import { settingDefaults, type FlagSpec, type FlagsOf, type SettingsAt } from './cli/flags';

/** What weight decay may skip (AdamW decays every parameter by default, as the original did). */
export const DECAY_EXCLUSIONS = ['biases', 'embeddings'] as const;
export type DecayExclusion = (typeof DECAY_EXCLUSIONS)[number];

/** How the widths share the training steps (docs/EXPERIMENTS.md, "Training regimes"). */
export const REGIMES = ['all', 'sample'] as const;
export type Regime = (typeof REGIMES)[number];

const firstThatLoads = (order: readonly string[]) => `the first that loads of ${order.join(', ')}`;

/** `--backend` of a command that names no workload (export): selectBackend's default order. */
export const backendFlag = {
  name: 'backend',
  type: 'choice',
  choices: BACKEND_CHOICES,
  help: 'tensor backend to force; MATRYOSHKA_BACKEND=node|wasm|cpu does the same',
  defaultHelp: firstThatLoads(backendOrder()),
} as const satisfies FlagSpec;

/** `--backend` of training: the order depends on the model's activation size (engine.ts, backendOrder). */
export const trainBackendFlag = {
  ...backendFlag,
  defaultHelp:
    `${firstThatLoads(backendOrder('training', WASM_MAX_ACTIVATION))} when batch x context x width <= ` +
    `${WASM_MAX_ACTIVATION.toLocaleString('en')}, else of ${backendOrder('training').join(', ')}`,
} as const satisfies FlagSpec;

/** `--backend` of sample and analyze, whose work is token-by-token generation. */
export const generationBackendFlag = {
  ...backendFlag,
  defaultHelp: firstThatLoads(backendOrder('generation')),
} as const satisfies FlagSpec;

/** `--engine` of training: the fused native step or the tfjs path (nested-transformer, chooseEngine). */
export const engineFlag = {
  name: 'engine',
  type: 'choice',
  choices: TRAINING_ENGINES,
  help: 'what computes a training step: fused (one native call: forward, backward and AdamW; nesting embedding) or tfjs (the reference)',
  defaultHelp: 'auto: fused wherever it can train the model, else tfjs',
} as const satisfies FlagSpec;

const seedFlag = {
  name: 'seed',
  type: 'int',
  min: 0,
  max: 2 ** 32 - 1,
  help: 'random seed',
} as const satisfies FlagSpec;

const runFlag = {
  name: 'run',
  type: 'string',
  metavar: 'DIR',
  required: true,
  help: 'run directory written by train',
} as const satisfies FlagSpec;

/**
 * The flags every app's `train` shares, each setting defined once: its flag, type, bounds, help,
 * place in the run's config (`path`) and, for the loop's, its default. The model's own fields go
 * under `model` (a GPTConfig, whole), the loop's under `training` (TrainingSettings, derived from
 * these specs); `out`, `resume` and `backend` say how to run, and are not stored.
 */
export const trainFlags = [
  {
    name: 'out',
    type: 'string',
    metavar: 'DIR',
    help: 'run directory to create (default runs/<app>/<timestamp>)',
  },
  {
    name: 'resume',
    type: 'string',
    metavar: 'DIR',
    help: 'continue the run in DIR from its last checkpoint',
  },
  {
    name: 'data',
    path: 'training.data',
    type: 'string',
    metavar: 'FILE',
    default: 'data/tinyshakespeare.txt',
    help: 'training text',
  },
  { name: 'steps', path: 'training.steps', type: 'int', min: 1, help: 'total optimiser steps' },
  {
    name: 'eval-interval',
    path: 'training.evalInterval',
    type: 'int',
    min: 1,
    help: 'evaluate every N steps',
  },
  {
    name: 'eval-iters',
    path: 'training.evalIters',
    type: 'int',
    min: 1,
    default: TRAIN_DEFAULTS.evalIters,
    help: 'batches averaged per evaluation and split',
  },
  { name: 'batch', path: 'training.batchSize', type: 'int', min: 1, help: 'sequences per batch (b)' },
  {
    name: 'context',
    path: 'model.contextLength',
    type: 'int',
    min: 1,
    help: 'context length in tokens (t)',
  },
  { name: 'width', path: 'model.width', type: 'int', min: 2, help: 'model width d, a power of two' },
  {
    name: 'min-power',
    path: 'model.minPower',
    type: 'int',
    min: 0,
    max: 30,
    help: 'smallest nested width is 2^N',
  },
  { name: 'layers', path: 'model.layers', type: 'int', min: 1, help: 'transformer blocks (l)' },
  {
    name: 'heads',
    path: 'model.heads',
    type: 'int',
    min: 1,
    help: 'attention heads (h), dividing the width',
  },
  {
    name: 'dropout',
    path: 'model.dropout',
    type: 'number',
    min: 0,
    max: 0.99,
    help: 'dropout probability',
  },
  {
    name: 'attention-dropout',
    path: 'model.attentionDropout',
    type: 'number',
    min: 0,
    max: 0.99,
    help: "dropout probability on the attention weights (experiment 4's notebook: 0)",
    defaultHelp: '--dropout',
  },
  {
    name: 'init',
    path: 'model.init',
    type: 'choice',
    choices: ['small', 'original'],
    help: "fresh weights: 'small' = every weight and embedding N(0, 0.02), biases 0; 'original' = experiment 4's notebook: embeddings N(0, 1), biases N(0, 0.02)",
  },
  {
    name: 'lr',
    path: 'training.lr',
    type: 'number',
    min: 0,
    default: ADAMW_DEFAULTS.lr,
    help: 'AdamW learning rate',
  },
  {
    name: 'weight-decay',
    path: 'training.weightDecay',
    type: 'number',
    min: 0,
    default: ADAMW_DEFAULTS.weightDecay,
    help: 'AdamW weight decay',
  },
  {
    ...seedFlag,
    path: 'training.seed',
    default: TRAIN_DEFAULTS.seed,
    help: 'seed of the batches, dropout and evaluation',
  },
  { ...seedFlag, name: 'init-seed', path: 'model.seed', help: "seed of the weights' initialisation" },
  trainBackendFlag,
  engineFlag,
  {
    name: 'checkpoint-every',
    path: 'training.checkpointEvery',
    type: 'int',
    min: 1,
    default: TRAIN_DEFAULTS.checkpointEvery,
    help: 'write a checkpoint every N steps',
  },
  {
    name: 'warmup',
    path: 'training.warmup',
    default: 0,
    type: 'int',
    min: 0,
    help: 'linear learning-rate warm-up steps; any warm-up also turns on the cosine decay to --min-lr',
  },
  {
    name: 'min-lr',
    path: 'training.minLr',
    default: 0,
    type: 'number',
    min: 0,
    help:
      'learning rate at the last step: if above 0 (or with --warmup), the rate falls along a cosine from --lr, ' +
      'after the warm-up, to this value; 0 without --warmup keeps --lr constant',
  },
  {
    name: 'clip-norm',
    path: 'training.clipNorm',
    type: 'number',
    min: 0,
    default: 0,
    help: 'clip the global gradient norm (0: no clipping)',
  },
  {
    name: 'regime',
    path: 'training.regime',
    default: 'all',
    type: 'choice',
    choices: REGIMES,
    help: "'all': every nested width on every batch, losses summed; 'sample' (MatFormer): one width per step, drawn with --width-probs",
  },
  {
    name: 'width-probs',
    path: 'training.widthProbs',
    default: null,
    type: 'number',
    list: true,
    min: 0,
    help: '--regime sample: relative probability of drawing each nested width, smallest first',
    defaultHelp: 'uniform',
  },
  {
    name: 'importance',
    path: 'training.importance',
    default: null,
    type: 'number',
    list: true,
    min: 0,
    help: 'relative loss weight per nested width, smallest first',
    defaultHelp: 'all 1',
  },
  {
    name: 'replicas',
    path: 'training.replicas',
    default: 1,
    type: 'int',
    min: 1,
    max: 64,
    help: 'train R copies of the model at once, in the same ops, replica k with seeds --seed + k and --init-seed + k (with --sweep: R per value)',
  },
  {
    name: 'sweep',
    path: 'training.sweep',
    default: null,
    type: 'string',
    metavar: 'NAME=V1,V2,..',
    help: 'one replica (or --replicas R) per value of lr, weight-decay or dropout, all trained at once, e.g. lr=1e-3,3e-4',
    defaultHelp: 'none',
  },
  {
    name: 'no-decay',
    path: 'training.noDecay',
    default: null,
    type: 'choice',
    choices: DECAY_EXCLUSIONS,
    list: true,
    help: 'parameters AdamW does not decay',
    defaultHelp: 'none, as the original',
  },
] as const satisfies readonly FlagSpec[];

/** Which replica of a run of replicas (--replicas, --sweep) a command reads. */
export const replicaFlag = {
  name: 'replica',
  type: 'int',
  min: 0,
  help: 'which replica of a run of replicas',
  defaultHelp: '0',
} as const satisfies FlagSpec;

export const sampleFlags = [
  { ...runFlag, help: 'run directory written by train, or a .safetensors file written by export' },
  replicaFlag,
  {
    name: 'width',
    type: 'int',
    min: 1,
    alsoAccepts: ['all'],
    help: 'generate at this nested width, or at every width',
    defaultHelp: "the model's widest",
  },
  { name: 'prompt', type: 'string', metavar: 'TEXT', help: 'text to continue' },
  { name: 'tokens', type: 'int', min: 1, help: 'tokens to generate' },
  {
    name: 'temperature',
    type: 'number',
    min: 0,
    help: 'softmax temperature (0 behaves as --greedy)',
  },
  { name: 'top-k', type: 'int', min: 1, help: 'sample only among the k most likely tokens' },
  seedFlag,
  {
    name: 'draft-width',
    type: 'int',
    min: 1,
    help:
      'speculative decoding (nested runs): this smaller width drafts --draft-tokens ids per round, --width verifies them in one ' +
      "forward; the text follows --width's distribution exactly (with --greedy it is --width's greedy text); statistics on stderr",
    defaultHelp: 'none',
  },
  {
    name: 'draft-tokens',
    type: 'int',
    min: 1,
    help: 'with --draft-width: ids drafted per round (k)',
  },
  {
    name: 'greedy',
    type: 'bool',
    help: 'always take the most likely token',
    conflicts: {
      temperature: '--greedy always takes the most likely token, which no temperature changes',
      'top-k': '--greedy always takes the most likely token, so there is no choice among the top k',
    },
  },
  generationBackendFlag,
] as const satisfies readonly FlagSpec[];

export const analyzeFlags = [
  runFlag,
  { ...replicaFlag, help: 'which replica the heat maps and similarities show (the curves and tables cover all)' },
  {
    name: 'raw',
    type: 'bool',
    help: 'compare raw embedding prefixes instead of layer-normalising each prefix first',
  },
  generationBackendFlag,
] as const satisfies readonly FlagSpec[];

/** The training loop's part of a run's config (config.json's `training`): the settings `trainFlags` place there, typed by their specs. */
export type TrainingSettings = SettingsAt<typeof trainFlags, 'training'>;

/** What sample's shared flags give, typed by their specs. */
export type SampleFlags = FlagsOf<typeof sampleFlags>;

/** What analyze's shared flags give, typed by their specs. */
export type AnalyzeFlags = FlagsOf<typeof analyzeFlags>;

/**
 * The training settings every experiment shares (docs/EXPERIMENTS.md, "Data (all experiments)"):
 * the defaults trainFlags define; an app adds its batch size, steps and evaluation interval.
 */
export const COMMON_TRAINING = settingDefaults(trainFlags, 'training');
