// `train`: flags -> run config (config.json) -> model -> the shared training loop.
import type { BackendChoice } from '@matryoshka/matryoshka-layers';
import { useBackend } from './backend';
import {
  MatryoshkaGPT,
  chooseEngine,
  parameterSpecs,
  taskFusedStep,
  type GPTConfig,
  type TrainingEngine,
} from '@matryoshka/nested-transformer';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  METRICS_FILE,
  readCheckpoint,
  readMetrics,
  train,
  type Checkpoint,
  type ProgressMode,
  type TrainSummary,
  type TrainingTask,
} from '@matryoshka/training';
import { UserError } from './cli/errors';
import { getAt, givenFlags, mergeFlagSpecs, parseFlags, keyOf, pathOf } from './cli/flags';
import { RUN_CONFIG_FILE, createRunDir, resolveRunDir, writeConfig } from './run-dir';
import { lockRunDir } from './run-lock';
import { trainFlags, type DecayExclusion } from './settings';
import type { AppDefinition } from './app-definition';
import { loadCorpusData, type CorpusData } from './corpus-data';
import { checkRunApp, readRunConfig } from './load-run';
import { lossCell } from './metrics';
import type * as tf from '@tensorflow/tfjs-core';
import { replicaGroups, replicaPlan } from './replicas';
import {
  activationSizeOf,
  checkSchedule,
  makeRunConfig,
  scheduleOf,
  type RunConfig,
  type RunSettings,
} from './run-config';

/** Settings a resumed run may change (by flag key); everything else is fixed by its config.json. */
const RESUMABLE_CHANGES = new Set(['resume', 'steps', 'backend', 'engine', 'checkpointEvery', 'evalInterval']);

export interface TrainResult<S extends object = object> {
  runDir: string;
  config: RunConfig<S>;
  summary: TrainSummary;
}

/** How `train` talks: status lines on stderr and a progress bar (a library call of runTraining is silent). */
const COMMAND_OUTPUT: RunTrainingOptions = { log: (line) => process.stderr.write(line + '\n'), progress: 'auto' };

export interface RunTrainingOptions {
  /** Status lines (the backend, the run's shape, the final losses); default: none. */
  log?: (line: string) => void;
  /** The training loop's progress (see train's `progress`); default 'none'. */
  progress?: ProgressMode;
  /** With `log`, end with the "Next: ... analyze" hint (default true; false for a caller with its own). */
  suggestNext?: boolean;
}

/** What `train` was asked: a new run's settings, or a run to resume; and how to run it. */
export interface TrainRequest<S extends object = object> {
  run: RunSettings<S>;
  /** The new run's directory (default runs/<app>/<timestamp>). */
  out?: string;
  /** Continue this run (its config.json fixes everything but `changes`). */
  resume?: string;
  /** Flags given with --resume, by key: what may change (steps, evalInterval, checkpointEvery). */
  changes?: Record<string, unknown>;
  backend?: BackendChoice;
  /** What computes a step (default 'auto': chooseEngine). */
  engine?: TrainingEngine;
}

function trainSpecs(app: AppDefinition<object>) {
  return mergeFlagSpecs(trainFlags, app.trainFlags ?? []);
}

/** The weight-decay exclusion predicate for `--no-decay biases,embeddings`. */
export function decayExclusion(
  model: MatryoshkaGPT,
  exclude: readonly DecayExclusion[] | null | undefined,
): ((name: string) => boolean) | undefined {
  if (!exclude?.length) return undefined;
  const kinds = new Map(parameterSpecs(model.config).map((p) => [p.name, p.kind]));
  return (name) =>
    (exclude.includes('biases') && kinds.get(name) === 'bias') ||
    (exclude.includes('embeddings') && name.endsWith('_embedding'));
}

