import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { BatchSampler } from '@matryoshka/tokenizer';
import { AdamW } from './adamw';
import {
  CHECKPOINT_DIR,
  type CheckpointState,
  assignWeights,
  findCheckpointDir,
  readCheckpoint,
  snapshotVariables,
  writeCheckpoint,
} from './checkpoint';
import { clipByGlobalNorm } from './clip';
import { evaluateSplit, stackBatches } from './evaluate';
import { appendMetrics, METRICS_FILE, MetricsRecord, truncateMetrics } from './metrics';
import { estimateEta, ProgressReporter } from './progress';
import { deriveSeed, SEED_STREAMS } from './seeds';
import { drawIndex } from './width-draw';
import type { FlatTrainingState, TrainingTask } from './task';
import { learningRateAt, resolveTrainOptions, ResolvedTrainOptions, StepInfo, TrainOptions } from './train-options';

export interface TrainSummary {
  /** Updates completed when train() returned (counting those before a resume). */
  steps: number;
  /** The step this session started from (0, or the checkpoint's step when resuming). */
  startStep: number;
  /** True when stopped by SIGINT/SIGTERM or hooks.shouldStop before `steps`. */
  stopped: boolean;
  /** The last evaluation of this session (the final one unless stopped). */
  finalEval?: MetricsRecord;
  /** Training tokens per second of this session (evaluation and checkpoint time excluded). */
  tokensPerSecond: number;
  /** Wall-clock seconds of this session. */
  wallSeconds: number;
  /** The checkpoint directory, when runDir was given. */
  checkpointDir?: string;
}

/** A training or evaluation loss that is NaN or infinite. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly width: number | 'total',
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/**
 * The training loop shared by every app: AdamW on task.loss, evaluation at step 0, every
 * evalInterval steps and at the end, metrics.jsonl, atomic checkpoints, exact resume.
 * See TrainOptions for the knobs. Async so that SIGINT can be heard between steps.
 *
 * "Step s" is the state after s updates. Each iteration: evaluate if s % evalInterval == 0
 * (or s == steps); take update s+1; onStep; onEpochEnd at epoch boundaries; checkpoint if
 * (s+1) % checkpointEvery == 0; then stop if asked (SIGINT/SIGTERM/shouldStop: checkpoint,
 * no evaluation). Evaluation batches are seeded by (seed, split, step) and dropout by
 * (seed, step), so a resumed run repeats an uninterrupted one exactly.
 *
 * The task trains R replicas in the same ops (a single model: R = 1): each replica draws its
 * batches, dropout and evaluation batches from its own seed and steps with its own learning
 * rate, weight decay and clipping norm, so that it follows exactly the path it would follow
 * alone. metrics.jsonl holds the replicas' mean losses (`train`, `val`) and, for more than one,
 * each replica's own (`replicas`).
 */
export async function train(task: TrainingTask, userOptions: TrainOptions): Promise<TrainSummary> {
  const run = setUp(task, resolveTrainOptions(userOptions));
  const { options, progress } = run;
  const { steps, hooks } = options;
  const stop = listenForSignals(options.handleSignals, progress);
  try {
    const state = start(run);
    if (task.fusedStep) {
      const decays = Object.keys(task.variables).map((name) => run.optimizer.appliesWeightDecay(name));
      run.fused = { state: run.optimizer.flatState(), decays };
    }
    let stopped = false;
    for (;;) {
      if (state.step % options.evalInterval === 0 || state.step === steps) await evaluate(run, state);
      if (state.step >= steps) break;
      const update = step(run, state);
      await hooks.onStep?.(update);
      if (hooks.onEpochEnd && options.stepsPerEpoch && state.step % options.stepsPerEpoch === 0) {
        syncFused(run); // the hook reads the variables
        await hooks.onEpochEnd(state.step / options.stepsPerEpoch - 1, { step: state.step });
      }
      if (options.checkpointEvery > 0 && state.step % options.checkpointEvery === 0) save(run, state);
      reportProgress(run, state);
      await new Promise<void>((resolve) => setImmediate(resolve)); // let signal handlers run
      if (state.step < steps && (stop.requested() || (await hooks.shouldStop?.({ step: state.step })))) {
        stopped = true;
        break;
      }
    }
    save(run, state);
    progress.finish();
    if (stopped)
      progress.line(
        `stopped at step ${state.step}${options.runDir ? `; resume from ${path.join(options.runDir, CHECKPOINT_DIR)}` : ''}`,
      );
    return summarise(run, state, stopped);
  } finally {
    syncFused(run); // also after an error: the variables hold the last update applied
    progress.finish();
    stop.dispose();
    run.optimizer.dispose();
  }
}

