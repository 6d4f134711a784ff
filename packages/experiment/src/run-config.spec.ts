import { UserError } from './cli/errors';
import { makeRunConfig } from './run-config';
import { tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

const VOCABULARY = ['\n', ' ', 'a', 'b'];

describe('makeRunConfig', () => {
  it('holds the model config whole (with the vocabulary size), the training settings and the app settings', () => {
    const config = makeRunConfig('nested', tinyNestedApp.defaults, VOCABULARY);
    // Filled in: the attention's dropout follows the model's.
    expect(config.model).toEqual({
      ...tinyNestedApp.defaults.model,
      vocabSize: 4,
      nesting: 'width',
      headNormalisation: 'prefix',
      seed: 1337,
      attentionDropout: 0.1,
    });
    expect(config.training).toBe(tinyNestedApp.defaults.training);
    expect(config.vocabulary).toEqual(VOCABULARY);
  });

  it("names the flag of a model field that breaks the model's rules (checked once, by resolveConfig)", () => {
    const run = (model: object) => ({
      ...tinyNestedApp.defaults,
      model: { ...tinyNestedApp.defaults.model, ...model },
    });
    expect(() => makeRunConfig('nested', run({ width: 48 }), VOCABULARY)).toThrow(
      new UserError('--width (d) must be a power of two (got 48)'),
    );
    expect(() => makeRunConfig('nested', run({ heads: 3 }), VOCABULARY)).toThrow(
      /^--heads \(3\) must divide width d=128/,
    );
    expect(() => makeRunConfig('nested', run({ minPower: 8 }), VOCABULARY)).toThrow(
      /^--min-power must be an integer in \[0, 7\]/,
    );
    // 64 heads divide d = 128, but not the smallest nested width, 32:
    expect(() => makeRunConfig('nested', run({ heads: 64 }), VOCABULARY)).toThrow(
      /^--heads \(64\) must divide every nested width, but not 32/,
    );
  });

  it('checks one importance per nested width', () => {
    const run = { ...tinyMrlApp.defaults, training: { ...tinyMrlApp.defaults.training, importance: [1, 2] } };
    expect(() => makeRunConfig('mrl-embeddings', run, VOCABULARY)).toThrow(
      '--importance has 2 values but there are 3 nested widths (2^3 .. 32)',
    );
  });
});

describe('makeRunConfig: the training regimes', () => {
  const withTraining = (training: object) => ({
    ...tinyMrlApp.defaults,
    training: { ...tinyMrlApp.defaults.training, ...training },
  });
  it.each([
    [
      { regime: 'sample', importance: [1, 1, 1] },
      '--importance weighs summed losses (--regime all); with --regime sample give --width-probs',
    ],
    [{ widthProbs: [1, 1, 1] }, "--width-probs applies to --regime sample (this run's regime is 'all')"],
    [{ regime: 'sample', widthProbs: [1, 1] }, '--width-probs has 2 values but there are 3 nested widths (2^3 .. 32)'],
    [
      { regime: 'sample', widthProbs: [0, 0, 0] },
      '--width-probs must be non-negative with at least one above 0, got [0, 0, 0]',
    ],
  ])('refuses %j', (training, message) => {
    expect(() => makeRunConfig('mrl-embeddings', withTraining(training), VOCABULARY)).toThrow(message);
  });
  it('accepts the sampled regime with or without probabilities', () => {
    expect(
      makeRunConfig('mrl-embeddings', withTraining({ regime: 'sample', widthProbs: [1, 2, 1] }), VOCABULARY).training,
    ).toMatchObject({ regime: 'sample', widthProbs: [1, 2, 1] });
    expect(
      makeRunConfig('mrl-embeddings', withTraining({ regime: 'sample' }), VOCABULARY).training.widthProbs,
    ).toBeNull();
  });
});
