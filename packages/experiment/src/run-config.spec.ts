import { UserError } from '@matryoshka/training';
import { makeRunConfig, upgradeRunConfig } from './run-config';
import { tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

const VOCABULARY = ['\n', ' ', 'a', 'b'];

describe('makeRunConfig', () => {
  it('holds the model config whole (with the vocabulary size), the training settings and the app settings', () => {
    const config = makeRunConfig('nested', tinyNestedApp.defaults, VOCABULARY);
    // Filled in: the attention's dropout follows the model's.
    expect(config.model).toEqual({ ...tinyNestedApp.defaults.model, vocabSize: 4, nesting: 'width', headNormalisation: 'prefix', seed: 1337, attentionDropout: 0.1 });
    expect(config.training).toBe(tinyNestedApp.defaults.training);
    expect(config.vocabulary).toEqual(VOCABULARY);
  });

  it("names the flag of a model field that breaks the model's rules (checked once, by resolveConfig)", () => {
    const run = (model: object) => ({ ...tinyNestedApp.defaults, model: { ...tinyNestedApp.defaults.model, ...model } });
    expect(() => makeRunConfig('nested', run({ width: 48 }), VOCABULARY)).toThrow(new UserError('--width (d) must be a power of two (got 48)'));
    expect(() => makeRunConfig('nested', run({ heads: 3 }), VOCABULARY)).toThrow(/^--heads \(3\) must divide width d=128/);
    expect(() => makeRunConfig('nested', run({ minPower: 8 }), VOCABULARY)).toThrow(/^--min-power must be an integer in \[0, 7\]/);
    // 64 heads divide d = 128, but not the smallest nested width, 32:
    expect(() => makeRunConfig('nested', run({ heads: 64 }), VOCABULARY)).toThrow(/^--heads \(64\) must divide every nested width, but not 32/);
  });

  it('checks one importance per nested width', () => {
    const run = { ...tinyMrlApp.defaults, training: { ...tinyMrlApp.defaults.training, importance: [1, 2] } };
    expect(() => makeRunConfig('mrl-embeddings', run, VOCABULARY)).toThrow('--importance has 2 values but there are 3 nested widths (2^3 .. 32)');
  });
});

describe('makeRunConfig: the training regimes', () => {
  const withTraining = (training: object) => ({ ...tinyMrlApp.defaults, training: { ...tinyMrlApp.defaults.training, ...training } });
  it.each([
    [{ regime: 'sample', importance: [1, 1, 1] }, '--importance weighs summed losses (--regime all); with --regime sample give --width-probs'],
    [{ widthProbs: [1, 1, 1] }, "--width-probs applies to --regime sample (this run's regime is 'all')"],
    [{ regime: 'sample', widthProbs: [1, 1] }, '--width-probs has 2 values but there are 3 nested widths (2^3 .. 32)'],
    [{ regime: 'sample', widthProbs: [0, 0, 0] }, '--width-probs: at least one probability must be above 0'],
  ])('refuses %j', (training, message) => {
    expect(() => makeRunConfig('mrl-embeddings', withTraining(training), VOCABULARY)).toThrow(message);
  });
  it('accepts the sampled regime with or without probabilities', () => {
    expect(makeRunConfig('mrl-embeddings', withTraining({ regime: 'sample', widthProbs: [1, 2, 1] }), VOCABULARY).training).toMatchObject({ regime: 'sample', widthProbs: [1, 2, 1] });
    expect(makeRunConfig('mrl-embeddings', withTraining({ regime: 'sample' }), VOCABULARY).training.widthProbs).toBeNull();
  });
});

describe('upgradeRunConfig', () => {
  it('reads the flat config.json of runs written before the config held the model whole', () => {
    const old = {
      app: 'nested', packageVersion: '0.1.0', createdAt: 'then', data: 'd.txt', evalIters: 20, lr: 0.0003, weightDecay: 0.01, seed: 5,
      checkpointEvery: 500, warmup: 0, minLr: 0, clipNorm: 0, importance: null, noDecay: null, batch: 8, context: 32, width: 64, heads: 4,
      layers: 2, dropout: 0.1, minPower: 5, headNormalisation: 'prefix', modelSeed: 1337, trunk: 'nested', steps: 200, evalInterval: 50,
      hierarchy: 'h.json', vocabulary: VOCABULARY,
    };
    expect(upgradeRunConfig(old)).toEqual({
      app: 'nested',
      packageVersion: '0.1.0',
      createdAt: 'then',
      model: { vocabSize: 4, contextLength: 32, width: 64, layers: 2, heads: 4, dropout: 0.1, minPower: 5, nesting: 'width', headNormalisation: 'prefix', seed: 1337 },
      training: {
        data: 'd.txt', steps: 200, evalInterval: 50, evalIters: 20, batchSize: 8, lr: 0.0003, weightDecay: 0.01, seed: 5,
        checkpointEvery: 500, warmup: 0, minLr: 0, clipNorm: 0, importance: null, noDecay: null, regime: 'all', widthProbs: null, replicas: 1, sweep: null,
      },
      settings: { hierarchy: 'h.json' },
      vocabulary: VOCABULARY,
    });
    expect(upgradeRunConfig({ ...old, trunk: 'full', headNormalisation: 'full' }).model).toMatchObject({ nesting: 'embedding', headNormalisation: 'full' });
  });

  it('gives a run from before the training regimes the regime it trained with: every width on every step', () => {
    const now = makeRunConfig('nested', tinyNestedApp.defaults, VOCABULARY);
    const { regime: _r, widthProbs: _w, ...before } = now.training;
    expect(upgradeRunConfig(JSON.parse(JSON.stringify({ ...now, training: before }))).training).toMatchObject({ regime: 'all', widthProbs: null });
  });

  it('gives a run from before replicas one model: --replicas 1, no sweep', () => {
    const now = makeRunConfig('mrl-embeddings', tinyMrlApp.defaults, VOCABULARY);
    const { replicas: _r, sweep: _s, ...before } = now.training;
    expect(upgradeRunConfig(JSON.parse(JSON.stringify({ ...now, training: before }))).training).toMatchObject({ replicas: 1, sweep: null });
  });

  it('leaves a config of today as it is', () => {
    const now = makeRunConfig('nested', tinyNestedApp.defaults, VOCABULARY);
    expect(upgradeRunConfig(JSON.parse(JSON.stringify(now)))).toEqual(now);
  });
});
