import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assignWeights, readCheckpoint, writeCheckpoint } from './checkpoint';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function contents(step: number, value: number) {
  const values = Float32Array.from([value, value + 1]);
  return {
    weights: { w: { shape: [2], values } },
    optimizer: { step, m: { w: { shape: [2], values } }, v: { w: { shape: [2], values } } },
    state: {
      step,
      seed: 1,
      batchSize: 2,
      contextLength: 3,
      widths: [2],
      samplers: {
        train: [
          {
            kind: 'batch-sampler',
            batchSize: 2,
            contextLength: 3,
            dataLength: 10,
            batchesDrawn: step,
            rng: { algorithm: 'mulberry32', state: 1, spareNormal: null },
          },
        ],
      },
      replicas: [{ seed: 1, lr: 3e-4, weightDecay: 0.01 }],
      optimizer: { name: 'AdamW', step, weightDecays: [0.01], betas: [0.9, 0.999], eps: 1e-8 },
      elapsedSeconds: 1,
      trainingSeconds: 1,
      tokensSeen: 6 * step,
      parameters: { w: [2] },
      parameterCount: 2,
    },
  } as Parameters<typeof writeCheckpoint>[1];
}

describe('checkpoint directory', () => {
  function runDir(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'checkpoint-spec-'));
    dirs.push(dir);
    return dir;
  }

  it('replaces the previous checkpoint atomically and leaves no temporary directory', () => {
    const dir = runDir();
    writeCheckpoint(dir, contents(1, 10));
    writeCheckpoint(dir, contents(2, 20));
    expect(fs.readdirSync(dir)).toEqual(['checkpoint']);
    const checkpoint = readCheckpoint(dir);
    expect(checkpoint.state.step).toBe(2);
    expect(Array.from(checkpoint.weights.w.values)).toEqual([20, 21]);
    expect(Array.from(checkpoint.optimizer.v.w.values)).toEqual([20, 21]);
  });

  it('falls back to the moved-aside checkpoint after a crash between the renames, and cleans up stale temporaries', () => {
    const dir = runDir();
    writeCheckpoint(dir, contents(1, 10));
    fs.renameSync(path.join(dir, 'checkpoint'), path.join(dir, 'checkpoint.previous'));
    fs.mkdirSync(path.join(dir, '.checkpoint.tmp-999-0'));
    fs.writeFileSync(path.join(dir, '.checkpoint.tmp-999-0', 'model.safetensors'), 'half');
    expect(readCheckpoint(dir).state.step).toBe(1);
    writeCheckpoint(dir, contents(2, 20));
    expect(fs.readdirSync(dir)).toEqual(['checkpoint']);
    expect(readCheckpoint(dir).state.step).toBe(2);
  });

  it('refuses a truncated tensor file, naming it, before and after parsing', () => {
    const dir = runDir();
    writeCheckpoint(dir, contents(1, 10));
    const weightsFile = path.join(dir, 'checkpoint', 'model.safetensors');
    const size = fs.statSync(weightsFile).size;
    fs.truncateSync(weightsFile, size - 4);
    expect(() => readCheckpoint(dir)).toThrow(
      `checkpoint file ${weightsFile} is corrupted or truncated: it has ${size - 4} bytes but state.json recorded ${size}`,
    );
    // Without the recorded sizes (an older state.json), the parser still catches it.
    const stateFile = path.join(dir, 'checkpoint', 'state.json');
    const { files: _files, ...state } = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    fs.writeFileSync(stateFile, JSON.stringify(state));
    expect(() => readCheckpoint(dir)).toThrow(
      `checkpoint file ${weightsFile} is corrupted or truncated: tensor "w" needs bytes 0..8`,
    );
  });

  it('refuses a corrupted state.json and weights of the wrong shape, naming them', () => {
    const dir = runDir();
    writeCheckpoint(dir, contents(1, 10));
    const stateFile = path.join(dir, 'checkpoint', 'state.json');
    fs.writeFileSync(stateFile, '{"step": 1,');
    expect(() => readCheckpoint(dir)).toThrow(`checkpoint file ${stateFile} is corrupted`);
    const variable = tf.variable(tf.zeros([3]));
    expect(() => assignWeights({ w: variable }, contents(1, 1).weights, 'ckpt')).toThrow(
      'checkpoint ckpt does not match the model: tensor "w" has shape [2] in the checkpoint but [3] in the model',
    );
    expect(() =>
      assignWeights({ w: variable, b: variable }, { w: { shape: [3], values: new Float32Array(3) } }, 'ckpt'),
    ).toThrow('checkpoint ckpt has no tensor "b"');
    variable.dispose();
  });
});
