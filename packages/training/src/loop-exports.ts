// Everything of the training loop that the package exports (index.ts re-exports this file).
export { AdamW, ADAMW_DEFAULTS } from './adamw';
export type { AdamWOptions, AdamWState, MomentData } from './adamw';
export { clipByGlobalNorm, replicaNorms } from './clip';
export {
  CHECKPOINT_DIR,
  WEIGHTS_FILE,
  OPTIMIZER_FILE,
  STATE_FILE,
  writeCheckpoint,
  readCheckpoint,
  findCheckpointDir,
  checkWeightsMatch,
  assignWeights,
  snapshotVariables,
} from './checkpoint';
export type { Checkpoint, CheckpointState } from './checkpoint';
export { evaluateSplit } from './evaluate';
export type { SplitLoss } from './evaluate';
export { METRICS_FILE, appendMetrics, readMetrics, truncateMetrics } from './metrics';
export type { MetricsRecord, ReplicaLosses } from './metrics';
export { ProgressReporter } from './progress';
export type { ProgressMode, ProgressStream } from './progress';
export { deriveSeed, SEED_STREAMS } from './seeds';
export type {
  TrainingTask,
  TaskLoss,
  TaskLossOptions,
  FusedStep,
  FusedStepOptions,
  FusedUpdate,
  FlatTrainingState,
} from './task';
export { train, NonFiniteLossError } from './train';
export type { TrainSummary } from './train';
export {
  DEFAULT_REPLICA,
  learningRateAt,
  resolveTrainOptions,
  sampledRegimeProblem,
  scheduleProblem,
  TRAIN_DEFAULTS,
  validateSchedule,
} from './train-options';
export type {
  TrainOptions,
  TrainHooks,
  StepInfo,
  ExtraState,
  ResolvedTrainOptions,
  ReplicaTraining,
  LearningRateSchedule,
  ScheduleField,
  ScheduleShape,
} from './train-options';
export { createToyTask } from './toy-task';
export type { ToyTaskOptions } from './toy-task';
