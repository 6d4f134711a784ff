// The nesting modes and Mix'n'Match (docs/EXPERIMENTS.md, "Nesting modes and Mix'n'Match"),
// checked against the plainly written reference GPT, which shares no code with the model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Nesting } from './config';
import { flopsPerToken, parameterCount } from './cost-model';
import { dropoutMask, dropoutSeedFor } from './dropout';
import { generate } from './generate';
import { MatryoshkaGPT } from './model';
import { mixOfWidth } from './submodels';
import { rawWeights, referenceSubmodelLogits, type ReferenceLayer } from './reference-gpt.test-helper';
import { loadSafetensors, saveSafetensors } from './weights-file';

const BASE = { vocabSize: 11, contextLength: 8, width: 16, layers: 4, heads: 4, dropout: 0.1, minPower: 2, seed: 5 };
const SEQ = [3, 1, 4, 1, 5, 9, 2, 6];

/** The logits of replica 0's first sequence, (T, v). */
function rows(logits: tf.Tensor4D): number[][] {
  return logits.arraySync()[0][0];
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b[i][j])))));
  return worst;
}

/** The reference's layer list: every layer at (a, f), layers from `depth` on skipped. */
function layersOf(count: number, a: number, f: number, depth = count): ReferenceLayer[] {
  return Array.from({ length: count }, (_, i) => (i < depth ? { width: a, hidden: f } : null));
}

function withModel(nesting: Nesting, body: (model: MatryoshkaGPT, ids: tf.Tensor3D) => void, extra: object = {}): void {
  const model = new MatryoshkaGPT({ ...BASE, nesting, ...extra });
  const ids = tf.tensor3d([[SEQ]], undefined, 'int32');
  try {
    body(model, ids);
  } finally {
    model.dispose();
    ids.dispose();
  }
}

describe("nesting 'ffn' (MatFormer): everything at d, every FFN cut to 4m hidden units", () => {
  it('each submodel equals the reference GPT with attention, stream and head at d and FFN hidden 4m', () => {
    withModel('ffn', (model, ids) => {
      const raw = rawWeights(model);
      for (const m of [4, 8, 16]) {
        const want = referenceSubmodelLogits(raw, BASE, SEQ, {
          streamWidth: 16,
          layers: layersOf(4, 16, 4 * m),
          headWidth: 16,
          headNormalisation: 'prefix',
        });
        expect(maxAbsDiff(rows(model.forwardWidth(ids, m, { training: false })), want)).toBeLessThan(1e-4);
      }
    });
  });

  it('extractSubmodel(m) is an ordinary model with the sliced FFN: same logits, fewer parameters', () => {
    withModel('ffn', (model, ids) => {
      const sub = model.extractSubmodel(4);
      expect(sub.namedVariables()['blocks.0.ffn.w1'].shape).toEqual([1, 16, 16]);
      expect(sub.namedVariables()['blocks.0.attn.wqkv'].shape).toEqual([1, 16, 3, 4, 4]);
      expect(
        maxAbsDiff(
          rows(sub.forwardWidth(ids, 16, { training: false })),
          rows(model.forwardWidth(ids, 4, { training: false })),
        ),
      ).toBeLessThan(1e-5);
      sub.dispose();
    });
  });
});

describe("nesting 'width+depth': submodel m_k runs its first l_k layers at width m_k", () => {
  it('defaults l_k = ceil(l m_k / d) and equals the reference with the later layers skipped', () => {
    withModel('width+depth', (model, ids) => {
      expect(model.config.layersPerWidth).toEqual([1, 2, 4]);
      const raw = rawWeights(model);
      [4, 8, 16].forEach((m, k) => {
        const want = referenceSubmodelLogits(raw, BASE, SEQ, {
          streamWidth: m,
          layers: layersOf(4, m, 4 * m, [1, 2, 4][k]),
          headWidth: m,
          headNormalisation: 'prefix',
        });
        expect(maxAbsDiff(rows(model.forwardWidth(ids, m, { training: false })), want)).toBeLessThan(1e-4);
      });
    });
  });

  it('extractSubmodel(m) is the truncated model (l_k layers at d = m, keeping the smaller dolls)', () => {
    withModel('width+depth', (model, ids) => {
      const sub = model.extractSubmodel(8);
      expect(sub.config).toMatchObject({
        width: 8,
        layers: 2,
        minPower: 2,
        layersPerWidth: [1, 2],
        nesting: 'width+depth',
      });
      for (const m of [4, 8]) {
        expect(
          maxAbsDiff(
            rows(sub.forwardWidth(ids, m, { training: false })),
            rows(model.forwardWidth(ids, m, { training: false })),
          ),
        ).toBeLessThan(1e-5);
      }
      sub.dispose();
    });
  });

  it('only the nested widths have a depth', () => {
    withModel('width+depth', (model) => {
      expect(() => model.submodel(12)).toThrow(
        /width 12 is not a nested width of this width\+depth model \(4, 8, 16\)/,
      );
    });
  });
});