/** Parse `train` flags (the app's defaults < --config file < flags) into a request. */
export function parseTrainSettings<S extends object>(app: AppDefinition<S>, argv: readonly string[]): TrainRequest<S> {
  const specs = trainSpecs(app);
  const parsed = parseFlags(argv, specs, {
    defaults: app.defaults,
    command: `npx nx run ${app.name}:train --`,
    description: app.description,
  });
  const { out, resume, backend, engine, model, training, settings } = parsed;
  return {
    run: { model, training, settings },
    out,
    resume,
    backend,
    engine,
    changes: resume ? givenFlags(argv, specs) : undefined,
  };
}

export async function trainCommand<S extends object>(
  app: AppDefinition<S>,
  argv: readonly string[],
): Promise<TrainResult<S>> {
  return runTraining(app, parseTrainSettings(app, argv), COMMAND_OUTPUT);
}

/**
 * A resumed run's config with the changes its flags ask for. Only RESUMABLE_CHANGES may differ
 * from config.json; any other setting may be given with the value it already has.
 */
function resumedConfig<S extends object>(
  app: AppDefinition<S>,
  runDir: string,
  changes: Record<string, unknown>,
): RunConfig<S> {
  const config = readRunConfig(runDir) as RunConfig<S>;
  checkRunApp(app, 'train', { source: runDir, config }, '--resume');
  const specs = trainSpecs(app).filter((spec) => keyOf(spec) in changes && !RESUMABLE_CHANGES.has(keyOf(spec)));
  const fixed = specs.filter(
    (spec) => JSON.stringify(getAt(config, pathOf(spec))) !== JSON.stringify(changes[keyOf(spec)]),
  );
  if (fixed.length) {
    const recorded = fixed.map(
      (spec) => `--${spec.name} (${JSON.stringify(getAt(config, pathOf(spec))) ?? 'unset'} in config.json)`,
    );
    throw new UserError(
      `--resume: ${recorded.join(', ')} cannot change on resume (fixed by ${join(runDir, RUN_CONFIG_FILE)})`,
    );
  }
  for (const spec of trainSpecs(app)) {
    const [section, field] = pathOf(spec);
    if (keyOf(spec) in changes && section === 'training' && field)
      (config.training as unknown as Record<string, unknown>)[field] = changes[keyOf(spec)];
  }
  return app.finalize ? app.finalize(config, 'resume') : config;
}

/** The checkpoint a resume continues from: read and checked whole, and not beyond the run's steps. */
function resumableCheckpoint(runDir: string, steps: number): Checkpoint {
  let checkpoint: Checkpoint;
  try {
    checkpoint = readCheckpoint(runDir);
  } catch (error) {
    throw new UserError(`--resume: ${(error as Error).message}`);
  }
  if (checkpoint.state.step > steps) {
    throw new UserError(
      `--resume: the checkpoint of ${runDir} is at step ${checkpoint.state.step}, beyond --steps ${steps}; pass --steps ${checkpoint.state.step} or more`,
    );
  }
  return checkpoint;
}

/**
 * Train from a request: a new run in `request.out` (default runs/<app>/<timestamp>), or, with
 * `request.resume`, continue that run. Prints nothing unless `options` asks (the train command does).
 *
 * One trainer at a time holds a run (train.lock). A resume checks everything (its flags, the
 * whole checkpoint, that the model and loop fit it) before it writes anything, so a refused
 * resume leaves every file of the run as it was; a run already at its last step is left alone.
 */
export async function runTraining<S extends object>(
  app: AppDefinition<S>,
  request: TrainRequest<S>,
  options: RunTrainingOptions = {},
): Promise<TrainResult<S>> {
  const run = await openRun(app, request, options.log);
  try {
    return await trainInRunDir(app, request, run, options);
  } finally {
    run.release();
  }
}

/** A run opened for training: every check passed, its lock held. */
interface OpenRun<S extends object> {
  runDir: string;
  config: RunConfig<S>;
  engine: ReturnType<typeof engineFor>;
  /** A resumed run's checkpoint, read and checked whole. */
  checkpoint?: Checkpoint;
  /** A new run's corpus, read once (a resume reads it when it trains). */
  data?: CorpusData;
  release: () => void;
}

