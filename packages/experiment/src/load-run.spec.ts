import { upgradeRunConfig } from './load-run';

describe('upgradeRunConfig', () => {
  it('reads the trunk of runs written before the nesting moved into the model config', () => {
    const old = { app: 'nested', width: 128, trunk: 'nested', vocabulary: ['a'] };
    expect(upgradeRunConfig(old)).toEqual({ app: 'nested', width: 128, nesting: 'width', vocabulary: ['a'] });
    expect(upgradeRunConfig({ app: 'mrl-embeddings', trunk: 'full' })).toEqual({ app: 'mrl-embeddings', nesting: 'embedding' });
  });

  it('leaves a config of today as it is', () => {
    const now = { app: 'nested', nesting: 'width', vocabulary: ['a'] };
    expect(upgradeRunConfig(now)).toEqual(now);
  });
});
