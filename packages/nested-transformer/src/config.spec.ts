import * as tf from '@tensorflow/tfjs-core';
import { EXP1_DEFAULTS, EXP4_DEFAULTS, checkReplicaConfigs, configWidths, resolveConfig } from './config';
import { flopsPerToken } from './cost-model';
import { submodelAt } from './submodels';
import { MatryoshkaGPT } from './model';

const VALID = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2 };

describe('GPTConfig', () => {
  it('holds the experiments defaults of docs/EXPERIMENTS.md, "Defaults per app"', () => {
    expect(EXP1_DEFAULTS).toMatchObject({
      batchSize: 4,
      contextLength: 16,
      width: 32,
      heads: 4,
      layers: 4,
      dropout: 0.2,
      minPower: 3,
    });
    expect(EXP4_DEFAULTS).toMatchObject({
      batchSize: 16,
      contextLength: 64,
      width: 128,
      heads: 4,
      layers: 8,
      dropout: 0.1,
      minPower: 5,
    });
    expect(configWidths(EXP1_DEFAULTS)).toEqual([8, 16, 32]);
    expect(configWidths(EXP4_DEFAULTS)).toEqual([32, 64, 128]);
  });

  it('fills defaults and drops extra fields', () => {
    const c = resolveConfig({ ...EXP1_DEFAULTS, vocabSize: 65 });
    expect(c).not.toHaveProperty('batchSize');
    expect(resolveConfig(VALID)).toMatchObject({ nesting: 'embedding', headNormalisation: 'full', seed: 1337 });
    expect(resolveConfig({ ...VALID, nesting: 'width' })).toMatchObject({
      nesting: 'width',
      headNormalisation: 'prefix',
    });
    expect(resolveConfig({ ...EXP4_DEFAULTS, vocabSize: 65 })).toMatchObject({
      nesting: 'width',
      headNormalisation: 'prefix',
    });
    // The attention's dropout follows the model's unless set; fresh weights are ours ('small') unless asked.
    expect(resolveConfig({ ...VALID, dropout: 0.3 })).toMatchObject({
      attentionDropout: 0.3,
      init: 'small',
      layersPerWidth: null,
      layerWidths: null,
    });
    expect(resolveConfig({ ...VALID, attentionDropout: 0 })).toMatchObject({ dropout: 0.1, attentionDropout: 0 });
    // width+depth: l_k = ceil(l m_k / d) unless given: l=8, widths 32/64/128 -> 2/4/8.
    expect(resolveConfig({ ...EXP4_DEFAULTS, vocabSize: 65, nesting: 'width+depth' }).layersPerWidth).toEqual([
      2, 4, 8,
    ]);
    expect(resolveConfig({ ...VALID, nesting: 'width+depth', layers: 3 }).layersPerWidth).toEqual([1, 2, 3]);
  });

  it.each([
    [{ width: 24 }, /GPTConfig.width \(d\) must be a power of two/],
    [{ heads: 3 }, /GPTConfig.heads \(3\) must divide width d=16/],
    [{ minPower: 5 }, /GPTConfig.minPower must be an integer in \[0, 4\]/],
    [{ vocabSize: 0 }, /GPTConfig.vocabSize must be a positive integer/],
    [{ contextLength: 2.5 }, /GPTConfig.contextLength/],
    [{ layers: -1 }, /GPTConfig.layers/],
    [{ dropout: 1 }, /GPTConfig.dropout must be in \[0, 1\)/],
    [{ headNormalisation: 'both' }, /GPTConfig.headNormalisation/],
    [{ seed: 0.5 }, /GPTConfig.seed/],
    [{ nesting: 'depth' }, /GPTConfig.nesting must be one of 'embedding', 'width', 'ffn', 'width\+depth'/],
    [{ attentionDropout: 1 }, /GPTConfig.attentionDropout must be in \[0, 1\)/],
    [{ init: 'xavier' }, /GPTConfig.init must be one of 'small', 'original'/],
    [{ layersPerWidth: [1, 2, 2] }, /layersPerWidth applies to nesting 'width\+depth' only/],
    [{ nesting: 'width+depth', layersPerWidth: [1, 2] }, /one layer count per nested width \(4, 8, 16\)/],
    [{ nesting: 'width+depth', layersPerWidth: [2, 1, 2] }, /must not decrease/],
    [{ nesting: 'width+depth', layersPerWidth: [1, 1, 1] }, /must end with layers l=2/],
    [{ nesting: 'width', layerWidths: [8, 16] }, /minPower must be log2\(d\) = 4 for a fixed mix/],
    [{ nesting: 'width', layerWidths: [8, 8], minPower: 4 }, /widest layer \(8\) must be the model's width d=16/],
    [
      { nesting: 'width', layerWidths: [8, 0], minPower: 4 },
      /layerWidths\[1\] = 0 must be a power of two in \[1, 16\]$/,
    ],
    [{ nesting: 'width', layerWidths: [8, 16, 16], minPower: 4 }, /needs one width per layer \(2\)/],
    [{ layerWidths: [16, 16], minPower: 4 }, /nested by its embedding has no Mix'n'Match/],
    [{ nesting: 'width', headNormalisation: 'full' }, /headNormalisation 'full' does not apply to nesting 'width'/],
  ])('refuses %j', (change, message) => {
    expect(() => resolveConfig({ ...VALID, ...(change as object) })).toThrow(message);
  });
});

describe('heads at every nested width', () => {
  it('must divide every width of a width-nested model (an embedding-nested one only cuts its head)', () => {
    expect(() => resolveConfig({ ...VALID, heads: 8 })).not.toThrow();
    expect(() => resolveConfig({ ...VALID, heads: 8, nesting: 'width' })).toThrow(
      /must divide every nested width, but not 4/,
    );
    expect(() => resolveConfig({ ...VALID, nesting: 'width' })).not.toThrow();
  });
});

describe('parameter and FLOP counts, against the variables a width really has', () => {
  const matrices = (model: MatryoshkaGPT) =>
    Object.entries(model.namedVariables())
      .filter(([name]) => /\.(wqkv|wo|w1|w2)$/.test(name))
      .reduce((s, [, v]) => s + v.size, 0);

  const NESTED = [
    { ...VALID, nesting: 'width' as const },
    { ...VALID, width: 32, heads: 2, layers: 3, nesting: 'width' as const },
    { ...VALID, nesting: 'ffn' as const },
    { ...VALID, layers: 4, nesting: 'width+depth' as const },
  ];

  it.each(NESTED)(
    "parameterCount(m) is the size of the standalone width-m submodel's variables, m = d included (%j)",
    (config) => {
      const model = new MatryoshkaGPT(config);
      for (const m of model.widths) {
        const sub = model.extractSubmodel(m);
        const size = Object.values(sub.namedVariables()).reduce((s, v) => s + v.size, 0);
        expect(model.parameterCount(m)).toBe(size);
        sub.dispose();
      }
      model.dispose();
    },
  );

  it('gives 52,512 for experiment 1 and 1,595,520 for experiment 4 (v = 65), the sizes of their variables', () => {
    for (const [defaults, expected] of [
      [EXP1_DEFAULTS, 52512],
      [EXP4_DEFAULTS, 1595520],
    ] as const) {
      const model = new MatryoshkaGPT({ ...defaults, vocabSize: 65 });
      expect(Object.values(model.namedVariables()).reduce((s, v) => s + v.size, 0)).toBe(expected);
      expect(model.parameterCount()).toBe(expected);
      model.dispose();
    }
  });

  it.each(NESTED)(
    'flopsPerToken(m) is 2 x (matmul weights of submodel m + the tied head v x M) + attention 4 t x (sum of layer widths) (%j)',
    (config) => {
      const model = new MatryoshkaGPT(config);
      const c = resolveConfig(config);
      for (const m of model.widths) {
        const sub = model.extractSubmodel(m);
        const attentionWidths = Object.entries(sub.namedVariables())
          .filter(([name]) => name.endsWith('.wqkv'))
          .reduce((s, [, v]) => s + (v.shape[1] as number), 0); // (R = 1, a, 3, h, a/h)
        expect(model.flopsPerToken(m)).toBe(
          2 * (matrices(sub) + c.vocabSize * sub.config.width) + 4 * attentionWidths * c.contextLength,
        );
        sub.dispose();
      }
      model.dispose();
    },
  );

  it('a width-nested submodel costs 2 (12 l m^2 + v m) + 4 l m t', () => {
    const c = resolveConfig({ ...VALID, nesting: 'width' });
    for (const m of [4, 8, 16]) {
      expect(flopsPerToken(c, submodelAt(c, m))).toBe(
        2 * (12 * c.layers * m * m + c.vocabSize * m) + 4 * c.layers * m * c.contextLength,
      );
    }
  });
});

describe('replica configs', () => {
  const base = resolveConfig({ ...EXP1_DEFAULTS, vocabSize: 65 });
  it('may differ in init seed and dropout rates only, naming the field that differs', () => {
    expect(checkReplicaConfigs([base, { ...base, seed: 7, dropout: 0.3, attentionDropout: 0 }])).toHaveLength(2);
    expect(() => checkReplicaConfigs([base, { ...base, heads: 2 }])).toThrow(
      "replica 1: GPTConfig.heads is 2 but replica 0's is 4; replicas share every field but seed, dropout, attentionDropout",
    );
    expect(() => checkReplicaConfigs([])).toThrow('at least one replica config');
  });
  it('hold each replica exactly as a lone model of its config', () => {
    const lone = new MatryoshkaGPT({ ...base, seed: 9 });
    const replicated = new MatryoshkaGPT([base, { ...base, seed: 9 }]);
    const second = replicated.replica(1);
    for (const [name, v] of Object.entries(lone.namedVariables()))
      expect(Array.from(second.namedVariables()[name].dataSync())).toEqual(Array.from(v.dataSync()));
    expect(replicated.namedVariables().token_embedding.shape).toEqual([2, 65, 32]);
    expect(replicated.tokenEmbedding.shape).toEqual([2, 65, 32]);
    expect(lone.tokenEmbedding.shape).toEqual([1, 65, 32]);
    expect(() => replicated.replica(2)).toThrow('replica 2 does not exist: this model holds replicas 0..1');
    // Biases and the position embedding carry a 1 where they broadcast (replicatedShape).
    expect(replicated.namedVariables()['blocks.0.ffn.b1'].shape).toEqual([2, 1, 128]);
    expect(replicated.namedVariables().position_embedding.shape).toEqual([2, 1, 16, 32]);
    // Dropout seeds: one per replica (a single model's list has one).
    const ids = tf.tensor3d([[[1, 2, 3, 4]]], undefined, 'int32');
    const logits = (seeds: number[]) =>
      Array.from((lone.forward(ids, { training: true, dropoutSeeds: seeds })[2] as tf.Tensor).dataSync());
    expect(logits([5])).toEqual(logits([5]));
    expect(logits([5])).not.toEqual(logits([6]));
    expect(() => lone.forward(ids, { training: true, dropoutSeeds: [5, 6] })).toThrow(
      'dropoutSeeds: this model holds 1 replica(s) and takes one seed per replica, got [5,6]',
    );
    const two = tf.concat([ids, ids]) as tf.Tensor3D;
    expect(() => replicated.forward(two, { training: true, dropoutSeeds: [5] })).toThrow(
      'this model holds 2 replica(s)',
    );
    expect(() => replicated.forward(ids, { training: false })).toThrow(
      'ids of shape [1,1,4]: this model takes (2 replicas, batch, time)',
    );
    expect(() => lone.forward(tf.zeros([1, 4], 'int32') as unknown as tf.Tensor3D, { training: false })).toThrow(
      'ids of shape [1,4]: this model takes (1 replica, batch, time)',
    );
    two.dispose();
    ids.dispose();
    [lone, replicated, second].forEach((m) => m.dispose());
  });
});
