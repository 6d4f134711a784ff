// Open what `train` (a run directory) or `export` (a .safetensors file) wrote, as a model.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CharTokenizer } from '@matryoshka/tokenizer';
import { MatryoshkaGPT, loadSafetensors } from '@matryoshka/nested-transformer';
import { UserError, assignWeights, readCheckpoint, readConfig } from '@matryoshka/training';
import { upgradeRunConfig, type RunConfig } from './run-config';

export interface LoadedRun {
  /** The run directory, or the exported file. */
  source: string;
  /** The run directory (undefined for an exported file). */
  runDir?: string;
  config: RunConfig;
  tokenizer: CharTokenizer;
  model: MatryoshkaGPT;
  /** Optimiser steps the weights have seen. */
  step: number;
}

/** Metadata key under which `export` stores the run config in a .safetensors file. */
export const EXPORT_RUN_METADATA_KEY = 'matryoshka_run';

export function readRunConfig(runDir: string): RunConfig {
  const config = upgradeRunConfig(readConfig(runDir));
  if (!Array.isArray(config.vocabulary)) throw new UserError(`${join(runDir, 'config.json')}: no "vocabulary" (not a run of these apps?)`);
  return config;
}

export function loadRun(source: string): LoadedRun {
  if (!existsSync(source)) throw new UserError(`--run: ${source} does not exist`);
  if (statSync(source).isFile()) {
    const loaded = loadSafetensors(source);
    const text = loaded.metadata[EXPORT_RUN_METADATA_KEY];
    if (!text) throw new UserError(`${source}: no "${EXPORT_RUN_METADATA_KEY}" metadata (not written by export?)`);
    const config = upgradeRunConfig(JSON.parse(text)) as RunConfig & { step?: number };
    let model = loaded.model;
    if (!('nesting' in JSON.parse(loaded.metadata.config))) {
      // Exported before the model config said how it is nested: its run config says it.
      model = new MatryoshkaGPT({ ...loaded.model.config, nesting: config.model.nesting }, loaded.model.namedVariables());
      loaded.model.dispose();
    }
    return { source, config, tokenizer: new CharTokenizer(config.vocabulary), model, step: config.step ?? 0 };
  }
  const config = readRunConfig(source);
  const checkpoint = readCheckpoint(source);
  const model = new MatryoshkaGPT(config.model);
  assignWeights(model.namedVariables(), checkpoint.weights, join(checkpoint.dir, 'model.safetensors'));
  return { source, runDir: source, config, tokenizer: new CharTokenizer(config.vocabulary), model, step: checkpoint.state.step };
}
