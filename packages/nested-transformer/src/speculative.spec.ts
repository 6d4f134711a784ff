// Speculative decoding (speculative.ts): greedy output equals greedy generate() at the verifier
// width; the accept/reject step's output follows the verifier's p, checked by integrating it
// numerically in float64 and on hand-worked numbers; sampled output follows the verifier's
// distribution of the first two ids (computed by enumeration with forwardWidth, chi-square);
// refusals; no tensor leaks. Also the KV cache's score and truncate, against forwardWidth.
import * as tf from '@tensorflow/tfjs-core';
import type { Nesting } from './config';
import { generate } from './generate';
import { KVCacheRunner } from './kv-cache';
import { MatryoshkaGPT } from './model';
import {
  speculativeGenerate,
  speculativeStep,
  speculativeTokens,
  verifyDrafts,
  type SpeculativeKind,
} from './speculative';
import { drawFrom, sampleToken, samplingDistribution } from './sampling';
import { SeededRandom } from '@matryoshka/tokenizer';

const T = 16;
const BASE = { vocabSize: 11, contextLength: T, width: 16, layers: 2, heads: 4, dropout: 0.1, minPower: 2, seed: 5 };

/**
 * A tiny model with larger weights than the N(0, 0.02) init, so that greedy paths are not all one
 * id (as generate.spec.ts); at 20 times, the widths' greedy ids agree often but not always.
 */
function tinyModel(nesting: Nesting, extra: object = {}, scale = 20): MatryoshkaGPT {
  const model = new MatryoshkaGPT({ ...BASE, nesting, ...extra });
  tf.tidy(() => Object.values(model.namedVariables()).forEach((v) => v.assign(tf.mul(v, scale))));
  return model;
}

