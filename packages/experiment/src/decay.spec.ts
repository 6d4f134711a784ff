import { MatryoshkaGPT } from '@matryoshka/nested-transformer';
import { decayExclusion, parseTrainSettings } from './train-command';
import { tinyMrlApp } from './tiny-run.test-helper';

describe('--no-decay', () => {
  // Made in beforeAll, after test-setup has selected the backend (not while the file is collected).
  let model: MatryoshkaGPT;
  beforeAll(() => {
    model = new MatryoshkaGPT({
      vocabSize: 5,
      contextLength: 4,
      width: 8,
      layers: 1,
      heads: 2,
      dropout: 0,
      minPower: 2,
    });
  });
  afterAll(() => model.dispose());

  it('decays everything by default, as the original AdamW', () => {
    expect(parseTrainSettings(tinyMrlApp, []).run.training.noDecay).toBeNull();
    expect(tinyMrlApp.defaults.training.weightDecay).toBe(0.01);
    expect(decayExclusion(model, null)).toBeUndefined();
  });

  it('skips biases and/or embeddings by name', () => {
    const settings = parseTrainSettings(tinyMrlApp, ['--no-decay', 'biases,embeddings']);
    expect(settings.run.training.noDecay).toEqual(['biases', 'embeddings']);
    const both = decayExclusion(model, settings.run.training.noDecay)!;
    const names = Object.keys(model.namedVariables());
    expect(names.filter(both).sort()).toEqual(
      ['blocks.0.attn.bo', 'blocks.0.ffn.b1', 'blocks.0.ffn.b2', 'position_embedding', 'token_embedding'].sort(),
    );
    const biases = decayExclusion(model, ['biases'])!;
    expect(names.filter(biases).sort()).toEqual(['blocks.0.attn.bo', 'blocks.0.ffn.b1', 'blocks.0.ffn.b2']);
    expect(() => parseTrainSettings(tinyMrlApp, ['--no-decay', 'norms'])).toThrow(/--no-decay.*biases, embeddings/);
  });
});
