// Experiment 1 (docs/EXPERIMENTS.md, "Experiment 1"): a GPT whose tied output head is trained at every prefix width
// at once. Everything is the shared runner with the experiment's defaults; nothing is its own.
import type { AppDefinition } from '@matryoshka/experiment';

export const mrlEmbeddingsApp: AppDefinition = {
  name: 'mrl-embeddings',
  description: 'Matryoshka embeddings GPT: the tied head is trained at every prefix width (experiment 1).',
};
