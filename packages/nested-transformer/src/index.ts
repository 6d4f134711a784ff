/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
// Public door of @matryoshka/nested-transformer: MatryoshkaGPT, a GPT whose width can be cut
// at powers of two (docs/EXPERIMENTS.md, "Experiment 1" to "Experiment 4").
export { MatryoshkaGPT, runTrunk, causalMask } from './model';
export type { ForwardOptions, LossOptions, LayerCache, TrunkOptions } from './model';
export {
  EXP1_DEFAULTS,
  EXP4_DEFAULTS,
  DEFAULT_INIT_SEED,
  NESTINGS,
  INIT_SCHEMES,
  resolveConfig,
  configWidths,
  checkMix,
  nestsSubmodels,
  cutsResidualWidth,
} from './config';
export type { GPTConfig, ResolvedGPTConfig, ExperimentDefaults, Nesting, InitScheme } from './config';
export { INIT_STD, initStd, parameterSpecs } from './parameters';
export type { ParameterSpec } from './parameters';
export { submodelAt, mixSubmodel, mixOfWidth, layersAtWidth, formatMix, randomMixes } from './submodels';
export type { Submodel, LayerShape } from './submodels';
export { weightsOf } from './slicing';
export type { BlockWeights, SubmodelWeights } from './slicing';
export { parameterCount, flopsPerToken, forwardFlopsPerToken } from './cost-model';
export { generate } from './generate';
export type { GenerateOptions } from './generate';
export { KVCacheRunner } from './kv-cache';
export { sampleToken, argmax } from './sampling';
export type { SamplingOptions } from './sampling';
export {
  saveSafetensors,
  loadSafetensors,
  loadSafetensorsInto,
  exportWeights,
  importWeights,
  weightFileShapes,
  WEIGHTS_FORMAT,
} from './weights-file';
export type { LoadOptions } from './weights-file';
