// What the page can load: an exported .safetensors (`export`: weights, model config and the run
// config with the vocabulary in its metadata), or a run's checkpoint/model.safetensors with the
// run's config.json, optionally with metrics.jsonl for the loss curves. Every refusal is one
// LoadError whose message names the file and what is wrong with it.
import { CharTokenizer } from '@matryoshka/tokenizer/browser';
import { decodeSafetensors, type SafetensorsContents } from '@matryoshka/matryoshka-layers/browser';
import { decodeModel, MatryoshkaGPT, type GPTConfig } from '@matryoshka/nested-transformer/browser';
import * as tf from '@tensorflow/tfjs-core';

export class LoadError extends Error {}

/** One line of a run's metrics.jsonl (the fields the page reads). */
export interface MetricsLine {
  step: number;
  val?: Record<string, number>;
  train?: Record<string, number>;
}

export interface LoadedModel {
  /** What was loaded, for people. */
  name: string;
  model: MatryoshkaGPT;
  tokenizer: CharTokenizer;
  /** Steps the weights were trained, when known. */
  step?: number;
  metrics: MetricsLine[];
}

export interface ModelFiles {
  weights: { name: string; bytes: Uint8Array };
  config?: { name: string; text: string };
  metrics?: { name: string; text: string };
}

/** Metadata key under which `export` stores the run config (experiment's EXPORT_RUN_METADATA_KEY). */
const EXPORT_RUN_METADATA_KEY = 'matryoshka_run';

interface RunConfigLike {
  model?: GPTConfig;
  vocabulary?: string[];
  step?: number;
}

function parseJsonText<T>(name: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new LoadError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

export function parseMetrics(name: string, text: string): MetricsLine[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line.length > 0)
    .map(([line, n]) => {
      const value = parseJsonText<MetricsLine>(`${name} line ${n}`, line);
      if (typeof value?.step !== 'number')
        throw new LoadError(`${name} line ${n} has no "step": not a metrics.jsonl of these apps`);
      return value;
    });
}

function tokenizerFor(name: string, vocabulary: unknown, model: MatryoshkaGPT): CharTokenizer {
  if (!Array.isArray(vocabulary)) throw new LoadError(`${name}: no vocabulary (not a run of these apps?)`);
  let tokenizer: CharTokenizer;
  try {
    tokenizer = new CharTokenizer(vocabulary as string[]);
  } catch (error) {
    throw new LoadError(`${name}: ${(error as Error).message}`);
  }
  if (tokenizer.vocabSize !== model.config.vocabSize) {
    throw new LoadError(
      `${name}: the vocabulary has ${tokenizer.vocabSize} characters but the model has ${model.config.vocabSize} tokens`,
    );
  }
  return tokenizer;
}

function fromExport(files: ModelFiles, contents: SafetensorsContents): LoadedModel {
  const { name, bytes } = files.weights;
  const runText = contents.metadata[EXPORT_RUN_METADATA_KEY];
  // Where the run config (and so the vocabulary) comes from: the file's metadata, else the config.json beside it.
  const runSource = runText ? `${name} (its ${EXPORT_RUN_METADATA_KEY} metadata)` : files.config?.name;
  const run = runText
    ? parseJsonText<RunConfigLike>(runSource as string, runText)
    : files.config && parseJsonText<RunConfigLike>(files.config.name, files.config.text);
  if (!run)
    throw new LoadError(
      `${name}: no "${EXPORT_RUN_METADATA_KEY}" metadata (not written by export?) and no config.json beside it`,
    );
  const { model } = decodeModel(bytes, name);
  return {
    name,
    model,
    tokenizer: tokenizerFor(runSource as string, run.vocabulary, model),
    step: run.step,
    metrics: [],
  };
}

