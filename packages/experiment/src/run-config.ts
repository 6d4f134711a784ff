// A run's config, as config.json holds it: the model's config whole, the training loop's settings,
// the app's own settings and the vocabulary, so that a run is reproducible from config.json alone
// (docs/ARCHITECTURE.md, "Runs are files"). Defaults live in each app (AppDefinition.defaults);
// the rules that relate the parts are checked here, once.
import { activationSize } from '@matryoshka/matryoshka-layers';
import { resolveConfig, type GPTConfig, type ResolvedGPTConfig } from '@matryoshka/nested-transformer';
import { sampledRegimeProblem, scheduleProblem, type ScheduleField, type ScheduleShape } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { mergeFlagSpecs, type FlagSpec } from './cli/flags';
import { trainFlags, type TrainingSettings } from './settings';
import { replicaPlan } from './replicas';

/** What a run is made from before the corpus is read: the model without its vocabulary size. */
export interface RunSettings<S extends object = object> {
  model: Omit<GPTConfig, 'vocabSize'>;
  training: TrainingSettings;
  /** The app's own settings (a hierarchy file, clustering options, ...). */
  settings: S;
}

export interface RunConfig<S extends object = object> extends RunSettings<S> {
  /** The app that made the run. */
  app: string;
  /** The model's config, whole: a MatryoshkaGPT is built from it as it is. */
  model: ResolvedGPTConfig;
  /** The tokenizer's vocabulary: ids are positions here. */
  vocabulary: string[];
}

/** The flag that sets each model field, for errors a user can act on (`--heads: ...`). */
function modelFlags(appFlags: readonly FlagSpec[]): Record<string, string> {
  const specs: readonly FlagSpec[] = mergeFlagSpecs(trainFlags, appFlags);
  return Object.fromEntries(
    specs.flatMap((f) => (f.path?.startsWith('model.') ? [[f.path.slice('model.'.length), `--${f.name}`]] : [])),
  );
}

/**
 * The run config of settings and a vocabulary, checked: the model by resolveConfig (the one home
 * of its shape rules; errors name the flag, the shared ones or `appFlags`, that sets the field),
 * and the rules across parts (one importance or width probability per nested width, each for its
 * regime). Throws UserError.
 */
export function makeRunConfig<S extends object>(
  app: string,
  run: RunSettings<S>,
  vocabulary: readonly string[],
  appFlags: readonly FlagSpec[] = [],
): RunConfig<S> {
  let model: ResolvedGPTConfig;
  try {
    model = resolveConfig({ ...run.model, vocabSize: vocabulary.length });
  } catch (error) {
    // "GPTConfig.heads (3) must divide ..." -> "--heads (3) must divide ...": the flag the user sets.
    const message = (error as Error).message;
    const field = /^GPTConfig\.(\w+)/.exec(message)?.[1];
    const flags = modelFlags(appFlags);
    throw new UserError(field && flags[field] ? message.replace(`GPTConfig.${field}`, flags[field]) : message);
  }
  const count = Math.log2(model.width) - model.minPower + 1;
  const { importance, regime, widthProbs } = run.training;
  if (importance && importance.length !== count) {
    throw new UserError(
      `--importance has ${importance.length} values but there are ${count} nested widths (2^${model.minPower} .. ${model.width})`,
    );
  }
  if (regime === 'sample' && importance)
    throw new UserError(`--importance weighs summed losses (--regime all); with --regime sample give --width-probs`);
  if (regime !== 'sample' && widthProbs)
    throw new UserError(`--width-probs applies to --regime sample (this run's regime is '${regime}')`);
  if (widthProbs && widthProbs.length !== count) {
    throw new UserError(
      `--width-probs has ${widthProbs.length} values but there are ${count} nested widths (2^${model.minPower} .. ${model.width})`,
    );
  }
  const config: RunConfig<S> = {
    app,
    model,
    training: run.training,
    settings: run.settings,
    vocabulary: [...vocabulary],
  };
  const replicas = replicaPlan(config);
  const sampled = regime === 'sample' && sampledRegimeProblem(widthProbs ?? Array(count).fill(1), replicas.length);
  if (sampled && sampled.about === 'probabilities') throw new UserError(`--width-probs ${sampled.problem}`);
  if (sampled) throw new UserError(`--regime sample ${sampled.problem}; use --regime all with --replicas or --sweep`);
  return config;
}

/**
 * The loop's rules for each replica's learning-rate schedule (scheduleProblem), checked on a
 * run's final config (an app's finalize may set its steps) before anything is written, each
 * field named by the flag that sets it (its spec's path). Throws UserError.
 */
export function checkSchedule(config: Pick<RunConfig, 'model' | 'training'>): void {
  const specs: readonly FlagSpec[] = trainFlags;
  const flagAt = (path: string) => `--${specs.find((spec) => spec.path === path)?.name}`;
  for (const replica of replicaPlan(config)) {
    const names: Record<ScheduleField, string> = {
      lr: replica.sweep?.name === 'lr' ? 'the swept lr' : flagAt('training.lr'),
      minLr: flagAt('training.minLr'),
      warmupSteps: flagAt('training.warmup'),
      // The run's steps, which an app may set from others (emergent: epochs x steps per epoch).
      decaySteps: "the run's steps",
    };
    const problem = scheduleProblem(
      { lr: replica.training.lr, ...scheduleOf(config.training) },
      (field) => names[field],
    );
    if (problem) throw new UserError(replica.sweep ? `${problem} (replica ${replica.label})` : problem);
  }
}

/** The loop's learning-rate schedule of a run: any warm-up or --min-lr decays along a cosine over the run. */
export function scheduleOf(training: TrainingSettings): ScheduleShape | undefined {
  const decays = training.warmup > 0 || training.minLr > 0;
  return decays ? { warmupSteps: training.warmup, decaySteps: training.steps, minLr: training.minLr } : undefined;
}

/** Elements in one training activation tensor of a run, all replicas together: sizes the backend (see selectBackend). */
export function activationSizeOf(config: RunConfig): number {
  const replicas = replicaPlan(config).length;
  return activationSize(config.training.batchSize * replicas, config.model.contextLength, config.model.width);
}
