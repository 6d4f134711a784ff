// The fused native step against the tfjs path, its reference: the same training run through the
// same loop (train()), once with the task's fusedStep and once without, must give the same
// losses at every step to 1e-5, with dropout on (the same masks) and off, for one model and for
// 8 replicas with their own learning rates, decays and clipping; and the same weights to 1e-4
// (AdamW divides by sqrt(v): where a gradient is near 0, float rounding moves a weight by up
// to ~lr, so weights are held to a looser bound than the losses that they produce).
import * as tf from '@tensorflow/tfjs-core';
import {
  DEFAULT_REPLICA,
  evaluateSplit,
  train,
  type ReplicaTraining,
  type TrainOptions,
  type TrainingTask,
} from '@matryoshka/training';
import { EXP1_DEFAULTS, EXP4_DEFAULTS, type GPTConfig } from './config';
import { buildFusedStep, chooseEngine, fusedStep, fusedStepProblem, loadFusedStep, taskFusedStep } from './fused-step';
import { MatryoshkaGPT } from './model';

jest.setTimeout(120_000);

const V = 65;
const base: GPTConfig = { ...EXP1_DEFAULTS, vocabSize: V, contextLength: 8, layers: 2 };
const data = Int32Array.from({ length: 4000 }, (_, i) => (i * 7 + ((i * i) % 13)) % V);

interface Extras {
  importance?: number[];
  /** One (v, v) matrix or null per width. */
  targets?: (tf.Tensor | null)[];
  /** A change of targets from this step on (undone after the run), as at a re-clustering. */
  swap?: { at: number; apply(extras: Extras): void; undo(extras: Extras): void };
}

/** Calls of each path in one run: tfjs losses, fused training steps and fused evaluation batches. */
interface Calls {
  tfjs: number;
  fusedSteps: number;
  fusedEvaluations: number;
}

/** A task over a model (as the runner builds it), with the fused step or without, counting which path ran. */
function makeTask(model: MatryoshkaGPT, fused: boolean, extras: Extras = {}, calls?: Calls): TrainingTask {
  const pick = <T>(all: readonly T[] | undefined, indices?: readonly number[]) =>
    all && indices ? indices.map((i) => all[i]) : all;
  const step = taskFusedStep(model, { importance: extras.importance, targets: () => extras.targets });
  return {
    widths: model.widths,
    variables: model.namedVariables(),
    replicas: model.replicas,
    loss: (x, y, options) => {
      if (calls) calls.tfjs++;
      return model.loss(x as tf.Tensor3D, y as tf.Tensor3D, {
        training: options.training,
        dropoutSeeds: options.dropoutSeeds,
        widths: pick(model.widths, options.widthIndices),
        importance: pick(extras.importance, options.widthIndices),
        targetMatrices: pick(extras.targets, options.widthIndices),
      });
    },
    fusedStep: fused
      ? (state, batch, options) => {
          if (calls) calls[options.training ? 'fusedSteps' : 'fusedEvaluations']++;
          return step(state, batch, options);
        }
      : undefined,
  };
}

/** Every step's per-replica losses, the final weights and the paths that ran, of one 20-step run. */
async function run(configs: GPTConfig[], fused: boolean, options: Partial<TrainOptions>, extras?: Extras) {
  const model = new MatryoshkaGPT(configs);
  const losses: number[][] = [];
  const norms: number[][] = [];
  const calls: Calls = { tfjs: 0, fusedSteps: 0, fusedEvaluations: 0 };
  await train(makeTask(model, fused, extras, calls), {
    trainData: data,
    valData: data.subarray(2000),
    steps: 20,
    batchSize: 4,
    contextLength: 8,
    evalInterval: 10,
    evalIters: 2,
    handleSignals: false,
    ...options,
    hooks: {
      onStep: (info) => {
        losses.push(info.replicas.flatMap((r) => [r.loss, ...r.lossPerWidth]));
        norms.push(info.replicas.map((r) => r.gradientNorm ?? 0)); // before clipping; 0 without it
        if (extras?.swap && info.step === extras.swap.at) extras.swap.apply(extras);
      },
    },
  });
  const weights = Object.fromEntries(
    Object.entries(model.namedVariables()).map(([name, v]) => [name, Array.from(v.dataSync())]),
  );
  model.dispose();
  if (extras?.swap) extras.swap.undo(extras);
  return { losses, norms, weights, calls };
}

