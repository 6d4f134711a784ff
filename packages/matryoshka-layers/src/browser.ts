/// <reference types="long" preserve="true" />
// Browser-safe door of @matryoshka/matryoshka-layers (the package's "./browser" export): the
// layers, losses and the safetensors codec, without Node (no file access, no tfjs-node); the
// backend is chosen by selectBrowserBackend instead of selectBackend.
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
export type { FlatTrainingState, FusedUpdate } from './fused-state';
export { currentBackend, needsOneHotEmbedding } from './engine-core';
export { selectBrowserBackend } from './engine-browser';
export type {
  BrowserBackendCandidate,
  BrowserBackendChoice,
  BrowserBackendTrial,
  SelectBrowserBackendOptions,
} from './engine-browser';
export { encodeSafetensors, decodeSafetensors } from './safetensors-codec';
export type { NamedTensorData, SafetensorsContents } from './safetensors-codec';
