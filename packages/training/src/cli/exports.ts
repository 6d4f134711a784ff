// The command-line layer's public API, re-exported by the package's src/index.ts.
export { UserError, HelpRequested, StoppedEarly, STOPPED_EXIT_CODE, runMain } from './errors';
export type { RunMainIo } from './errors';
export { parseFlags, givenFlags, mergeFlagSpecs, formatUsage, pathOf, getAt } from './flags';
export type { FlagSpec, FlagType, FlagScalar, FlagValue, FlagValues, ParseFlagsOptions } from './flags';
export {
  backendFlag,
  trainBackendFlag,
  generationBackendFlag,
  trainFlags,
  sampleFlags,
  analyzeFlags,
  replicaFlag,
  COMMON_TRAINING,
  DECAY_EXCLUSIONS,
  REGIMES,
} from './common-flags';
export type { TrainingSettings, DecayExclusion, Regime, SampleFlags, AnalyzeFlags } from './common-flags';
export {
  RUN_CONFIG_FILE,
  RUN_FORMAT,
  RUN_FORMAT_VERSION,
  checkRunFormat,
  createRunDir,
  resolveRunDir,
  writeConfig,
  readConfig,
  runTimestamp,
} from './run-dir';
export type { CreateRunDirOptions, RunConfigFile, RunMeta } from './run-dir';
export { lockRunDir, runLockHolder, processAlive, RUN_LOCK_FILE } from './run-lock';
export type { RunLockHolder } from './run-lock';
