import * as tf from '@tensorflow/tfjs-core';
import { generate } from './generate';
import { MatryoshkaGPT } from './model';
import { argmax, sampleToken } from './sampling';
import { SeededRandom } from '@matryoshka/tokenizer';
import type { Nesting } from './config';

const T = 8;
const CONFIG = { vocabSize: 11, contextLength: T, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 5 };

/** nanoGPT's generate, written with forwardWidth: crop to the last t ids, argmax at the last position. */
function referenceGreedy(model: MatryoshkaGPT, prompt: number[], width: number, n: number): number[] {
  const tokens = [...prompt];
  for (let i = 0; i < n; i++) {
    const context = tokens.slice(-T);
    const ids = tf.tensor3d([[context]], undefined, 'int32');
    const logits = model.forwardWidth(ids, width, { training: false });
    const v = CONFIG.vocabSize;
    const last = Array.from(logits.dataSync()).slice((context.length - 1) * v);
    tokens.push(argmax(last));
    tf.dispose([ids, logits]);
  }
  return tokens;
}

describe('generate', () => {
  // One set of weights, nested both ways.
  const models = {} as Record<Nesting, MatryoshkaGPT>;
  beforeAll(() => {
    for (const nesting of ['embedding', 'width'] as const) {
      const gpt = new MatryoshkaGPT({ ...CONFIG, nesting });
      // Larger weights than the N(0, 0.02) init, so greedy paths are not all one token.
      for (const v of Object.values(gpt.namedVariables())) v.assign(tf.mul(v, 40));
      models[nesting] = gpt;
    }
  });
  afterAll(() => Object.values(models).forEach((gpt) => gpt.dispose()));

  const prompts: Array<[string, number[]]> = [
    ['1 token', [4]],
    ['5 tokens (< t)', [4, 1, 7, 0, 9]],
    ['11 tokens (> t)', [4, 1, 7, 0, 9, 3, 3, 8, 2, 10, 6]],
  ];
  for (const nesting of ['embedding', 'width'] as const) {
    describe(`nesting ${nesting}`, () => {
      it.each(prompts)('KV-cached greedy equals uncached and the reference, prompt of %s', (_, prompt) => {
        const model = models[nesting];
        for (const width of [4, 16]) {
          // 12 new tokens: the sequence always outgrows t, so the window slides too.
          const options = { width, maxNewTokens: 12, seed: 1, greedy: true };
          const cached = generate(model, prompt, options);
          const uncached = generate(model, prompt, { ...options, useCache: false });
          const reference = referenceGreedy(model, prompt, width, 12);
          expect(cached).toEqual(reference);
          expect(uncached).toEqual(reference);
          expect(cached.slice(0, prompt.length)).toEqual(prompt);
          expect(cached).toHaveLength(prompt.length + 12);
        }
      });
    });
  }

  it('greedy generation is not trivially constant (the test above has teeth)', () => {
    const out = generate(models.width, [4], { width: 16, maxNewTokens: 12, seed: 1, greedy: true });
    expect(new Set(out).size).toBeGreaterThan(2);
  });

  it('sampling is reproducible by seed and varies with it', () => {
    const options = { width: 8, maxNewTokens: 20, temperature: 1.5 };
    const a = generate(models.width, [1, 2], { ...options, seed: 11 });
    const b = generate(models.width, [1, 2], { ...options, seed: 11 });
    const c = generate(models.width, [1, 2], { ...options, seed: 12 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('onToken streams every new id', () => {
    const seen: number[] = [];
    const out = generate(models.embedding, [1], { width: 4, maxNewTokens: 5, seed: 2, onToken: (id) => seen.push(id) });
    expect(seen).toEqual(out.slice(1));
  });

  it('refuses an empty prompt, ids outside the vocabulary and bad sampling options', () => {
    const base = { width: 8, maxNewTokens: 2, seed: 1 };
    const model = models.width;
    expect(() => generate(model, [], base)).toThrow(/at least one token/);
    expect(() => generate(model, [11], base)).toThrow(/outside the vocabulary/);
    expect(() => generate(model, [1], { ...base, temperature: 0 })).toThrow(/temperature/);
    expect(() => generate(model, [1], { ...base, topK: 0 })).toThrow(/topK/);
    expect(() => generate(model, [1], { ...base, width: 6 })).toThrow(/multiple of heads/);
  });
});

describe('sampleToken', () => {
  it('top-k never picks outside the k largest logits; greedy picks the first maximum', () => {
    const logits = [0.1, 2, 1.9, -1, 2, 0];
    const random = new SeededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) seen.add(sampleToken(logits, { topK: 3 }, random));
    expect([...seen].sort()).toEqual([1, 2, 4]);
    expect(sampleToken(logits, { greedy: true }, random)).toBe(1);
  });

  it('follows softmax(logits / temperature)', () => {
    const logits = [Math.log(1), Math.log(3)];
    const random = new SeededRandom(9);
    let ones = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) ones += sampleToken(logits, {}, random);
    expect(ones / n).toBeGreaterThan(0.72);
    expect(ones / n).toBeLessThan(0.78);
    // temperature 2 flattens 1:3 to 1:sqrt(3): p = 0.634
    let hot = 0;
    for (let i = 0; i < n; i++) hot += sampleToken(logits, { temperature: 2 }, random);
    expect(hot / n).toBeGreaterThan(0.6);
    expect(hot / n).toBeLessThan(0.67);
  });
});