describe("Mix'n'Match: one width per layer", () => {
  it.each(['width', 'ffn', 'width+depth'] as const)(
    'a mix with every layer at m is exactly submodel m (%s)',
    (nesting) => {
      withModel(nesting, (model, ids) => {
        for (const m of model.widths) {
          const mix = model.mix(mixOfWidth(model.config, m));
          const a = rows(model.forwardSubmodel(ids, mix, { training: false }));
          const b = rows(model.forwardWidth(ids, m, { training: false }));
          expect(maxAbsDiff(a, b)).toBe(0);
          // ... and costs what submodel m costs.
          expect(parameterCount(model.config, mix)).toBe(model.parameterCount(m));
          expect(flopsPerToken(model.config, mix)).toBe(model.flopsPerToken(m));
        }
      });
    },
  );

  it("nesting 'width': layer i reads and writes x[:, :m_i] of a stream at the widest m_i; the rest passes through", () => {
    withModel('width', (model, ids) => {
      const mix = [8, 16, 4, 8];
      const want = referenceSubmodelLogits(rawWeights(model), BASE, SEQ, {
        streamWidth: 16,
        layers: mix.map((m) => ({ width: m, hidden: 4 * m })),
        headWidth: 16,
        headNormalisation: 'prefix',
      });
      expect(maxAbsDiff(rows(model.forwardSubmodel(ids, model.mix(mix), { training: false })), want)).toBeLessThan(
        1e-4,
      );
      // The stream is as wide as the widest layer: a mix of 4s and 8s runs at 8.
      expect(model.mix([8, 4, 4, 8]).width).toBe(8);
    });
  });

  it("nesting 'ffn': layer i's FFN has 4 m_i hidden units; 'width+depth': 0 skips a layer", () => {
    withModel('ffn', (model, ids) => {
      const mix = [4, 16, 8, 4];
      const want = referenceSubmodelLogits(rawWeights(model), BASE, SEQ, {
        streamWidth: 16,
        layers: mix.map((m) => ({ width: 16, hidden: 4 * m })),
        headWidth: 16,
        headNormalisation: 'prefix',
      });
      expect(maxAbsDiff(rows(model.forwardSubmodel(ids, model.mix(mix), { training: false })), want)).toBeLessThan(
        1e-4,
      );
    });
    withModel('width+depth', (model, ids) => {
      const mix = [16, 4, 0, 8];
      const want = referenceSubmodelLogits(rawWeights(model), BASE, SEQ, {
        streamWidth: 16,
        layers: [{ width: 16, hidden: 64 }, { width: 4, hidden: 16 }, null, { width: 8, hidden: 32 }],
        headWidth: 16,
        headNormalisation: 'prefix',
      });
      expect(maxAbsDiff(rows(model.forwardSubmodel(ids, model.mix(mix), { training: false })), want)).toBeLessThan(
        1e-4,
      );
    });
  });

  it('refuses mixes that do not fit the model, naming the layer', () => {
    withModel('width', (model) => {
      expect(() => model.mix([8, 16])).toThrow(/needs one width per layer \(4\)/);
      expect(() => model.mix([8, 16, 0, 8])).toThrow(/layer widths\[2\] = 0 must be a power of two in \[1, 16\]$/);
      expect(() => model.mix([8, 16, 2, 8])).toThrow(/layer widths\[2\] = 2 must be a multiple of heads \(4\)/);
    });
    withModel(
      'embedding',
      (model) => {
        expect(() => model.mix([16, 16, 16, 16])).toThrow(/nests its embedding only/);
      },
      { headNormalisation: 'full' },
    );
  });

  it.each([
    ['width', [8, 16, 4, 8]],
    ['ffn', [4, 16, 8, 4]],
    ['width+depth', [16, 4, 0, 8]],
  ] as const)(
    'extractMix (%s %j) writes a standalone model that survives a weights file and generates as the mix does',
    (nesting, mix) => {
      withModel(nesting, (model, ids) => {
        const standalone = model.extractMix(mix);
        expect(standalone.widths).toEqual([standalone.config.width]);
        const want = rows(model.forwardSubmodel(ids, model.mix(mix), { training: false }));
        expect(
          maxAbsDiff(rows(standalone.forwardWidth(ids, standalone.config.width, { training: false })), want),
        ).toBeLessThan(1e-5);
        const dir = mkdtempSync(join(tmpdir(), 'mix-'));
        try {
          saveSafetensors(join(dir, 'mix.safetensors'), standalone);
          const loaded = loadSafetensors(join(dir, 'mix.safetensors')).model;
          expect(loaded.config.layerWidths).toEqual([...mix]);
          expect(
            maxAbsDiff(rows(loaded.forwardWidth(ids, loaded.config.width, { training: false })), want),
          ).toBeLessThan(1e-5);
          // KV-cached generation and the plain recomputation agree on the mix.
          const opts = { width: loaded.config.width, maxNewTokens: 12, greedy: true, seed: 0 };
          expect(generate(loaded, [1, 2], opts)).toEqual(generate(loaded, [1, 2], { ...opts, useCache: false }));
          loaded.dispose();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        standalone.dispose();
      });
    },
  );
});

describe("initialisation: ours ('small') and the original notebook's", () => {
  const stats = (t: tf.Tensor) => {
    const x = Array.from(t.dataSync());
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    return { mean, std: Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length) };
  };

  it("'original': embeddings N(0, 1), weight matrices N(0, 0.02), biases N(0, 0.02); 'small': embeddings 0.02, biases 0", () => {
    const config = { ...BASE, vocabSize: 65, contextLength: 64, width: 64, layers: 2, nesting: 'width' as const };
    const original = new MatryoshkaGPT({ ...config, init: 'original' });
    const small = new MatryoshkaGPT(config);
    const o = original.namedVariables();
    const s = small.namedVariables();
    for (const name of ['token_embedding', 'position_embedding']) {
      expect(Math.abs(stats(o[name]).std - 1)).toBeLessThan(0.05);
      expect(Math.abs(stats(s[name]).std - 0.02)).toBeLessThan(0.002);
    }
    for (const name of ['blocks.0.attn.bo', 'blocks.1.ffn.b1', 'blocks.1.ffn.b2']) {
      expect(Math.abs(stats(o[name]).std - 0.02)).toBeLessThan(0.006);
      expect(Array.from(s[name].dataSync()).every((x) => x === 0)).toBe(true);
    }
    for (const name of ['blocks.0.attn.wqkv', 'blocks.1.ffn.w2']) {
      expect(Math.abs(stats(o[name]).std - 0.02)).toBeLessThan(0.002);
      // The same seeds draw the weight matrices in both schemes.
      expect(Array.from(o[name].dataSync())).toEqual(Array.from(s[name].dataSync()));
    }
    original.dispose();
    small.dispose();
  });
});

