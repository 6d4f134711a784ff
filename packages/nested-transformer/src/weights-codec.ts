// A MatryoshkaGPT as safetensors bytes (the codec is matryoshka-layers'), with PyTorch-style per-head names:
//   token_embedding [v, d], position_embedding [t, d]
//   blocks.{i}.attn.wq.{j} / wk.{j} / wv.{j}  [d, d/h]   (head j)
//   blocks.{i}.attn.wo.weight [d, d] (rows grouped per head), blocks.{i}.attn.wo.bias [d]
//   blocks.{i}.ffn.w1.weight [d, 4d], .w1.bias [4d], .w2.weight [4d, d], .w2.bias [d]
// Every matrix is stored [in, out] (used as x @ W), unlike torch.nn.Linear's [out, in].
// `__metadata__` holds `format`, the model `config` as JSON, and any caller metadata.
// A fixed Mix'n'Match model stores layer i at its own width a_i and hidden size f_i (in place of
// d and 4d), and no tensors for a skipped layer.
// Bytes only (browser-safe); weights-file.ts reads and writes them as files.
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, type NamedTensorData } from '@matryoshka/matryoshka-layers';
import { resolveConfig, type ResolvedGPTConfig } from './config';
import { MatryoshkaGPT } from './model';
import { parameterSpecs, replicatedShape } from './parameters';
import { storedSubmodel } from './submodels';

export const WEIGHTS_FORMAT = 'matryoshka-gpt/1';
const QKV = ['wq', 'wk', 'wv'] as const;

/** The blocks a config stores: index, width a and hidden units f (d and 4d but for a fixed mix). */
function storedBlocks(config: ResolvedGPTConfig): { i: number; d: number; f: number }[] {
  return storedSubmodel(config).layers.flatMap((layer, i) => (layer ? [{ i, d: layer.width, f: layer.hidden }] : []));
}

/** The weights of a model of one replica under their file names (plain Float32Array copies; a file holds one model). */
export function exportWeights(model: MatryoshkaGPT): Record<string, NamedTensorData> {
  if (model.replicas !== 1)
    throw new Error(`a weights file holds one model; this one holds ${model.replicas} replicas (take one: replica(i))`);
  const { heads: h } = model.config;
  const vars = model.namedVariables();
  const shapes = new Map(parameterSpecs(model.config).map((spec) => [spec.name, spec.shape]));
  const read = (name: string): NamedTensorData => ({
    shape: [...(shapes.get(name) as number[])],
    values: Float32Array.from(vars[name].dataSync()),
  });
  const out: Record<string, NamedTensorData> = {
    token_embedding: read('token_embedding'),
    position_embedding: read('position_embedding'),
  };
  for (const { i, d } of storedBlocks(model.config)) {
    const hs = d / h;
    const p = `blocks.${i}`;
    const wqkv = read(`${p}.attn.wqkv`).values; // [d, 3, h, hs]
    QKV.forEach((kind, s) => {
      for (let j = 0; j < h; j++) {
        const head = new Float32Array(d * hs);
        for (let r = 0; r < d; r++) {
          const from = ((r * 3 + s) * h + j) * hs;
          head.set(wqkv.subarray(from, from + hs), r * hs);
        }
        out[`${p}.attn.${kind}.${j}`] = { shape: [d, hs], values: head };
      }
    });
    out[`${p}.attn.wo.weight`] = { shape: [d, d], values: read(`${p}.attn.wo`).values }; // [h, hs, d] = [d, d]
    out[`${p}.attn.wo.bias`] = read(`${p}.attn.bo`);
    out[`${p}.ffn.w1.weight`] = read(`${p}.ffn.w1`);
    out[`${p}.ffn.w1.bias`] = read(`${p}.ffn.b1`);
    out[`${p}.ffn.w2.weight`] = read(`${p}.ffn.w2`);
    out[`${p}.ffn.w2.bias`] = read(`${p}.ffn.b2`);
  }
  return out;
}

/** Expected file shapes of a config's weights, by file name. */
export function weightFileShapes(config: ResolvedGPTConfig): Record<string, number[]> {
  const { vocabSize: v, contextLength: t, width, heads: h } = config;
  const shapes: Record<string, number[]> = { token_embedding: [v, width], position_embedding: [t, width] };
  for (const { i, d, f } of storedBlocks(config)) {
    const p = `blocks.${i}`;
    for (const kind of QKV) for (let j = 0; j < h; j++) shapes[`${p}.attn.${kind}.${j}`] = [d, d / h];
    Object.assign(shapes, {
      [`${p}.attn.wo.weight`]: [d, d],
      [`${p}.attn.wo.bias`]: [d],
      [`${p}.ffn.w1.weight`]: [d, f],
      [`${p}.ffn.w1.bias`]: [f],
      [`${p}.ffn.w2.weight`]: [f, d],
      [`${p}.ffn.w2.bias`]: [d],
    });
  }
  return shapes;
}

