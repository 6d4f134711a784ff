/// <reference types="long" preserve="true" />
// (tfjs-core's typings use the global `Long` of @types/long, a dependency of tfjs-core, without
// referencing it; this makes TypeScript users' builds find it without skipLibCheck.)
// Public door of @matryoshka/nested-transformer: MatryoshkaGPT, a GPT whose width can be cut
// at powers of two (docs/EXPERIMENTS.md, "Experiment 1" to "Experiment 4"). Everything of the
// browser-safe door (browser.ts), plus the weight files on disk.
export { saveSafetensors, loadSafetensors } from './weights-file';
export * from './browser';
export { TRAINING_ENGINES, buildFusedStep, chooseEngine, fusedStep, loadFusedStep, taskFusedStep } from './fused-step';
export type { FusedStepOptions, TrainingEngine } from './fused-step';
