// A run's settings as stored in config.json: every hyper-parameter, the vocabulary and the seed,
// so that a run is reproducible from config.json alone (docs/ARCHITECTURE.md, "Runs are files").
import { activationSize, type HeadNormalisation } from '@matryoshka/matryoshka-layers';
import type { GPTConfig, Nesting } from '@matryoshka/nested-transformer';

export interface RunSettings {
  /** How the model is nested (docs/EXPERIMENTS.md): 'embedding' (experiments 1-3) or 'width' (4). */
  nesting: Nesting;
  headNormalisation: HeadNormalisation;
  data: string;
  steps: number;
  evalInterval: number;
  evalIters: number;
  batch: number;
  context: number;
  width: number;
  minPower: number;
  layers: number;
  heads: number;
  dropout: number;
  lr: number;
  weightDecay: number;
  /** Seed of batches, dropout and evaluation. */
  seed: number;
  /** Seed of the weight initialisation. */
  modelSeed: number;
  checkpointEvery: number;
  warmup: number;
  minLr: number;
  /** 0 = no clipping. */
  clipNorm: number;
  /** Relative importance per width, or null for all 1. */
  importance: number[] | null;
  /** App-specific settings (hierarchy file, clustering options, ...). */
  [appSetting: string]: unknown;
}

export interface RunConfig extends RunSettings {
  app: string;
  /** The tokenizer's vocabulary: ids are positions here. */
  vocabulary: string[];
}

/** Elements in one training activation tensor of a run: sizes the backend (see selectBackend). */
export function activationSizeOf(settings: Pick<RunSettings, 'batch' | 'context' | 'width'>): number {
  return activationSize(settings.batch, settings.context, settings.width);
}

/** The model part of a run's settings. */
export function modelConfigOf(run: RunConfig): GPTConfig {
  return {
    vocabSize: run.vocabulary.length,
    contextLength: run.context,
    width: run.width,
    layers: run.layers,
    heads: run.heads,
    dropout: run.dropout,
    minPower: run.minPower,
    nesting: run.nesting,
    headNormalisation: run.headNormalisation,
    seed: run.modelSeed,
  };
}