/**
 * File tensors -> the model's own variable layout (checked: every name present, no extras,
 * every shape as `config` expects; the vocabulary size is named separately).
 */
export function importWeights(
  config: ResolvedGPTConfig,
  tensors: Record<string, NamedTensorData>,
  source = 'weights',
): Record<string, NamedTensorData> {
  const { heads: h } = config;
  const fileVocab = tensors.token_embedding?.shape[0];
  if (fileVocab !== undefined && fileVocab !== config.vocabSize) {
    throw new Error(
      `${source}: vocabulary mismatch: the file has ${fileVocab} tokens (token_embedding [${tensors.token_embedding.shape}]) but the model expects ${config.vocabSize}`,
    );
  }
  const expected = weightFileShapes(config);
  for (const [name, shape] of Object.entries(expected)) {
    const found = tensors[name];
    if (!found) throw new Error(`${source}: tensor ${name} is missing (expected shape [${shape}])`);
    if (found.shape.join(',') !== shape.join(',')) {
      throw new Error(
        `${source}: tensor ${name} has shape [${found.shape}] in the file but the model expects [${shape}]`,
      );
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!(name in expected)) throw new Error(`${source}: unexpected tensor ${name} (not a parameter of this model)`);
  }
  const out: Record<string, NamedTensorData> = {
    token_embedding: tensors.token_embedding,
    position_embedding: tensors.position_embedding,
  };
  for (const { i, d } of storedBlocks(config)) {
    const hs = d / h;
    const p = `blocks.${i}`;
    const wqkv = new Float32Array(d * 3 * d);
    QKV.forEach((kind, s) => {
      for (let j = 0; j < h; j++) {
        const head = tensors[`${p}.attn.${kind}.${j}`].values;
        for (let r = 0; r < d; r++) wqkv.set(head.subarray(r * hs, (r + 1) * hs), ((r * 3 + s) * h + j) * hs);
      }
    });
    out[`${p}.attn.wqkv`] = { shape: [d, 3, h, hs], values: wqkv };
    out[`${p}.attn.wo`] = { shape: [h, hs, d], values: tensors[`${p}.attn.wo.weight`].values };
    out[`${p}.attn.bo`] = tensors[`${p}.attn.wo.bias`];
    out[`${p}.ffn.w1`] = tensors[`${p}.ffn.w1.weight`];
    out[`${p}.ffn.b1`] = tensors[`${p}.ffn.w1.bias`];
    out[`${p}.ffn.w2`] = tensors[`${p}.ffn.w2.weight`];
    out[`${p}.ffn.b2`] = tensors[`${p}.ffn.w2.bias`];
  }
  return out;
}

/** importWeights' arrays as the variables of a model of one replica (replicatedShape, R = 1). */
function toTensors(config: ResolvedGPTConfig, arrays: Record<string, NamedTensorData>): Record<string, tf.Tensor> {
  return Object.fromEntries(
    parameterSpecs(config).map((spec) => [
      spec.name,
      tf.tensor(arrays[spec.name].values, replicatedShape(spec, 1), 'float32'),
    ]),
  );
}

/** The model's weights and config as safetensors bytes. `metadata` adds string entries (e.g. the vocabulary). */
export function encodeModel(model: MatryoshkaGPT, metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(exportWeights(model), {
    ...metadata,
    format: WEIGHTS_FORMAT,
    config: JSON.stringify(model.config),
  });
}

export interface LoadOptions {
  /** Refuse a file whose vocabulary size differs (e.g. the tokenizer's size). */
  vocabSize?: number;
}

/** A new model built from safetensors bytes (config and weights); `source` names them in errors. */
export function decodeModel(
  bytes: Uint8Array,
  source = 'weights',
  options: LoadOptions = {},
): { model: MatryoshkaGPT; metadata: Record<string, string> } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (!metadata.config) throw new Error(`${source}: no model config in __metadata__ (not a ${WEIGHTS_FORMAT} file?)`);
  if (metadata.format !== WEIGHTS_FORMAT)
    throw new Error(
      `${source}: format ${JSON.stringify(metadata.format ?? null)}; this code reads ${WEIGHTS_FORMAT} only`,
    );
  const config = JSON.parse(metadata.config) as ResolvedGPTConfig;
  if (options.vocabSize !== undefined && config.vocabSize !== options.vocabSize) {
    throw new Error(
      `${source}: vocabulary mismatch: the file's model has ${config.vocabSize} tokens but ${options.vocabSize} were expected`,
    );
  }
  const resolved = resolveConfig(config);
  const weights = toTensors(resolved, importWeights(resolved, tensors, source));
  try {
    return { model: new MatryoshkaGPT(config, weights), metadata };
  } finally {
    tf.dispose(Object.values(weights));
  }
}
