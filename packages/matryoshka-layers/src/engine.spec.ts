import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  availableBackends,
  backendOrder,
  wantsOneDnn,
  parseBackendChoice,
  selectBackend,
  BACKEND_NAMES,
} from './engine';
import { matryoshkaLoss } from './loss';
import { matryoshkaHeadLogits } from './head';
import { embeddingLookup } from './embedding';

describe('engine selection', () => {
  it('parses backend names and refuses unknown ones by name', () => {
    expect(parseBackendChoice('wasm')).toBe('wasm');
    expect(() => parseBackendChoice('gpu')).toThrow(
      '--backend: unknown backend "gpu"; expected one of node, wasm, cpu',
    );
  });

  it('prints nothing while it loads a backend, the native one included (TensorFlow logs at load time)', () => {
    // A fresh process, so that tfjs-node really loads there.
    const root = resolve(__dirname, '../../..');
    const { MATRYOSHKA_BACKEND: _b, TF_ENABLE_ONEDNN_OPTS: _o, TF_CPP_MIN_LOG_LEVEL: _l, ...env } = process.env;
    const child = spawnSync(
      resolve(root, 'node_modules/.bin/tsx'),
      ['--tsconfig', 'tsconfig.base.json', resolve(__dirname, 'load-backend.test-helper.ts')],
      {
        cwd: root,
        env,
        encoding: 'utf8',
      },
    );
    expect(child.status).toBe(0);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(child.stdout);
    expect(child.stderr).toBe('');
  });

  it('tunes tfjs-node with oneDNN for experiment 4 sized activations only', () => {
    expect(wantsOneDnn(16 * 64 * 128)).toBe(true); // experiment 4: b x t x d
    expect(wantsOneDnn(4 * 16 * 32)).toBe(false); // experiment 1
    expect(wantsOneDnn(8 * 24 * 32)).toBe(false); // experiment 3
    expect(wantsOneDnn()).toBe(false);
  });

  it('prefers native TensorFlow for training and wasm for generation, first loadable one wins', async () => {
    const before = tf.getBackend();
    expect(backendOrder()).toEqual(['node', 'wasm', 'cpu']);
    expect(backendOrder('generation')).toEqual(['wasm', 'node', 'cpu']);
    expect(backendOrder('training', 4 * 16 * 32)).toEqual(['wasm', 'node', 'cpu']); // experiment 1
    expect(backendOrder('training', 16 * 64 * 128)).toEqual(['node', 'wasm', 'cpu']); // experiment 4
    expect(backendOrder('training', 8 * 24 * 32)).toEqual(['node', 'wasm', 'cpu']); // experiment 3
    expect(backendOrder('training', 2 * 4 * 16 * 32)).toEqual(['node', 'wasm', 'cpu']); // experiment 1 as 2 replicas (measured: node 34.5 vs wasm 39.6 ms)
    const available = await availableBackends();
    const saved = process.env.MATRYOSHKA_BACKEND;
    delete process.env.MATRYOSHKA_BACKEND;
    try {
      for (const workload of ['training', 'generation'] as const) {
        const expected = backendOrder(workload).find((b) => available.includes(b))!;
        expect(await selectBackend({ workload })).toBe(BACKEND_NAMES[expected]);
      }
      // A forced backend wins over the workload's order.
      expect(await selectBackend({ workload: 'generation', prefer: 'cpu' })).toBe('cpu');
    } finally {
      if (saved !== undefined) process.env.MATRYOSHKA_BACKEND = saved;
      await tf.setBackend(before);
    }
  });

  it('the same seeded training step gives the same loss on every available backend (1e-5)', async () => {
    const before = tf.getBackend();
    const backends = await availableBackends();
    expect(backends).toContain('cpu');
    // One step of a tied-head model: embed, head at widths 4/8, loss, SGD update, loss again.
    const step = () =>
      tf.tidy(() => {
        const E = tf.variable(tf.randomNormal([11, 8], 0, 0.5, 'float32', 3)) as tf.Variable<tf.Rank.R2>;
        const ids = tf.tensor2d(
          [
            [1, 5, 7, 2],
            [0, 10, 3, 3],
          ],
          undefined,
          'int32',
        );
        const y = tf.tensor2d(
          [
            [5, 7, 2, 9],
            [10, 3, 3, 4],
          ],
          undefined,
          'int32',
        );
        const lossOf = () =>
          tf.sum(matryoshkaLoss(matryoshkaHeadLogits(embeddingLookup(E, ids), E, [4, 8]), y).total) as tf.Scalar;
        const { value, grads } = tf.variableGrads(lossOf, [E]);
        E.assign(tf.sub(E, tf.mul(grads[E.name], 0.1)));
        const after = lossOf().dataSync()[0];
        const out = [value.dataSync()[0], after];
        E.dispose();
        return out;
      });
    const results: Record<string, number[]> = {};
    for (const b of backends) {
      await selectBackend({ prefer: b });
      expect(tf.getBackend()).toBe(BACKEND_NAMES[b]);
      results[b] = step();
    }
    const ref = results.cpu;
    for (const b of backends) {
      expect(Math.abs(results[b][0] - ref[0])).toBeLessThan(1e-5);
      expect(Math.abs(results[b][1] - ref[1])).toBeLessThan(1e-5);
    }
    expect(results.cpu[1]).toBeLessThan(results.cpu[0]);
    await tf.setBackend(before);
  });
});
