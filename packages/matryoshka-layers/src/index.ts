/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
// Public door of @matryoshka/matryoshka-layers.
import './register-tf';
export { nestingWidths, validateWidths, isPowerOfTwo } from './nesting';
export type { Width } from './nesting';
export { LAYER_NORM_EPSILON, layerNormNoAffine, prefix, prefixLayerNorm } from './layer-norm';
export { embeddingLookup } from './embedding';
export { matMul, matMulTransposeB, matMulExplicitTransposeGradient, slowTransposeFlags } from './matmul';
export { tiedHeadWeights, tiedHeadLogits, matryoshkaHeadLogits } from './head';
export type { HeadNormalisation } from './head';
export { crossEntropy, softTargetCrossEntropy, matryoshkaLoss } from './loss';
export type { MatryoshkaLoss, MatryoshkaLossOptions } from './loss';
export {
  selectBackend,
  availableBackends,
  currentBackend,
  describeBackend,
  parseBackendChoice,
  needsOneHotEmbedding,
  backendOrder,
  ONEDNN_MIN_ACTIVATION,
  WASM_MAX_ACTIVATION,
  wantsOneDnn,
  activationSize,
  BACKEND_CHOICES,
  BACKEND_NAMES,
} from './engine';
export type { BackendChoice, SelectBackendOptions, Workload } from './engine';
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors } from './safetensors';
export type { NamedTensorData, SafetensorsContents, WriteSafetensorsOptions, ReadSafetensorsOptions } from './safetensors';
