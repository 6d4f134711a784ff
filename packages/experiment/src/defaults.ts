// Each experiment's defaults (docs/EXPERIMENTS.md, "Defaults per app"): the model shapes come from nested-transformer's
// presets, the loop's from training; only what is truly per-experiment is written here.
import { EXP1_DEFAULTS, EXP4_DEFAULTS, type ExperimentDefaults } from '@matryoshka/nested-transformer';
import { commonTrainDefaults } from '@matryoshka/training';
import type { RunSettings } from './run-config';

export const APP_NAMES = ['mrl-embeddings', 'imposed', 'emergent', 'nested'] as const;
export type AppName = (typeof APP_NAMES)[number];

function fromModelPreset(preset: Readonly<ExperimentDefaults>) {
  return {
    batch: preset.batchSize,
    context: preset.contextLength,
    width: preset.width,
    heads: preset.heads,
    layers: preset.layers,
    dropout: preset.dropout,
    minPower: preset.minPower,
    nesting: preset.nesting,
    headNormalisation: preset.headNormalisation,
    modelSeed: preset.seed,
  };
}

const COMMON = {
  ...commonTrainDefaults,
  seed: 1337,
  checkpointEvery: 500,
  warmup: 0,
  minLr: 0,
  clipNorm: 0,
  importance: null,
  noDecay: null,
} as const;

const EXP1 = { ...COMMON, ...fromModelPreset(EXP1_DEFAULTS), steps: 5000, evalInterval: 50 } as const;

export const EXPERIMENT_DEFAULTS: Record<AppName, RunSettings> = {
  'mrl-embeddings': { ...EXP1 },
  // Experiment 2: as experiment 1 with widths 2..32, 1000 steps.
  imposed: { ...EXP1, minPower: 1, steps: 1000 },
  // Experiment 3: b=8 t=24, widths 4..32; 40 epochs x 250 steps.
  emergent: { ...EXP1, batch: 8, context: 24, minPower: 2, steps: 40 * 250 },
  nested: { ...COMMON, ...fromModelPreset(EXP4_DEFAULTS), steps: 5000, evalInterval: 100 },
};
