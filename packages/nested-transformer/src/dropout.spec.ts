import * as tf from '@tensorflow/tfjs-core';
import { dropoutMask } from './dropout';
import { MatryoshkaGPT } from './model';

const CONFIG = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.2, minPower: 2, seed: 1 };

function values(ts: tf.Tensor[]): number[][] {
  const out = ts.map((t) => Array.from(t.dataSync()));
  tf.dispose(ts);
  return out;
}

describe('dropout', () => {
  let model: MatryoshkaGPT;
  let nested: MatryoshkaGPT;
  let ids: tf.Tensor3D;
  beforeAll(() => {
    model = new MatryoshkaGPT(CONFIG);
    nested = new MatryoshkaGPT({ ...CONFIG, nesting: 'width' });
    ids = tf.tensor3d([[[3, 1, 4, 1, 5, 9, 2, 6]]], undefined, 'int32');
  });
  afterAll(() => {
    model.dispose();
    nested.dispose();
    ids.dispose();
  });

  it.each(['embedding', 'width'] as const)(
    'is off in evaluation, on in training, reproducible by seed (nesting %s)',
    (nesting) => {
      const gpt = nesting === 'width' ? nested : model;
      const evalA = values(gpt.forward(ids, { training: false }));
      const evalB = values(gpt.forward(ids, { training: false, dropoutSeeds: [3] }));
      expect(evalB).toEqual(evalA);
      const trainA = values(gpt.forward(ids, { training: true, dropoutSeeds: [3] }));
      const trainB = values(gpt.forward(ids, { training: true, dropoutSeeds: [3] }));
      const trainC = values(gpt.forward(ids, { training: true, dropoutSeeds: [4] }));
      expect(trainB).toEqual(trainA);
      expect(trainA).not.toEqual(evalA);
      expect(trainC).not.toEqual(trainA);
    },
  );

  it('a training step (loss and gradients) is reproducible with the same seed', () => {
    const y = tf.tensor3d([[[1, 4, 1, 5, 9, 2, 6, 5]]], undefined, 'int32');
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(nested.loss(ids, y, { training: true, dropoutSeeds: [9] }).total) as tf.Scalar,
      );
      const out = [value.dataSync()[0], ...Array.from(grads[Object.keys(grads)[3]].dataSync())];
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    expect(step()).toEqual(step());
    y.dispose();
  });

  it('masks drop the requested fraction and rescale the rest', () => {
    const mask = dropoutMask([200, 500], 0.2, 123);
    const m = Array.from(mask.dataSync());
    mask.dispose();
    const zeros = m.filter((x) => x === 0).length / m.length;
    expect(zeros).toBeGreaterThan(0.19);
    expect(zeros).toBeLessThan(0.21);
    // p = 0.2 rounded to 13107 / 65536; kept values are 1 / (1 - p).
    expect(new Set(m.filter((x) => x !== 0))).toEqual(new Set([Math.fround(65536 / (65536 - 13107))]));
    // Mean ~1: inverted dropout keeps the expectation.
    expect(m.reduce((a, b) => a + b, 0) / m.length).toBeCloseTo(1, 1);
  });
});
