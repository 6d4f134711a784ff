import { DEFAULT_SEED } from '@matryoshka/tokenizer';
import { ADAMW_DEFAULTS } from './adamw';
import type { Checkpoint, ReplicaTraining } from './checkpoint';
import type { MetricsRecord } from './metrics';
import type { ProgressMode, ProgressStream } from './progress';

export type { ReplicaTraining } from './checkpoint';

/** Reported to hooks.onStep after every update. */
export interface StepInfo {
  /** Updates completed (1 after the first). */
  step: number;
  totalSteps: number;
  /** Learning rate used by this update. */
  lr: number;
  /** This batch's total (weighted) loss and the loss of each width it trained (`widths`). */
  loss: number;
  lossPerWidth: number[];
  /** The widths this update trained: all of them, or the one drawn in the sampled regime. */
  widths: number[];
  /** Global gradient norm before clipping (only when clipNorm is set). */
  gradientNorm?: number;
  /** Each replica's own loss, losses per width and norm (the fields above are their means; one replica: its own). */
  replicas: { loss: number; lossPerWidth: number[]; gradientNorm?: number }[];
}

export interface TrainHooks {
  /** After each evaluation; the fields it returns are added to the metrics line. */
  onEval?(record: MetricsRecord): void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
  onStep?(info: StepInfo): void | Promise<void>;
  /** Every stepsPerEpoch steps, with the 0-based index of the epoch that just ended (before the checkpoint). */
  onEpochEnd?(epoch: number, info: { step: number }): void | Promise<void>;
  /** Asked after every step: true stops like SIGINT (checkpoint, then return). */
  shouldStop?(info: { step: number }): boolean | Promise<boolean>;
  /**
   * Once every check has passed (a resumed checkpoint fits the task and the options), before
   * train writes anything into runDir: a caller's own writes (a resumed run's config.json) go
   * here, so that a refused resume leaves the run as it was.
   */
  onStart?(info: { step: number }): void;
}

/** App state saved in checkpoints (e.g. the current hierarchy of the emergent app). */
export interface ExtraState {
  save(): unknown;
  load(state: unknown): void;
}

