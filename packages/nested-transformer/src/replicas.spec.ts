// A model always holds replicas; a single model is R = 1 (docs/ARCHITECTURE.md). Carrying that
// axis must cost (almost) nothing: the small models are bound by how many kernels a step
// launches, so R = 1 must launch the kernels of the same layers without the axis, give their
// numbers, and lay its parameters out so that nothing is reshaped per step (replicatedShape).
import * as tf from '@tensorflow/tfjs-core';
import { EXP1_DEFAULTS, resolveConfig } from './config';
import { matryoshkaHeadLogits, matryoshkaLoss } from '@matryoshka/matryoshka-layers';
import type { DropoutPlan } from './dropout';
import { MatryoshkaGPT, runTrunk } from './model';
import { parameterSpecs, replicatedShape } from './parameters';
import { weightsOf } from './slicing';
import { submodelAt } from './submodels';

const config = { ...EXP1_DEFAULTS, vocabSize: 65, contextLength: 8, layers: 2 };

/** Kernels launched and the value of one forward and backward pass of `loss` over `variables`. */
async function pass(loss: () => tf.Scalar, variables: tf.Variable[]): Promise<{ kernels: number; loss: number }> {
  let value = NaN;
  const info = await tf.profile(() => {
    tf.tidy(() => {
      value = tf.variableGrads(loss, variables).value.dataSync()[0];
    });
  });
  return { kernels: info.kernels.length, loss: value };
}

describe('a single model is R = 1', () => {
  it('lays out biases (R, 1, n) and the position embedding (R, 1, t, d), everything else (R, ...)', () => {
    const shapes = Object.fromEntries(
      parameterSpecs(resolveConfig(config)).map((s) => [s.name, replicatedShape(s, 3)]),
    );
    expect(shapes['token_embedding']).toEqual([3, 65, 32]);
    expect(shapes['position_embedding']).toEqual([3, 1, 8, 32]);
    expect(shapes['blocks.0.attn.wqkv']).toEqual([3, 32, 3, 4, 8]);
    expect(shapes['blocks.1.ffn.b1']).toEqual([3, 1, 128]);
  });

  it('gives the loss of the same computation without the axis and launches at most 6 more kernels', async () => {
    // The model (R = 1) against the same layers run on its weights without the replica axis:
    // runTrunk, the head and the loss are the model's own functions, generic over leading axes.
    const model = new MatryoshkaGPT(config);
    const resolved = resolveConfig(config);
    const ids = [
      [1, 5, 9, 2, 7, 3, 3, 0],
      [4, 4, 8, 1, 0, 6, 2, 9],
    ];
    const next = ids.map((row) => row.map((id) => (id + 1) % 65));
    const x = tf.tensor3d([ids], undefined, 'int32');
    const y = tf.tensor3d([next], undefined, 'int32');
    const x2 = tf.tensor2d(ids, undefined, 'int32');
    const y2 = tf.tensor2d(next, undefined, 'int32');
    const variables = model.namedVariables();
    const bare = new Map(
      parameterSpecs(resolved).map((spec) => [spec.name, tf.variable(tf.reshape(variables[spec.name], spec.shape))]),
    );
    const dropout: DropoutPlan = { training: true, replicas: [{ rate: config.dropout, seed: 7 }] };
    const withoutAxis = () => {
      const trunk = weightsOf(bare, resolved.heads, submodelAt(resolved, resolved.width));
      const { hidden } = runTrunk(x2, trunk, { dropout });
      const E = bare.get('token_embedding') as tf.Tensor;
      const logits = matryoshkaHeadLogits(hidden, E, model.widths, 'full').map((flat) =>
        tf.reshape(flat, [...x2.shape, resolved.vocabSize]),
      );
      return tf.sum(matryoshkaLoss(logits, y2).total) as tf.Scalar;
    };
    const alone = await pass(withoutAxis, [...bare.values()]);
    const asOne = await pass(
      () => tf.sum(model.loss(x, y, { training: true, dropoutSeeds: [7] }).total) as tf.Scalar,
      Object.values(variables),
    );
    expect(asOne.loss).toBeCloseTo(alone.loss, 5);
    // The replica axis adds the embedding's offset (an add and a reshape of the table, and the
    // reshape's gradient) and nothing per layer: 6 more on tfjs-node and cpu, none on wasm. Before
    // replicatedShape (biases and positions reshaped every step) it was 44, 44 and 30.
    expect(asOne.kernels - alone.kernels).toBeLessThanOrEqual(6);
    expect(asOne.kernels - alone.kernels).toBeGreaterThanOrEqual(0);
    tf.dispose([x, y, x2, y2, ...bare.values()]);
    model.dispose();
  });
});
