// Training always runs a model of replicas; a single model is R = 1 (docs/ARCHITECTURE.md).
// Carrying that axis must cost (almost) nothing: the small models are bound by how many kernels
// a step launches, so R = 1 must launch the kernels of a model without the axis, give its numbers,
// and lay its parameters out so that nothing is reshaped per step (replicatedShape).
import * as tf from '@tensorflow/tfjs-core';
import { EXP1_DEFAULTS, resolveConfig } from './config';
import { MatryoshkaGPT } from './model';
import { parameterSpecs, replicatedShape } from './parameters';

const config = { ...EXP1_DEFAULTS, vocabSize: 65, contextLength: 8, layers: 2 };

/** Kernels launched and the loss of one forward and backward pass of the matryoshka loss. */
async function step(
  model: MatryoshkaGPT,
  x: tf.Tensor2D | tf.Tensor3D,
  y: tf.Tensor2D | tf.Tensor3D,
): Promise<{ kernels: number; loss: number }> {
  const variables = Object.values(model.namedVariables());
  let loss = NaN;
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const { value } = tf.variableGrads(
        () => tf.sum(model.loss(x, y, { training: true, dropoutSeeds: [7] }).total) as tf.Scalar,
        variables,
      );
      loss = value.dataSync()[0];
    });
  });
  return { kernels: info.kernels.length, loss };
}

describe('a single model as R = 1', () => {
  it('lays out biases (R, 1, n) and the position embedding (R, 1, t, d), everything else (R, ...)', () => {
    const shapes = Object.fromEntries(
      parameterSpecs(resolveConfig(config)).map((s) => [s.name, replicatedShape(s, 3)]),
    );
    expect(shapes['token_embedding']).toEqual([3, 65, 32]);
    expect(shapes['position_embedding']).toEqual([3, 1, 8, 32]);
    expect(shapes['blocks.0.attn.wqkv']).toEqual([3, 32, 3, 4, 8]);
    expect(shapes['blocks.1.ffn.b1']).toEqual([3, 1, 128]);
  });

  it('gives the loss of the model without the axis and launches at most 6 more kernels in a training pass', async () => {
    const single = new MatryoshkaGPT(config);
    const replicated = new MatryoshkaGPT([config]);
    const ids = [
      [1, 5, 9, 2, 7, 3, 3, 0],
      [4, 4, 8, 1, 0, 6, 2, 9],
    ];
    const next = ids.map((row) => row.map((id) => (id + 1) % 65));
    const x2 = tf.tensor2d(ids, undefined, 'int32');
    const y2 = tf.tensor2d(next, undefined, 'int32');
    const x3 = tf.expandDims<tf.Tensor3D>(x2, 0);
    const y3 = tf.expandDims<tf.Tensor3D>(y2, 0);
    const alone = await step(single, x2, y2);
    const asOne = await step(replicated, x3, y3);
    expect(asOne.loss).toBeCloseTo(alone.loss, 5);
    // The replica axis adds the embedding's offset (an add and a reshape of the table, and the
    // reshape's gradient) and nothing per layer: 6 more on tfjs-node and cpu, none on wasm. Before
    // replicatedShape (biases and positions reshaped every step) it was 44, 44 and 30.
    expect(asOne.kernels - alone.kernels).toBeLessThanOrEqual(6);
    expect(asOne.kernels - alone.kernels).toBeGreaterThanOrEqual(0);
    tf.dispose([x2, y2, x3, y3]);
    single.dispose();
    replicated.dispose();
  });
});
