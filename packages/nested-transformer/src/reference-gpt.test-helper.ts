// A plainly written GPT for the tests: float64 JavaScript arrays, one head at a time, every
// slice of docs/EXPERIMENTS.md ("Slices of every parameter") spelled out as index arithmetic on the raw variables.
// It shares no code with the model.
import type { MatryoshkaGPT } from './model';
import { parameterSpecs } from './parameters';

type Vector = number[];

export interface RawWeights {
  [name: string]: { shape: number[]; data: number[] };
}

/** The weights of a model of one replica, each with its shape as one model holds it (no replica axis). */
export function rawWeights(model: MatryoshkaGPT): RawWeights {
  if (model.replicas !== 1) throw new Error('rawWeights: a model of one replica');
  const variables = model.namedVariables();
  const out: RawWeights = {};
  for (const spec of parameterSpecs(model.config))
    out[spec.name] = { shape: [...spec.shape], data: Array.from(variables[spec.name].dataSync()) };
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

/** One layer as docs/EXPERIMENTS.md ("Nesting modes and Mix'n'Match") defines it: width a, hidden units f; null = skipped. */
export type ReferenceLayer = { width: number; hidden: number } | null;

/**
 * Dropout at the attention output and FFN output only (the original notebook's experiment 4:
 * no dropout on the attention weights): each site's mask, a flat (T x a) array, by layer.
 */
export interface ReferenceOutputDropout {
  mask(layer: number, site: 'attention-output' | 'ffn-output', rows: number, columns: number): Float32Array;
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
  const layers = Array.from({ length: config.layers }, () => ({ width: trunkWidth, hidden: 4 * trunkWidth }));
  return referenceSubmodelLogits(w, config, ids, { streamWidth: trunkWidth, layers, headWidth, headNormalisation });
}

/**
 * Logits (T x v) of one sequence for any submodel or mix: the stream at width M, layer i at its
 * own width a_i (reading and writing x[:a_i] only) with f_i hidden units, or skipped. Every
 * stride is read from the weight's own shape, so stored slices (a fixed mix) work as well.
 */
export function referenceSubmodelLogits(
  w: RawWeights,
  config: ReferenceConfig,
  ids: number[],
  plan: {
    streamWidth: number;
    layers: ReferenceLayer[];
    headWidth: number;
    headNormalisation: 'full' | 'prefix';
    dropout?: ReferenceOutputDropout;
  },
): number[][] {
  const { vocabSize: v, heads: h } = config;
  const M = plan.streamWidth;
  const d = w.token_embedding.shape[1];
  const E = (row: number, col: number) => w.token_embedding.data[row * d + col];
  const P = (row: number, col: number) => w.position_embedding.data[row * d + col];
  const T = ids.length;

  let x: Vector[] = ids.map((id, p) => {
    const e = layerNorm(Array.from({ length: M }, (_, c) => E(id, c)));
    return e.map((val, c) => val + P(p, c));
  });

  plan.layers.forEach((layer, l) => {
    if (!layer) return;
    const { width: m, hidden: f } = layer;
    const hs = m / h;
    const pre = `blocks.${l}`;
    const wqkv = w[`${pre}.attn.wqkv`]; // [A, 3, h, A/h]
    const wo = w[`${pre}.attn.wo`]; // [h, A/h, A]
    const bo = w[`${pre}.attn.bo`].data;
    const w1 = w[`${pre}.ffn.w1`]; // [A, F]
    const b1 = w[`${pre}.ffn.b1`].data;
    const w2 = w[`${pre}.ffn.w2`]; // [F, A]
    const b2 = w[`${pre}.ffn.b2`].data;
    const hsStored = wqkv.shape[3];
    const woColumns = wo.shape[2];
    const w1Columns = w1.shape[1];
    const w2Columns = w2.shape[1];
    const xa = x.map((xi) => xi.slice(0, m));
    const rest = x.map((xi) => xi.slice(m));

    // Attention, head by head: W[:m, :m/h] of each head's q, k, v.
    const a = xa.map(layerNorm);
    const project = (vec: Vector, which: number, head: number): Vector =>
      Array.from({ length: hs }, (_, c) => {
        let s = 0;
        for (let r = 0; r < m; r++) s += vec[r] * wqkv.data[((r * 3 + which) * h + head) * hsStored + c];
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
    // Output projection: head j's rows j*(A/h) .. j*(A/h) + m/h, columns :m; bias bo[:m].
    const attentionMask = plan.dropout?.mask(l, 'attention-output', T, m);
    const x1 = xa.map((xi, i) =>
      xi.map((xv, col) => {
        let s = bo[col];
        for (let head = 0; head < h; head++) {
          for (let c = 0; c < hs; c++) s += concat[i][head * hs + c] * wo.data[(head * hsStored + c) * woColumns + col];
        }
        return xv + (attentionMask ? attentionMask[i * m + col] * s : s);
      }),
    );
    // FFN: W1[:m, :f], b1[:f], W2[:f, :m], b2[:m].
    const ffnMask = plan.dropout?.mask(l, 'ffn-output', T, m);
    const x2 = x1.map((xi, i) => {
      const g = layerNorm(xi);
      const hidden = Array.from({ length: f }, (_, j) => {
        let s = b1[j];
        for (let r = 0; r < m; r++) s += g[r] * w1.data[r * w1Columns + j];
        return Math.max(0, s);
      });
      return xi.map((xv, col) => {
        let s = b2[col];
        for (let j = 0; j < f; j++) s += hidden[j] * w2.data[j * w2Columns + col];
        return xv + (ffnMask ? ffnMask[i * m + col] * s : s);
      });
    });
    x = x2.map((xi, i) => [...xi, ...rest[i]]);
  });

  const z = x.map(layerNorm);
  const k = plan.headWidth;
  const headRows = Array.from({ length: v }, (_, tok) => {
    const row = Array.from({ length: plan.headNormalisation === 'full' ? d : k }, (_, c) => E(tok, c));
    return layerNorm(row).slice(0, k);
  });
  return z.map((zi) => headRows.map((row) => dot(zi.slice(0, k), row)));
}
