import * as tf from '@tensorflow/tfjs-core';
import { EXP1_DEFAULTS, EXP4_DEFAULTS, checkNestedHeads, configWidths, resolveConfig } from './config';
import { parameterCount, flopsPerToken } from './counts';
import { MatryoshkaGPT } from './model';

const VALID = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2 };

describe('GPTConfig', () => {
  it('holds the experiments defaults of docs/EXPERIMENTS.md, "Defaults per app"', () => {
    expect(EXP1_DEFAULTS).toMatchObject({ batchSize: 4, contextLength: 16, width: 32, heads: 4, layers: 4, dropout: 0.2, minPower: 3 });
    expect(EXP4_DEFAULTS).toMatchObject({ batchSize: 16, contextLength: 64, width: 128, heads: 4, layers: 8, dropout: 0.1, minPower: 5 });
    expect(configWidths({ ...EXP1_DEFAULTS, vocabSize: 65 })).toEqual([8, 16, 32]);
    expect(configWidths({ ...EXP4_DEFAULTS, vocabSize: 65 })).toEqual([32, 64, 128]);
  });

  it('fills defaults and drops extra fields', () => {
    const c = resolveConfig({ ...EXP1_DEFAULTS, vocabSize: 65 });
    expect(c).not.toHaveProperty('batchSize');
    expect(resolveConfig(VALID)).toMatchObject({ headNormalisation: 'full', seed: 1337 });
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
  ])('refuses %j', (change, message) => {
    expect(() => resolveConfig({ ...VALID, ...(change as object) })).toThrow(message);
  });
});

describe('checkNestedHeads', () => {
  it('refuses heads that do not divide a nested width (only the nested trunk needs it)', () => {
    expect(() => resolveConfig({ ...VALID, heads: 8 })).not.toThrow();
    expect(() => checkNestedHeads({ ...VALID, heads: 8 })).toThrow(/must divide every nested width, but not 4/);
    expect(() => checkNestedHeads(VALID)).not.toThrow();
  });
});

describe('parameter and FLOP counts', () => {
  it('parameterCount(d) is the sum of the variables sizes', () => {
    for (const config of [VALID, { ...VALID, width: 32, heads: 2, layers: 3 }]) {
      const model = new MatryoshkaGPT(config);
      const sum = Object.values(model.namedVariables()).reduce((s, v) => s + v.size, 0);
      expect(model.parameterCount()).toBe(sum);
      model.dispose();
    }
  });

  it('gives 52,512 for experiment 1 and 1,595,520 for experiment 4 (v = 65)', () => {
    expect(parameterCount(resolveConfig({ ...EXP1_DEFAULTS, vocabSize: 65 }), 32)).toBe(52512);
    const exp4 = resolveConfig({ ...EXP4_DEFAULTS, vocabSize: 65 });
    expect(parameterCount(exp4, 128)).toBe(1595520);
    // Submodels: (v + t) m + l (12 m^2 + 6 m)
    expect(parameterCount(exp4, 32)).toBe((65 + 64) * 32 + 8 * (12 * 32 * 32 + 6 * 32));
  });

  it('flopsPerToken follows the documented formula and shrinks ~m^2', () => {
    const c = resolveConfig({ ...EXP4_DEFAULTS, vocabSize: 65 });
    expect(flopsPerToken(c, 128)).toBe(2 * (8 * 12 * 128 * 128 + 65 * 128) + 4 * 8 * 128 * 64);
    expect(flopsPerToken(c, 128) / flopsPerToken(c, 32)).toBeGreaterThan(10);
    expect(tf).toBeDefined();
  });
});