/** What stays fixed through a run: the task, its options and what is built from them. */
interface Run {
  task: TrainingTask;
  options: ResolvedTrainOptions;
  widths: number[];
  /** R, the task's replicas. */
  R: number;
  optimizer: AdamW;
  /** Each replica's training batches. */
  samplers: BatchSampler[];
  variableList: tf.Variable[];
  /** tfjs' internal variable name -> the task's stable name. */
  stableNameOf: Map<string, string>;
  metricsFile?: string;
  progress: ProgressReporter;
  /** Training tokens of one step, every replica's batch counted. */
  tokensPerStep: number;
  /** With the task's fused step: its flat weights and moments (see syncFused) and each variable's weight decay. */
  fused?: { state: FlatTrainingState; decays: boolean[] };
}

/** What the loop changes as it goes (the step, the clocks, the last results). */
interface RunState {
  /** Updates completed. */
  step: number;
  /** The step this session started from (0, or the checkpoint's). */
  startStep: number;
  lastSavedStep: number;
  /** A resumed run's seconds, training seconds and tokens before this session. */
  before: { elapsedSeconds: number; trainingSeconds: number; tokens: number };
  /** performance.now() when this session started. */
  sessionStart: number;
  sessionTrainingSeconds: number;
  /** Training time and tokens since the last evaluation (its tokens per second). */
  interval: { trainingSeconds: number; tokens: number };
  lastEval?: MetricsRecord;
  /** The latest training loss of each width, mean over replicas (a width the sampled regime has not drawn yet: NaN). */
  lastLosses: number[];
}

function setUp(task: TrainingTask, options: ResolvedTrainOptions): Run {
  const { batchSize, contextLength, replicas, runDir } = options;
  const R = task.replicas;
  if (replicas.length !== R)
    throw new Error(`train: the task has ${R} replica(s) but the options give ${replicas.length} replica settings`);
  const widths = [...task.widths];
  if (options.widthProbabilities && options.widthProbabilities.length !== widths.length) {
    throw new Error(
      `train: widthProbabilities has ${options.widthProbabilities.length} values but the task has ${widths.length} widths (${widths.join(', ')})`,
    );
  }
  const variableNames = Object.keys(task.variables);
  if (variableNames.length === 0) throw new Error('train: the task has no variables');
  return {
    task,
    options,
    widths,
    R,
    optimizer: new AdamW(task.variables, {
      weightDecays: replicas.map((replica) => replica.weightDecay),
      betas: options.betas,
      eps: options.eps,
      excludeFromWeightDecay: options.excludeFromWeightDecay,
    }),
    samplers: replicas.map(
      (replica) =>
        new BatchSampler(options.trainData, {
          batchSize,
          contextLength,
          seed: deriveSeed(replica.seed, SEED_STREAMS.trainBatches),
        }),
    ),
    variableList: variableNames.map((name) => task.variables[name]),
    stableNameOf: new Map(variableNames.map((name) => [task.variables[name].name, name])),
    metricsFile: runDir ? path.join(runDir, METRICS_FILE) : undefined,
    progress: new ProgressReporter(options.progress, options.progressStream),
    tokensPerStep: batchSize * contextLength * R,
  };
}

