import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from './adamw';
import { clipByGlobalNorm, replicaNorms } from './clip';
import { learningRateAt, validateSchedule } from './train-options';

/** Plain float64 AdamW (PyTorch's formula), independent of the implementation under test. */
function referenceAdamW(
  p0: number[],
  gradients: number[][],
  lr: number,
  wd: number,
  b1: number,
  b2: number,
  eps: number,
): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  gradients.forEach((g, index) => {
    const t = index + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      p[i] = p[i] - lr * (mHat / (Math.sqrt(vHat) + eps) + wd * p[i]);
    }
  });
  return p;
}

describe('AdamW', () => {
  const p0 = [1, -2, 0.5];
  const g1 = [0.1, -0.2, 0.3];
  const g2 = [-0.05, 0.4, 0.1];

  function run(options: ConstructorParameters<typeof AdamW>[1], names = ['w']): Record<string, number[]> {
    // One replica: every parameter leads with the replica axis, R = 1.
    const variables = Object.fromEntries(names.map((n) => [n, tf.variable(tf.tensor2d([p0]))]));
    const optimizer = new AdamW(variables, options);
    for (const g of [g1, g2]) {
      const grads = Object.fromEntries(names.map((n) => [n, tf.tensor2d([g])]));
      optimizer.applyGradients(grads, [0.1]);
      tf.dispose(Object.values(grads));
    }
    const out = Object.fromEntries(names.map((n) => [n, Array.from(variables[n].dataSync())]));
    expect(optimizer.step).toBe(2);
    optimizer.dispose();
    tf.dispose(Object.values(variables));
    return out;
  }

  it('matches a hand-computed two-step update with decoupled weight decay', () => {
    const expected = referenceAdamW(p0, [g1, g2], 0.1, 0.01, 0.9, 0.999, 1e-8);
    // The reference by hand for p[0]: step 1, g=0.1: m=0.01, v=1e-5, mhat=0.1, vhat=0.01,
    // p = 1 - 0.1*(0.1/(0.1+1e-8) + 0.01*1) = 0.899. Step 2, g=-0.05: m=0.004, v=1.249e-5,
    // mhat=0.004/0.19, vhat=1.249e-5/0.001999, p = 0.899 - 0.1*(0.266337 + 0.00899) = 0.8714673.
    expect(expected[0]).toBeCloseTo(0.8714673, 6);
    const got = run({ weightDecays: [0.01] }).w;
    got.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 6));
  });

  it('decays every parameter by default and skips excluded names', () => {
    const got = run({ weightDecays: [0.5], excludeFromWeightDecay: (name) => name.endsWith('bias') }, ['w', 'bias']);
    const withDecay = referenceAdamW(p0, [g1, g2], 0.1, 0.5, 0.9, 0.999, 1e-8);
    const withoutDecay = referenceAdamW(p0, [g1, g2], 0.1, 0, 0.9, 0.999, 1e-8);
    got.w.forEach((value, i) => expect(value).toBeCloseTo(withDecay[i], 6));
    got.bias.forEach((value, i) => expect(value).toBeCloseTo(withoutDecay[i], 6));
  });

  it('exports and imports its state so a second optimiser continues identically', () => {
    const a = { w: tf.variable(tf.tensor2d([p0])) };
    const b = { w: tf.variable(tf.tensor2d([p0])) };
    const first = new AdamW(a);
    const g = tf.tensor2d([g1]);
    first.applyGradients({ w: g }, [0.1]);
    const state = first.exportState();
    expect(state.step).toBe(1);
    expect(state.m.w.shape).toEqual([1, 3]);
    const second = new AdamW(b);
    b.w.assign(a.w);
    second.importState(state);
    const g2t = tf.tensor2d([g2]);
    first.applyGradients({ w: g2t }, [0.1]);
    second.applyGradients({ w: g2t }, [0.1]);
    expect(Array.from(b.w.dataSync())).toEqual(Array.from(a.w.dataSync()));
    expect(() => new AdamW({ w: tf.variable(tf.zeros([1, 2])) }).importState(state)).toThrow(
      /"w" has shape \[1,3\] but the parameter has \[1,2\]/,
    );
    tf.dispose([g, g2t, a.w, b.w]);
    first.dispose();
    second.dispose();
  });

  it('updates parameters of different shapes from one flat state, and leaves one without a gradient untouched', () => {
    const variables = {
      matrix: tf.variable(tf.tensor3d([[p0, p0.map((x) => -x)]])),
      vector: tf.variable(tf.tensor2d([p0])),
      idle: tf.variable(tf.tensor2d([[7, 8]])),
    };
    const optimizer = new AdamW(variables, { weightDecays: [0.01] });
    for (const g of [g1, g2]) {
      const grads = { matrix: tf.tensor3d([[g, g.map((x) => 2 * x)]]), vector: tf.tensor2d([g]) };
      optimizer.applyGradients(grads, [0.1]);
      tf.dispose(Object.values(grads));
    }
    const row0 = referenceAdamW(p0, [g1, g2], 0.1, 0.01, 0.9, 0.999, 1e-8);
    const row1 = referenceAdamW(
      p0.map((x) => -x),
      [g1.map((x) => 2 * x), g2.map((x) => 2 * x)],
      0.1,
      0.01,
      0.9,
      0.999,
      1e-8,
    );
    Array.from(variables.matrix.dataSync()).forEach((value, i) => expect(value).toBeCloseTo([...row0, ...row1][i], 6));
    Array.from(variables.vector.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(row0[i], 6));
    expect(Array.from(variables.idle.dataSync())).toEqual([7, 8]);
    const state = optimizer.exportState();
    expect(Array.from(state.m.idle.values)).toEqual([0, 0]);
    expect(state.m.matrix.shape).toEqual([1, 2, 3]);
    expect(() => optimizer.applyGradients({ vector: tf.zeros([1, 4]) }, [0.1])).toThrow(
      /gradient of "vector" has shape \[1,4\] but the parameter has \[1,3\]/,
    );
    expect(() => new AdamW({ w: tf.variable(tf.zeros([3])) })).toThrow(
      'parameter "w" has shape [3], not a leading axis of 1 replicas',
    );
    optimizer.dispose();
    tf.dispose(Object.values(variables));
  });

  it("gives and takes its weights and moments as one flat copy, kept apart from the caller's arrays", () => {
    const variables = { a: tf.variable(tf.tensor2d([[1, 2]])), b: tf.variable(tf.tensor2d([[3]])) };
    const optimizer = new AdamW(variables);
    optimizer.applyGradients({ a: tf.tensor2d([[0.5, -0.5]]), b: tf.tensor2d([[1]]) }, [0.1]);
    const state = optimizer.flatState();
    expect(state.t).toBe(1);
    expect(Array.from(state.params)).toEqual([...variables.a.dataSync(), ...variables.b.dataSync()]);
    // After one step m = (1 - b1) g and v = (1 - b2) g^2, in the same layout.
    expect(Array.from(state.m)).toEqual(Array.from(new Float32Array([0.05, -0.05, 0.1])));
    expect(Array.from(state.v)).toEqual(Array.from(new Float32Array([0.00025, 0.00025, 0.001])));
    // A state of other lengths is refused before anything changes.
    const weightsBefore = Array.from(state.params);
    expect(() =>
      optimizer.setFlatState({ ...state, params: new Float32Array([1, 1, 1]), v: new Float32Array(1) }),
    ).toThrow('AdamW.setFlatState: 3 weights and 3, 1 moments for 3 each');
    expect(Array.from(optimizer.flatState().params)).toEqual(weightsBefore);
    state.params.set([7, 8, 9]);
    state.m.fill(0.25);
    state.v.fill(0.5);
    state.t = 5;
    optimizer.setFlatState(state);
    // The caller goes on writing its arrays: the optimiser must hold copies.
    state.params.fill(-1);
    state.m.fill(-1);
    state.v.fill(-1);
    const back = optimizer.flatState();
    expect(Array.from(back.params)).toEqual([7, 8, 9]);
    expect(Array.from(back.m)).toEqual([0.25, 0.25, 0.25]);
    expect(Array.from(back.v)).toEqual([0.5, 0.5, 0.5]);
    expect(back.t).toBe(5);
    expect(optimizer.step).toBe(5);
    optimizer.dispose();
    tf.dispose(Object.values(variables));
  });

  it('does not leak tensors per update', () => {
    const variables = { w: tf.variable(tf.tensor2d([p0])) };
    const optimizer = new AdamW(variables);
    const g = tf.tensor2d([g1]);
    optimizer.applyGradients({ w: g }, [0.1]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) optimizer.applyGradients({ w: g }, [0.1]);
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    tf.dispose([g, variables.w]);
  });
});

