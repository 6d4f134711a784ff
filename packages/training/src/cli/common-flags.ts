// The flags every app shares (docs/ARCHITECTURE.md, "The command-line contract"). Each app joins
// these with its own (`mergeFlagSpecs(trainFlags, [hierarchyFlag])`) and supplies its defaults.
// The backend names and the power-of-two rule come from matryoshka-layers, their one home. Its door
// loads TensorFlow.js (not a backend: selectBackend does that), which this package's door loads anyway.
import { BACKEND_CHOICES, WASM_MAX_ACTIVATION, backendOrder, isPowerOfTwo, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { UserError } from './errors';
import type { FlagSpec } from './flags';

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

export const trainFlags: readonly FlagSpec[] = [
  { name: 'out', key: 'out', type: 'string', metavar: 'DIR', help: 'run directory to create (default runs/<app>/<timestamp>)' },
  { name: 'resume', key: 'resume', type: 'string', metavar: 'DIR', help: 'continue the run in DIR from its last checkpoint' },
  { name: 'data', key: 'data', type: 'string', metavar: 'FILE', help: 'training text' },
  { name: 'steps', key: 'steps', type: 'int', min: 1, help: 'total optimiser steps' },
  { name: 'eval-interval', key: 'evalInterval', type: 'int', min: 1, help: 'evaluate every N steps' },
  { name: 'eval-iters', key: 'evalIters', type: 'int', min: 1, help: 'batches averaged per evaluation and split' },
  { name: 'batch', key: 'batch', type: 'int', min: 1, help: 'sequences per batch (b)' },
  { name: 'context', key: 'context', type: 'int', min: 1, help: 'context length in tokens (t)' },
  { name: 'width', key: 'width', type: 'int', min: 2, help: 'model width d, a power of two' },
  { name: 'min-power', key: 'minPower', type: 'int', min: 0, max: 30, help: 'smallest nested width is 2^N' },
  { name: 'layers', key: 'layers', type: 'int', min: 1, help: 'transformer blocks (l)' },
  { name: 'heads', key: 'heads', type: 'int', min: 1, help: 'attention heads (h), dividing the width' },
  { name: 'dropout', key: 'dropout', type: 'number', min: 0, max: 0.99, help: 'dropout probability' },
  { name: 'lr', key: 'lr', type: 'number', min: 0, help: 'AdamW learning rate' },
  { name: 'weight-decay', key: 'weightDecay', type: 'number', min: 0, help: 'AdamW weight decay' },
  seedFlag,
  trainBackendFlag,
  { name: 'checkpoint-every', key: 'checkpointEvery', type: 'int', min: 1, help: 'write a checkpoint every N steps' },
  {
    name: 'warmup',
    key: 'warmup',
    type: 'int',
    min: 0,
    help: 'linear learning-rate warm-up steps; any warm-up also turns on the cosine decay to --min-lr',
  },
  {
    name: 'min-lr',
    key: 'minLr',
    type: 'number',
    min: 0,
    help:
      'learning rate at the last step: if above 0 (or with --warmup), the rate falls along a cosine from --lr, ' +
      'after the warm-up, to this value; 0 without --warmup keeps --lr constant',
  },
  { name: 'clip-norm', key: 'clipNorm', type: 'number', min: 0, help: 'clip the global gradient norm (0: no clipping)' },
  {
    name: 'importance',
    key: 'importance',
    type: 'number',
    list: true,
    min: 0,
    help: 'relative loss weight per nested width, smallest first',
    defaultHelp: 'all 1',
  },
];

export const sampleFlags: readonly FlagSpec[] = [
  { ...runFlag, help: 'run directory written by train, or a .safetensors file written by export' },
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
  { name: 'greedy', key: 'greedy', type: 'bool', help: 'always take the most likely token' },
  generationBackendFlag,
];

export const analyzeFlags: readonly FlagSpec[] = [
  runFlag,
  {
    name: 'raw',
    key: 'raw',
    type: 'bool',
    help: 'compare raw embedding prefixes instead of layer-normalising each prefix first',
  },
  generationBackendFlag,
];

/** The config keys of `trainFlags`; values are set by defaults, a config file or flags. */
export interface TrainFlags {
  out?: string;
  resume?: string;
  data?: string;
  steps?: number;
  evalInterval?: number;
  evalIters?: number;
  batch?: number;
  context?: number;
  width?: number;
  minPower?: number;
  layers?: number;
  heads?: number;
  dropout?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  backend?: BackendChoice;
  checkpointEvery?: number;
  warmup?: number;
  minLr?: number;
  clipNorm?: number;
  importance?: number[];
}

export interface SampleFlags {
  run: string;
  width?: number | 'all';
  prompt?: string;
  tokens?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  greedy?: boolean;
  backend?: BackendChoice;
}

export interface AnalyzeFlags {
  run: string;
  raw?: boolean;
  backend?: BackendChoice;
}

/** Shared by every experiment (docs/EXPERIMENTS.md, "Data (all experiments)"). */
export const commonTrainDefaults = {
  data: 'data/tinyshakespeare.txt',
  evalIters: 20,
  lr: 3e-4,
  weightDecay: 0.01,
} as const satisfies TrainFlags;

/**
 * Checks the relations between model flags that no single flag's range can express:
 * the width is a power of two, the smallest nested width 2^minPower fits in it, the heads
 * divide it, and the importance list has one entry per nested width. Throws UserError.
 */
export function checkModelShape(config: Pick<TrainFlags, 'width' | 'minPower' | 'heads' | 'importance'>): void {
  const { width, minPower, heads, importance } = config;
  if (width !== undefined && !isPowerOfTwo(width)) {
    throw new UserError(`--width must be a power of two, got ${width}`);
  }
  if (width !== undefined && minPower !== undefined && 2 ** minPower > width) {
    throw new UserError(`--min-power ${minPower} gives a smallest width of ${2 ** minPower}, larger than --width ${width}`);
  }
  if (width !== undefined && heads !== undefined && width % heads !== 0) {
    throw new UserError(`--heads ${heads} must divide --width ${width}`);
  }
  if (width !== undefined && minPower !== undefined && importance !== undefined) {
    const count = Math.log2(width) - minPower + 1;
    if (importance.length !== count) {
      throw new UserError(
        `--importance has ${importance.length} values but there are ${count} nested widths (2^${minPower} .. ${width})`,
      );
    }
  }
}
