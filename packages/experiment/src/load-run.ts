// Open what `train` (a run directory) or `export` (a .safetensors file) wrote, as a model.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CharTokenizer } from '@matryoshka/tokenizer';
import { MatryoshkaGPT, loadSafetensors } from '@matryoshka/nested-transformer';
import { assignWeights, readCheckpoint } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { RUN_CONFIG_FILE, checkRunFormat, readConfig } from './run-dir';
import { replicaGroups, replicaPlan, replicaRunConfig, type Replica } from './replicas';
import type { RunConfig } from './run-config';

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
  /**
   * A run of replicas: its plan, which replica `model` is, the group pooled with it (its sweep
   * value's replicas, all of them without a sweep), and those replicas' token embedding rows
   * (v x d each) in the order of `group.members`.
   */
  replicas?: { plan: Replica[]; index: number; group: { name: string; members: number[] }; embeddings: number[][][] };
}

/** Metadata key under which `export` stores the run config in a .safetensors file. */
export const EXPORT_RUN_METADATA_KEY = 'matryoshka_run';

export function readRunConfig(runDir: string): RunConfig {
  const config = readConfig(runDir) as unknown as RunConfig;
  if (!Array.isArray(config.vocabulary))
    throw new UserError(`${join(runDir, 'config.json')}: no "vocabulary" (not a run of these apps?)`);
  return config;
}

/**
 * Refuses a run that another app made: its settings, files and report are that app's, so only
 * that app's commands read it (checked where a command has loaded the run, before it writes).
 * One line naming both apps and the command to use, e.g. `--run R is a run of nested, not
 * emergent: use npx nx run nested:analyze -- --run R`. `target` is the command being run
 * (analyze, sample, export, ...); `flag` the flag that named the run.
 */
export function checkRunApp(
  app: { name: string; commands?: Record<string, unknown> },
  target: string,
  run: Pick<LoadedRun, 'source' | 'config'>,
  flag = '--run',
): void {
  const maker: unknown = run.config.app;
  if (maker === app.name) return;
  // The shared commands are every app's; an app's own (nested's export, mix) may not be the other's.
  const instead =
    typeof maker === 'string' && !(target in (app.commands ?? {}))
      ? `use npx nx run ${maker}:${target} -- ${flag} ${run.source}`
      : `${app.name}:${target} reads only runs of ${app.name}`;
  throw new UserError(
    `${flag} ${run.source} is ${typeof maker === 'string' ? `a run of ${maker}` : 'a run that names no app'}, not of ${app.name}: ${instead}`,
  );
}

// An exported model; a file that is not one is named for what it is (a JSON file, a run's
// config.json) rather than reported as a corrupted model.
function loadExported(source: string): ReturnType<typeof loadSafetensors> {
  try {
    return loadSafetensors(source);
  } catch (error) {
    const expected = 'give a run directory (written by train) or an exported .safetensors file (written by export)';
    if (looksLikeJson(source)) {
      const hint =
        basename(source) === RUN_CONFIG_FILE ? `; for the run whose config this is: --run ${dirname(source)}` : '';
      throw new UserError(`--run ${source} is a JSON file, not a model: ${expected}${hint}`);
    }
    if (!source.endsWith('.safetensors'))
      throw new UserError(`--run ${source} is neither a run directory nor a .safetensors file: ${expected}`);
    throw error;
  }
}

function looksLikeJson(file: string): boolean {
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/** The command that loads a run, checked against the app that made it (checkRunApp). */
export interface RunReader {
  app: { name: string; commands?: Record<string, unknown> };
  target: string;
}

/**
 * A run directory or exported file as a model. A run of replicas gives replica `replica`
 * (default 0) as a single model, with a config of its own settings (replicaRunConfig). With
 * `reader`, a run of another app is refused as soon as its config is read (before the
 * checkpoint of a run directory is).
 */
export function loadRun(source: string, replica?: number, reader?: RunReader): LoadedRun {
  const check = (config: RunConfig) => reader && checkRunApp(reader.app, reader.target, { source, config });
  if (!existsSync(source)) throw new UserError(`--run: ${source} does not exist`);
  if (statSync(source).isFile()) {
    if (replica !== undefined) throw new UserError(`--replica: ${source} is an exported model, not a run of replicas`);
    const loaded = loadExported(source);
    const text = loaded.metadata[EXPORT_RUN_METADATA_KEY];
    if (!text) throw new UserError(`${source}: no "${EXPORT_RUN_METADATA_KEY}" metadata (not written by export?)`);
    const config = JSON.parse(text) as RunConfig & { step?: number };
    try {
      checkRunFormat(`${source} (its ${EXPORT_RUN_METADATA_KEY} metadata)`, config);
      check(config);
    } catch (error) {
      loaded.model.dispose();
      throw error;
    }
    return {
      source,
      config,
      tokenizer: new CharTokenizer(config.vocabulary),
      model: loaded.model,
      step: config.step ?? 0,
    };
  }
  const config = readRunConfig(source);
  check(config);
  const checkpoint = readCheckpoint(source);
  const plan = replicaPlan(config);
  const weightsFile = join(checkpoint.dir, 'model.safetensors');
  const tokenizer = new CharTokenizer(config.vocabulary);
  const index = replica ?? 0;
  if (!Number.isInteger(index) || index < 0 || index >= plan.length) {
    const holds =
      plan.length === 1
        ? 'is a run of one model (replica 0 only)'
        : `holds replicas 0..${plan.length - 1} (${plan.map((r) => `${r.index}: ${r.label}`).join(', ')})`;
    throw new UserError(`--replica ${index}: ${source} ${holds}`);
  }
  // A run holds R replicas (a run of one model: R = 1); `model` is one of them.
  const all = new MatryoshkaGPT(plan.map((r) => r.model));
  try {
    assignWeights(all.namedVariables(), checkpoint.weights, weightsFile);
    const loaded = { source, runDir: source, tokenizer, model: all.replica(index), step: checkpoint.state.step };
    if (plan.length === 1) return { ...loaded, config };
    const embedding = checkpoint.weights['token_embedding'];
    const [, v, d] = embedding.shape;
    const group = replicaGroups(plan).find((g) => g.members.includes(index)) as { name: string; members: number[] };
    const embeddings = group.members.map((r) =>
      Array.from({ length: v }, (_, i) => Array.from(embedding.values.subarray((r * v + i) * d, (r * v + i + 1) * d))),
    );
    return { ...loaded, config: replicaRunConfig(config, plan[index]), replicas: { plan, index, group, embeddings } };
  } finally {
    all.dispose();
  }
}
