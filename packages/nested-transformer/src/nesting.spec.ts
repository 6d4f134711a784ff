import * as tf from '@tensorflow/tfjs-core';
import { MatryoshkaGPT } from './model';

const CONFIG = {
  vocabSize: 11,
  contextLength: 8,
  width: 16,
  layers: 2,
  heads: 4,
  dropout: 0.1,
  minPower: 2,
  seed: 3,
  nesting: 'width' as const,
};
const IDS = [
  [3, 1, 4, 1, 5, 9, 2, 6],
  [10, 0, 7, 7, 2, 8, 1, 3],
];

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  const x = Array.from(a.dataSync());
  const y = Array.from(b.dataSync());
  expect(x.length).toBe(y.length);
  return x.reduce((worst, v, i) => Math.max(worst, Math.abs(v - y[i])), 0);
}

/**
 * Is flat index i of a full-size parameter inside the width-m submodel? Written from
 * docs/EXPERIMENTS.md ("Slices of every parameter"), independently of the model's slicing code.
 */
function insideSlice(name: string, shape: number[], i: number, m: number, heads: number): boolean {
  const d = CONFIG.width;
  const hsFull = d / heads;
  const last = name.split('.').pop();
  switch (last) {
    case 'token_embedding':
    case 'position_embedding':
      return i % d < m;
    case 'wqkv': {
      const c = i % hsFull;
      const row = Math.floor(i / (3 * heads * hsFull));
      return row < m && c < m / heads;
    }
    case 'wo': {
      const col = i % d;
      const withinHead = Math.floor(i / d) % hsFull;
      return col < m && withinHead < m / heads;
    }
    case 'bo':
    case 'b2':
      return i < m;
    case 'b1':
      return i < 4 * m;
    case 'w1':
      return Math.floor(i / (4 * d)) < m && i % (4 * d) < 4 * m;
    case 'w2':
      return Math.floor(i / d) < 4 * m && i % d < m;
  }
  throw new Error(`unknown parameter ${name} [${shape}]`);
}

/** The same weights as an embedding-nested model (trunk at full width, 'full' head), as a copy. */
function embeddingView(model: MatryoshkaGPT): MatryoshkaGPT {
  return new MatryoshkaGPT(
    { ...model.config, nesting: 'embedding', headNormalisation: 'full' },
    model.namedVariables(),
  );
}

describe('nesting', () => {
  let model: MatryoshkaGPT;
  let ids: tf.Tensor3D;
  beforeAll(() => {
    model = new MatryoshkaGPT(CONFIG);
    ids = tf.tensor3d([IDS], undefined, 'int32');
  });
  afterAll(() => {
    model.dispose();
    ids.dispose();
  });

  it.each([4, 8, 16])('extractSubmodel(%i) equals the nested width-m logits', (m) => {
    const sub = model.extractSubmodel(m);
    expect(sub.config.width).toBe(m);
    expect(sub.config.heads).toBe(4);
    expect(sub.config.layers).toBe(2);
    expect(sub.widths[sub.widths.length - 1]).toBe(m);
    const nested = model.forwardWidth(ids, m, { training: false });
    const alone = sub.forwardWidth(ids, m, { training: false });
    expect(maxAbsDiff(nested, alone)).toBeLessThan(1e-5);
    // At d = m the same weights nested by embedding only (full-width trunk, 'full' head) are the same model too.
    const asEmbedding = embeddingView(sub);
    const aloneFull = asEmbedding.forwardWidth(ids, m, { training: false });
    expect(maxAbsDiff(nested, aloneFull)).toBeLessThan(1e-5);
    expect(sub.parameterCount()).toBe(model.parameterCount(m));
    tf.dispose([nested, alone, aloneFull]);
    sub.dispose();
    asEmbedding.dispose();
  });

  it.each([4, 8])(
    'the nested width-%i submodel ignores every weight outside its slice (and uses the ones inside)',
    (m) => {
      const before = model.forwardWidth(ids, m, { training: false });
      const vars = model.namedVariables();
      const saved = Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, tf.clone(v)]));
      const restore = () => Object.entries(vars).forEach(([name, v]) => v.assign(saved[name]));
      try {
        for (const [name, v] of Object.entries(vars)) {
          const data = Array.from(v.dataSync());
          const perturbed = data.map((x, i) => (insideSlice(name, v.shape, i, m, 4) ? x : x + 0.5 * Math.sin(i + 1)));
          v.assign(tf.tensor(perturbed, v.shape));
        }
        const outside = model.forwardWidth(ids, m, { training: false });
        expect(maxAbsDiff(before, outside)).toBeLessThan(1e-6);
        // The whole model did change:
        const full = model.forwardWidth(ids, 16, { training: false });
        restore();
        const fullBefore = model.forwardWidth(ids, 16, { training: false });
        expect(maxAbsDiff(full, fullBefore)).toBeGreaterThan(1e-2);
        // ... and the inside parts do matter.
        for (const [name, v] of Object.entries(vars)) {
          const data = Array.from(v.dataSync());
          const index = data.findIndex((_, i) => insideSlice(name, v.shape, i, m, 4));
          data[index] += 1;
          v.assign(tf.tensor(data, v.shape));
        }
        const inside = model.forwardWidth(ids, m, { training: false });
        expect(maxAbsDiff(before, inside)).toBeGreaterThan(1e-3);
        tf.dispose([outside, full, fullBefore, inside]);
      } finally {
        restore();
        tf.dispose([before, ...Object.values(saved)]);
      }
    },
  );

  it("the prefix head's width-m logits ignore embedding coordinates m.. (the 'full' head does not)", () => {
    const m = 8;
    const E = model.namedVariables().token_embedding;
    const original = tf.clone(E);
    const fullLogits = () => {
      const view = embeddingView(model);
      const logits = view.forwardWidth(ids, m, { training: false });
      view.dispose();
      return logits;
    };
    const nestedBefore = model.forwardWidth(ids, m, { training: false });
    const fullBefore = fullLogits();
    const data = Array.from(E.dataSync()).map((x, i) => (i % 16 >= m ? x + 1 + (i % 5) : x));
    E.assign(tf.tensor(data, E.shape));
    const nestedAfter = model.forwardWidth(ids, m, { training: false });
    const fullAfter = fullLogits();
    E.assign(original);
    expect(maxAbsDiff(nestedBefore, nestedAfter)).toBeLessThan(1e-6);
    // Experiment 1's head normalises E over all d columns (and its trunk runs at d).
    expect(maxAbsDiff(fullBefore, fullAfter)).toBeGreaterThan(1e-2);
    tf.dispose([original, nestedBefore, fullBefore, nestedAfter, fullAfter]);
  });

  it('extractSubmodel refuses a width that is not a multiple of heads', () => {
    expect(() => model.extractSubmodel(6)).toThrow(/multiple of heads/);
    expect(() => model.extractSubmodel(32)).toThrow(/\[1, 16\]/);
  });
});
