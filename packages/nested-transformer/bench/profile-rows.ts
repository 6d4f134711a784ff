// The kernel profile of one training step, as the loop takes it (R = 1): how many tfjs kernels the
// forward pass, the backward pass and AdamW launch, and the time of each kind. The small
// experiments are bound by the count (each launch costs microseconds whatever its size), so this
// is where a faster step has to start.
//   bench.ts --only profile-exp1|profile-exp4|profile-generate [--backend node|wasm|cpu]
// profile-generate: one token of experiment 4's generation past the context, where the window of
// t positions runs again (positions are absolute), at each width: what bounds generation there.
import * as tf from '@tensorflow/tfjs-core';
import { activationSize, selectBackend, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { ADAMW_DEFAULTS, AdamW } from '@matryoshka/training';
import {
  EXP4_DEFAULTS,
  KVCacheRunner,
  MatryoshkaGPT,
  flopsPerToken,
  submodelAt,
  type ExperimentDefaults,
  type ResolvedGPTConfig,
} from '@matryoshka/nested-transformer';
import { median, msOf } from './replica-rows';

const VOCAB = 65;

interface Phase {
  kernels: number;
  /** Summed kernel time (ms), as the backend reports it. */
  kernelMs: number;
  /** Kernels and time per kind. */
  kinds: Map<string, { count: number; ms: number }>;
}

/**
 * tf.profile also lists each tf.customGrad op (our layer norm and matmul, tfjs' logSoftmax) under
 * its scope's name, with a time that includes the kernels it runs, which it lists too: only
 * entries that are kernels of the backend are counted.
 */
const isKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

async function profiled(run: () => void): Promise<Phase> {
  const info = await tf.profile(run);
  const kinds = new Map<string, { count: number; ms: number }>();
  let kernelMs = 0;
  let kernels = 0;
  for (const kernel of info.kernels) {
    if (!isKernel(kernel.name)) continue;
    const ms = typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    const entry = kinds.get(kernel.name) ?? { count: 0, ms: 0 };
    kinds.set(kernel.name, { count: entry.count + 1, ms: entry.ms + ms });
    kernelMs += ms;
    kernels++;
  }
  return { kernels, kernelMs, kinds };
}

/** Kind by kind, the median time over several profiles of the same work (the counts are equal); the total is their sum. */
function medianPhase(phases: readonly Phase[]): Phase {
  const kinds = new Map(
    [...phases[0].kinds].map(([name, { count }]) => [
      name,
      { count, ms: median(phases.map((p) => p.kinds.get(name)?.ms ?? 0)) },
    ]),
  );
  const kernelMs = [...kinds.values()].reduce((sum, k) => sum + k.ms, 0);
  return { kernels: phases[0].kernels, kernelMs, kinds };
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

function describe(name: string, phase: Phase, top: number): string {
  const kinds = [...phase.kinds].sort((a, b) => b[1].ms - a[1].ms || b[1].count - a[1].count).slice(0, top);
  const list = kinds.map(([kind, { count, ms }]) => `${kind} ${count}x ${ms.toFixed(2)} ms`).join(', ');
  return `  ${name}: ${phase.kernels} kernels, ${phase.kernelMs.toFixed(2)} ms of kernel time; ${list}`;
}

/** The profile of experiment 1's or 4's step (each in a process of its own, as the speed rows). */
export async function printKernelProfile(
  title: string,
  defaults: ExperimentDefaults,
  prefer?: BackendChoice,
): Promise<void> {
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
  console.log(describe('forward', forward, 8));
  console.log(describe('backward', backward, 8));
  console.log(describe('AdamW', adamw, 6));
}

/**
 * The arithmetic of one token past the context at a width: the trunk on all t positions of the
 * window again (positions are absolute), the tied head on the last one only.
 */
export function windowFlops(config: ResolvedGPTConfig, width: number): number {
  const { contextLength: t, vocabSize: v } = config;
  const sub = submodelAt(config, width);
  return t * flopsPerToken(config, sub) - (t - 1) * 2 * v * sub.headWidth;
}

/** The kernels of one generation step past the context (a fresh window of t ids), at every width of experiment 4. */
export async function printGenerationProfile(prefer?: BackendChoice): Promise<void> {
  const backend = await selectBackend({ prefer, workload: 'generation' });
  const model = new MatryoshkaGPT([{ ...EXP4_DEFAULTS, vocabSize: VOCAB }]);
  const lone = model.replica(0);
  const t = lone.config.contextLength;
  const ids = Array.from({ length: t }, (_, i) => (7 * i) % VOCAB);
  console.log(
    `\n== kernel profile of one token past the context, experiment 4 (${t} positions again; backend ${backend})`,
  );
  for (const width of lone.widths) {
    const runner = new KVCacheRunner(() => lone.weightsForWidth(width));
    for (let i = 0; i < 20; i++) runner.recompute(ids); // warm-up, as the speed rows
    const times = Array.from({ length: 20 }, () => msOf(() => runner.recompute(ids)));
    // Each kind's median over 5 profiles: one preempted kernel would otherwise lead the list.
    const phases: Phase[] = [];
    for (let i = 0; i < 5; i++) phases.push(await profiled(() => void runner.recompute(ids)));
    const phase = medianPhase(phases);
    runner.dispose();
    const ms = median(times);
    const flops = windowFlops(lone.config, width);
    console.log(
      `width ${width}: ${ms.toFixed(1)} ms a token (median of 20), ${(flops / 1e6).toFixed(0)} MFLOP = ${(flops / ms / 1e6).toFixed(1)} GFLOP/s`,
    );
    console.log(describe('window', phase, 6));
  }
  lone.dispose();
  model.dispose();
}
