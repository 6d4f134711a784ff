// What the rest of the package asks of the active backend, without choosing one (browser-safe:
// engine.ts chooses in Node, engine-browser.ts in a browser).
import * as tf from '@tensorflow/tfjs-core';

/** The active backend's tfjs name. */
export function currentBackend(): string {
  return tf.getBackend();
}

/** True on the WebAssembly backend, which lacks the gather gradient (UnsortedSegmentSum). */
export function needsOneHotEmbedding(): boolean {
  return tf.getBackend() === 'wasm';
}
