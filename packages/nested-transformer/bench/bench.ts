// Speed of MatryoshkaGPT on this machine: training step time, throughput, achieved GFLOP/s
// against a matmul peak measured in the same run, peak memory, KV-cached generation speed.
// Prints figures only (no assertions).
//   npx nx run nested-transformer:bench -- --backend node|wasm|cpu [--quick] [--only exp1|exp4|main-job|apps|replicas|speculative|profile-exp1|profile-exp4|profile-generate] [--engine fused|tfjs] [--model FILE] [--figure FILE]
// The main-job rows (main-job-rows.ts): experiment 1's 5000 steps as the app trains them, by the
// fused step and by tfjs.
// The replica rows (replica-rows.ts): experiment 1 as R = 1..16 replicas through train(), per backend.
// The profile rows (profile-rows.ts): one training step's kernels and their time, forward, backward
// and AdamW, of experiment 1 or 4.
// The speculative rows (speculative-rows.ts): speculative decoding on experiment 4's trained demo
// model (or --model FILE), every draft width below each verifier, k = 1..8; --figure FILE draws
// the speed-up against k (FILE.svg and FILE.png).
// Each experiment runs in a process of its own, because tfjs-node is tuned to the model's size
// when it loads (oneDNN for large activations; see selectBackend's activationSize).
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { activationSize, parseBackendChoice, selectBackend, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { SeededRandom } from '@matryoshka/tokenizer';
import { AdamW, ADAMW_DEFAULTS } from '@matryoshka/training';
import {
  EXP1_DEFAULTS,
  EXP4_DEFAULTS,
  MatryoshkaGPT,
  generate,
  type ExperimentDefaults,
} from '@matryoshka/nested-transformer';
import { median, msOf, printReplicaRows, replicaRow, type RowEngine } from './replica-rows';
import { DEMO_MODEL, printSpeculativeRows } from './speculative-rows';
import { printGenerationProfile, printKernelProfile, windowFlops } from './profile-rows';
import { printMainJobRows } from './main-job-rows';
import { printAppRows } from './app-rows';

const VOCAB = 65; // Tiny Shakespeare's characters

const EXPERIMENTS = {
  exp1: { title: 'experiment 1 (mrl-embeddings)', defaults: EXP1_DEFAULTS },
  exp4: { title: 'experiment 4 (nested)', defaults: EXP4_DEFAULTS },
};
type ExperimentKey = keyof typeof EXPERIMENTS;
/** The parts that are not an experiment's training and generation rows, in the order a full run takes them. */
const OTHER_PARTS = {
  'main-job': (args) => printMainJobRows(args.engine ? [args.engine] : ['fused', 'tfjs'], args.quick),
  apps: (args) => printAppRows([args.engine ?? 'fused'], args.quick),
  replicas: (args) => {
    const tfjs: RowEngine[] = args.backend ? [args.backend] : ['node', 'wasm'];
    const engines: RowEngine[] =
      args.engine === 'fused' ? ['fused'] : args.engine === 'tfjs' ? tfjs : ['fused', ...tfjs];
    printReplicaRows(process.argv[1], engines, args.quick);
  },
  speculative: (args) => printSpeculativeRows(args.backend, args.quick, args.model ?? DEMO_MODEL, args.figure),
  'profile-exp1': (args) => printKernelProfile(EXPERIMENTS.exp1.title, EXPERIMENTS.exp1.defaults, args.backend),
  'profile-exp4': (args) => printKernelProfile(EXPERIMENTS.exp4.title, EXPERIMENTS.exp4.defaults, args.backend),
  'profile-generate': (args) => printGenerationProfile(args.backend),
} satisfies Record<string, (args: Args) => unknown>;
type OtherPart = keyof typeof OTHER_PARTS;
type Part = ExperimentKey | OtherPart;

interface Args {
  backend?: BackendChoice;
  /** The replica and main-job rows: only this engine (default both); the app rows: this engine (default fused). */
  engine?: 'fused' | 'tfjs';
  quick: boolean;
  only?: Part;
  /** The trained model of the speculative rows (default: the playground's demo). */
  model?: string;
  /** Where the speculative rows' figure goes (FILE.svg and FILE.png; default: none). */
  figure?: string;
  /** A child measuring one replica row (replica-rows.ts). */
  replicaRow?: number;
}

function parseEngine(value: string): 'fused' | 'tfjs' {
  if (value !== 'fused' && value !== 'tfjs') throw new Error(`--engine: expected fused or tfjs, got "${value}"`);
  return value;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') args.quick = true;
    else if (argv[i] === '--engine') args.engine = parseEngine(argv[++i] ?? '');
    else if (argv[i] === '--backend') args.backend = parseBackendChoice(argv[++i] ?? '');
    else if (argv[i].startsWith('--backend=')) args.backend = parseBackendChoice(argv[i].slice('--backend='.length));
    else if (argv[i] === '--replica-row') args.replicaRow = Number(argv[++i]);
    else if (argv[i] === '--model') args.model = argv[++i];
    else if (argv[i] === '--figure') args.figure = argv[++i];
    else if (argv[i] === '--only') {
      const key = argv[++i] ?? '';
      const parts: readonly string[] = [...Object.keys(EXPERIMENTS), ...Object.keys(OTHER_PARTS)];
      if (!parts.includes(key)) throw new Error(`--only: unknown part "${key}" (expected ${parts.join(', ')})`);
      args.only = key as Part;
    } else if (argv[i] !== '--')
      throw new Error(
        `unknown argument ${argv[i]} (expected --backend node|wasm|cpu, --engine fused|tfjs, --quick, --only exp1|exp4|main-job|apps|replicas|speculative|profile-exp1|profile-exp4|profile-generate, --model FILE, --figure FILE)`,
      );
  }
  return args;
}