/** The width-m logits after every position of `ids`, by the plain full forward (no cache). */
function forwardRows(model: MatryoshkaGPT, ids: number[], m: number): number[][] {
  return tf.tidy(
    () => model.forwardWidth(tf.tensor3d([[ids]], undefined, 'int32'), m, { training: false }).arraySync()[0][0],
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('KVCacheRunner.score and truncate', () => {
  it('score gives the logits after each of the last n ids; truncate rolls back to exactly the shorter prefix', () => {
    const model = tinyModel('width');
    const ids = [3, 1, 4, 1, 5, 9, 2];
    const full = forwardRows(model, ids, 8);
    const runner = new KVCacheRunner(() => model.weightsForWidth(8));
    try {
      runner.append(ids.slice(0, 2));
      const scores = runner.score(ids.slice(2), 4);
      expect(runner.length).toBe(7);
      scores.forEach((row, i) => expect(maxAbsDiff(row, full[3 + i])).toBeLessThan(1e-4));
      // Roll back to 4 positions and feed other ids: as if they had followed the first 4 from the start.
      runner.truncate(4);
      expect(runner.length).toBe(4);
      const other = [...ids.slice(0, 4), 7, 0];
      const [a, b] = runner.score(other.slice(4), 2);
      const want = forwardRows(model, other, 8);
      expect(maxAbsDiff(a, want[4])).toBeLessThan(1e-4);
      expect(maxAbsDiff(b, want[5])).toBeLessThan(1e-4);
      expect(() => runner.truncate(7)).toThrow(
        'truncate: length 7 must be an integer in [0, 6] (the cached positions)',
      );
      expect(() => runner.score([1], 2)).toThrow('score: count 2 must be an integer in [1, 1] (the ids fed)');
      runner.truncate(0);
      expect(maxAbsDiff(runner.append([other[0]]), want[0])).toBeLessThan(1e-4);
    } finally {
      runner.dispose();
      model.dispose();
    }
  });
});

describe('greedy speculative decoding is greedy generate() at the verifier width', () => {
  const prompts: Array<[string, number[]]> = [
    ['1 id', [4]],
    ['5 ids (< t)', [4, 1, 7, 0, 9]],
    ['17 ids (> t)', [4, 1, 7, 0, 9, 3, 3, 8, 2, 10, 6, 1, 5, 9, 2, 6, 5]],
  ];
  // [verifier, draft] pairs below it.
  const pairs = [
    [16, 4],
    [16, 8],
    [8, 4],
  ];
  it.each(['width', 'ffn', 'width+depth'] as const)(
    'nesting %s: every prompt, pair of widths and k = 1, 2, 4, 8, past the context length',
    (nesting) => {
      const model = tinyModel(nesting);
      const kinds: Record<SpeculativeKind, number> = { accepted: 0, correction: 0, bonus: 0, plain: 0 };
      try {
        for (const [, prompt] of prompts) {
          for (const [width, draftWidth] of pairs) {
            // 20 new ids: the sequence always outgrows t = 16.
            const plain = generate(model, prompt, { width, maxNewTokens: 20, seed: 1, greedy: true });
            for (const k of [1, 2, 4, 8]) {
              const out = speculativeGenerate(model, prompt, {
                width,
                draftWidth,
                draftTokens: k,
                maxNewTokens: 20,
                seed: 1,
                greedy: true,
              });
              expect({ width, draftWidth, k, tokens: out.tokens }).toEqual({ width, draftWidth, k, tokens: plain });
              out.kinds.forEach((kind) => kinds[kind]++);
            }
          }
        }
      } finally {
        model.dispose();
      }
      // The comparison has teeth: drafts were both accepted and rejected, and bonuses given.
      expect(kinds.accepted).toBeGreaterThan(50);
      expect(kinds.correction).toBeGreaterThan(50);
      expect(kinds.bonus).toBeGreaterThan(20);
    },
  );
});

describe('the accept/reject step', () => {
  it('worked numbers: accept with probability min(1, p/q), else draw from norm(max(0, p - q)); a bonus from p', () => {
    const p = [0.5, 0.3, 0.2];
    const q = [0.2, 0.6, 0.2];
    // Draft 0: p/q = 2.5 >= 1, accepted whatever u. Draft 2: p/q = 1, accepted.
    expect(speculativeStep(p, q, 0, 0.999, 0)).toEqual({ accepted: true, id: 0 });
    expect(speculativeStep(p, q, 2, 0.999, 0)).toEqual({ accepted: true, id: 2 });
    // Draft 1: p/q = 0.3 / 0.6 = 0.5; u = 0.49 accepts, u = 0.51 rejects. max(0, p - q) = [0.3, 0, 0]:
    // the replacement is id 0 whatever u2.
    expect(speculativeStep(p, q, 1, 0.49, 0.99)).toEqual({ accepted: true, id: 1 });
    expect(speculativeStep(p, q, 1, 0.51, 0.99)).toEqual({ accepted: false, id: 0 });
    // p = [0.4, 0.1, 0.5], q = [0.1, 0.6, 0.3], draft 1: accepted with probability 0.1 / 0.6 = 1/6 = 0.1667;
    // the residual [0.3, 0, 0.2] / 0.5 = [0.6, 0, 0.4]: u2 < 0.6 gives 0, above gives 2.
    const p2 = [0.4, 0.1, 0.5];
    const q2 = [0.1, 0.6, 0.3];
    expect(speculativeStep(p2, q2, 1, 0.16, 0.5)).toEqual({ accepted: true, id: 1 });
    expect(speculativeStep(p2, q2, 1, 0.17, 0.59)).toEqual({ accepted: false, id: 0 });
    expect(speculativeStep(p2, q2, 1, 0.17, 0.61)).toEqual({ accepted: false, id: 2 });
    // A round of two drafts, uniforms in the order drawn: (test, resample) per draft, then the bonus.
    const script =
      (...u: number[]) =>
      () =>
        u.shift() as number;
    // Draft 0 under (p, q): p/q = 2.5, accepted; draft 1 under (p2, q2): u = 0.17 > 1/6, rejected -> 2 (u2 = 0.61).
    expect(verifyDrafts([p, p2, p], [q, q2], [0, 1], script(0.9, 0.9, 0.17, 0.61))).toEqual({ accepted: 1, next: 2 });
    // Both accepted (0.9 < 2.5, 0.1 < 1/6): the bonus from p2 = [0.4, 0.1, 0.5] with u = 0.45: cumulative 0.4, 0.5 -> id 1.
    expect(verifyDrafts([p, p2, p2], [q, q2], [0, 1], script(0.9, 0.9, 0.1, 0.9, 0.45))).toEqual({
      accepted: 2,
      next: 1,
    });
    expect(drawFrom(p2, 0.55)).toBe(2);
  });

  it('over draft ~ q and uniform u1, u2 its output follows p (float64 integration on grids, random p and q with zeros)', () => {
    const random = new SeededRandom(17);
    const N = 20000;
    const grid = (i: number) => (i + 0.5) / N;
    for (let trial = 0; trial < 6; trial++) {
      const v = 3 + (trial % 4);
      // Random distributions; some entries zero (as top-k leaves them) in one or the other.
      const draw = () => {
        const w = Array.from({ length: v }, () => (random.next() < 0.25 ? 0 : random.next()));
        if (!w.some((x) => x > 0)) w[0] = 1;
        const total = w.reduce((a, b) => a + b, 0);
        return w.map((x) => x / total);
      };
      const p = draw();
      const q = draw();
      const out = new Array<number>(v).fill(0);
      for (let d = 0; d < v; d++) {
        if (q[d] === 0) continue;
        let rejectedAt = -1;
        let accepted = 0;
        for (let i = 0; i < N; i++) {
          const step = speculativeStep(p, q, d, grid(i), 0.5);
          if (step.accepted) accepted++;
          else rejectedAt = grid(i);
        }
        out[d] += (q[d] * accepted) / N;
        if (rejectedAt < 0) continue;
        // The replacement does not depend on which u1 rejected: sweep u2 at one of them.
        for (let i = 0; i < N; i++)
          out[speculativeStep(p, q, d, rejectedAt, grid(i)).id] += (q[d] * (1 - accepted / N)) / N;
      }
      // Each boundary of a grid cell costs at most 1/N of mass.
      expect({ trial, worst: maxAbsDiff(out, p) < 4 / N }).toEqual({ trial, worst: true });
    }
  });
});

describe('samplingDistribution', () => {
  it('is the distribution sampleToken draws from: the same id for the same uniform', () => {
    const logits = [0.1, 2, 1.9, -1, 2, 0, 1.2];
    for (const options of [{}, { temperature: 0.7 }, { topK: 3 }, { temperature: 1.6, topK: 2 }]) {
      const probabilities = samplingDistribution(logits, options);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const a = new SeededRandom(4);
      const b = new SeededRandom(4);
      for (let i = 0; i < 500; i++) expect(drawFrom(probabilities, a.next())).toBe(sampleToken(logits, options, b));
    }
    // top-k keeps ties with the k-th: k = 1 keeps both 2s.
    expect(Array.from(samplingDistribution(logits, { topK: 1 }), (x) => x > 0)).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
      false,
    ]);
  });
});