function maxDifference(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((x, j) => Math.abs(x - b[i][j]))));
}

async function expectSameRuns(configs: GPTConfig[], options: Partial<TrainOptions> = {}, extras?: Extras) {
  const reference = await run(configs, false, options, extras);
  const fused = await run(configs, true, options, extras);
  // Each run took its own path all the way: 20 steps, 3 evaluations x 2 splits x 2 batches.
  expect(reference.calls).toEqual({ tfjs: 20 + 12, fusedSteps: 0, fusedEvaluations: 0 });
  expect(fused.calls).toEqual({ tfjs: 0, fusedSteps: 20, fusedEvaluations: 12 });
  expect(fused.losses).toHaveLength(20);
  expect(maxDifference(fused.losses, reference.losses)).toBeLessThan(1e-5);
  // Norms (tens to hundreds) to 1e-5 of their size: float32 sums of squares in another order
  // (on wasm 1.03e-6 of a norm of 192), not a different sum (a missing parameter's share is far more).
  fused.norms.forEach((row, i) =>
    row.forEach((norm, r) => expect(Math.abs(norm - reference.norms[i][r])).toBeLessThanOrEqual(1e-5 * norm)),
  );
  for (const name of Object.keys(reference.weights)) {
    expect(maxDifference([fused.weights[name]], [reference.weights[name]])).toBeLessThan(1e-4);
  }
  return { reference, fused };
}

beforeAll(() => {
  const why = buildFusedStep();
  if (why) throw new Error(`the fused step could not be built: ${why}`);
});

