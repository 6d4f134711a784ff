// How an app states its defaults: a model preset of nested-transformer (the experiment's shape
// and batch size), the training settings every experiment shares with the app's steps and
// evaluation interval, and the app's own settings (docs/EXPERIMENTS.md, "Defaults per app").
import type { ExperimentDefaults } from '@matryoshka/nested-transformer';
import { COMMON_TRAINING, type TrainingSettings } from './settings';
import type { RunSettings } from './run-config';

export function experimentDefaults<S extends object>(
  preset: Readonly<ExperimentDefaults>,
  training: Pick<TrainingSettings, 'steps' | 'evalInterval'> & Partial<TrainingSettings>,
  settings: S,
): RunSettings<S> {
  const { batchSize, ...model } = preset;
  return { model, training: { ...COMMON_TRAINING, batchSize, ...training }, settings };
}
