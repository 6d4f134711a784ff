// A plainly written GPT for the tests: float64 JavaScript arrays, one head at a time, every
// slice of docs/EXPERIMENTS.md ("Slices of every parameter") spelled out as index arithmetic on the raw variables.
// It shares no code with the model.
import type { MatryoshkaGPT } from './model';

type Vector = number[];

export interface RawWeights {
  [name: string]: { shape: number[]; data: number[] };
}

export function rawWeights(model: MatryoshkaGPT): RawWeights {
  const out: RawWeights = {};
  for (const [name, v] of Object.entries(model.namedVariables())) out[name] = { shape: [...v.shape], data: Array.from(v.dataSync()) };
  return out;
}

function layerNorm(x: Vector): Vector {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
  return x.map((v) => (v - mean) / Math.sqrt(variance + 1e-5));
}

function dot(a: Vector, b: Vector): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface ReferenceConfig {
  vocabSize: number;
  width: number;
  heads: number;
  layers: number;
}

/**
 * Logits (T x v) of one sequence. `trunkWidth` m is the width the trunk runs at; the head reads
 * `headWidth` k <= m, normalising E as 'full' (LN over all d columns, then the first k) or
 * 'prefix' (LN over the first k columns).
 */
export function referenceLogits(
  w: RawWeights,
  config: ReferenceConfig,
  ids: number[],
  trunkWidth: number,
  headWidth: number,
  headNormalisation: 'full' | 'prefix',
): number[][] {
  const { vocabSize: v, width: d, heads: h, layers } = config;
  const m = trunkWidth;
  const hsFull = d / h;
  const hs = m / h;
  const E = (row: number, col: number) => w.token_embedding.data[row * d + col];
  const P = (row: number, col: number) => w.position_embedding.data[row * d + col];
  const T = ids.length;

  let x: Vector[] = ids.map((id, p) => {
    const e = layerNorm(Array.from({ length: m }, (_, c) => E(id, c)));
    return e.map((val, c) => val + P(p, c));
  });

  for (let l = 0; l < layers; l++) {
    const pre = `blocks.${l}`;
    const wqkv = w[`${pre}.attn.wqkv`].data; // [d, 3, h, d/h]
    const wo = w[`${pre}.attn.wo`].data; // [h, d/h, d]
    const bo = w[`${pre}.attn.bo`].data;
    const w1 = w[`${pre}.ffn.w1`].data; // [d, 4d]
    const b1 = w[`${pre}.ffn.b1`].data;
    const w2 = w[`${pre}.ffn.w2`].data; // [4d, d]
    const b2 = w[`${pre}.ffn.b2`].data;

    // Attention, head by head: W[:m, :m/h] of each head's q, k, v.
    const a = x.map(layerNorm);
    const project = (vec: Vector, which: number, head: number): Vector =>
      Array.from({ length: hs }, (_, c) => {
        let s = 0;
        for (let r = 0; r < m; r++) s += vec[r] * wqkv[((r * 3 + which) * h + head) * hsFull + c];
        return s;
      });
    const concat: Vector[] = Array.from({ length: T }, () => []);
    for (let head = 0; head < h; head++) {
      const q = a.map((vec) => project(vec, 0, head));
      const k = a.map((vec) => project(vec, 1, head));
      const val = a.map((vec) => project(vec, 2, head));
      for (let i = 0; i < T; i++) {
        const scores = Array.from({ length: i + 1 }, (_, j) => dot(q[i], k[j]) / Math.sqrt(hs));
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const total = exps.reduce((s1, s2) => s1 + s2, 0);
        const out = new Array(hs).fill(0);
        exps.forEach((e, j) => val[j].forEach((vv, c) => (out[c] += (e / total) * vv)));
        concat[i].push(...out);
      }
    }
    // Output projection: head j's rows j*(d/h) .. j*(d/h) + m/h, columns :m; bias bo[:m].
    const x1 = x.map((xi, i) =>
      xi.map((xv, col) => {
        let s = bo[col];
        for (let head = 0; head < h; head++) {
          for (let c = 0; c < hs; c++) s += concat[i][head * hs + c] * wo[(head * hsFull + c) * d + col];
        }
        return xv + s;
      }),
    );
    // FFN: W1[:m, :4m], b1[:4m], W2[:4m, :m], b2[:m].
    x = x1.map((xi) => {
      const f = layerNorm(xi);
      const hidden = Array.from({ length: 4 * m }, (_, j) => {
        let s = b1[j];
        for (let r = 0; r < m; r++) s += f[r] * w1[r * 4 * d + j];
        return Math.max(0, s);
      });
      return xi.map((xv, col) => {
        let s = b2[col];
        for (let j = 0; j < 4 * m; j++) s += hidden[j] * w2[j * d + col];
        return xv + s;
      });
    });
  }

  const z = x.map(layerNorm);
  const k = headWidth;
  const headRows = Array.from({ length: v }, (_, tok) => {
    const row = Array.from({ length: headNormalisation === 'full' ? d : k }, (_, c) => E(tok, c));
    return layerNorm(row).slice(0, k);
  });
  return z.map((zi) => headRows.map((row) => dot(zi.slice(0, k), row)));
}
