import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { BatchSampler } from '@matryoshka/tokenizer';
import { AdamW } from './adamw';
import {
  CHECKPOINT_DIR,
  type CheckpointState,
  checkWeightsMatch,
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
import { learningRateAt } from './schedule';
import { deriveSeed, SEED_STREAMS } from './seeds';
import { drawIndex } from './width-draw';
import type { TrainingTask } from './task';
import { resolveTrainOptions, ResolvedTrainOptions, TrainOptions } from './train-options';

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
 * A task of R replicas (task.replicas, options.replicas) trains them in the same ops: each
 * replica draws its batches, dropout and evaluation batches from its own seed and steps with its
 * own learning rate, weight decay and clipping norm, so that it follows exactly the path it
 * would follow alone. metrics.jsonl then holds each replica's losses (`replicas`) beside their
 * mean (`train`, `val`).
 */
export async function train(task: TrainingTask, userOptions: TrainOptions): Promise<TrainSummary> {
  const options = resolveTrainOptions(userOptions);
  const { steps, batchSize, contextLength, replicas, runDir, hooks } = options;
  const seed = replicas[0].seed;
  const R = task.replicas;
  if (replicas.length !== R) throw new Error(`train: the task has ${R} replica(s) but the options give ${replicas.length} replica settings`);
  const widths = [...task.widths];
  if (options.widthProbabilities && options.widthProbabilities.length !== widths.length) {
    throw new Error(`train: widthProbabilities has ${options.widthProbabilities.length} values but the task has ${widths.length} widths (${widths.join(', ')})`);
  }
  const variableNames = Object.keys(task.variables);
  if (variableNames.length === 0) throw new Error('train: the task has no variables');
  const variableList = variableNames.map((name) => task.variables[name]);
  const stableNameOf = new Map(variableNames.map((name) => [task.variables[name].name, name]));
  const metricsFile = runDir ? path.join(runDir, METRICS_FILE) : undefined;
  const progress = new ProgressReporter(options.progress, options.progressStream);
  const sessionStart = performance.now();

  const trainSamplers = replicas.map(
    (replica) => new BatchSampler(options.trainData, { batchSize, contextLength, seed: deriveSeed(replica.seed, SEED_STREAMS.trainBatches) }),
  );
  const lrsAt = (s: number) => replicas.map((replica) => learningRateAt(s, { lr: replica.lr, ...options.schedule }));
  const optimizer = new AdamW(task.variables, {
    weightDecays: replicas.map((replica) => replica.weightDecay),
    betas: options.betas,
    eps: options.eps,
    excludeFromWeightDecay: options.excludeFromWeightDecay,
  });

  let step = 0;
  let elapsedBefore = 0;
  let trainingSecondsBefore = 0;
  let tokensBefore = 0;
  let lastSavedStep = -1;
  let stopRequested = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) {
      progress.line(`${signal} again: quitting without a checkpoint`);
      process.exit(130);
    }
    stopRequested = true;
    progress.line(`${signal}: stopping after this step and writing a checkpoint (again to quit at once)`);
  };

  try {
    if (runDir) {
      if (options.resume) {
        const checkpoint = options.resumeFrom ?? readCheckpoint(runDir);
        checkResumable(checkpoint.state, options, widths, R);
        checkWeightsMatch(task.variables, checkpoint.weights, checkpoint.dir);
        assignWeights(task.variables, checkpoint.weights, checkpoint.dir);
        optimizer.importState(checkpoint.optimizer);
        const saved = checkpoint.state.samplers.train;
        trainSamplers.forEach((sampler, r) => sampler.setState(saved[r]));
        if (options.extraState) options.extraState.load(checkpoint.state.extraState);
        step = checkpoint.state.step;
        lastSavedStep = step;
        elapsedBefore = checkpoint.state.elapsedSeconds;
        trainingSecondsBefore = checkpoint.state.trainingSeconds;
        tokensBefore = checkpoint.state.tokensSeen;
        hooks.onStart?.({ step });
        if (metricsFile) truncateMetrics(metricsFile, step);
        progress.line(`resumed from ${checkpoint.dir} at step ${step}`);
      } else {
        const existing = findCheckpointDir(runDir) ?? (metricsFile && fs.existsSync(metricsFile) ? metricsFile : undefined);
        if (existing) {
          throw new Error(`train: ${runDir} already holds a run (${existing}); resume it or choose another directory`);
        }
        hooks.onStart?.({ step });
        fs.mkdirSync(runDir, { recursive: true });
      }
    } else {
      hooks.onStart?.({ step });
    }
    if (options.handleSignals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }

    const startStep = step;
    let sessionTrainingSeconds = 0;
    let intervalTrainingSeconds = 0;
    let intervalTokens = 0;
    let lastEval: MetricsRecord | undefined;
    /** The latest training loss of each width, mean over replicas (a width the sampled regime has not drawn yet: NaN). */
    const lastLosses: number[] = widths.map(() => NaN);
    let stopped = false;
    // Training tokens of one step, every replica's batch counted.
    const tokensPerStep = batchSize * contextLength * R;
    const elapsed = (): number => elapsedBefore + (performance.now() - sessionStart) / 1000;

    const save = (): void => {
      if (!runDir || lastSavedStep === step) return;
      writeCheckpoint(runDir, {
        weights: snapshotVariables(task.variables),
        optimizer: optimizer.exportState(),
        state: {
          step,
          seed,
          batchSize,
          contextLength,
          widths,
          samplers: { train: trainSamplers.map((sampler) => sampler.getState()) },
          replicas: replicas.map((replica) => ({ ...replica })),
          optimizer: {
            name: 'AdamW',
            step: optimizer.step,
            weightDecays: [...optimizer.weightDecays],
            betas: [optimizer.betas[0], optimizer.betas[1]],
            eps: optimizer.eps,
          },
          elapsedSeconds: elapsed(),
          trainingSeconds: trainingSecondsBefore + sessionTrainingSeconds,
          tokensSeen: tokensBefore + (step - startStep) * tokensPerStep,
          extraState: options.extraState?.save(),
          parameters: Object.fromEntries(variableNames.map((name) => [name, [...task.variables[name].shape]])),
          parameterCount: variableList.reduce((sum, v) => sum + v.size, 0),
        },
      });
      lastSavedStep = step;
    };

    const evaluate = async (): Promise<void> => {
      const splits = { train: options.trainData, val: options.valData };
      const streams = { train: SEED_STREAMS.evalTrain, val: SEED_STREAMS.evalVal };
      const results = Object.fromEntries(
        (['train', 'val'] as const).map((split) => {
          const perReplica = evaluateSplit(task, splits[split], {
            batchSize,
            contextLength,
            evalIters: options.evalIters,
            seeds: replicas.map((replica) => deriveSeed(replica.seed, streams[split], step)),
          });
          perReplica.forEach((result, r) => {
            const bad = firstNonFinite(result.total, result.perWidth, widths);
            if (bad) {
              throw new NonFiniteLossError(
                `${split} evaluation loss is ${bad.value} at step ${step} (width ${bad.width}${replicaNote(R, r)})${keptCheckpointNote(runDir, lastSavedStep)}`,
                step,
                bad.width,
              );
            }
          });
          return [split, perReplica];
        }),
      ) as Record<'train' | 'val', ReturnType<typeof evaluateSplit>>;
      const byWidth = (values: readonly number[]) => Object.fromEntries(widths.map((w, i) => [String(w), values[i]]));
      const lrs = lrsAt(Math.min(step, Math.max(0, steps - 1)));
      const each = replicas.map((_, r) => ({
        train: byWidth(results.train[r].perWidth),
        val: byWidth(results.val[r].perWidth),
        trainTotal: results.train[r].total,
        valTotal: results.val[r].total,
        lr: lrs[r],
      }));
      const record: MetricsRecord = {
        step,
        train: byWidth(widths.map((_, i) => mean(results.train.map((x) => x.perWidth[i])))),
        val: byWidth(widths.map((_, i) => mean(results.val.map((x) => x.perWidth[i])))),
        trainTotal: mean(results.train.map((x) => x.total)),
        valTotal: mean(results.val.map((x) => x.total)),
        tokensPerSecond: intervalTrainingSeconds > 0 ? intervalTokens / intervalTrainingSeconds : 0,
        elapsedSeconds: elapsed(),
        lr: lrs[0],
        // One replica's own losses are the line's; several are listed beside their mean.
        ...(R > 1 ? { replicas: each } : {}),
      };
      const extra = await hooks.onEval?.(record);
      if (extra) Object.assign(record, extra);
      if (metricsFile) appendMetrics(metricsFile, record);
      progress.eval(record, steps);
      intervalTokens = 0;
      intervalTrainingSeconds = 0;
      lastEval = record;
    };

    for (;;) {
      if (step % options.evalInterval === 0 || step === steps) await evaluate();
      if (step >= steps) break;

      const lrs = lrsAt(step);
      const indices = options.widthProbabilities
        ? [drawIndex(options.widthProbabilities, deriveSeed(seed, SEED_STREAMS.widthDraw, step))]
        : widths.map((_, i) => i);
      const trained = indices.map((i) => widths[i]);
      const started = performance.now();
      const results = trainStep(task, optimizer, trainSamplers, {
        variableList,
        stableNameOf,
        batchSize,
        contextLength,
        lrs,
        clipNorm: options.clipNorm,
        dropoutSeeds: replicas.map((replica) => deriveSeed(replica.seed, SEED_STREAMS.dropout, step)),
        widthIndices: options.widthProbabilities ? indices : undefined,
      });
      results.forEach((result, r) => {
        const bad = firstNonFinite(result.loss, result.lossPerWidth, trained);
        if (bad) {
          throw new NonFiniteLossError(
            `training loss is ${bad.value} at step ${step + 1} (width ${bad.width}${replicaNote(R, r)}); stopped without applying that update` +
              keptCheckpointNote(runDir, lastSavedStep),
            step + 1,
            bad.width,
          );
        }
      });
      const result: StepResult = {
        loss: mean(results.map((x) => x.loss)),
        lossPerWidth: trained.map((_, k) => mean(results.map((x) => x.lossPerWidth[k]))),
        gradientNorm: options.clipNorm === undefined ? undefined : mean(results.map((x) => x.gradientNorm as number)),
      };
      const seconds = (performance.now() - started) / 1000;
      sessionTrainingSeconds += seconds;
      intervalTrainingSeconds += seconds;
      intervalTokens += tokensPerStep;
      step++;
      indices.forEach((i, k) => (lastLosses[i] = result.lossPerWidth[k]));

      await hooks.onStep?.({
        step,
        totalSteps: steps,
        lr: lrs[0],
        loss: result.loss,
        lossPerWidth: result.lossPerWidth,
        widths: trained,
        gradientNorm: result.gradientNorm,
        replicas: results,
      });
      if (options.stepsPerEpoch && step % options.stepsPerEpoch === 0) {
        await hooks.onEpochEnd?.(step / options.stepsPerEpoch - 1, { step });
      }
      if (options.checkpointEvery > 0 && step % options.checkpointEvery === 0) save();
      const sessionSteps = step - startStep;
      progress.step({
        step,
        totalSteps: steps,
        widths,
        losses: lastLosses,
        tokensPerSecond: (sessionSteps * tokensPerStep) / Math.max(1e-9, sessionTrainingSeconds),
        etaSeconds: estimateEta(sessionSteps, steps - startStep, (performance.now() - sessionStart) / 1000),
      });
      // Let signal handlers run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (step < steps && (stopRequested || (await hooks.shouldStop?.({ step })))) {
        stopped = true;
        break;
      }
    }
    save();
    progress.finish();
    if (stopped) progress.line(`stopped at step ${step}${runDir ? `; resume from ${path.join(runDir, CHECKPOINT_DIR)}` : ''}`);
    return {
      steps: step,
      startStep,
      stopped,
      finalEval: lastEval,
      tokensPerSecond: sessionTrainingSeconds > 0 ? ((step - startStep) * tokensPerStep) / sessionTrainingSeconds : 0,
      wallSeconds: (performance.now() - sessionStart) / 1000,
      checkpointDir: runDir ? path.join(runDir, CHECKPOINT_DIR) : undefined,
    };
  } finally {
    progress.finish();
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    optimizer.dispose();
  }
}

