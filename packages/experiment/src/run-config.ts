// A run's config, as config.json holds it: the model's config whole, the training loop's settings,
// the app's own settings and the vocabulary, so that a run is reproducible from config.json alone
// (docs/ARCHITECTURE.md, "Runs are files"). Defaults live in each app (AppDefinition.defaults);
// the rules that relate the parts are checked here, once.
import { activationSize } from '@matryoshka/matryoshka-layers';
import { resolveConfig, type GPTConfig, type ResolvedGPTConfig } from '@matryoshka/nested-transformer';
import { COMMON_TRAINING, UserError, trainFlags, type FlagSpec, type TrainingSettings } from '@matryoshka/training';
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
  return Object.fromEntries(
    [...trainFlags, ...appFlags].filter((f) => f.path?.startsWith('model.')).map((f) => [(f.path as string).slice('model.'.length), `--${f.name}`]),
  );
}

/**
 * The run config of settings and a vocabulary, checked: the model by resolveConfig (the one home
 * of its shape rules; errors name the flag, the shared ones or `appFlags`, that sets the field),
 * and the rules across parts (one importance or width probability per nested width, each for its
 * regime). Throws UserError.
 */
export function makeRunConfig<S extends object>(app: string, run: RunSettings<S>, vocabulary: readonly string[], appFlags: readonly FlagSpec[] = []): RunConfig<S> {
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
    throw new UserError(`--importance has ${importance.length} values but there are ${count} nested widths (2^${model.minPower} .. ${model.width})`);
  }
  if (regime === 'sample' && importance) throw new UserError(`--importance weighs summed losses (--regime all); with --regime sample give --width-probs`);
  if (regime !== 'sample' && widthProbs) throw new UserError(`--width-probs applies to --regime sample (this run's regime is '${regime}')`);
  if (widthProbs && widthProbs.length !== count) {
    throw new UserError(`--width-probs has ${widthProbs.length} values but there are ${count} nested widths (2^${model.minPower} .. ${model.width})`);
  }
  if (widthProbs && !widthProbs.some((p) => p > 0)) throw new UserError(`--width-probs: at least one probability must be above 0`);
  const config: RunConfig<S> = { app, model, training: run.training, settings: run.settings, vocabulary: [...vocabulary] };
  const replicas = replicaPlan(config);
  if (replicas.length > 1 && regime === 'sample') {
    throw new UserError(`--regime sample draws one width per step for the whole batch, which replicas cannot share; use --regime all with --replicas or --sweep`);
  }
  return config;
}

/** Elements in one training activation tensor of a run, all replicas together: sizes the backend (see selectBackend). */
export function activationSizeOf(config: RunConfig): number {
  const replicas = replicaPlan(config).length;
  return activationSize(config.training.batchSize * replicas, config.model.contextLength, config.model.width);
}

/** The training keys of config.json before it held the model config whole (everything else was the app's). */
const FLAT_TRAINING_KEYS: Record<string, keyof TrainingSettings> = {
  data: 'data',
  steps: 'steps',
  evalInterval: 'evalInterval',
  evalIters: 'evalIters',
  batch: 'batchSize',
  lr: 'lr',
  weightDecay: 'weightDecay',
  seed: 'seed',
  checkpointEvery: 'checkpointEvery',
  warmup: 'warmup',
  minLr: 'minLr',
  clipNorm: 'clipNorm',
  importance: 'importance',
  noDecay: 'noDecay',
};

/**
 * A config.json (or export metadata) of any version as today's RunConfig. Runs written before the
 * config held the model whole were one flat object (`width`, `context`, `modelSeed`, `batch`,
 * ..., `trunk: 'full' | 'nested'` for what is now the model's nesting 'embedding' | 'width').
 */
export function upgradeRunConfig(stored: Record<string, unknown>): RunConfig {
  // Runs from before the training regimes trained every width on every step; before replicas, one model.
  const withRegime = (training: object) => ({
    regime: COMMON_TRAINING.regime,
    widthProbs: COMMON_TRAINING.widthProbs,
    replicas: COMMON_TRAINING.replicas,
    sweep: COMMON_TRAINING.sweep,
    ...training,
  });
  if (typeof stored.model === 'object' && stored.model !== null) {
    return { ...stored, training: withRegime(stored.training as object) } as unknown as RunConfig;
  }
  const { app, vocabulary, packageVersion, createdAt, trunk, nesting, ...flat } = stored;
  const take = (key: string) => {
    const value = flat[key];
    delete flat[key];
    return value;
  };
  const vocab = vocabulary as string[];
  const model = {
    vocabSize: Array.isArray(vocab) ? vocab.length : undefined,
    contextLength: take('context'),
    width: take('width'),
    layers: take('layers'),
    heads: take('heads'),
    dropout: take('dropout'),
    minPower: take('minPower'),
    nesting: nesting ?? (trunk === 'nested' ? 'width' : 'embedding'),
    headNormalisation: take('headNormalisation'),
    seed: take('modelSeed'),
  };
  const training = withRegime(Object.fromEntries(Object.entries(FLAT_TRAINING_KEYS).map(([old, key]) => [key, take(old) ?? null])));
  const written = packageVersion === undefined ? {} : { packageVersion, createdAt }; // kept when the run is resumed
  return { app, ...written, model, training, settings: flat, vocabulary } as unknown as RunConfig;
}
