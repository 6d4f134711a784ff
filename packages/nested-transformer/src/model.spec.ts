import * as tf from '@tensorflow/tfjs-core';
import { MatryoshkaGPT } from './model';
import { rawWeights, referenceLogits } from './reference-gpt.test-helper';

// Tiny: widths 4, 8, 16 with 4 heads (head sizes 1, 2, 4).
const CONFIG = { vocabSize: 11, contextLength: 8, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 7 };
const IDS = [
  [3, 1, 4, 1, 5, 9, 2, 6],
  [10, 0, 7, 7, 2, 8, 1, 3],
];

function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j])))));
  return worst;
}

/** Logits (1, b, T, v) of a model of one replica as nested plain arrays (b, T, v). */
function toRows(t: tf.Tensor): number[][][] {
  const [, b, T, v] = t.shape;
  const data = Array.from(t.dataSync());
  return Array.from({ length: b }, (_, i) =>
    Array.from({ length: T }, (_, p) => data.slice((i * T + p) * v, (i * T + p + 1) * v)),
  );
}

describe('MatryoshkaGPT against a plainly written reference GPT', () => {
  // The same seed gives the same weights whatever the nesting: two views of one set of weights.
  let model: MatryoshkaGPT;
  let nested: MatryoshkaGPT;
  beforeAll(() => {
    model = new MatryoshkaGPT(CONFIG);
    nested = new MatryoshkaGPT({ ...CONFIG, nesting: 'width' });
  });
  afterAll(() => {
    model.dispose();
    nested.dispose();
  });

  it.each([8, 5])("nesting 'embedding': every head width matches (T = %i)", (T) => {
    const weights = rawWeights(model);
    const ids = tf.tensor3d([IDS.map((r) => r.slice(0, T))], undefined, 'int32');
    const logits = model.forward(ids, { training: false });
    expect(logits.map((l) => l.shape)).toEqual(model.widths.map(() => [1, 2, T, 11]));
    model.widths.forEach((k, i) => {
      const got = toRows(logits[i]);
      IDS.forEach((row, s) => {
        const want = referenceLogits(weights, CONFIG, row.slice(0, T), 16, k, 'full');
        expect(maxAbsDiff(got[s], want)).toBeLessThan(1e-4);
      });
    });
    tf.dispose([ids, ...logits]);
  });

  it('nesting \'width\': every width m is the sliced submodel of docs/EXPERIMENTS.md, "Slices of every parameter"', () => {
    const weights = rawWeights(nested);
    const ids = tf.tensor3d([IDS], undefined, 'int32');
    const logits = nested.forward(ids, { training: false });
    nested.widths.forEach((m, i) => {
      const got = toRows(logits[i]);
      IDS.forEach((row, s) => {
        const want = referenceLogits(weights, CONFIG, row, m, m, 'prefix');
        expect(maxAbsDiff(got[s], want)).toBeLessThan(1e-4);
      });
    });
    tf.dispose([ids, ...logits]);
  });

  it("headNormalisation 'prefix' with nesting 'embedding' normalises E over the first m columns", () => {
    const other = new MatryoshkaGPT({ ...CONFIG, headNormalisation: 'prefix' });
    const weights = rawWeights(other);
    const ids = tf.tensor3d([[IDS[0]]], undefined, 'int32');
    const logits = other.forwardWidth(ids, 8, { training: false });
    expect(maxAbsDiff(toRows(logits)[0], referenceLogits(weights, CONFIG, IDS[0], 16, 8, 'prefix'))).toBeLessThan(1e-4);
    tf.dispose([ids, logits]);
    other.dispose();
  });

  it('forwardWidth equals the matching entry of forward', () => {
    const ids = tf.tensor3d([IDS], undefined, 'int32');
    for (const gpt of [model, nested]) {
      const all = gpt.forward(ids, { training: false });
      const one = gpt.forwardWidth(ids, 8, { training: false });
      expect(Array.from(one.dataSync())).toEqual(Array.from(all[1].dataSync()));
      tf.dispose([...all, one]);
    }
    ids.dispose();
  });

  it('loss returns the summed cross-entropy and one loss per width', () => {
    const x = tf.tensor3d([IDS], undefined, 'int32');
    const y = tf.tensor3d([IDS.map((r) => [...r.slice(1), 0])], undefined, 'int32');
    const { total, perWidth } = nested.loss(x, y, { training: false, importance: [1, 2, 3] });
    const parts = perWidth.map((p) => p.dataSync()[0]);
    expect(parts).toHaveLength(3);
    parts.forEach((p) => expect(p).toBeGreaterThan(0));
    expect(total.dataSync()[0]).toBeCloseTo(parts[0] + 2 * parts[1] + 3 * parts[2], 4);
    tf.dispose([x, y, total, ...perWidth]);
  });

  it('refuses bad widths and over-long sequences with clear messages', () => {
    const ids = tf.tensor3d([[[1, 2]]], undefined, 'int32');
    expect(() => nested.forward(ids, { training: false, widths: [6] })).toThrow(/multiple of heads/);
    expect(() => model.forward(ids, { training: false, widths: [32] })).toThrow(/width 32/);
    const long = tf.zeros([1, 1, 9], 'int32') as tf.Tensor3D;
    expect(() => model.forward(long, { training: false })).toThrow(/exceeds contextLength 8/);
    tf.dispose([ids, long]);
  });

  it('refuses what does not apply to its nesting', () => {
    expect(() => new MatryoshkaGPT({ ...CONFIG, nesting: 'width', headNormalisation: 'full' })).toThrow(
      "GPTConfig.headNormalisation 'full' does not apply to nesting 'width'",
    );
    expect(() => new MatryoshkaGPT({ ...CONFIG, nesting: 'width', heads: 8 })).toThrow(
      'must divide every nested width, but not 4',
    );
    expect(() => model.extractSubmodel(8)).toThrow('nested by its embedding has no standalone submodels');
    // Width 6 is a head width of an embedding-nested model (any prefix), not of a width-nested one.
    const ids = tf.tensor3d([[[1, 2]]], undefined, 'int32');
    const [six] = model.forward(ids, { training: false, widths: [6] });
    expect(six.shape).toEqual([1, 1, 2, 11]);
    tf.dispose([ids, six]);
  });

  it('initialisation is seeded: same seed same weights, other seed other weights; biases 0', () => {
    const again = new MatryoshkaGPT(CONFIG);
    const other = new MatryoshkaGPT({ ...CONFIG, seed: 8 });
    const a = model.namedVariables();
    const b = again.namedVariables();
    const c = other.namedVariables();
    for (const name of Object.keys(a)) expect(Array.from(b[name].dataSync())).toEqual(Array.from(a[name].dataSync()));
    expect(Array.from(c['blocks.0.ffn.w1'].dataSync())).not.toEqual(Array.from(a['blocks.0.ffn.w1'].dataSync()));
    expect(Array.from(a['blocks.1.attn.bo'].dataSync()).every((x) => x === 0)).toBe(true);
    // N(0, 0.02): the sample std of the token embedding is near 0.02.
    const e = Array.from(a.token_embedding.dataSync());
    const std = Math.sqrt(e.reduce((s, x) => s + x * x, 0) / e.length);
    expect(std).toBeGreaterThan(0.015);
    expect(std).toBeLessThan(0.025);
    again.dispose();
    other.dispose();
  });
});