interface StepResult {
  loss: number;
  lossPerWidth: number[];
  gradientNorm?: number;
}

/**
 * One update: gradients of task.loss by tf.variableGrads, one read-back of the losses (for the
 * NaN check and the log; nothing is applied when one is not finite), optional clipping, AdamW.
 * One result per replica (a single model: one).
 */
function trainStep(
  task: TrainingTask,
  optimizer: AdamW,
  samplers: readonly BatchSampler[],
  step: {
    variableList: tf.Variable[];
    stableNameOf: Map<string, string>;
    batchSize: number;
    contextLength: number;
    lrs: readonly number[];
    clipNorm?: number;
    dropoutSeeds: readonly number[];
    widthIndices?: readonly number[];
  },
): StepResult[] {
  const R = task.replicas;
  const batch = stackBatches(samplers.map((sampler) => sampler.next()));
  const shape = [R, step.batchSize, step.contextLength];
  const held: { losses?: tf.Tensor } = {};
  let results: StepResult[] = [];
  try {
    tf.tidy(() => {
      const x = tf.tensor(batch.x, shape, 'int32');
      const y = tf.tensor(batch.y, shape, 'int32');
      const { grads: byInternalName } = tf.variableGrads(() => {
        const loss = task.loss(x, y, { training: true, dropoutSeeds: step.dropoutSeeds, widthIndices: step.widthIndices });
        // (1 + widths, R): the total and each width's loss, each replica's.
        held.losses = tf.keep(tf.stack([loss.total, ...loss.perWidth]));
        // Replicas' parameters are disjoint, so the gradient of their summed losses is each one's own.
        return tf.sum(loss.total) as tf.Scalar;
      }, step.variableList);
      let grads: Record<string, tf.Tensor> = {};
      for (const [internalName, grad] of Object.entries(byInternalName)) {
        if (grad) grads[step.stableNameOf.get(internalName) as string] = grad;
      }
      let normTensor: tf.Tensor | undefined;
      if (step.clipNorm !== undefined) {
        const clipped = clipByGlobalNorm(grads, step.clipNorm, R);
        grads = clipped.grads;
        normTensor = clipped.norm;
      }
      // The one read-back of the step: losses (and the gradient norms when clipping).
      const losses = held.losses as tf.Tensor;
      const readBack = normTensor ? tf.concat([tf.reshape(losses, [-1]), tf.reshape(normTensor, [-1])]) : losses;
      const values = Array.from(readBack.dataSync());
      const count = R;
      const rows = losses.shape[0] as number;
      results = Array.from({ length: count }, (_, r) => {
        const column = Array.from({ length: rows }, (_, k) => values[k * count + r]);
        return { loss: column[0], lossPerWidth: column.slice(1), gradientNorm: normTensor ? values[rows * count + r] : undefined };
      });
      if (values.every(Number.isFinite)) optimizer.applyGradients(grads, step.lrs);
    });
  } finally {
    held.losses?.dispose();
  }
  return results;
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
    throw new Error(`train: cannot resume: the checkpoint has ${field} ${JSON.stringify(saved)} but this run has ${JSON.stringify(now)}`);
  };
  const seed = options.replicas[0].seed;
  if (state.seed !== seed) mismatch('seed', state.seed, seed);
  if (state.replicas.length !== replicas) mismatch('replicas', state.replicas.length, replicas);
  if (JSON.stringify(state.replicas) !== JSON.stringify(options.replicas)) mismatch('replica settings', state.replicas, options.replicas);
  if (state.batchSize !== options.batchSize) mismatch('batchSize', state.batchSize, options.batchSize);
  if (state.contextLength !== options.contextLength) mismatch('contextLength', state.contextLength, options.contextLength);
  if (JSON.stringify(state.widths) !== JSON.stringify(widths)) mismatch('widths', state.widths, widths);
  if (state.step > options.steps) {
    throw new Error(`train: cannot resume: the checkpoint is at step ${state.step}, beyond steps ${options.steps}`);
  }
}
