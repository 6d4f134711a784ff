/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
// Public door of @matryoshka/matryoshka-layers: everything of the browser-safe door (browser.ts),
// with Node's backend selection (tfjs-node, wasm, cpu) and safetensors files on disk; Node's
// encodeSafetensors returns a Buffer (the browser's, a Uint8Array).
import './register-tf';
export {
  selectBackend,
  availableBackends,
  describeBackend,
  parseBackendChoice,
  backendOrder,
  ONEDNN_MIN_ACTIVATION,
  WASM_MAX_ACTIVATION,
  wantsOneDnn,
  activationSize,
  BACKEND_CHOICES,
  BACKEND_NAMES,
} from './engine';
export type { BackendChoice, SelectBackendOptions, Workload } from './engine';
export { encodeSafetensors, writeSafetensors, readSafetensors } from './safetensors';
export type { WriteSafetensorsOptions, ReadSafetensorsOptions } from './safetensors';
export * from './browser';