/**
 * The run to train in, every check done before the first write: a new run's directory with its
 * config.json written, or the resumed run with the config its flags ask for and its checkpoint
 * (nothing written). The lock is released if opening fails. A new run's backend is chosen here,
 * before its directory exists (a resume, which writes nothing before training, chooses it then).
 */
async function openRun<S extends object>(
  app: AppDefinition<S>,
  request: TrainRequest<S>,
  log: ((line: string) => void) | undefined,
): Promise<OpenRun<S>> {
  if (request.resume) {
    const runDir = resolveRunDir(request.resume);
    const release = lockRunDir(runDir);
    return releasingOnError(release, () => {
      const config = resumedConfig(app, runDir, request.changes ?? {});
      // The engine (from config.json) before any read of the checkpoint.
      const engine = engineFor(config.model, request.engine);
      const checkpoint = resumableCheckpoint(runDir, config.training.steps);
      checkSchedule(config);
      return { runDir, config, engine, checkpoint, release };
    });
  }
  const engine = engineFor(request.run.model, request.engine);
  const corpus = loadCorpusData(request.run.training.data, undefined, request.run.model.contextLength);
  const made = makeRunConfig(app.name, request.run, corpus.tokenizer.vocabulary, app.trainFlags);
  const config = app.finalize ? app.finalize(made, 'new') : made;
  checkSchedule(config);
  await chooseBackend(request, config, log);
  const runDir = createRunDir(app.name, request.out);
  const release = lockRunDir(runDir);
  return releasingOnError(release, () => {
    writeConfig(runDir, config);
    return { runDir, config, engine, data: corpus, release };
  });
}

/** The backend the run trains on (`--backend`, else by its size), printed when `log` is given. */
function chooseBackend<S extends object>(
  request: TrainRequest<S>,
  config: RunConfig<S>,
  log: ((line: string) => void) | undefined,
): Promise<string> {
  return useBackend({ prefer: request.backend, activationSize: activationSizeOf(config) }, log ?? (() => undefined));
}