describe('clipByGlobalNorm', () => {
  it('scales all gradients by maxNorm / global norm when above it', () => {
    // norm = sqrt(3^2 + 4^2 + 12^2) = 13
    const grads = { a: tf.tensor2d([[3, 4]]), b: tf.tensor2d([[12]]) };
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 6.5, 1);
    expect(norm.dataSync()[0]).toBeCloseTo(13, 5);
    const c = 6.5 / (13 + 1e-6);
    Array.from(clipped.a.dataSync()).forEach((x, i) => expect(x).toBeCloseTo([3, 4][i] * c, 5));
    expect(clipped.b.dataSync()[0]).toBeCloseTo(12 * c, 5);
    const { grads: untouched, norm: n2 } = clipByGlobalNorm(grads, 20, 1);
    expect(Array.from(untouched.a.dataSync())).toEqual([3, 4]);
    tf.dispose([grads.a, grads.b, clipped.a, clipped.b, norm, untouched.a, untouched.b, n2]);
  });

  it("computes each replica's global norm and rejects a non-positive maxNorm", () => {
    // Replica 0: sqrt(1 + 4 + 4) = 3 over both tensors; replica 1: sqrt(9 + 16) = 5.
    const n = replicaNorms(
      [
        tf.tensor2d([
          [1, 2],
          [0, 3],
        ]),
        tf.tensor2d([[2], [4]]),
      ],
      2,
    );
    expect(Array.from(n.dataSync())).toEqual([expect.closeTo(3, 6), expect.closeTo(5, 6)]);
    expect(() => clipByGlobalNorm({}, 0, 1)).toThrow(/maxNorm must be > 0/);
  });
});

