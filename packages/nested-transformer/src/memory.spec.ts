import * as tf from '@tensorflow/tfjs-core';
import { generate } from './generate';
import { MatryoshkaGPT } from './model';

const CONFIG = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 1 };

describe('no tensor leaks', () => {
  it('keeps tf.memory().numTensors flat across forward, loss, training steps and generation', () => {
    const models = [new MatryoshkaGPT(CONFIG), new MatryoshkaGPT({ ...CONFIG, nesting: 'width' })];
    const x = tf.tensor3d([[[3, 1, 4, 1, 5, 9, 2, 6]]], undefined, 'int32');
    const y = tf.tensor3d([[[1, 4, 1, 5, 9, 2, 6, 5]]], undefined, 'int32');
    const round = (i: number) => {
      for (const model of models) {
        tf.dispose(model.forward(x, { training: i % 2 === 0, dropoutSeeds: [i] }));
        const { total, perWidth } = model.loss(x, y, { training: true, dropoutSeeds: [i] });
        tf.dispose([total, ...perWidth]);
        const { value, grads } = tf.variableGrads(
          () => tf.sum(model.loss(x, y, { training: true, dropoutSeeds: [i] }).total) as tf.Scalar,
        );
        tf.dispose([value, ...Object.values(grads)]);
        generate(model, [1, 2], { width: 8, maxNewTokens: 10, seed: i });
      }
      models[1].extractSubmodel(8).dispose();
    };
    round(0);
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 3; i++) round(i);
    expect(tf.memory().numTensors).toBe(before);
    models.forEach((model) => model.dispose());
    tf.dispose([x, y]);
  });
});
