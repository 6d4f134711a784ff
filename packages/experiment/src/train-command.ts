// `train`: flags -> run directory with config.json -> model -> the shared training loop.
import { useBackend } from './backend';
import { MatryoshkaGPT, parameterSpecs, resolveConfig } from '@matryoshka/nested-transformer';
import {
  UserError,
  checkModelShape,
  createRunDir,
  mergeFlagSpecs,
  parseFlags,
  train,
  trainFlags,
  writeConfig,
  type FlagSpec,
  type ProgressMode,
  type TrainSummary,
  type TrainingTask,
} from '@matryoshka/training';
import type { AppDefinition } from './app-definition';
import { loadCorpusData } from './corpus-data';
import { EXPERIMENT_DEFAULTS } from './defaults';
import { readRunConfig } from './load-run';
import { activationSizeOf, modelConfigOf, type RunConfig, type RunSettings } from './run-config';

/** Settings a resumed run may change; everything else is fixed by its config.json. */
const RESUMABLE_CHANGES = new Set(['resume', 'steps', 'backend', 'checkpointEvery', 'evalInterval']);

export interface TrainResult {
  runDir: string;
  config: RunConfig;
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

/** What weight decay may skip (AdamW decays every parameter by default, as the original did). */
export const DECAY_EXCLUSIONS = ['biases', 'embeddings'] as const;

const noDecayFlag: FlagSpec = {
  name: 'no-decay',
  key: 'noDecay',
  type: 'choice',
  choices: DECAY_EXCLUSIONS,
  list: true,
  help: 'parameters AdamW does not decay',
  defaultHelp: 'none, as the original',
};

function trainSpecs(app: AppDefinition) {
  return mergeFlagSpecs(trainFlags, [noDecayFlag], app.trainFlags ?? []);
}

/** The weight-decay exclusion predicate for `--no-decay biases,embeddings`. */
export function decayExclusion(model: MatryoshkaGPT, exclude: readonly string[] | null | undefined): ((name: string) => boolean) | undefined {
  if (!exclude?.length) return undefined;
  const kinds = new Map(parameterSpecs(model.config).map((p) => [p.name, p.kind]));
  return (name) =>
    (exclude.includes('biases') && kinds.get(name) === 'bias') || (exclude.includes('embeddings') && name.endsWith('_embedding'));
}

/** Refuse a model the settings cannot build, before anything is written. */
function checkModelConfig(config: RunConfig): void {
  try {
    resolveConfig(modelConfigOf(config));
  } catch (error) {
    throw new UserError((error as Error).message.replace(/^GPTConfig\./, 'model setting '));
  }
}

/** Parse `train` flags into settings (defaults < --config file < flags). */
export function parseTrainSettings(app: AppDefinition, argv: readonly string[]): RunSettings & { out?: string; resume?: string; backend?: string } {
  const defaults = { ...EXPERIMENT_DEFAULTS[app.name], ...app.defaults };
  const parsed = parseFlags<RunSettings & { out?: string; resume?: string; backend?: string }>(argv, trainSpecs(app), {
    defaults,
    command: `npx nx run ${app.name}:train --`,
    description: app.description,
  });
  checkModelShape({ ...parsed, importance: parsed.importance ?? undefined });
  return app.resolveSettings ? { ...parsed, ...app.resolveSettings(parsed) } : parsed;
}

export async function trainCommand(app: AppDefinition, argv: readonly string[]): Promise<TrainResult> {
  return runTraining(app, parseTrainSettings(app, argv), argv, COMMAND_OUTPUT);
}

/**
 * Train from parsed settings: a new run in `settings.out` (default runs/<app>/<timestamp>), or,
 * with `settings.resume`, continue that run (only `argv`'s resumable flags may change it).
 * Prints nothing unless `options` asks (the train command does).
 */
export async function runTraining(
  app: AppDefinition,
  settings: RunSettings & { out?: string; resume?: string; backend?: string },
  argv: readonly string[] = [],
  { log = () => undefined, progress = 'none', suggestNext = true }: RunTrainingOptions = {},
): Promise<TrainResult> {
  let runDir: string;
  let config: RunConfig;
  if (settings.resume) {
    runDir = settings.resume;
    config = readRunConfig(runDir);
    if (config.app !== app.name) throw new UserError(`--resume: ${runDir} is a run of ${config.app}, not ${app.name}`);
    const given = parseFlags<Record<string, unknown>>(argv, trainSpecs(app), { allowConfigFile: false });
    const fixed = Object.keys(given).filter((key) => !RESUMABLE_CHANGES.has(key));
    if (fixed.length) {
      throw new UserError(`--resume: ${fixed.map((k) => `"${k}"`).join(', ')} cannot change on resume (fixed by ${runDir}/config.json)`);
    }
    for (const key of ['steps', 'checkpointEvery', 'evalInterval'] as const) if (given[key] !== undefined) config[key] = given[key] as number;
    if (given.steps !== undefined && typeof config.stepsPerEpoch === 'number') {
      if (config.steps % config.stepsPerEpoch !== 0) {
        throw new UserError(`--steps ${config.steps} must be a whole number of epochs of ${config.stepsPerEpoch} steps`);
      }
      config.epochs = config.steps / config.stepsPerEpoch;
    }
    writeConfig(runDir, config);
  } else {
    const corpus = loadCorpusData(settings.data);
    const { out: _out, resume: _resume, backend: _backend, ...rest } = settings;
    config = { ...rest, app: app.name, vocabulary: [...corpus.tokenizer.vocabulary] };
    checkModelConfig(config);
    app.checkConfig?.(config);
    runDir = createRunDir(app.name, settings.out);
    writeConfig(runDir, config);
  }
  await useBackend({ prefer: settings.backend as never, activationSize: activationSizeOf(config) }, log);
  const data = loadCorpusData(config.data, config.vocabulary);
  const model = new MatryoshkaGPT(modelConfigOf(config));
  const plan = (await app.prepareTraining?.({ runDir, config, model, data, resumed: !!settings.resume, log })) ?? {};
  const importance = config.importance ?? undefined;
  const task: TrainingTask = {
    widths: model.widths,
    variables: model.namedVariables(),
    loss: (x, y, options) =>
      model.loss(x, y, {
        training: options.training,
        dropoutSeed: options.dropoutSeed,
        importance,
        targetMatrices: plan.targets?.(),
      }),
  };
  log(
    `${app.name}: run ${runDir}; d=${config.width} widths ${model.widths.join('/')} l=${config.layers} h=${config.heads} ` +
      `b=${config.batch} t=${config.context}; ${model.parameterCount().toLocaleString('en')} parameters; ${config.steps} steps`,
  );
  const useSchedule = config.warmup > 0 || config.minLr > 0;
  try {
    const summary = await train(task, {
      trainData: data.train,
      valData: data.val,
      ...(plan.stepsPerEpoch ? { epochs: config.steps / plan.stepsPerEpoch, stepsPerEpoch: plan.stepsPerEpoch } : { steps: config.steps }),
      batchSize: config.batch,
      contextLength: config.context,
      evalInterval: config.evalInterval,
      evalIters: config.evalIters,
      lr: config.lr,
      weightDecay: config.weightDecay,
      excludeFromWeightDecay: decayExclusion(model, config.noDecay as string[] | null),
      schedule: useSchedule ? { warmupSteps: config.warmup, decaySteps: config.steps, minLr: config.minLr } : undefined,
      clipNorm: config.clipNorm > 0 ? config.clipNorm : undefined,
      seed: config.seed,
      runDir,
      checkpointEvery: config.checkpointEvery,
      resume: !!settings.resume,
      hooks: plan.hooks,
      progress,
      extraState: plan.extraState,
    });
    const last = summary.finalEval;
    if (last) {
      const perWidth = model.widths.map((m) => `${m}: ${last.val[String(m)]?.toFixed(3)}`).join(', ');
      log(`${app.name}: step ${summary.steps}, val loss per width ${perWidth}; ${summary.wallSeconds.toFixed(1)} s`);
    }
    if (summary.stopped) log(`${app.name}: stopped at step ${summary.steps}; continue with --resume ${runDir}`);
    else log(`${app.name}: done.${suggestNext ? ` Next: npx nx run ${app.name}:analyze -- --run ${runDir}` : ''}`);
    return { runDir, config, summary };
  } finally {
    plan.dispose?.();
    model.dispose();
  }
}
