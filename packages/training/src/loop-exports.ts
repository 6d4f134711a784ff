// Everything of the training loop that the package exports (index.ts re-exports this file).
export { AdamW, ADAMW_DEFAULTS } from './adamw';
export type { AdamWOptions, AdamWState, MomentData } from './adamw';
export { learningRateAt, validateSchedule } from './schedule';
export type { LearningRateSchedule, ScheduleShape } from './schedule';
export { clipByGlobalNorm, replicaNorms } from './clip';
export {
  CHECKPOINT_DIR,
  PREVIOUS_CHECKPOINT_DIR,
  WEIGHTS_FILE,
  OPTIMIZER_FILE,
  STATE_FILE,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  writeCheckpoint,
  readCheckpoint,
  findCheckpointDir,
  checkWeightsMatch,
  assignWeights,
  snapshotVariables,
} from './checkpoint';
export type { Checkpoint, CheckpointState } from './checkpoint';
export { evaluateSplit, stackBatches } from './evaluate';
export type { SplitLoss } from './evaluate';
export { METRICS_FILE, appendMetrics, readMetrics, truncateMetrics } from './metrics';
export type { MetricsRecord, ReplicaLosses } from './metrics';
export {
  ProgressReporter,
  formatDuration,
  formatRate,
  formatLosses,
  formatLossRecord,
  renderBar,
  estimateEta,
  formatProgressBar,
  formatEvalLine,
} from './progress';
export type { ProgressMode, ProgressSnapshot, ProgressStream } from './progress';
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
export { DEFAULT_REPLICA, resolveTrainOptions, sampledRegimeProblem, TRAIN_DEFAULTS } from './train-options';
export type {
  TrainOptions,
  TrainHooks,
  StepInfo,
  ExtraState,
  ResolvedTrainOptions,
  ReplicaTraining,
} from './train-options';
export { createToyTask } from './toy-task';
export type { ToyTaskOptions } from './toy-task';
