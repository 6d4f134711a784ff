// The kernel profile of one training step, as the loop takes it (R = 1): how many tfjs kernels the
// forward pass, the backward pass and AdamW launch, and the time of each kind. The small
// experiments are bound by the count (each launch costs microseconds whatever its size), so this
// is where a faster step has to start.
//   bench.ts --only profile-exp1|profile-exp4 [--backend node|wasm|cpu]
import * as tf from '@tensorflow/tfjs-core';
import { activationSize, selectBackend, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { ADAMW_DEFAULTS, AdamW } from '@matryoshka/training';
import { EXP1_DEFAULTS, EXP4_DEFAULTS, MatryoshkaGPT, type ExperimentDefaults } from '@matryoshka/nested-transformer';

const VOCAB = 65;

interface Phase {
  kernels: number;
  /** Summed kernel time (ms), as the backend reports it. */
  kernelMs: number;
  /** Kernels and time per kind. */
  kinds: Map<string, { count: number; ms: number }>;
}

async function profiled(run: () => void): Promise<Phase> {
  const info = await tf.profile(run);
  const kinds = new Map<string, { count: number; ms: number }>();
  let kernelMs = 0;
  for (const kernel of info.kernels) {
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const entry = kinds.get(kernel.name) ?? { count: 0, ms: 0 };
    kinds.set(kernel.name, { count: entry.count + 1, ms: entry.ms + ms });
    kernelMs += ms;
  }
  return { kernels: info.kernels.length, kernelMs, kinds };
}

/** `all` minus `part`, kind by kind (the backward pass: gradients minus the forward they include). */
function minus(all: Phase, part: Phase): Phase {
  const kinds = new Map<string, { count: number; ms: number }>();
  for (const [name, { count, ms }] of all.kinds) {
    const p = part.kinds.get(name) ?? { count: 0, ms: 0 };
    if (count - p.count > 0) kinds.set(name, { count: count - p.count, ms: Math.max(0, ms - p.ms) });
  }
  return { kernels: all.kernels - part.kernels, kernelMs: Math.max(0, all.kernelMs - part.kernelMs), kinds };
}

function describe(name: string, phase: Phase, top: number): string[] {
  const kinds = [...phase.kinds].sort((a, b) => b[1].ms - a[1].ms || b[1].count - a[1].count).slice(0, top);
  const list = kinds.map(([kind, { count, ms }]) => `${kind} ${count}x ${ms.toFixed(2)} ms`).join(', ');
  return [`  ${name}: ${phase.kernels} kernels, ${phase.kernelMs.toFixed(2)} ms of kernel time; ${list}`];
}

async function profileExperiment(title: string, defaults: ExperimentDefaults, prefer?: BackendChoice): Promise<void> {
  const size = activationSize(defaults.batchSize, defaults.contextLength, defaults.width);
  const backend = await selectBackend({ prefer, workload: 'training', activationSize: size });
  const model = new MatryoshkaGPT([{ ...defaults, vocabSize: VOCAB }]);
  const variables = model.namedVariables();
  const list = Object.values(variables);
  const optimizer = new AdamW(variables);
  const shape: [number, number, number] = [1, defaults.batchSize, defaults.contextLength];
  let step = 0;
  const batch = () => ({
    x: tf.randomUniform<tf.Rank.R3>(shape, 0, VOCAB, 'int32', 2 * step),
    y: tf.randomUniform<tf.Rank.R3>(shape, 0, VOCAB, 'int32', 2 * step + 1),
  });
  const loss = (x: tf.Tensor3D, y: tf.Tensor3D) =>
    tf.sum(model.loss(x, y, { training: true, dropoutSeeds: [step] }).total) as tf.Scalar;
  const gradients = (x: tf.Tensor3D, y: tf.Tensor3D) => {
    const { value, grads } = tf.variableGrads(() => loss(x, y), list);
    value.dispose();
    return Object.fromEntries(Object.entries(variables).map(([name, v]) => [name, grads[v.name]]));
  };
  const fullStep = () => {
    const { x, y } = batch();
    const grads = gradients(x, y);
    optimizer.applyGradients(grads, [ADAMW_DEFAULTS.lr]);
    tf.dispose([x, y, ...Object.values(grads)]);
    step++;
  };
  // Warm up until V8 has optimised tfjs' JavaScript, as the speed rows do.
  const warm = defaults.width <= 64 ? 60 : 3;
  for (let i = 0; i < warm; i++) fullStep();
  const { x, y } = batch();
  const forward = await profiled(() => void tf.tidy(() => loss(x, y)));
  const withGradients = await profiled(() => tf.dispose(Object.values(gradients(x, y))));
  const grads = gradients(x, y);
  const adamw = await profiled(() => optimizer.applyGradients(grads, [ADAMW_DEFAULTS.lr]));
  const t0 = performance.now();
  for (let i = 0; i < 10; i++) fullStep();
  const stepMs = (performance.now() - t0) / 10;
  tf.dispose([x, y, ...Object.values(grads)]);
  optimizer.dispose();
  model.dispose();
  const backward = minus(withGradients, forward);
  const total = forward.kernels + backward.kernels + adamw.kernels;
  console.log(`\n== kernel profile of one training step, ${title} (R = 1, backend ${backend})`);
  console.log(
    `step: ${total} kernels, ${stepMs.toFixed(1)} ms (mean of 10): ${((stepMs / total) * 1000).toFixed(1)} us per kernel`,
  );
  for (const line of [
    ...describe('forward', forward, 8),
    ...describe('backward', backward, 8),
    ...describe('AdamW', adamw, 6),
  ])
    console.log(line);
}

/** The profile of experiment 1's or 4's step (each in a process of its own, as the speed rows). */
export async function printKernelProfile(experiment: 'exp1' | 'exp4', prefer?: BackendChoice): Promise<void> {
  if (experiment === 'exp1') await profileExperiment('experiment 1 (mrl-embeddings)', EXP1_DEFAULTS, prefer);
  else await profileExperiment('experiment 4 (nested)', EXP4_DEFAULTS, prefer);
}