/** The state at step 0, or restored from runDir's checkpoint (every check first, then the writes). */
function start(run: Run): RunState {
  const { options, metricsFile } = run;
  const { runDir, hooks } = options;
  const state: RunState = {
    step: 0,
    startStep: 0,
    lastSavedStep: -1,
    before: { elapsedSeconds: 0, trainingSeconds: 0, tokens: 0 },
    sessionStart: performance.now(),
    sessionTrainingSeconds: 0,
    interval: { trainingSeconds: 0, tokens: 0 },
    lastLosses: run.widths.map(() => NaN),
  };
  if (runDir && options.resume) {
    const checkpoint = options.resumeFrom ?? readCheckpoint(runDir);
    checkResumable(checkpoint.state, options, run.widths, run.R);
    assignWeights(run.task.variables, checkpoint.weights, checkpoint.dir);
    run.optimizer.importState(checkpoint.optimizer);
    run.samplers.forEach((sampler, r) => sampler.setState(checkpoint.state.samplers.train[r]));
    options.extraState?.load(checkpoint.state.extraState);
    const { step, elapsedSeconds, trainingSeconds, tokensSeen } = checkpoint.state;
    Object.assign(state, { step, startStep: step, lastSavedStep: step });
    state.before = { elapsedSeconds, trainingSeconds, tokens: tokensSeen };
    hooks.onStart?.({ step: state.step });
    if (metricsFile) truncateMetrics(metricsFile, state.step);
    run.progress.line(`resumed from ${checkpoint.dir} at step ${state.step}`);
    return state;
  }
  if (runDir) {
    const existing = findCheckpointDir(runDir) ?? (metricsFile && fs.existsSync(metricsFile) ? metricsFile : undefined);
    if (existing)
      throw new Error(`train: ${runDir} already holds a run (${existing}); resume it or choose another directory`);
  }
  hooks.onStart?.({ step: state.step });
  if (runDir) fs.mkdirSync(runDir, { recursive: true });
  return state;
}

/** Wall-clock seconds of the run so far (across resumes). */
function elapsed(state: RunState): number {
  return state.before.elapsedSeconds + (performance.now() - state.sessionStart) / 1000;
}

/** One update (step s -> s+1): the batch, the NaN check, the clocks; what hooks.onStep is told. */
function step(run: Run, state: RunState): StepInfo {
  const { options, widths, R } = run;
  const seed = options.replicas[0].seed;
  const lrs = learningRates(options, state.step);
  const indices = options.widthProbabilities
    ? [drawIndex(options.widthProbabilities, deriveSeed(seed, SEED_STREAMS.widthDraw, state.step))]
    : widths.map((_, i) => i);
  const trained = indices.map((i) => widths[i]);
  const started = performance.now();
  const results = trainStep(run, {
    lrs,
    dropoutSeeds: options.replicas.map((replica) => deriveSeed(replica.seed, SEED_STREAMS.dropout, state.step)),
    widthIndices: options.widthProbabilities ? indices : undefined,
  });
  results.forEach((result, r) => {
    const bad = firstNonFinite(result.loss, result.lossPerWidth, trained);
    if (bad) {
      throw new NonFiniteLossError(
        `training loss is ${bad.value} at step ${state.step + 1} (width ${bad.width}${replicaNote(R, r)}); stopped without applying that update` +
          keptCheckpointNote(options.runDir, state.lastSavedStep),
        state.step + 1,
        bad.width,
      );
    }
  });
  const seconds = (performance.now() - started) / 1000;
  state.sessionTrainingSeconds += seconds;
  state.interval.trainingSeconds += seconds;
  state.interval.tokens += run.tokensPerStep;
  state.step++;
  const lossPerWidth = trained.map((_, k) => mean(results.map((x) => x.lossPerWidth[k])));
  indices.forEach((i, k) => (state.lastLosses[i] = lossPerWidth[k]));
  return {
    step: state.step,
    totalSteps: options.steps,
    lr: lrs[0],
    loss: mean(results.map((x) => x.loss)),
    lossPerWidth,
    widths: trained,
    gradientNorm: options.clipNorm === undefined ? undefined : mean(results.map((x) => x.gradientNorm as number)),
    replicas: results,
  };
}

/** Each replica's learning rate at step s. */
function learningRates(options: ResolvedTrainOptions, s: number): number[] {
  return options.replicas.map((replica) => learningRateAt(s, { lr: replica.lr, ...options.schedule }));
}