export interface TrainOptions {
  trainData: Int32Array;
  valData: Int32Array;
  /** Total updates; or give epochs x stepsPerEpoch. */
  steps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  batchSize: number;
  contextLength: number;
  /** Evaluate at step 0, every evalInterval steps and at the end (default 100). */
  evalInterval?: number;
  /** Batches per split per evaluation (default 20). */
  evalIters?: number;
  /** AdamW's betas and eps (defaults: ADAMW_DEFAULTS); learning rate and weight decay are each replica's. */
  betas?: readonly [number, number];
  eps?: number;
  /** Skip weight decay for these parameter names (default: decay everything). */
  excludeFromWeightDecay?: (name: string) => boolean;
  /** Warm-up / cosine decay (default: constant lr). */
  schedule?: ScheduleShape;
  /** Clip gradients to this global L2 norm (default: no clipping). */
  clipNorm?: number;
  /**
   * The sampled regime (MatFormer's): each update trains one width, drawn with these relative
   * probabilities (one per task width; seeded by (seed, step), so a resumed run draws the same).
   * Default: every width on every update, losses summed.
   */
  widthProbabilities?: readonly number[];
  /**
   * One entry per replica of the task (task.replicas = R; a single model is R = 1): its seed
   * (batches, dropout, evaluation batches), learning rate and weight decay. Replica r takes
   * exactly the steps a lone run with its settings would. Default: one replica, DEFAULT_REPLICA.
   */
  replicas?: readonly ReplicaTraining[];
  /** Where metrics.jsonl and checkpoint/ go; without it nothing is written. */
  runDir?: string;
  /** Checkpoint every N steps (default 500; also at the end and on stop). 0 = only at the end and on stop. */
  checkpointEvery?: number;
  /** Continue from runDir's checkpoint. */
  resume?: boolean;
  /** With `resume`: that checkpoint, already read (and its files checked) by the caller; default: read it from runDir. */
  resumeFrom?: Checkpoint;
  hooks?: TrainHooks;
  extraState?: ExtraState;
  /** Default 'none': a library prints nothing unless asked ('auto': a bar on a terminal, lines otherwise). */
  progress?: ProgressMode;
  /** Where progress goes (default process.stderr). */
  progressStream?: ProgressStream;
  /** Stop cleanly on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

/** TrainOptions with every default filled in (resolveTrainOptions); epochs became steps. */
export type ResolvedTrainOptions = Omit<TrainOptions, 'epochs'> &
  Required<
    Pick<
      TrainOptions,
      | 'steps'
      | 'evalInterval'
      | 'evalIters'
      | 'betas'
      | 'eps'
      | 'schedule'
      | 'replicas'
      | 'checkpointEvery'
      | 'resume'
      | 'hooks'
      | 'progress'
      | 'handleSignals'
    >
  >;

/** The loop's defaults, their one home (the command line's come from here: COMMON_TRAINING). */
export const TRAIN_DEFAULTS = {
  evalInterval: 100,
  evalIters: 20,
  seed: DEFAULT_SEED,
  checkpointEvery: 500,
} as const;

/** The replica trained when the options name none: docs/EXPERIMENTS.md's seed, learning rate and weight decay. */
export const DEFAULT_REPLICA: ReplicaTraining = {
  seed: TRAIN_DEFAULTS.seed,
  lr: ADAMW_DEFAULTS.lr,
  weightDecay: ADAMW_DEFAULTS.weightDecay,
};

/** Fill defaults and reject bad values with a message naming the option. */
export function resolveTrainOptions(options: TrainOptions): ResolvedTrainOptions {
  const { epochs, stepsPerEpoch } = options;
  let steps = options.steps;
  if (epochs !== undefined || stepsPerEpoch !== undefined) {
    if (stepsPerEpoch === undefined) throw new Error('train: epochs needs stepsPerEpoch');
    requireInteger('stepsPerEpoch', stepsPerEpoch, 1);
    if (epochs !== undefined) {
      requireInteger('epochs', epochs, 1);
      if (steps !== undefined && steps !== epochs * stepsPerEpoch) {
        throw new Error(`train: steps (${steps}) disagrees with epochs x stepsPerEpoch (${epochs} x ${stepsPerEpoch})`);
      }
      steps = epochs * stepsPerEpoch;
    }
  }
  if (steps === undefined) throw new Error('train: give steps, or epochs and stepsPerEpoch');
  requireInteger('steps', steps, 0);
  requireInteger('batchSize', options.batchSize, 1);
  requireInteger('contextLength', options.contextLength, 1);
  const evalInterval = options.evalInterval ?? TRAIN_DEFAULTS.evalInterval;
  requireInteger('evalInterval', evalInterval, 1);
  const evalIters = options.evalIters ?? TRAIN_DEFAULTS.evalIters;
  requireInteger('evalIters', evalIters, 1);
  const checkpointEvery = options.checkpointEvery ?? TRAIN_DEFAULTS.checkpointEvery;
  requireInteger('checkpointEvery', checkpointEvery, 0);
  const replicas = options.replicas ?? [DEFAULT_REPLICA];
  if (replicas.length === 0) throw new Error('train: replicas must list at least one replica');
  const schedule = options.schedule ?? {};
  replicas.forEach(({ seed, lr, weightDecay }, r) => {
    const which = replicas.length > 1 ? `replica ${r}: ` : '';
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new Error(`train: ${which}seed must be a non-negative integer, got ${seed}`);
    if (!(weightDecay >= 0)) throw new Error(`train: ${which}weightDecay must be >= 0, got ${weightDecay}`);
    validateSchedule({ lr, ...schedule });
  });
  if (options.clipNorm !== undefined && !(options.clipNorm > 0))
    throw new Error(`train: clipNorm must be > 0, got ${options.clipNorm}`);
  for (const [name, data] of [
    ['trainData', options.trainData],
    ['valData', options.valData],
  ] as const) {
    if (!(data instanceof Int32Array) && !ArrayBuffer.isView(data))
      throw new Error(`train: ${name} must be an Int32Array of token ids`);
    if (data.length < options.contextLength + 1) {
      throw new Error(
        `train: ${name} has ${data.length} tokens; contextLength ${options.contextLength} needs at least ${options.contextLength + 1}`,
      );
    }
  }
  if (options.resume && !options.runDir) throw new Error('train: resume needs runDir');
  const sampled = options.widthProbabilities && sampledRegimeProblem(options.widthProbabilities, replicas.length);
  if (sampled)
    throw new Error(
      `train: ${sampled.about === 'probabilities' ? 'widthProbabilities' : 'the sampled regime'} ${sampled.problem}`,
    );
  return {
    ...options,
    steps,
    stepsPerEpoch,
    evalInterval,
    evalIters,
    checkpointEvery,
    replicas,
    betas: options.betas ?? ADAMW_DEFAULTS.betas,
    eps: options.eps ?? ADAMW_DEFAULTS.eps,
    schedule,
    resume: options.resume ?? false,
    hooks: options.hooks ?? {},
    progress: options.progress ?? 'none',
    handleSignals: options.handleSignals ?? true,
  };
}

/**
 * The rules of the sampled regime, in one place for the loop and the command line: what is wrong
 * with these width probabilities for R replicas (the caller names the setting), or undefined.
 */
export function sampledRegimeProblem(
  probabilities: readonly number[],
  replicas: number,
): { about: 'probabilities' | 'replicas'; problem: string } | undefined {
  if (!probabilities.every((p) => Number.isFinite(p) && p >= 0) || !probabilities.some((p) => p > 0)) {
    return {
      about: 'probabilities',
      problem: `must be non-negative with at least one above 0, got [${probabilities.join(', ')}]`,
    };
  }
  if (replicas > 1)
    return { about: 'replicas', problem: 'draws one width per step for the whole batch, which replicas cannot share' };
  return undefined;
}

function requireInteger(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new Error(`train: ${name} must be an integer >= ${min}, got ${value}`);
}

/** Shape of the learning-rate curve; the default (all omitted) is a constant rate. */
export interface ScheduleShape {
  /** Linear warm-up over this many steps, from lr/warmupSteps up to lr (default 0: none). */
  warmupSteps?: number;
  /**
   * Cosine decay from lr (at the end of warm-up) to minLr at this step, minLr after it
   * (default: no decay). Usually the run's total step count.
   */
  decaySteps?: number;
  /** Floor of the cosine decay (default 0). */
  minLr?: number;
}

export interface LearningRateSchedule extends ScheduleShape {
  /** The peak (and, without a schedule, the constant) learning rate. */
  lr: number;
}

/** A field of a LearningRateSchedule, as scheduleProblem names it. */
export type ScheduleField = keyof LearningRateSchedule;

/**
 * What makes the schedule unusable, or undefined. `name` gives each field's name in the message
 * (default: the field's own), so a caller can name the setting a user gave instead.
 */
export function scheduleProblem(
  schedule: LearningRateSchedule,
  name: (field: ScheduleField) => string = (field) => field,
): string | undefined {
  const { lr, warmupSteps = 0, decaySteps, minLr = 0 } = schedule;
  if (!Number.isFinite(lr) || lr < 0) return `${name('lr')} must be a finite number >= 0, got ${lr}`;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0)
    return `${name('warmupSteps')} must be an integer >= 0, got ${warmupSteps}`;
  if (!Number.isFinite(minLr) || minLr < 0 || minLr > lr)
    return `${name('minLr')} must be in [0, ${name('lr')}=${lr}], got ${minLr}`;
  if (decaySteps !== undefined && (!Number.isInteger(decaySteps) || decaySteps < warmupSteps))
    return `${name('decaySteps')} must be an integer >= ${name('warmupSteps')} (${warmupSteps}), got ${decaySteps}`;
  return undefined;
}

/** Throws unless the schedule is usable; names the bad field. */
export function validateSchedule(schedule: LearningRateSchedule): void {
  const problem = scheduleProblem(schedule);
  if (problem) throw new Error(`schedule: ${problem}`);
}

/**
 * Learning rate of the update taken at 0-based `step` (nanoGPT's get_lr, warm-up reaching the
 * full rate on its last step): linear warm-up, then cosine decay to minLr, then minLr.
 */
export function learningRateAt(step: number, schedule: LearningRateSchedule): number {
  const { lr, warmupSteps = 0, decaySteps, minLr = 0 } = schedule;
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  if (decaySteps === undefined) return lr;
  if (step >= decaySteps) return minLr;
  const span = decaySteps - warmupSteps;
  const ratio = (step - warmupSteps) / span;
  return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (lr - minLr);
}