/** Median GFLOP/s of a 512x512x512 matmul: the reference "peak" for this backend and machine. */
function matmulPeak(repeats: number): number {
  const n = 512;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const times: number[] = [];
  for (let i = 0; i < repeats + 2; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    if (i >= 2) times.push(performance.now() - t0);
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** Gradients keyed by tfjs' internal variable names -> keyed by the model's parameter names. */
function byName(model: MatryoshkaGPT, grads: Record<string, tf.Tensor>): Record<string, tf.Tensor> {
  return Object.fromEntries(
    Object.entries(model.namedVariables()).map(([name, variable]) => [name, grads[variable.name]]),
  );
}

function randomBatch(random: SeededRandom, b: number, t: number): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const x: number[][] = [];
  const y: number[][] = [];
  for (let i = 0; i < b; i++) {
    const row = Array.from({ length: t + 1 }, () => random.nextInt(VOCAB));
    x.push(row.slice(0, t));
    y.push(row.slice(1));
  }
  return { x: tf.tensor3d([x], undefined, 'int32'), y: tf.tensor3d([y], undefined, 'int32') };
}

async function benchExperiment(name: string, defaults: ExperimentDefaults, args: Args, peak: number): Promise<void> {
  // As the training loop builds it: replicas, here R = 1.
  const model = new MatryoshkaGPT([{ ...defaults, vocabSize: VOCAB }]);
  const { batchSize: b, contextLength: t } = defaults;
  const vars = Object.values(model.namedVariables());
  const optimiser = new AdamW(model.namedVariables()); // the training loop's optimiser
  const random = new SeededRandom(42);
  let rssMax = 0;
  let tfBytesMax = 0;
  let lastLoss = NaN;
  let step = 0;
  /** One training step (forward, backward, AdamW, one read-back); returns its wall time in ms. */
  const trainStep = (): number => {
    const { x, y } = randomBatch(random, b, t);
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(
      () => tf.sum(model.loss(x, y, { training: true, dropoutSeeds: [step++] }).total) as tf.Scalar,
      vars,
    );
    optimiser.applyGradients(byName(model, grads), [ADAMW_DEFAULTS.lr]);
    lastLoss = value.dataSync()[0];
    const ms = performance.now() - t0;
    tfBytesMax = Math.max(tfBytesMax, tf.memory().numBytes);
    tf.dispose([value, ...Object.values(grads), x, y]);
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
    return ms;
  };
  // Warm up until V8 has optimised tfjs' JavaScript (>= 3 steps and >= 3 s, at most 200 steps; a
  // small model needs ~100 steps to reach its steady state), then measure >= 20 steps and >= 2 s.
  const [warmSteps, warmMs, minMeasured, measureMs] = args.quick ? [1, 0, 5, 0] : [3, 3000, 20, 2000];
  const elapsedSince = (start: number) => performance.now() - start;
  const warmStart = performance.now();
  while (step < 200 && (step < warmSteps || elapsedSince(warmStart) < warmMs)) trainStep();
  const warmup = step;
  const times: number[] = [];
  const measureStart = performance.now();
  while (times.length < 300 && (times.length < minMeasured || elapsedSince(measureStart) < measureMs))
    times.push(trainStep());
  const measured = times.length;
  const ms = median(times);
  const tokens = b * t;
  const trainingFlops = 3 * model.trainingForwardFlopsPerToken() * tokens;
  const gflops = trainingFlops / (ms / 1000) / 1e9;
  console.log(
    `${name}: d=${defaults.width} l=${defaults.layers} h=${defaults.heads} b=${b} t=${t} nesting=${model.config.nesting} widths=${model.widths.join('/')} params=${model.parameterCount()}`,
  );
  console.log(
    `training step: ${ms.toFixed(1)} ms median of ${measured} after ${warmup} warm-up (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}), loss after ${warmup + measured} steps ${lastLoss.toFixed(2)}`,
  );
  console.log(
    `throughput: ${((tokens / ms) * 1000).toFixed(0)} tokens/s; ${gflops.toFixed(2)} GFLOP/s achieved (${(trainingFlops / 1e9).toFixed(3)} GFLOP/step = 3 x forward) = ${((100 * gflops) / peak).toFixed(1)}% of the matmul peak`,
  );
  console.log(
    `memory: rss max ${(rssMax / 2 ** 20).toFixed(0)} MiB, tf.memory().numBytes max ${(tfBytesMax / 2 ** 20).toFixed(1)} MiB`,
  );
  const newTokens = args.quick ? 30 : 100;
  // Generation on the backend `sample` would pick (the model's variables move there).
  const trainingBackend = tf.getBackend();
  const generationBackend = await selectBackend({ prefer: args.backend, workload: 'generation' });
  // Past the context every token runs the whole window again (positions are absolute): its
  // arithmetic, against this backend's own matmul peak, says whether launches or arithmetic bound it.
  const generationPeak = generationBackend === trainingBackend ? peak : matmulPeak(args.quick ? 5 : 15);
  console.log(`generation backend: ${generationBackend}; matmul peak ${generationPeak.toFixed(1)} GFLOP/s`);
  const lone = model.replica(0); // generation runs a single model, as sample does
  for (const width of lone.widths) {
    const options = { width, seed: 1, greedy: true };
    for (let i = 0; i < 3; i++) generate(lone, [0], { ...options, maxNewTokens: t + 8 }); // warm-up: cached, uncached and sliding paths
    const allMs = msOf(() => generate(lone, [0], { ...options, maxNewTokens: newTokens }));
    const all = (newTokens / allMs) * 1000;
    const cachedOnly = ((t - 1) / msOf(() => generate(lone, [0], { ...options, maxNewTokens: t - 1 }))) * 1000;
    // From a one-id prompt the first t new ids fit the context (KV-cached); the rest slide.
    const cachedMs = msOf(() => generate(lone, [0], { ...options, maxNewTokens: t }));
    const uncachedMs = msOf(() => generate(lone, [0], { ...options, maxNewTokens: t - 1, useCache: false }));
    const uncached = ((t - 1) / uncachedMs) * 1000;
    console.log(
      `generation width ${width}: ${all.toFixed(0)} tokens/s over ${newTokens} greedy tokens (window slides after ${t}); ` +
        `first ${t - 1} tokens: ${cachedOnly.toFixed(0)} tokens/s KV-cached vs ${uncached.toFixed(0)} uncached`,
    );
    const sliding = newTokens - t;
    if (sliding > 0 && allMs > cachedMs) {
      const slidingRate = (sliding / (allMs - cachedMs)) * 1000;
      const flops = windowFlops(lone.config, width);
      const gflops = (slidingRate * flops) / 1e9;
      console.log(
        `  past the context: ${slidingRate.toFixed(0)} tokens/s, ${(flops / 1e6).toFixed(0)} MFLOP a token (${t} positions) = ` +
          `${gflops.toFixed(1)} GFLOP/s, ${((100 * gflops) / generationPeak).toFixed(0)}% of the matmul peak`,
      );
    }
  }
  optimiser.dispose();
  lone.dispose();
  model.dispose();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.replicaRow !== undefined) {
    const engine = args.engine === 'fused' ? 'fused' : (args.backend ?? 'wasm');
    console.log(JSON.stringify(await replicaRow(args.replicaRow, engine, args.quick)));
    return;
  }
  if (args.only && args.only in OTHER_PARTS) {
    await OTHER_PARTS[args.only as OtherPart](args);
    return;
  }
  if (!args.only) {
    for (const key of [...Object.keys(EXPERIMENTS), ...Object.keys(OTHER_PARTS)]) {
      const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1], ...argv, '--only', key], {
        stdio: 'inherit',
      });
      if (child.status !== 0) throw new Error(`bench --only ${key} failed (exit ${child.status ?? child.signal})`);
    }
    return;
  }
  const { title, defaults } = EXPERIMENTS[args.only as ExperimentKey];
  const size = activationSize(defaults.batchSize, defaults.contextLength, defaults.width);
  const backend = await selectBackend({ prefer: args.backend, workload: 'training', activationSize: size });
  const oneDnn = backend === 'tensorflow' ? `, oneDNN ${process.env.TF_ENABLE_ONEDNN_OPTS === '1' ? 'on' : 'off'}` : '';
  console.log(`\n== ${title}\nbackend: ${backend}${oneDnn}${args.quick ? ' (quick)' : ''}`);
  const peak = matmulPeak(args.quick ? 5 : 15);
  console.log(`matmul peak (512x512x512, median): ${peak.toFixed(1)} GFLOP/s`);
  await benchExperiment(title, defaults, args, peak);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