describe('the fused step gives the tfjs path numbers (20 steps, to 1e-5)', () => {
  it('one model, dropout off', async () => {
    const { fused } = await expectSameRuns([{ ...base, dropout: 0 }]);
    // It trained: the loss fell.
    expect(fused.losses[19][0]).toBeLessThan(fused.losses[0][0]);
  });

  it('one model with dropout 0.2: the same masks', async () => {
    const { fused } = await expectSameRuns([{ ...base, dropout: 0.2 }]);
    const { fused: off } = await expectSameRuns([{ ...base, dropout: 0 }]);
    // Dropout is really on: the losses differ from the run without it.
    expect(maxDifference(fused.losses, off.losses)).toBeGreaterThan(1e-3);
  });

  it('8 replicas, each its own seed, dropout, lr and weight decay, with clipping', async () => {
    const configs = Array.from({ length: 8 }, (_, r) => ({ ...base, seed: 10 + r, dropout: 0.05 * (r % 3) }));
    const replicas: ReplicaTraining[] = configs.map((_, r) => ({
      seed: 100 + r,
      lr: 1e-3 * (1 + r),
      weightDecay: 0.01 * (r % 2),
    }));
    const { fused } = await expectSameRuns(configs, { replicas, clipNorm: 0.5 });
    // Clipping was engaged: every norm was measured and above the bound.
    expect(fused.norms.flat().every((norm) => norm > 0.5)).toBe(true);
  });

  it('weight decay, and no decay where the options exclude it', async () => {
    // Decay strong enough to show in the weights (20 x lr x wd = 6% of each weight) and an
    // exclusion list, so that a step that ignored decay, or the exclusions, or put them on the
    // wrong parameters, would fail the 1e-4 bound on the weights.
    const excludeFromWeightDecay = (name: string) => name.includes('embedding') || /\.b\w*$/.test(name);
    const replica = (weightDecay: number): ReplicaTraining[] => [{ seed: 7, lr: 3e-3, weightDecay }];
    const configs = [{ ...base, dropout: 0 }];
    const { reference } = await expectSameRuns(configs, { replicas: replica(1), excludeFromWeightDecay });
    // The bound can tell: without decay, or decaying the excluded parameters too, the weights move by more.
    const undecayed = await run(configs, false, { replicas: replica(0), excludeFromWeightDecay });
    const unexcluded = await run(configs, false, { replicas: replica(1) });
    const apart = (other: typeof reference, name: string) =>
      maxDifference([reference.weights[name]], [other.weights[name]]);
    expect(apart(undecayed, 'blocks.0.attn.wqkv')).toBeGreaterThan(1e-3);
    expect(apart(unexcluded, 'token_embedding')).toBeGreaterThan(1e-3);
    expect(apart(unexcluded, 'blocks.1.ffn.b1')).toBeGreaterThan(1e-4);
  });

  it("soft targets, importance, the 'prefix' head and the sampled regime", async () => {
    // Soft targets: the next token's class (id mod 4), spread evenly over the class's tokens.
    const classSize = (j: number) => Math.floor((V - 1 - (j % 4)) / 4) + 1;
    const rows = Array.from({ length: V }, (_, i) =>
      Array.from({ length: V }, (_, j) => (i % 4 === j % 4 ? 1 / classSize(j) : 0)),
    );
    const matrix = tf.tensor2d(rows);
    const configs = [0, 1].map((r) => ({ ...base, seed: r, headNormalisation: 'prefix' as const }));
    await expectSameRuns(
      configs,
      { replicas: [DEFAULT_REPLICA, { ...DEFAULT_REPLICA, seed: 5 }] },
      { importance: [2, 1, 0.5], targets: [matrix, null, null] },
    );
    await expectSameRuns([{ ...base, dropout: 0.1 }], { widthProbabilities: [1, 2, 4] });
    // Targets replaced mid-run (new tensors, as at a re-clustering) are the ones the fused step uses.
    const byThree = tf.tensor2d(
      Array.from({ length: V }, (_, i) =>
        Array.from({ length: V }, (_, j) => (i % 3 === j % 3 ? 1 / (Math.floor((V - 1 - (j % 3)) / 3) + 1) : 0)),
      ),
    );
    const replace: Extras['swap'] = {
      at: 10,
      apply: (extras) => (extras.targets = [byThree, null, null]),
      undo: (extras) => (extras.targets = [matrix, null, null]),
    };
    const { reference } = await expectSameRuns([base], {}, { targets: [matrix, null, null], swap: replace });
    const unswapped = await run([base], false, {}, { targets: [matrix, null, null] });
    expect(maxDifference(reference.losses.slice(10), unswapped.losses.slice(10))).toBeGreaterThan(1e-3);
    // A variable target changed in place is read again.
    const variable = tf.variable(matrix);
    const assign: Extras['swap'] = {
      at: 10,
      apply: () => variable.assign(byThree),
      undo: () => variable.assign(matrix),
    };
    await expectSameRuns([base], {}, { targets: [variable, null, null], swap: assign });
    matrix.dispose();
    byThree.dispose();
    variable.dispose();
  });

  it('evaluates a split to the same losses', () => {
    const model = new MatryoshkaGPT([base, { ...base, seed: 3 }]);
    const options = { batchSize: 4, contextLength: 8, evalIters: 3, seeds: [1, 2] };
    const reference = evaluateSplit(makeTask(model, false), data, options);
    const params = new Float32Array(Object.values(model.namedVariables()).flatMap((v) => Array.from(v.dataSync())));
    const state = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), t: 0 };
    const fused = evaluateSplit(makeTask(model, true), data, { ...options, fused: state });
    fused.forEach((split, r) => {
      expect(Math.abs(split.total - reference[r].total)).toBeLessThan(1e-5);
      split.perWidth.forEach((loss, k) => expect(Math.abs(loss - reference[r].perWidth[k])).toBeLessThan(1e-5));
    });
    model.dispose();
  });
});