/** Evaluate both splits at the current step, tell hooks.onEval, append the metrics line. */
async function evaluate(run: Run, state: RunState): Promise<void> {
  const { task, options, widths, R } = run;
  const { batchSize, contextLength, steps } = options;
  const splits = { train: options.trainData, val: options.valData };
  const streams = { train: SEED_STREAMS.evalTrain, val: SEED_STREAMS.evalVal };
  const results = Object.fromEntries(
    (['train', 'val'] as const).map((split) => {
      const perReplica = evaluateSplit(task, splits[split], {
        batchSize,
        contextLength,
        evalIters: options.evalIters,
        seeds: options.replicas.map((replica) => deriveSeed(replica.seed, streams[split], state.step)),
        fused: run.fused?.state,
      });
      perReplica.forEach((result, r) => {
        const bad = firstNonFinite(result.total, result.perWidth, widths);
        if (bad) {
          throw new NonFiniteLossError(
            `${split} evaluation loss is ${bad.value} at step ${state.step} (width ${bad.width}${replicaNote(R, r)})${keptCheckpointNote(options.runDir, state.lastSavedStep)}`,
            state.step,
            bad.width,
          );
        }
      });
      return [split, perReplica];
    }),
  ) as Record<'train' | 'val', ReturnType<typeof evaluateSplit>>;
  const byWidth = (values: readonly number[]) => Object.fromEntries(widths.map((w, i) => [String(w), values[i]]));
  const lrs = learningRates(options, Math.min(state.step, Math.max(0, steps - 1)));
  const each = options.replicas.map((_, r) => ({
    train: byWidth(results.train[r].perWidth),
    val: byWidth(results.val[r].perWidth),
    trainTotal: results.train[r].total,
    valTotal: results.val[r].total,
    lr: lrs[r],
  }));
  const { interval } = state;
  const record: MetricsRecord = {
    step: state.step,
    train: byWidth(widths.map((_, i) => mean(results.train.map((x) => x.perWidth[i])))),
    val: byWidth(widths.map((_, i) => mean(results.val.map((x) => x.perWidth[i])))),
    trainTotal: mean(results.train.map((x) => x.total)),
    valTotal: mean(results.val.map((x) => x.total)),
    tokensPerSecond: interval.trainingSeconds > 0 ? interval.tokens / interval.trainingSeconds : 0,
    elapsedSeconds: elapsed(state),
    lr: lrs[0],
    // One replica's own losses are the line's; several are listed beside their mean.
    ...(R > 1 ? { replicas: each } : {}),
  };
  if (options.hooks.onEval) syncFused(run); // the fused step evaluated its own copy; the hook reads the variables
  const extra = await options.hooks.onEval?.(record);
  if (extra) Object.assign(record, extra);
  if (run.metricsFile) appendMetrics(run.metricsFile, record);
  run.progress.eval(record, steps);
  state.interval = { trainingSeconds: 0, tokens: 0 };
  state.lastEval = record;
}

/** Write a checkpoint of the current step into runDir (once per step; nothing without runDir). */
function save(run: Run, state: RunState): void {
  const { task, options, optimizer, widths } = run;
  if (!options.runDir || state.lastSavedStep === state.step) return;
  syncFused(run);
  const variables = Object.values(task.variables);
  writeCheckpoint(options.runDir, {
    weights: snapshotVariables(task.variables),
    optimizer: optimizer.exportState(),
    state: {
      step: state.step,
      seed: options.replicas[0].seed,
      batchSize: options.batchSize,
      contextLength: options.contextLength,
      widths,
      samplers: { train: run.samplers.map((sampler) => sampler.getState()) },
      replicas: options.replicas.map((replica) => ({ ...replica })),
      optimizer: {
        name: 'AdamW',
        step: optimizer.step,
        weightDecays: [...optimizer.weightDecays],
        betas: [optimizer.betas[0], optimizer.betas[1]],
        eps: optimizer.eps,
      },
      elapsedSeconds: elapsed(state),
      trainingSeconds: state.before.trainingSeconds + state.sessionTrainingSeconds,
      tokensSeen: state.before.tokens + (state.step - state.startStep) * run.tokensPerStep,
      extraState: options.extraState?.save(),
      parameters: Object.fromEntries(Object.entries(task.variables).map(([name, v]) => [name, [...v.shape]])),
      parameterCount: variables.reduce((sum, v) => sum + v.size, 0),
    },
  });
  state.lastSavedStep = state.step;
}