/** softmax(logits / temperature) over the top-k (ties kept), float64: the reference of the chi-square test. */
function referenceDistribution(logits: number[], temperature: number, topK?: number): number[] {
  const kth = topK === undefined ? -Infinity : [...logits].sort((a, b) => b - a)[topK - 1];
  const weights = logits.map((x) => (x >= kth ? Math.exp((x - Math.max(...logits)) / temperature) : 0));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

/** P(first two new ids = (a, b)) at width m, by enumerating the first id: v * v cells. */
function firstTwoDistribution(
  model: MatryoshkaGPT,
  prompt: number[],
  m: number,
  temperature: number,
  topK?: number,
): number[] {
  const v = model.config.vocabSize;
  const cells: number[] = [];
  for (let a = 0; a < v; a++) {
    const rows = forwardRows(model, [...prompt, a], m);
    const first = referenceDistribution(rows[prompt.length - 1], temperature, topK)[a];
    referenceDistribution(rows[prompt.length], temperature, topK).forEach((second) => cells.push(first * second));
  }
  return cells;
}

/**
 * Pearson's chi-square of counts against probabilities, cells expected below 5 pooled into one,
 * and the 0.999 quantile of chi-square with its degrees of freedom (Wilson-Hilferty). Counts in a
 * cell of probability 0 make it Infinity.
 */
function chiSquare(counts: number[], probabilities: number[]): { statistic: number; critical: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  if (counts.some((c, i) => c > 0 && probabilities[i] === 0)) return { statistic: Infinity, critical: 0 };
  const bins: Array<[number, number]> = [];
  let pooled: [number, number] = [0, 0];
  counts.forEach((c, i) => {
    const expected = n * probabilities[i];
    if (expected >= 5) bins.push([c, expected]);
    else pooled = [pooled[0] + c, pooled[1] + expected];
  });
  if (pooled[1] > 0) bins.push(pooled);
  const statistic = bins.reduce((s, [c, e]) => s + (c - e) ** 2 / e, 0);
  const df = bins.length - 1;
  const z = 3.0902; // the standard normal's 0.999 quantile
  const critical = df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
  return { statistic, critical };
}

describe('sampled speculative decoding follows the verifier distribution', () => {
  const SMALL = { vocabSize: 5, layers: 1, seed: 3 };
  const SAMPLES = 1000;
  it.each([
    // k = 2 over 3 new ids: the first two come from two accepted drafts, an accepted draft and a correction, or a correction and the next round.
    ['k = 2, temperature 3', 2, 3, 3, undefined],
    // k = 1 over 2 new ids: a bonus follows every accepted draft; top-k leaves zeros in p and q.
    ['k = 1, temperature 2, top-k 3', 1, 2, 2, 3],
  ] as const)('%s: chi-square of the first two ids over 1000 seeds', (_, k, newIds, temperature, topK) => {
    const model = tinyModel('width', SMALL, 10);
    const prompt = [2, 0, 4];
    try {
      const verifier = firstTwoDistribution(model, prompt, 16, temperature, topK);
      const draft = firstTwoDistribution(model, prompt, 4, temperature, topK);
      const counts = new Array<number>(verifier.length).fill(0);
      const kinds: Record<SpeculativeKind, number> = { accepted: 0, correction: 0, bonus: 0, plain: 0 };
      for (let seed = 0; seed < SAMPLES; seed++) {
        const out = speculativeGenerate(model, prompt, {
          width: 16,
          draftWidth: 4,
          draftTokens: k,
          maxNewTokens: newIds,
          seed,
          temperature,
          topK,
        });
        counts[out.tokens[3] * 5 + out.tokens[4]]++;
        out.kinds.forEach((kind) => kinds[kind]++);
      }
      const fit = chiSquare(counts, verifier);
      expect(fit.statistic).toBeLessThan(fit.critical);
      // Teeth: the draft's own distribution differs enough to fail the same test, and every path ran.
      const wrong = chiSquare(counts, draft);
      expect(wrong.statistic).toBeGreaterThan(wrong.critical);
      expect(kinds.accepted).toBeGreaterThan(100);
      expect(kinds.correction).toBeGreaterThan(100);
      if (k === 1) expect(kinds.bonus).toBeGreaterThan(100);
    } finally {
      model.dispose();
    }
  });
});

describe('refusals', () => {
  const options = { width: 16, draftWidth: 4, draftTokens: 4, maxNewTokens: 5, seed: 1 };
  it('refuses a model nested by its embedding: nothing cheaper to draft with', () => {
    const model = tinyModel('embedding');
    try {
      expect(() => speculativeGenerate(model, [1], options)).toThrow(
        "speculative decoding: this model is nested by its embedding only (nesting 'embedding'): every width runs the same full-width trunk and only the head is cut, so a draft costs as much as the verifier; it needs a model nested by 'width', 'ffn' or 'width+depth'",
      );
    } finally {
      model.dispose();
    }
  });

  it('refuses a draft width not below the verifier, not a width of the model, and k < 1, each with one message', () => {
    const model = tinyModel('width+depth');
    const mix = model.extractMix([16, 4]);
    try {
      const refused =
        (o: object, m: MatryoshkaGPT = model) =>
        () =>
          speculativeTokens(m, [1], { ...options, ...o });
      expect(refused({ draftWidth: 16 })).toThrow(
        "speculative decoding: draftWidth 16 must be below the verifier's width 16: the draft is the smaller, cheaper doll",
      );
      expect(refused({ width: 8, draftWidth: 16 })).toThrow(
        "speculative decoding: draftWidth 16 must be below the verifier's width 8",
      );
      expect(refused({ draftWidth: 12 })).toThrow(
        'speculative decoding: draftWidth: width 12 is not a nested width of this width+depth model (4, 8, 16): only those have a depth',
      );
      expect(refused({ draftWidth: 32 })).toThrow(
        'speculative decoding: draftWidth: width 32 must be an integer in [1, 16]',
      );
      expect(refused({ width: 6 })).toThrow(
        'speculative decoding: width: width 6 of a width-nested model must be a multiple of heads (4)',
      );
      expect(refused({ draftWidth: 8 }, mix)).toThrow(
        "speculative decoding: draftWidth: width 8: this model is one Mix'n'Match mix (16,4); its only width is 16",
      );
      expect(refused({ draftTokens: 0 })).toThrow('speculative decoding: draftTokens must be an integer >= 1 (got 0)');
      expect(refused({ draftTokens: 1.5 })).toThrow(
        'speculative decoding: draftTokens must be an integer >= 1 (got 1.5)',
      );
      // ... and the checks generate() makes too.
      expect(() => speculativeTokens(model, [], options)).toThrow(
        'speculative decoding: the prompt must hold at least one token id',
      );
      expect(() => speculativeTokens(model, [11], options)).toThrow(
        'speculative decoding: prompt id 11 at index 0 is outside the vocabulary [0, 11)',
      );
      expect(refused({ maxNewTokens: -1 })).toThrow(
        'speculative decoding: maxNewTokens must be a non-negative integer (got -1)',
      );
      expect(refused({ temperature: 0 })).toThrow(/^temperature must be a positive number/);
    } finally {
      mix.dispose();
      model.dispose();
    }
  });
});

describe('tensor hygiene', () => {
  it('keeps tf.memory().numTensors flat across rounds and after a speculative generation, also one stopped early', () => {
    const model = tinyModel('ffn');
    try {
      const before = tf.memory().numTensors;
      const during: number[] = [];
      const out = speculativeGenerate(model, [1, 2], {
        width: 16,
        draftWidth: 4,
        draftTokens: 3,
        maxNewTokens: 12,
        seed: 2,
        temperature: 1.2,
        onRound: () => during.push(tf.memory().numTensors),
      });
      expect(out.stats.rounds).toBeGreaterThan(1);
      expect(new Set(during).size).toBe(1);
      expect(tf.memory().numTensors).toBe(before);
      const ids = speculativeTokens(model, [1, 2], {
        width: 16,
        draftWidth: 8,
        draftTokens: 2,
        maxNewTokens: 12,
        seed: 2,
        greedy: true,
      });
      ids.next();
      ids.return(undefined as never);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });

  it('reports its rounds and statistics consistently with the ids it yields', () => {
    const model = tinyModel('width');
    try {
      const rounds: number[] = [];
      const streamed: Array<[number, SpeculativeKind]> = [];
      const out = speculativeGenerate(model, [3], {
        width: 16,
        draftWidth: 8,
        draftTokens: 4,
        maxNewTokens: 24,
        seed: 7,
        onRound: (round) => rounds.push(round.accepted),
        onToken: (id, kind) => streamed.push([id, kind]),
      });
      const { stats, kinds, tokens } = out;
      expect(streamed).toEqual(tokens.slice(1).map((id, i) => [id, kinds[i]]));
      expect(stats.rounds).toBe(rounds.length);
      expect(stats.accepted).toBe(kinds.filter((k) => k === 'accepted').length);
      expect(stats.rejected).toBe(kinds.filter((k) => k === 'correction').length);
      expect(stats.plain).toBe(kinds.filter((k) => k === 'plain').length);
      expect(stats.rounds).toBe(stats.rejected + kinds.filter((k) => k === 'bonus').length);
      expect(stats.acceptanceRate).toBeCloseTo(stats.accepted / (stats.accepted + stats.rejected), 12);
      // t = 16 and one prompt id: rounds end by length t + 1 (the last verifies position t - 1 and adds
      // one id after it); from there every id is the verifier's alone.
      expect(stats.plain).toBeGreaterThanOrEqual(24 - T);
    } finally {
      model.dispose();
    }
  });
});