function fromCheckpoint(files: ModelFiles, contents: SafetensorsContents): LoadedModel {
  const { name } = files.weights;
  if (!files.config) {
    throw new LoadError(
      `${name} has no model config: it looks like a run's checkpoint/model.safetensors; load it together with the run's config.json`,
    );
  }
  const run = parseJsonText<RunConfigLike>(files.config.name, files.config.text);
  if (!run?.model || typeof run.model !== 'object')
    throw new LoadError(`${files.config.name} has no "model" (not a run config of these apps?)`);
  const weights = Object.fromEntries(
    Object.entries(contents.tensors).map(([key, t]) => [key, tf.tensor(t.values, t.shape, 'float32')]),
  );
  // A run's weights lead with its replicas R (a run of one model: R = 1); the page shows replica 0.
  const replicas = contents.tensors.token_embedding?.shape[0] ?? 1;
  let all: MatryoshkaGPT | undefined;
  try {
    try {
      all = new MatryoshkaGPT(
        Array.from({ length: replicas }, () => run.model as GPTConfig),
        weights,
      );
    } catch (error) {
      // The weights are checked against the model config.json describes: a mismatch is that file's.
      throw new LoadError(
        `${files.config.name} does not describe ${name} (is it the config.json of the run these weights are from?): ${(error as Error).message}`,
      );
    }
    const model = all.replica(0);
    const step = Number(contents.metadata.step);
    const which = replicas > 1 ? ` (replica 0 of ${replicas})` : '';
    return {
      name: `${files.config.name} + ${name}${which}`,
      model,
      tokenizer: tokenizerFor(files.config.name, run.vocabulary, model),
      step: Number.isFinite(step) ? step : undefined,
      metrics: [],
    };
  } finally {
    all?.dispose();
    tf.dispose(Object.values(weights));
  }
}

/** Build the model from its files (weights, and a config.json / metrics.jsonl where given). */
export function loadModel(files: ModelFiles): LoadedModel {
  const { name, bytes } = files.weights;
  try {
    const contents = decodeSafetensors(bytes, name);
    const loaded = contents.metadata.config ? fromExport(files, contents) : fromCheckpoint(files, contents);
    if (files.metrics) loaded.metrics = parseMetrics(files.metrics.name, files.metrics.text);
    return loaded;
  } catch (error) {
    if (error instanceof LoadError) throw error;
    throw new LoadError((error as Error).message);
  }
}

/** Files dropped or chosen by a person: one .safetensors, at most one config.json and one .jsonl. */
export async function readChosenFiles(list: readonly File[]): Promise<ModelFiles> {
  const weights = list.filter((f) => f.name.endsWith('.safetensors'));
  const configs = list.filter((f) => f.name.endsWith('.json'));
  const metrics = list.filter((f) => f.name.endsWith('.jsonl'));
  const others = list.filter((f) => !weights.includes(f) && !configs.includes(f) && !metrics.includes(f));
  if (others.length > 0)
    throw new LoadError(
      `${others.map((f) => f.name).join(', ')}: not a .safetensors, config.json or metrics.jsonl file`,
    );
  if (weights.length !== 1) {
    throw new LoadError(
      `choose exactly one .safetensors file (got ${weights.length}): an exported model, or a run's checkpoint/model.safetensors with its config.json`,
    );
  }
  if (configs.length > 1 || metrics.length > 1)
    throw new LoadError('choose at most one config.json and one metrics.jsonl');
  const text = async (f: File | undefined) => (f ? { name: f.name, text: await f.text() } : undefined);
  return {
    weights: { name: weights[0].name, bytes: new Uint8Array(await weights[0].arrayBuffer()) },
    config: await text(configs[0]),
    metrics: await text(metrics[0]),
  };
}

/** The bundled demo model (public/demo/), fetched from the page's own server. */
export async function fetchDemoFiles(): Promise<ModelFiles> {
  const get = async (file: string) => {
    const response = await fetch(new URL(`demo/${file}`, document.baseURI));
    if (!response.ok) throw new LoadError(`the demo model's ${file} could not be fetched (HTTP ${response.status})`);
    return response;
  };
  const weights = new Uint8Array(await (await get('demo.safetensors')).arrayBuffer());
  const metrics = await (await get('metrics.jsonl')).text();
  return {
    weights: { name: 'demo.safetensors', bytes: weights },
    metrics: { name: 'demo metrics.jsonl', text: metrics },
  };
}