/** chooseEngine for a run's model, its refusal as a UserError. */
function engineFor(model: Pick<GPTConfig, 'nesting'>, prefer: TrainingEngine | undefined) {
  try {
    return chooseEngine(model, prefer);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
}

function releasingOnError<T>(release: () => void, open: () => T): T {
  try {
    return open();
  } catch (error) {
    release();
    throw error;
  }
}

async function trainInRunDir<S extends object>(
  app: AppDefinition<S>,
  request: TrainRequest<S>,
  { runDir, config, engine, checkpoint, data: corpus }: OpenRun<S>,
  { log = () => undefined, progress = 'none', suggestNext = true }: RunTrainingOptions,
): Promise<TrainResult<S>> {
  if (checkpoint && checkpoint.state.step === config.training.steps) {
    log(
      `${app.name}: ${runDir} is already at its last step (${checkpoint.state.step}); nothing to do (train further with --resume ${runDir} --steps N)`,
    );
    const records = existsSync(join(runDir, METRICS_FILE)) ? readMetrics(join(runDir, METRICS_FILE)) : [];
    const summary: TrainSummary = {
      steps: checkpoint.state.step,
      startStep: checkpoint.state.step,
      stopped: false,
      finalEval: records.at(-1),
      tokensPerSecond: 0,
      wallSeconds: 0,
      checkpointDir: checkpoint.dir,
    };
    return { runDir, config, summary };
  }
  if (checkpoint) await chooseBackend(request, config, log);
  const { model: modelConfig, training } = config;
  const data = corpus ?? loadCorpusData(training.data, config.vocabulary, modelConfig.contextLength);
  const replicas = replicaPlan(config);
  // Trained as R replicas, a run of one model as R = 1.
  const model = new MatryoshkaGPT(replicas.map((r) => r.model));
  const plan = (await app.prepareTraining?.({ runDir, config, model, data, resumed: !!request.resume, log })) ?? {};
  const importance = training.importance ?? undefined;
  log(`engine: ${engine.engine} (${engine.why})`);
  const task: TrainingTask = {
    widths: model.widths,
    variables: model.namedVariables(),
    replicas: replicas.length,
    loss: (x, y, options) => {
      // All widths, or those the step asks for (the sampled regime), with their targets.
      const pick = <T>(perWidth: readonly T[] | undefined) =>
        perWidth && options.widthIndices ? options.widthIndices.map((i) => perWidth[i]) : perWidth;
      return model.loss(x as tf.Tensor3D, y as tf.Tensor3D, {
        training: options.training,
        dropoutSeeds: options.dropoutSeeds,
        widths: pick(model.widths),
        importance: pick(importance),
        targetMatrices: pick(plan.targets?.()),
      });
    },
    fusedStep: engine.engine === 'fused' ? taskFusedStep(model, { importance, targets: plan.targets }) : undefined,
  };
  log(
    `${app.name}: run ${runDir}; d=${modelConfig.width} widths ${model.widths.join('/')} l=${modelConfig.layers} h=${modelConfig.heads} ` +
      `b=${training.batchSize} t=${modelConfig.contextLength}; ${model.parameterCount().toLocaleString('en')} parameters; ${training.steps} steps; ` +
      `nested by ${modelConfig.nesting}${training.regime === 'sample' ? ', one sampled width per step' : ', every width every step'}` +
      (replicas.length > 1 ? `; ${replicas.length} replicas (${replicas.map((r) => r.label).join(', ')})` : ''),
  );
  try {
    const summary = await train(task, {
      trainData: data.train,
      valData: data.val,
      ...(plan.stepsPerEpoch
        ? { epochs: training.steps / plan.stepsPerEpoch, stepsPerEpoch: plan.stepsPerEpoch }
        : { steps: training.steps }),
      batchSize: training.batchSize,
      contextLength: modelConfig.contextLength,
      evalInterval: training.evalInterval,
      evalIters: training.evalIters,
      replicas: replicas.map((r) => r.training),
      excludeFromWeightDecay: decayExclusion(model, training.noDecay),
      schedule: scheduleOf(training),
      clipNorm: training.clipNorm > 0 ? training.clipNorm : undefined,
      widthProbabilities: training.regime === 'sample' ? (training.widthProbs ?? model.widths.map(() => 1)) : undefined,
      runDir,
      checkpointEvery: training.checkpointEvery,
      resume: !!request.resume,
      resumeFrom: checkpoint,
      // A resumed run's config.json changes only once every check of the resume has passed.
      hooks: { ...plan.hooks, onStart: checkpoint ? () => void writeConfig(runDir, config) : undefined },
      progress,
      extraState: plan.extraState,
    });
    const last = summary.finalEval;
    if (last) {
      // Mean ± std over the replicas; in a sweep, over each value's replicas, never across values.
      const perWidth = (members: readonly number[]) =>
        model.widths.map((m) => `${m}: ${lossCell(last, 'val', m, members)}`).join(', ');
      const groups = replicaGroups(replicas);
      const seconds = `${summary.wallSeconds.toFixed(1)} s`;
      if (groups.length === 1)
        log(`${app.name}: step ${summary.steps}, val loss per width ${perWidth(groups[0].members)}; ${seconds}`);
      else {
        log(`${app.name}: step ${summary.steps}, val loss per width of each ${replicas[0].sweep?.name}; ${seconds}`);
        for (const group of groups) log(`  ${group.name}: ${perWidth(group.members)}`);
      }
    }
    if (summary.stopped) log(`${app.name}: stopped at step ${summary.steps}; continue with --resume ${runDir}`);
    else log(`${app.name}: done.${suggestNext ? ` Next: npx nx run ${app.name}:analyze -- --run ${runDir}` : ''}`);
    return { runDir, config, summary };
  } finally {
    plan.dispose?.();
    model.dispose();
  }
}