describe('attention dropout', () => {
  it('at 0 (the original notebook) a training pass drops only the attention and FFN outputs', () => {
    const config = { ...BASE, nesting: 'width' as const, dropout: 0.5, attentionDropout: 0, layers: 2 };
    const model = new MatryoshkaGPT(config);
    const ids = tf.tensor3d([[SEQ]], undefined, 'int32');
    const seed = 77;
    for (const m of [8, 16]) {
      const masks = {
        mask: (layer: number, site: 'attention-output' | 'ffn-output', r: number, c: number) =>
          dropoutMask([r, c], 0.5, dropoutSeedFor(seed, m, layer, site)).dataSync() as Float32Array,
      };
      const want = referenceSubmodelLogits(rawWeights(model), config, SEQ, {
        streamWidth: m,
        layers: layersOf(2, m, 4 * m),
        headWidth: m,
        headNormalisation: 'prefix',
        dropout: masks,
      });
      expect(maxAbsDiff(rows(model.forwardWidth(ids, m, { training: true, dropoutSeeds: [seed] })), want)).toBeLessThan(
        1e-4,
      );
    }
    model.dispose();
    ids.dispose();
  });

  it('has its own rate: attention dropout alone changes a training pass, and 0 everywhere changes nothing', () => {
    const run = (dropout: number, attentionDropout: number, training: boolean) => {
      const model = new MatryoshkaGPT({ ...BASE, nesting: 'width', dropout, attentionDropout });
      const ids = tf.tensor3d([[SEQ]], undefined, 'int32');
      const out = rows(model.forwardWidth(ids, 16, { training, dropoutSeeds: [3] }));
      model.dispose();
      ids.dispose();
      return out;
    };
    const evaluation = run(0, 0, false);
    expect(maxAbsDiff(run(0, 0, true), evaluation)).toBe(0);
    expect(maxAbsDiff(run(0, 0.5, true), evaluation)).toBeGreaterThan(1e-3);
  });
});
