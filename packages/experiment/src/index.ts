/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
// Public door of @matryoshka/experiment: the runner behind the four apps.
export { experimentDefaults } from './defaults';
// The command line: one FlagSpec per setting, the parser and the one-line errors.
export { UserError, HelpRequested } from './cli/errors';
export {
  parseFlags,
  givenFlags,
  mergeFlagSpecs,
  formatUsage,
  keyOf,
  pathOf,
  getAt,
  settingDefaults,
} from './cli/flags';
export type {
  FlagSpec,
  FlagType,
  FlagScalar,
  FlagValue,
  FlagValues,
  ParseFlagsOptions,
  ValueOf,
  SettingsAt,
  DefaultsAt,
  FlagsOf,
  ParsedFlags,
} from './cli/flags';
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
} from './settings';
export type { TrainingSettings, DecayExclusion, Regime, SampleFlags, AnalyzeFlags } from './settings';
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
export { makeRunConfig, activationSizeOf } from './run-config';
export { replicaPlan, replicaRunConfig, parseSweep, SWEEPABLE } from './replicas';
export type { Replica, Sweep, SweepName } from './replicas';
export type { RunConfig, RunSettings } from './run-config';
export type {
  AppDefinition,
  AppTrainPlan,
  AppAnalysis,
  TrainContext,
  AnalyzeContext,
  ConfigStage,
} from './app-definition';
export { loadCorpusData } from './corpus-data';
export type { CorpusData } from './corpus-data';
export { checkRunApp, loadRun, readRunConfig, EXPORT_RUN_METADATA_KEY } from './load-run';
export type { LoadedRun, RunReader } from './load-run';
export { trainCommand, parseTrainSettings, runTraining, decayExclusion } from './train-command';
export type { RunTrainingOptions, TrainRequest, TrainResult } from './train-command';
export {
  sampleCommand,
  sampleText,
  sampleTextSpeculative,
  requestedWidths,
  encodePrompt,
  SAMPLE_DEFAULTS,
  UNKNOWN_MODES,
} from './sample-command';
export type { SampleRequest, UnknownMode } from './sample-command';
export { analyzeCommand, hierarchyScoreSection, REPORT_FILE, SIMILARITY_FILE, FIGURES_DIR } from './analyze-command';
export type { AnalyzeResult } from './analyze-command';
export { exportCommand } from './export-command';
export { useBackend } from './backend';
export { runApp, runTarget, targetNames, usage } from './run-app';
export { runMain, StoppedEarly, STOPPED_EXIT_CODE } from './run-main';
export type { RunMainIo } from './run-main';
export { appTargetProblems, helpTexts, helpProblems } from './help-check';
export { similarityAtWidth, prefixVectors, layerNormVector } from './embedding-similarity';
export type { PrefixMode } from './embedding-similarity';
export { groupBlocks, groupsAtWidth, reorder } from './token-order';
export { lossCell, lossSeries, replicaLosses, replicaTable } from './metrics';
export { klFromFullWidth, meanKlDivergence } from './kl-divergence';
export { measureWidthCosts } from './costs';
export type { WidthCost } from './costs';
export {
  hierarchyTargetTensors,
  replicaTargetTensors,
  replicaEmbeddingRows,
  disposeTargets,
  separationByLevel,
  separationAcrossReplicas,
  embeddingRows,
  loadCheckedHierarchy,
} from './hierarchy-targets';
export { runAppCli, WORKSPACE_ROOT } from './app-process';
export type { CliResult } from './app-process';
export { alignColumns, sideBySide, wrapLines } from './side-by-side';
export {
  buildResults,
  hierarchySeparation,
  emergentResults,
  baselineResults,
  readResults,
  resultsProblems,
  comparisonProblems,
  spreadOf,
  pairedDifference,
  spreadVerdict,
  RESULTS_FILE,
  RESULTS_FORMAT,
  RESULTS_VERSION,
  RESULTS_SCHEMA,
  COMPARISON_FORMAT,
} from './results';
export type {
  RunResults,
  ResultsInput,
  AppResults,
  HierarchySeparation,
  EmergentResults,
  EmergentResultsInput,
  NestedResults,
  Stat,
  Keyed,
  Reasons,
} from './results';
export {
  compareCommand,
  compareEntries,
  comparisonTable,
  formatComparison,
  loadEntries,
  COMPARE_HTML,
  COMPARE_JSON,
} from './compare-command';
export type { Comparison, ComparisonTable, ComparisonRow, CompareEntry, MemberValue } from './compare-command';
