import * as tf from '@tensorflow/tfjs-core';
import { MatryoshkaGPT } from './model';

const CONFIG = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 1 };

describe('no tensor leaks', () => {
  it('keeps tf.memory().numTensors flat across forward, loss, training steps and generation', () => {
    const model = new MatryoshkaGPT(CONFIG);
    const x = tf.tensor2d([[3, 1, 4, 1, 5, 9, 2, 6]], undefined, 'int32');
    const y = tf.tensor2d([[1, 4, 1, 5, 9, 2, 6, 5]], undefined, 'int32');
    const round = (i: number) => {
      for (const trunk of ['full', 'nested'] as const) {
        tf.dispose(model.forward(x, { trunk, training: i % 2 === 0, dropoutSeed: i }));
        const { total, perWidth } = model.loss(x, y, { trunk, training: true, dropoutSeed: i });
        tf.dispose([total, ...perWidth]);
        const { value, grads } = tf.variableGrads(() => model.loss(x, y, { trunk, training: true, dropoutSeed: i }).total);
        tf.dispose([value, ...Object.values(grads)]);
        model.generate([1, 2], { width: 8, maxNewTokens: 10, seed: i, trunk });
      }
      model.extractSubmodel(8).dispose();
    };
    round(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 3; i++) round(i);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([x, y]);
  });
});
