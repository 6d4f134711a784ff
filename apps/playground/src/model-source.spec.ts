// What the page says about dropped files, checked in Node (the page's own test is playground.spec.ts,
// in Chromium): a refusal names the file that is wrong.
import { encodeSafetensors } from '@matryoshka/matryoshka-layers/browser';
import { EXP1_DEFAULTS, MatryoshkaGPT, type GPTConfig } from '@matryoshka/nested-transformer/browser';
import * as tf from '@tensorflow/tfjs-core';
import { LoadError, loadModel } from './model-source';

tf.env().set('IS_TEST', true); // tfjs's advice to install tfjs-node, which these few small tensors do not need

const vocabulary = [...'abcde'];
const configOf = (width: number): GPTConfig => ({
  ...EXP1_DEFAULTS,
  vocabSize: vocabulary.length,
  contextLength: 8,
  width,
  heads: 2,
  layers: 1,
  minPower: 2,
});

/** A run's checkpoint/model.safetensors: the weights (of R replicas; a run of one model: R = 1) and the step, no model config. */
function checkpointBytes(width: number, replicas = 1): Uint8Array {
  const model = new MatryoshkaGPT(Array.from({ length: replicas }, (_, k) => ({ ...configOf(width), seed: k })));
  const tensors = Object.fromEntries(
    Object.entries(model.namedVariables()).map(([name, v]) => [
      name,
      { shape: v.shape, values: v.dataSync() as Float32Array },
    ]),
  );
  model.dispose();
  return encodeSafetensors(tensors, { step: '3' });
}

const configJson = (width: number) => ({
  name: 'config.json',
  text: JSON.stringify({ model: configOf(width), vocabulary }),
});

describe("a run's weights dropped with a config.json", () => {
  it('load when the config describes them', () => {
    const loaded = loadModel({
      weights: { name: 'model.safetensors', bytes: checkpointBytes(16) },
      config: configJson(16),
    });
    expect(loaded.model.config.width).toBe(16);
    expect(loaded.model.namedVariables().token_embedding.shape).toEqual([1, 5, 16]);
    expect(loaded.step).toBe(3);
    loaded.model.dispose();
  });

  it('of a run of replicas load its replica 0, and say so', () => {
    const loaded = loadModel({
      weights: { name: 'model.safetensors', bytes: checkpointBytes(16, 3) },
      config: configJson(16),
    });
    const alone = new MatryoshkaGPT({ ...configOf(16), seed: 0 });
    expect(Array.from(loaded.model.namedVariables()['blocks.0.ffn.b1'].dataSync())).toEqual(
      Array.from(alone.namedVariables()['blocks.0.ffn.b1'].dataSync()),
    );
    expect(Array.from(loaded.model.namedVariables().token_embedding.dataSync())).toEqual(
      Array.from(alone.namedVariables().token_embedding.dataSync()),
    );
    expect(loaded.name).toBe('config.json + model.safetensors (replica 0 of 3)');
    [loaded.model, alone].forEach((m) => m.dispose());
  });

  it("are refused with a message naming the config.json when it is another run's", () => {
    const load = () =>
      loadModel({ weights: { name: 'model.safetensors', bytes: checkpointBytes(16) }, config: configJson(8) });
    expect(load).toThrow(LoadError);
    expect(load).toThrow(
      /^config\.json does not describe model\.safetensors \(is it the config\.json of the run these weights are from\?\): weight \S+ has shape \[[\d,]+\] but the model expects \[[\d,]+\]$/,
    );
  });
});
