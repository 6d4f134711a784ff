// The fused training step (native/fused-step.c): forward, backward, clipping and AdamW of the
// embedding-nested model (experiments 1-3) in one native call, on flat copies of the weights and
// moments. Node only. The tfjs path (model.ts) is the reference; this one gives its losses to
// 1e-5 (fused-step.spec.ts) and draws the same dropout masks.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { FlatTrainingState, FusedUpdate } from '@matryoshka/matryoshka-layers';
import type { GPTConfig } from './config';
import { parameterSpecs } from './parameters';
import type { MatryoshkaGPT } from './model';

/** The compiled step, built from native/fused-step.c by `npm install` (native/build.js). */
const FUSED_STEP_BUILD = join(__dirname, '..', 'native', 'build', 'fused-step.node');
const FUSED_STEP_SOURCE = join(__dirname, '..', 'native', 'fused-step.c');

interface Native {
  step(
    dims: Int32Array,
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    x: Int32Array,
    y: Int32Array,
    hyper: Float64Array,
    replicas: Float64Array,
    seeds: Uint32Array,
    decays: Uint8Array,
    widths: Int32Array,
    importance: Float64Array,
    targets: (Float32Array | null)[],
    out: Float32Array,
  ): boolean;
}

let loaded: Native | string | undefined;

/**
 * The native step, or why it cannot be used here: not built (no C compiler at install), or built
 * from an older fused-step.c than the one beside it (a checkout changed it since).
 */
export function loadFusedStep(): Native | string {
  if (loaded !== undefined) return loaded;
  const rebuild = 'npm install builds it: node packages/nested-transformer/native/build.js';
  if (!existsSync(FUSED_STEP_BUILD)) loaded = `is not built here (${rebuild})`;
  else if (existsSync(FUSED_STEP_SOURCE) && statSync(FUSED_STEP_SOURCE).mtimeMs > statSync(FUSED_STEP_BUILD).mtimeMs)
    loaded = `is built from an older native/fused-step.c (${rebuild})`;
  else {
    try {
      const addon = { exports: {} };
      process.dlopen(addon, FUSED_STEP_BUILD);
      loaded = addon.exports as Native;
    } catch (error) {
      loaded = `cannot be loaded from ${FUSED_STEP_BUILD}: ${(error as Error).message}`;
    }
  }
  return loaded;
}

/**
 * Build the native step if it is missing or older than its source (native/build.js, as `npm
 * install` does; a checkout of this repository only). Returns null when it is ready, else why not.
 */
export function buildFusedStep(): string | null {
  const script = join(__dirname, '..', 'native', 'build.js');
  if (!existsSync(script)) return `no build script (${script}): the package as installed ships no C source`;
  const output = execFileSync(process.execPath, [script], { encoding: 'utf8' });
  loaded = undefined;
  const problem = loadFusedStep();
  return typeof problem === 'string' ? `the fused step ${problem}; ${output.trim()}` : null;
}

/** Why the fused step cannot train a model, said of "the fused step" (null: it can). */
export function fusedStepProblem(config: Pick<GPTConfig, 'nesting'>): string | null {
  const nesting = config.nesting ?? 'embedding';
  if (nesting !== 'embedding') return `runs nesting 'embedding' only, not '${nesting}'`;
  const native = loadFusedStep();
  return typeof native === 'string' ? native : null;
}

/** What one step takes besides the batch. */
export interface FusedStepOptions {
  /** Train (dropout on, then the update), or evaluate (the losses only). */
  training: boolean;
  dropoutSeeds: readonly number[];
  /** Indices into the model's widths to compute (default all). */
  widthIndices?: readonly number[];
  /** To train: AdamW's settings and each replica's learning rate and weight decay. */
  update?: FusedUpdate;
  /** c_k per width (default 1). */
  importance?: readonly number[];
  /** Per width (v, v) or (R, v, v) soft targets, or null: hard targets. */
  targetMatrices?: readonly (tf.Tensor | null | undefined)[];
}

/**
 * One update of every replica of `model`'s shape on (R, b, T) ids x, y, in place on `state`
 * (not training: the losses of an evaluation batch, nothing changed).
 * Returns the losses laid out as the tfjs step reads them back, (1 + widths) x R (the weighted
 * total, then each width's), then each replica's gradient norm; `applied` is false when a loss or
 * norm was not finite (nothing updated, as on the tfjs path).
 */