function reportProgress(run: Run, state: RunState): void {
  const sessionSteps = state.step - state.startStep;
  const { steps } = run.options;
  run.progress.step({
    step: state.step,
    totalSteps: steps,
    widths: run.widths,
    losses: state.lastLosses,
    tokensPerSecond: (sessionSteps * run.tokensPerStep) / Math.max(1e-9, state.sessionTrainingSeconds),
    etaSeconds: estimateEta(sessionSteps, steps - state.startStep, (performance.now() - state.sessionStart) / 1000),
  });
}

function summarise(run: Run, state: RunState, stopped: boolean): TrainSummary {
  const { runDir } = run.options;
  const trained = (state.step - state.startStep) * run.tokensPerStep;
  return {
    steps: state.step,
    startStep: state.startStep,
    stopped,
    finalEval: state.lastEval,
    tokensPerSecond: state.sessionTrainingSeconds > 0 ? trained / state.sessionTrainingSeconds : 0,
    wallSeconds: (performance.now() - state.sessionStart) / 1000,
    checkpointDir: runDir ? path.join(runDir, CHECKPOINT_DIR) : undefined,
  };
}

/** SIGINT/SIGTERM (when handled): the first asks the loop to stop after this step with a checkpoint, the second quits. */
function listenForSignals(handle: boolean, progress: ProgressReporter): { requested(): boolean; dispose(): void } {
  let requested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (requested) {
      progress.line(`${signal} again: quitting without a checkpoint`);
      process.exit(130);
    }
    requested = true;
    progress.line(`${signal}: stopping after this step and writing a checkpoint (again to quit at once)`);
  };
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return {
    requested: () => requested,
    dispose: () => {
      if (!handle) return;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

interface StepResult {
  loss: number;
  lossPerWidth: number[];
  gradientNorm?: number;
}

/** What one update is told: each replica's learning rate and dropout seed, the widths it trains. */
interface StepDraws {
  lrs: readonly number[];
  dropoutSeeds: readonly number[];
  widthIndices?: readonly number[];
}

/**
 * One update: gradients of task.loss by tf.variableGrads, one read-back of the losses (for the
 * NaN check and the log; nothing is applied when one is not finite), optional clipping, AdamW.
 * With the task's fused step, the same in one call on the flat copies. One result per replica.
 */
function trainStep(run: Run, step: StepDraws): StepResult[] {
  const { task, optimizer, R, options } = run;
  const batch = stackBatches(run.samplers.map((sampler) => sampler.next()));
  if (run.fused && task.fusedStep) {
    const { values } = task.fusedStep(
      run.fused.state,
      { ...batch, batchSize: options.batchSize, length: options.contextLength },
      {
        training: true,
        dropoutSeeds: step.dropoutSeeds,
        widthIndices: step.widthIndices,
        update: {
          lrs: step.lrs,
          weightDecays: optimizer.weightDecays,
          betas: optimizer.betas,
          eps: optimizer.eps,
          clipNorm: options.clipNorm,
          decays: run.fused.decays,
        },
      },
    );
    return stepResults(values, values.length / R - 1, R, options.clipNorm !== undefined);
  }
  const shape = [R, options.batchSize, options.contextLength];
  const held: { losses?: tf.Tensor } = {};
  let results: StepResult[] = [];
  try {
    tf.tidy(() => {
      const x = tf.tensor(batch.x, shape, 'int32');
      const y = tf.tensor(batch.y, shape, 'int32');
      const { grads: byInternalName } = tf.variableGrads(() => {
        const loss = task.loss(x, y, {
          training: true,
          dropoutSeeds: step.dropoutSeeds,
          widthIndices: step.widthIndices,
        });
        // (1 + widths, R): the total and each width's loss, each replica's.
        held.losses = tf.keep(tf.stack([loss.total, ...loss.perWidth]));
        // Replicas' parameters are disjoint, so the gradient of their summed losses is each one's own.
        return tf.sum(loss.total) as tf.Scalar;
      }, run.variableList);
      let grads: Record<string, tf.Tensor> = {};
      for (const [internalName, grad] of Object.entries(byInternalName)) {
        if (grad) grads[run.stableNameOf.get(internalName) as string] = grad;
      }
      let normTensor: tf.Tensor | undefined;
      if (options.clipNorm !== undefined) {
        const clipped = clipByGlobalNorm(grads, options.clipNorm, R);
        grads = clipped.grads;
        normTensor = clipped.norm;
      }
      // The one read-back of the step: losses (and the gradient norms when clipping).
      const losses = held.losses as tf.Tensor;
      const readBack = normTensor ? tf.concat([tf.reshape(losses, [-1]), tf.reshape(normTensor, [-1])]) : losses;
      const values = Array.from(readBack.dataSync());
      results = stepResults(values, losses.shape[0] as number, R, normTensor !== undefined);
      if (values.every(Number.isFinite)) optimizer.applyGradients(grads, step.lrs);
    });
  } finally {
    held.losses?.dispose();
  }
  return results;
}

/** Each replica's losses from a step's read-back: `rows` (total, widths...) x R, then R norms when clipping. */
function stepResults(values: ArrayLike<number>, rows: number, R: number, clipping: boolean): StepResult[] {
  return Array.from({ length: R }, (_, r) => {
    const column = Array.from({ length: rows }, (_, k) => values[k * R + r]);
    return {
      loss: column[0],
      lossPerWidth: column.slice(1),
      gradientNorm: clipping ? values[rows * R + r] : undefined,
    };
  });
}

/**
 * After fused steps (the flat copy's t is ahead of AdamW's): write their weights and moments back
 * into the variables and AdamW, which are read next.
 */
function syncFused(run: Run): void {
  if (run.fused && run.fused.state.t !== run.optimizer.step) run.optimizer.setFlatState(run.fused.state);
}

/** The mean of some numbers. */
function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** ", replica r" in messages about a task of several replicas. */
function replicaNote(replicas: number, r: number): string {
  return replicas > 1 ? `, replica ${r}` : '';
}

function firstNonFinite(
  total: number,
  perWidth: readonly number[],
  widths: readonly number[],
): { width: number | 'total'; value: number } | undefined {
  for (let i = 0; i < perWidth.length; i++) {
    if (!Number.isFinite(perWidth[i])) return { width: widths[i], value: perWidth[i] };
  }
  return Number.isFinite(total) ? undefined : { width: 'total', value: total };
}

function keptCheckpointNote(runDir: string | undefined, lastSavedStep: number): string {
  if (!runDir) return '';
  return lastSavedStep >= 0
    ? `; the last good checkpoint (step ${lastSavedStep}) is kept in ${path.join(runDir, CHECKPOINT_DIR)}`
    : '; no checkpoint had been written yet';
}

function checkResumable(
  state: Pick<CheckpointState, 'seed' | 'batchSize' | 'contextLength' | 'widths' | 'step' | 'replicas' | 'samplers'>,
  options: ResolvedTrainOptions,
  widths: number[],
  replicas: number,
): void {
  const mismatch = (field: string, saved: unknown, now: unknown): never => {
    throw new Error(
      `train: cannot resume: the checkpoint has ${field} ${JSON.stringify(saved)} but this run has ${JSON.stringify(now)}`,
    );
  };
  const seed = options.replicas[0].seed;
  if (state.seed !== seed) mismatch('seed', state.seed, seed);
  if (state.replicas.length !== replicas) mismatch('replicas', state.replicas.length, replicas);
  if (JSON.stringify(state.replicas) !== JSON.stringify(options.replicas))
    mismatch('replica settings', state.replicas, options.replicas);
  if (state.batchSize !== options.batchSize) mismatch('batchSize', state.batchSize, options.batchSize);
  if (state.contextLength !== options.contextLength)
    mismatch('contextLength', state.contextLength, options.contextLength);
  if (JSON.stringify(state.widths) !== JSON.stringify(widths)) mismatch('widths', state.widths, widths);
  if (state.step > options.steps) {
    throw new Error(`train: cannot resume: the checkpoint is at step ${state.step}, beyond steps ${options.steps}`);
  }
}
