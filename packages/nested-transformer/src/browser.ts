/// <reference types="long" preserve="true" />
// Browser-safe door of @matryoshka/nested-transformer (the package's "./browser" export):
// everything of the main door but the weight files (saveSafetensors, loadSafetensors); weights
// travel as bytes (encodeModel, decodeModel).
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
export { generate, generateTokens } from './generate';
export type { GenerateOptions } from './generate';
export { KVCacheRunner } from './kv-cache';
export { speculativeGenerate, speculativeTokens, speculativeStep, verifyDrafts } from './speculative';
export type {
  SpeculativeOptions,
  SpeculativeResult,
  SpeculativeStats,
  SpeculativeRound,
  SpeculativeToken,
  SpeculativeKind,
} from './speculative';
export { sampleToken, argmax, samplingDistribution, drawFrom } from './sampling';
export type { SamplingOptions } from './sampling';
export {
  encodeModel,
  decodeModel,
  exportWeights,
  importWeights,
  weightFileShapes,
  WEIGHTS_FORMAT,
} from './weights-codec';
export type { LoadOptions } from './weights-codec';
