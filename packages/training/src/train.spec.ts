import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CharTokenizer, readCorpus, splitTrainVal } from '@matryoshka/tokenizer';
import { readCheckpoint } from './checkpoint';
import { readMetrics, MetricsRecord } from './metrics';
import type { TrainingTask } from './task';
import { createToyTask } from './toy-task';
import { NonFiniteLossError, train } from './train';
import type { TrainOptions } from './train-options';

// Generous: the pure-JS cpu fallback is ~10x slower than tfjs-node or wasm.
jest.setTimeout(60_000);

const text = readCorpus();
const tokenizer = CharTokenizer.fromCorpus(text);
const { train: trainData, val: valData } = splitTrainVal(tokenizer.encode(text));
const vocabSize = tokenizer.vocabulary.length;

const tempDirs: string[] = [];
function tempRunDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'training-spec-'));
  tempDirs.push(dir);
  return path.join(dir, 'run');
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const tasks: { dispose(): void }[] = [];
function toyTask(options: Partial<Parameters<typeof createToyTask>[0]> = {}) {
  const task = createToyTask({ vocabSize, width: 16, seed: 3, ...options });
  tasks.push(task);
  return task;
}
afterEach(() => {
  for (const task of tasks.splice(0)) task.dispose();
});

function baseOptions(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    trainData,
    valData,
    steps: 30,
    batchSize: 8,
    contextLength: 16,
    evalInterval: 10,
    evalIters: 3,
    replicas: [{ seed: 42, lr: 1e-2, weightDecay: 0.01 }],
    progress: 'none',
    handleSignals: false,
    ...overrides,
  };
}

/** The metrics fields that must be identical between runs (timings differ). */
function comparable(record: MetricsRecord) {
  return {
    step: record.step,
    train: record.train,
    val: record.val,
    trainTotal: record.trainTotal,
    valTotal: record.valTotal,
    lr: record.lr,
  };
}