describe('the fused step as the loop uses it', () => {
  it('applies no update when a loss is not finite, as the tfjs path does', () => {
    const model = new MatryoshkaGPT([base]);
    const params = new Float32Array(Object.values(model.namedVariables()).flatMap((v) => Array.from(v.dataSync())));
    params.fill(Infinity, 0, V * base.width); // the token embedding
    const state = { params, m: new Float32Array(params.length), v: new Float32Array(params.length), t: 4 };
    const before = { params: params.slice(), t: state.t };
    const batch = { x: new Int32Array(16).fill(3), y: new Int32Array(16).fill(4), batchSize: 2, length: 8 };
    const decays = Object.keys(model.namedVariables()).map(() => true);
    const update = { lrs: [1e-3], weightDecays: [0.01], betas: [0.9, 0.999] as const, eps: 1e-8, decays };
    const result = fusedStep(model, state, batch, {
      training: true,
      dropoutSeeds: [1],
      update,
    });
    expect(result.applied).toBe(false);
    expect(Number.isFinite(result.values[0])).toBe(false);
    expect(state.params).toEqual(before.params);
    expect(state.m.every((x) => x === 0) && state.v.every((x) => x === 0)).toBe(true);
    expect(state.t).toBe(before.t);
    // The same call on finite weights applies the update.
    state.params.fill(0.01, 0, V * base.width);
    expect(
      fusedStep(model, state, batch, {
        training: true,
        dropoutSeeds: [1],
        update,
      }).applied,
    ).toBe(true);
    expect(state.t).toBe(5);
    model.dispose();
  });

  it("is chosen for nesting 'embedding' wherever it is built, and refused, with the reason, elsewhere", () => {
    expect(loadFusedStep()).not.toEqual(expect.any(String));
    expect(chooseEngine(base)).toEqual({ engine: 'fused', why: 'the faster here' });
    expect(chooseEngine(base, 'tfjs').engine).toBe('tfjs');
    expect(fusedStepProblem(EXP4_DEFAULTS)).toBe("runs nesting 'embedding' only, not 'width'");
    expect(chooseEngine(EXP4_DEFAULTS)).toEqual({
      engine: 'tfjs',
      why: "the fused step runs nesting 'embedding' only, not 'width'",
    });
    const nested = new MatryoshkaGPT({ ...base, nesting: 'width', headNormalisation: 'prefix' });
    const empty = { params: new Float32Array(0), m: new Float32Array(0), v: new Float32Array(0), t: 0 };
    const batch = { x: new Int32Array(8), y: new Int32Array(8), batchSize: 1, length: 8 };
    expect(() => fusedStep(nested, empty, batch, { training: false, dropoutSeeds: [0] })).toThrow(
      "the fused step runs nesting 'embedding' only, not 'width'",
    );
    nested.dispose();
    expect(() => chooseEngine(EXP4_DEFAULTS, 'fused')).toThrow(
      "--engine fused cannot train this model: the fused step runs nesting 'embedding' only, not 'width'",
    );
  });

  it('names a malformed argument of the native call', () => {
    const native = loadFusedStep();
    if (typeof native === 'string') throw new Error(native);
    const call =
      (...args: unknown[]) =>
      () =>
        (native.step as (...a: unknown[]) => boolean)(...args);
    expect(call(new Int32Array(3))).toThrow('fused-step: step takes 15 arguments');
    const model = new MatryoshkaGPT([base]);
    const size = Object.values(model.namedVariables()).reduce((sum, v) => sum + v.size, 0);
    const dims = Int32Array.from([V, 32, 8, 2, 4, 128, 1, 2, 8, 1]);
    const flat = () => new Float32Array(size);
    const args = (x: Int32Array, params = flat()) => [
      dims,
      params,
      flat(),
      flat(),
      flat(),
      x,
      new Int32Array(16),
      Float64Array.from([1, 0.9, 0.999, 1e-8, 0, 1]),
      new Float64Array(4),
      new Uint32Array(1),
      new Uint8Array(2 + 2 * 7),
      Int32Array.from([8, 16, 32]),
      Float64Array.from([1, 1, 1]),
      [null, null, null],
      new Float32Array(5),
    ];
    expect(call(...args(new Int32Array(16)))).not.toThrow();
    expect(call(...args(new Int32Array(16).fill(V)))).toThrow('fused-step: x, y: token ids in [0, V)');
    expect(call(...args(new Int32Array(15)))).toThrow('fused-step: x: Int32Array(R*B*T)');
    expect(call(...args(new Int32Array(16), new Float32Array(size - 1)))).toThrow(
      'fused-step: params: Float32Array (every parameter)',
    );
    model.dispose();
  });
});