describe('learningRateAt', () => {
  it('is constant without a schedule', () => {
    expect(learningRateAt(0, { lr: 3e-4 })).toBe(3e-4);
    expect(learningRateAt(12345, { lr: 3e-4 })).toBe(3e-4);
  });

  it('warms up linearly and decays by cosine to minLr at the boundaries', () => {
    const schedule = { lr: 1, warmupSteps: 10, decaySteps: 110, minLr: 0.1 };
    expect(learningRateAt(0, schedule)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(4, schedule)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(9, schedule)).toBeCloseTo(1, 12);
    expect(learningRateAt(10, schedule)).toBeCloseTo(1, 12);
    expect(learningRateAt(60, schedule)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(109, schedule)).toBeGreaterThan(0.1);
    expect(learningRateAt(110, schedule)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(500, schedule)).toBeCloseTo(0.1, 12);
  });

  it('warm-up alone ends at the constant lr; bad schedules are named', () => {
    expect(learningRateAt(3, { lr: 2, warmupSteps: 4 })).toBe(2);
    expect(learningRateAt(100, { lr: 2, warmupSteps: 4 })).toBe(2);
    expect(() => validateSchedule({ lr: 1, warmupSteps: 10, decaySteps: 5 })).toThrow(/decaySteps/);
    expect(() => validateSchedule({ lr: 1, minLr: 2 })).toThrow(/minLr/);
  });
});

describe('AdamW of replicas', () => {
  it('updates each replica as the float64 reference with its own learning rate and weight decay, and clips each by its own norm', () => {
    // Two replicas of a [3]-vector and a [2, 2]-matrix parameter; replica 1 gets other gradients.
    const start = {
      w: [
        [1, -2, 0.5],
        [0.3, 0.2, -0.1],
      ],
      m: [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [-1, 0.5],
          [0, 2],
        ],
      ],
    };
    const grads = [
      {
        w: [
          [0.1, -0.2, 0.3],
          [1, 2, -2],
        ],
        m: [
          [
            [0.5, 0],
            [0, -0.5],
          ],
          [
            [3, 0],
            [0, 0],
          ],
        ],
      },
      {
        w: [
          [-0.05, 0.4, 0.1],
          [0.2, 0.1, 0],
        ],
        m: [
          [
            [0.1, 0.1],
            [0.1, 0.1],
          ],
          [
            [0, 1],
            [1, 0],
          ],
        ],
      },
    ];
    const lrs = [0.1, 0.01];
    const wds = [0.5, 0];
    const variables = { w: tf.variable(tf.tensor2d(start.w)), m: tf.variable(tf.tensor3d(start.m)) };
    const optimizer = new AdamW(variables, { weightDecays: wds });
    for (const g of grads) {
      const { grads: clipped } = clipByGlobalNorm({ w: tf.tensor2d(g.w), m: tf.tensor3d(g.m) }, 1, 2);
      optimizer.applyGradients(clipped, lrs);
      tf.dispose(Object.values(clipped));
    }
    for (const r of [0, 1]) {
      // Replica r alone: its gradients clipped by its own global norm, then plain AdamW.
      const flat = (g: { w: number[][]; m: number[][][] }) => [...g.w[r], ...g.m[r].flat()];
      const clippedAlone = grads.map((g) => {
        const values = flat(g);
        const norm = Math.sqrt(values.reduce((a, x) => a + x * x, 0));
        return values.map((x) => x * Math.min(1, 1 / (norm + 1e-6)));
      });
      const expected = referenceAdamW(
        [...start.w[r], ...start.m[r].flat()],
        clippedAlone,
        lrs[r],
        wds[r],
        0.9,
        0.999,
        1e-8,
      );
      const actual = [
        ...(variables.w.arraySync() as number[][])[r],
        ...(variables.m.arraySync() as number[][][])[r].flat(),
      ];
      actual.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 6));
    }
    // The moments round-trip through exportState/importState with their replica axis.
    const state = optimizer.exportState();
    expect(state.m.m.shape).toEqual([2, 2, 2]);
    const copy = new AdamW(
      { w: tf.variable(tf.tensor2d(start.w)), m: tf.variable(tf.tensor3d(start.m)) },
      { weightDecays: wds },
    );
    copy.importState(state);
    expect(copy.exportState()).toEqual(state);
    expect(() => new AdamW({ w: tf.variable(tf.zeros([3, 2])) }, { weightDecays: [0, 0] })).toThrow(
      'parameter "w" has shape [3,2], not a leading axis of 2 replicas',
    );
    expect(() => optimizer.applyGradients({ w: tf.zeros([2, 3]) }, [0.1])).toThrow('1 learning rates for 2 replicas');
    optimizer.dispose();
    copy.dispose();
  });
});