export function fusedStep(
  model: MatryoshkaGPT,
  state: FlatTrainingState,
  batch: { x: Int32Array; y: Int32Array; batchSize: number; length: number },
  options: FusedStepOptions,
): { values: Float32Array; applied: boolean } {
  const { config, configs } = model;
  const problem = fusedStepProblem(config);
  if (problem) throw new Error(`the fused step ${problem}`);
  const native = loadFusedStep() as Native;
  const R = configs.length;
  const indices = options.widthIndices ?? model.widths.map((_, i) => i);
  const grads = scratch(state.params.length);
  const dims = Int32Array.from([
    config.vocabSize,
    config.width,
    config.contextLength,
    config.layers,
    config.heads,
    4 * config.width,
    R,
    batch.batchSize,
    batch.length,
    config.headNormalisation === 'full' ? 1 : 0,
  ]);
  const update = options.update;
  if (options.training && !update) throw new Error('fused step: training needs the update (options.update)');
  const t = state.t + 1;
  const hyper = Float64Array.from([
    t,
    update?.betas[0] ?? 0,
    update?.betas[1] ?? 0,
    update?.eps ?? 0,
    update?.clipNorm ?? 0,
    +options.training,
  ]);
  const replicas = Float64Array.from(
    configs.flatMap((c, r) => [update?.lrs[r] ?? 0, update?.weightDecays[r] ?? 0, c.dropout, c.attentionDropout]),
  );
  const targets = indices.map((i) => {
    const matrix = options.targetMatrices?.[i];
    return matrix ? targetValues(matrix) : null;
  });
  const values = new Float32Array((indices.length + 2) * R);
  const applied = native.step(
    dims,
    state.params,
    grads,
    state.m,
    state.v,
    batch.x,
    batch.y,
    hyper,
    replicas,
    Uint32Array.from(options.dropoutSeeds),
    Uint8Array.from(update?.decays ?? parameterSpecs(config).map(() => false), Number),
    Int32Array.from(indices, (i) => model.widths[i]),
    Float64Array.from(indices, (i) => options.importance?.[i] ?? 1),
    targets,
    values,
  );
  if (applied) state.t = t;
  return { values, applied };
}

// A task's target matrices keep their data for many steps, so each is read back once per data,
// not once per step. The cache is keyed by the tensor's data (dataId), which a new tensor and a
// variable's assign both replace: a changed target is always read again.
const targetData = new WeakMap<object, Float32Array>();
function targetValues(matrix: tf.Tensor): Float32Array {
  let values = targetData.get(matrix.dataId);
  if (!values) targetData.set(matrix.dataId, (values = matrix.dataSync() as Float32Array));
  return values;
}

let grads = new Float32Array(0);
/** The gradient buffer the native step overwrites (one per process: steps run one at a time). */
function scratch(size: number): Float32Array {
  if (grads.length !== size) grads = new Float32Array(size);
  return grads;
}

/** How a run trains: 'fused' (this file), 'tfjs' (model.ts, the reference) or 'auto'. */
export const TRAINING_ENGINES = ['auto', 'fused', 'tfjs'] as const;
export type TrainingEngine = (typeof TRAINING_ENGINES)[number];

/**
 * The engine that trains `config`: asked for, or ('auto') the fused step wherever it runs, since
 * it was faster than tfjs at every size the bench measured (bench --only main-job, --only
 * replicas). Throws when 'fused' is asked for a model it cannot train, naming why.
 */
export function chooseEngine(
  config: Pick<GPTConfig, 'nesting'>,
  prefer: TrainingEngine = 'auto',
): { engine: 'fused' | 'tfjs'; why: string } {
  if (prefer === 'tfjs') return { engine: 'tfjs', why: 'asked for' };
  const problem = fusedStepProblem(config);
  if (problem === null) return { engine: 'fused', why: prefer === 'fused' ? 'asked for' : 'the faster here' };
  if (prefer === 'fused') throw new Error(`--engine fused cannot train this model: the fused step ${problem}`);
  return { engine: 'tfjs', why: `the fused step ${problem}` };
}

/**
 * A training task's fused step for `model` (the loop's FusedStep): the loop's options plus the
 * task's own importance and (current) target matrices.
 */
export function taskFusedStep(
  model: MatryoshkaGPT,
  task: { importance?: readonly number[]; targets?: () => readonly (tf.Tensor | null | undefined)[] | undefined },
) {
  return (
    state: FlatTrainingState,
    batch: { x: Int32Array; y: Int32Array; batchSize: number; length: number },
    options: Omit<FusedStepOptions, 'importance' | 'targetMatrices'>,
  ) => fusedStep(model, state, batch, { ...options, importance: task.importance, targetMatrices: task.targets?.() });
}
