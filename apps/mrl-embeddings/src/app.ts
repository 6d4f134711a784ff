// Experiment 1 (docs/EXPERIMENTS.md, "Experiment 1"): a GPT whose tied output head is trained at every prefix width
// at once. Everything is the shared runner with the experiment's defaults; nothing is its own.
import { experimentDefaults, type AppDefinition } from '@matryoshka/experiment';
import { EXP1_DEFAULTS } from '@matryoshka/nested-transformer';

export const mrlEmbeddingsApp: AppDefinition = {
  name: 'mrl-embeddings',
  description: 'Matryoshka embeddings GPT: the tied head is trained at every prefix width (experiment 1).',
  defaults: experimentDefaults(EXP1_DEFAULTS, { steps: 5000, evalInterval: 50 }, {}),
};