describe('train', () => {
  it("lowers every width's validation loss over a few hundred steps", async () => {
    const task = toyTask();
    const evals: MetricsRecord[] = [];
    const summary = await train(
      task,
      baseOptions({
        steps: 300,
        batchSize: 16,
        evalInterval: 100,
        evalIters: 5,
        hooks: { onEval: (r) => void evals.push(r) },
      }),
    );
    expect(summary.steps).toBe(300);
    expect(summary.stopped).toBe(false);
    expect(summary.tokensPerSecond).toBeGreaterThan(0);
    expect(summary.wallSeconds).toBeGreaterThan(0);
    expect(evals.map((r) => r.step)).toEqual([0, 100, 200, 300]);
    expect(summary.finalEval).toBe(evals[3]);
    for (const width of ['4', '8', '16']) {
      expect(evals[3].val[width]).toBeLessThan(evals[0].val[width] - 0.3);
      expect(evals[3].train[width]).toBeLessThan(evals[0].train[width] - 0.3);
    }
  }, 180_000);

  it('does not leak tensors across steps', async () => {
    const task = toyTask();
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    await train(
      task,
      baseOptions({
        steps: 8,
        evalInterval: 3,
        clipNorm: 1,
        runDir: tempRunDir(),
        checkpointEvery: 2,
        hooks: { onStep: () => void counts.push(tf.memory().numTensors) },
      }),
    );
    expect(counts.slice(1).every((n) => n === counts[1])).toBe(true);
    // Evaluation, checkpoints and the optimiser's moments are all released at the end.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('writes metrics.jsonl lines with every field and a complete checkpoint, leaving no temporary files', async () => {
    const runDir = tempRunDir();
    const task = toyTask();
    await train(
      task,
      baseOptions({ steps: 20, runDir, checkpointEvery: 5, hooks: { onEval: (r) => ({ note: `at ${r.step}` }) } }),
    );
    const lines = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as MetricsRecord);
    expect(records.map((r) => r.step)).toEqual([0, 10, 20]);
    for (const record of records) {
      for (const field of [
        'step',
        'train',
        'val',
        'trainTotal',
        'valTotal',
        'tokensPerSecond',
        'elapsedSeconds',
        'lr',
      ]) {
        expect(record).toHaveProperty(field);
      }
      expect(Object.keys(record.train)).toEqual(['4', '8', '16']);
      expect(Object.keys(record.val)).toEqual(['4', '8', '16']);
      expect(record.trainTotal).toBeCloseTo(record.train['4'] + record.train['8'] + record.train['16'], 4);
      expect(record.note).toBe(`at ${record.step}`);
    }
    expect(records[1].tokensPerSecond).toBeGreaterThan(0);
    expect(fs.readdirSync(runDir).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
    expect(fs.readdirSync(path.join(runDir, 'checkpoint')).sort()).toEqual([
      'model.safetensors',
      'optimizer.safetensors',
      'state.json',
    ]);
    const checkpoint = readCheckpoint(runDir);
    expect(checkpoint.state.step).toBe(20);
    expect(checkpoint.state.parameters).toEqual({ embedding: [1, vocabSize, 16], mix: [1, 16, 16] });
    expect(checkpoint.optimizer.step).toBe(20);
    expect(Array.from(checkpoint.weights.embedding.values)).toEqual(Array.from(task.variables.embedding.dataSync()));
  });

  it('resumes exactly: interrupted at step k and resumed equals an uninterrupted run', async () => {
    const straightDir = tempRunDir();
    const straight = toyTask();
    await train(straight, baseOptions({ runDir: straightDir, checkpointEvery: 7 }));

    const resumedDir = tempRunDir();
    const first = toyTask();
    const stopped = await train(
      first,
      baseOptions({ runDir: resumedDir, checkpointEvery: 7, hooks: { shouldStop: ({ step }) => step === 13 } }),
    );
    expect(stopped).toMatchObject({ steps: 13, stopped: true });
    expect(readCheckpoint(resumedDir).state.step).toBe(13);

    // A freshly initialised model (different init seed): the checkpoint must overwrite it all.
    const second = toyTask({ seed: 99 });
    const resumed = await train(second, baseOptions({ runDir: resumedDir, checkpointEvery: 7, resume: true }));
    expect(resumed).toMatchObject({ steps: 30, startStep: 13, stopped: false });

    const a = readMetrics(path.join(straightDir, 'metrics.jsonl')).map(comparable);
    const b = readMetrics(path.join(resumedDir, 'metrics.jsonl')).map(comparable);
    expect(b).toEqual(a);
    for (const name of Object.keys(straight.variables)) {
      const x = Array.from(straight.variables[name].dataSync());
      const y = Array.from(second.variables[name].dataSync());
      const maxDifference = Math.max(...x.map((value, i) => Math.abs(value - y[i])));
      expect(maxDifference).toBeLessThanOrEqual(1e-6);
    }
    expect(readCheckpoint(resumedDir).state.tokensSeen).toBe(30 * 8 * 16);

    // A crash (no final checkpoint) after evaluations past the last checkpoint: the resumed run
    // drops those metrics lines and recomputes them identically.
    const crashedDir = tempRunDir();
    const crash = train(
      toyTask(),
      baseOptions({
        runDir: crashedDir,
        checkpointEvery: 7,
        hooks: {
          onStep: ({ step }) => {
            if (step === 12) throw new Error('crash');
          },
        },
      }),
    );
    await expect(crash).rejects.toThrow('crash');
    expect(readCheckpoint(crashedDir).state.step).toBe(7);
    expect(readMetrics(path.join(crashedDir, 'metrics.jsonl')).map((r) => r.step)).toEqual([0, 10]);
    await train(toyTask({ seed: 5 }), baseOptions({ runDir: crashedDir, checkpointEvery: 7, resume: true }));
    expect(readMetrics(path.join(crashedDir, 'metrics.jsonl')).map(comparable)).toEqual(a);
  });

  it('the sampled regime trains one drawn width per step, with the given probabilities, and resumes with the same draws', async () => {
    const probabilities = [0, 1, 3];
    const drawsOf = (log: number[][]) => ({
      hooks: { onStep: ({ widths }: { widths: number[] }) => void log.push(widths) },
    });
    const straight: number[][] = [];
    const straightDir = tempRunDir();
    await train(
      toyTask(),
      baseOptions({
        runDir: straightDir,
        steps: 200,
        evalInterval: 100,
        widthProbabilities: probabilities,
        ...drawsOf(straight),
      }),
    );
    expect(straight.every((w) => w.length === 1)).toBe(true);
    const count = (width: number) => straight.filter(([w]) => w === width).length;
    expect(count(4)).toBe(0);
    // 200 draws of 1:3: 50 and 150 expected, sd ~6.1; 4 sd either side.
    expect(Math.abs(count(8) - 50)).toBeLessThan(25);
    expect(count(8) + count(16)).toBe(200);
    // Evaluation still measures every width.
    expect(Object.keys(readMetrics(path.join(straightDir, 'metrics.jsonl'))[1].val)).toEqual(['4', '8', '16']);

    const resumedDir = tempRunDir();
    const resumed: number[][] = [];
    const options = {
      runDir: resumedDir,
      steps: 200,
      evalInterval: 100,
      widthProbabilities: probabilities,
      checkpointEvery: 50,
    };
    await train(
      toyTask(),
      baseOptions({
        ...options,
        hooks: { onStep: ({ widths }) => void resumed.push(widths), shouldStop: ({ step }) => step === 77 },
      }),
    );
    await train(toyTask({ seed: 9 }), baseOptions({ ...options, resume: true, ...drawsOf(resumed) }));
    expect(resumed).toEqual(straight);
    expect(readMetrics(path.join(resumedDir, 'metrics.jsonl')).map(comparable)).toEqual(
      readMetrics(path.join(straightDir, 'metrics.jsonl')).map(comparable),
    );
  });

  it('refuses width probabilities that do not fit the task', async () => {
    await expect(train(toyTask(), baseOptions({ widthProbabilities: [1, 1] }))).rejects.toThrow(
      'widthProbabilities has 2 values but the task has 3 widths (4, 8, 16)',
    );
    await expect(train(toyTask(), baseOptions({ widthProbabilities: [0, 0, 0] }))).rejects.toThrow(
      /at least one above 0/,
    );
  });

  it('stops on SIGINT after the current step with a resumable checkpoint, and removes its handler', async () => {
    const runDir = tempRunDir();
    const listeners = process.listenerCount('SIGINT');
    const lines: string[] = [];
    const summary = await train(
      toyTask(),
      baseOptions({
        runDir,
        handleSignals: true,
        progress: 'lines',
        progressStream: { write: (s: string) => lines.push(s) },
        hooks: { onStep: ({ step }) => void (step === 4 && process.emit('SIGINT', 'SIGINT')) },
      }),
    );
    expect(summary).toMatchObject({ steps: 4, stopped: true });
    expect(process.listenerCount('SIGINT')).toBe(listeners);
    expect(lines.join('')).toMatch(/SIGINT: stopping after this step/);
    expect(readCheckpoint(runDir).state.step).toBe(4);
    const resumed = await train(toyTask(), baseOptions({ runDir, resume: true, steps: 6 }));
    expect(resumed).toMatchObject({ startStep: 4, steps: 6 });
  });

  it('calls onEpochEnd every stepsPerEpoch steps and saves/restores extraState', async () => {
    const runDir = tempRunDir();
    const epochs: number[] = [];
    let appState = { level: 0 };
    const extraState = {
      save: () => ({ ...appState }),
      load: (s: unknown) => void (appState = s as { level: number }),
    };
    const options = baseOptions({
      runDir,
      steps: undefined,
      epochs: 3,
      stepsPerEpoch: 4,
      extraState,
      hooks: {
        onEpochEnd: (epoch) => {
          epochs.push(epoch);
          appState = { level: appState.level + 1 };
        },
        shouldStop: ({ step }) => step === 8,
      },
    });
    await train(toyTask(), options);
    expect(epochs).toEqual([0, 1]);
    expect(readCheckpoint(runDir).state.extraState).toEqual({ level: 2 });
    appState = { level: -1 };
    await train(toyTask(), { ...options, resume: true, hooks: { onEpochEnd: (epoch) => void epochs.push(epoch) } });
    expect(appState).toEqual({ level: 2 });
    expect(epochs).toEqual([0, 1, 2]);
    await expect(train(toyTask(), baseOptions({ steps: 10, epochs: 3, stepsPerEpoch: 4 }))).rejects.toThrow(
      /disagrees/,
    );
  });

  it('refuses a checkpoint whose tensors do not match the model, naming the tensor and both shapes', async () => {
    const runDir = tempRunDir();
    await train(toyTask(), baseOptions({ runDir, steps: 2 }));
    await expect(
      train(toyTask({ vocabSize: vocabSize + 1 }), baseOptions({ runDir, steps: 4, resume: true })),
    ).rejects.toThrow(
      new RegExp(
        `tensor "embedding" has shape \\[1,${vocabSize},16\\] in the checkpoint but \\[1,${vocabSize + 1},16\\] in the model`,
      ),
    );
  });

  it('refuses a truncated checkpoint file, naming it', async () => {
    const runDir = tempRunDir();
    await train(toyTask(), baseOptions({ runDir, steps: 2 }));
    const file = path.join(runDir, 'checkpoint', 'model.safetensors');
    fs.truncateSync(file, fs.statSync(file).size - 10);
    await expect(train(toyTask(), baseOptions({ runDir, steps: 4, resume: true }))).rejects.toThrow(
      `checkpoint file ${file} is corrupted or truncated`,
    );
  });

  it('refuses to overwrite an existing run without resume, and to resume without a checkpoint', async () => {
    const runDir = tempRunDir();
    await train(toyTask(), baseOptions({ runDir, steps: 1 }));
    await expect(train(toyTask(), baseOptions({ runDir, steps: 1 }))).rejects.toThrow(/already holds a run/);
    await expect(train(toyTask(), baseOptions({ runDir: tempRunDir(), steps: 1, resume: true }))).rejects.toThrow(
      /no checkpoint found/,
    );
  });

  it('stops on a NaN loss naming the step and width, keeping the last good checkpoint', async () => {
    const runDir = tempRunDir();
    const inner = toyTask();
    let trainingCalls = 0;
    const task: TrainingTask = {
      widths: inner.widths,
      variables: inner.variables,
      replicas: 1,
      loss(x, y, options) {
        const result = inner.loss(x, y, options);
        if (!options.training || ++trainingCalls < 8) return result;
        const poisoned = tf.mul(result.perWidth[1], Number.NaN) as tf.Scalar;
        result.perWidth[1].dispose();
        result.perWidth[1] = poisoned;
        return { total: tf.add(result.total, poisoned) as tf.Scalar, perWidth: result.perWidth };
      },
    };
    const error = await train(task, baseOptions({ runDir, checkpointEvery: 5 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect((error as Error).message).toMatch(/training loss is NaN at step 8 \(width 8\)/);
    expect((error as Error).message).toMatch(/last good checkpoint \(step 5\) is kept/);
    expect(readCheckpoint(runDir).state.step).toBe(5);
    expect(fs.readdirSync(runDir).sort()).toEqual(['checkpoint', 'metrics.jsonl']);
    expect(Array.from(inner.variables.embedding.dataSync()).every(Number.isFinite)).toBe(true);
  });
});

describe('train with a task that brings a fused step', () => {
  // A stand-in for the native step: each training call adds 1 to every weight, 0.5 to every first
  // moment and 0.25 to every second one, and counts the update; evaluation calls change nothing. The loop must show the hooks,
  // the checkpoint and the caller (even after an error) the stand-in's weights, and never more.
  function withFusedStep(task: TrainingTask & { dispose(): void }): TrainingTask & { dispose(): void } {
    const rows = 1 + task.widths.length;
    return {
      ...task,
      fusedStep: (state, _batch, options) => {
        if (options.training) {
          state.params.forEach((_, i) => (state.params[i] += 1));
          state.m.forEach((_, i) => (state.m[i] += 0.5));
          state.v.forEach((_, i) => (state.v[i] += 0.25));
          state.t += 1;
        }
        return { values: new Float32Array(rows + 1).fill(1), applied: !!options.training };
      },
    };
  }
  const flat = (variables: Record<string, tf.Variable>) =>
    Object.values(variables).flatMap((v) => Array.from(v.dataSync()));
  // k updates of the stand-in, added in float32 as it adds them.
  const shifted = (before: number[], k: number) =>
    before.map((x) => Array.from({ length: k }).reduce<number>((y) => Math.fround(y + 1), x));

  it('hooks see the weights of every update so far; the checkpoint holds them and the moments', async () => {
    const task = withFusedStep(toyTask());
    const initial = flat(task.variables);
    const seen: { step: number; weights: number[] }[] = [];
    const runDir = tempRunDir();
    await train(
      task,
      baseOptions({
        steps: 6,
        evalInterval: 4,
        stepsPerEpoch: 3,
        epochs: 2,
        runDir,
        hooks: {
          onEval: (record) => void seen.push({ step: record.step, weights: flat(task.variables) }),
          onEpochEnd: (_, { step }) => void seen.push({ step, weights: flat(task.variables) }),
        },
      }),
    );
    expect(seen.map((s) => s.step)).toEqual([0, 3, 4, 6, 6]);
    for (const { step, weights } of seen) expect(weights).toEqual(shifted(initial, step));
    const checkpoint = readCheckpoint(runDir);
    expect(checkpoint.state.optimizer.step).toBe(6);
    const saved = Object.keys(task.variables).flatMap((name) => Array.from(checkpoint.weights[name].values));
    expect(saved).toEqual(shifted(initial, 6));
    const moments = (which: 'm' | 'v') =>
      new Set(Object.values(checkpoint.optimizer[which]).flatMap((m) => Array.from(m.values)));
    expect(moments('m')).toEqual(new Set([3]));
    expect(moments('v')).toEqual(new Set([1.5]));
  });

  it('a checkpoint holds the latest update with no hook to copy it back first', async () => {
    const task = withFusedStep(toyTask());
    const initial = flat(task.variables);
    const runDir = tempRunDir();
    await train(task, baseOptions({ steps: 6, evalInterval: 100, runDir }));
    const checkpoint = readCheckpoint(runDir);
    expect(checkpoint.state.optimizer.step).toBe(6);
    const saved = Object.keys(task.variables).flatMap((name) => Array.from(checkpoint.weights[name].values));
    expect(saved).toEqual(shifted(initial, 6));
  });

  it('leaves the last applied update in the variables when a hook throws', async () => {
    const task = withFusedStep(toyTask());
    const initial = flat(task.variables);
    const failing = baseOptions({
      steps: 10,
      hooks: {
        onStep: ({ step }) => {
          if (step === 3) throw new Error('stop here');
        },
      },
    });
    await expect(train(task, failing)).rejects.toThrow('stop here');
    expect(flat(task.variables)).toEqual(shifted(initial, 3));
  });
});
