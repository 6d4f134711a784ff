// The replica rows of the bench: experiment 1 trained by the real training loop (train()) as
// one model and as R = 2, 4, 8, 16 replicas in the same ops, by the fused step and by tfjs on
// each backend. Each (engine, R) runs in a process of its own, so that its RSS is its own and
// tfjs-node is tuned to its size.
//   child:  bench.ts --replica-row R --backend node|wasm|fused [--quick]  -> one JSON line
import { spawnSync } from 'node:child_process';
import { activationSize, selectBackend, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { SeededRandom } from '@matryoshka/tokenizer';
import { DEFAULT_REPLICA, train, type TrainingTask } from '@matryoshka/training';
import { EXP1_DEFAULTS, MatryoshkaGPT, taskFusedStep } from '@matryoshka/nested-transformer';

/** What trains a row: the fused step, or tfjs on a backend. */
export type RowEngine = BackendChoice | 'fused';

export const REPLICA_COUNTS = [1, 2, 4, 8, 16] as const;

export interface ReplicaRow {
  replicas: number;
  backend: string;
  /** Median wall time of one training step (all replicas) after the warm-up. */
  msPerStep: number;
  tokensPerSecond: number;
  /** The step's arithmetic (3 x forward, all replicas) per second: flat in R once arithmetic bounds it. */
  gflopsPerSecond: number;
  rssMiB: number;
  steps: number;
}

/** Train experiment 1 with R replicas (R = 1: a single model) and time each step. */
export async function replicaRow(replicas: number, engine: RowEngine, quick: boolean): Promise<ReplicaRow> {
  const { batchSize: b, ...shape } = EXP1_DEFAULTS;
  const t = shape.contextLength;
  const tensors = await selectBackend({
    prefer: engine === 'fused' ? 'wasm' : engine,
    workload: 'training',
    activationSize: activationSize(b * replicas, t, shape.width),
  });
  const config = { ...shape, vocabSize: 65 };
  const model = new MatryoshkaGPT(Array.from({ length: replicas }, (_, k) => ({ ...config, seed: config.seed + k })));
  const random = new SeededRandom(7);
  const data = Int32Array.from({ length: 200_000 }, () => random.nextInt(65));
  // Small models reach their steady state after ~100 steps (V8 optimising tfjs' JavaScript).
  const [warm, measured] = quick ? [10, 20] : [100, 150];
  const stamps: number[] = [];
  let rss = 0;
  await train(trainingTask(model, engine), {
    trainData: data,
    valData: data.subarray(0, 10_000),
    steps: warm + measured,
    batchSize: b,
    contextLength: t,
    evalInterval: warm + measured,
    evalIters: 1,
    handleSignals: false,
    replicas: Array.from({ length: replicas }, (_, k) => ({ ...DEFAULT_REPLICA, seed: DEFAULT_REPLICA.seed + k })),
    hooks: {
      onStep: () => {
        stamps.push(performance.now());
        rss = Math.max(rss, process.memoryUsage.rss());
      },
    },
  });
  const stepFlops = 3 * model.trainingForwardFlopsPerToken() * replicas * b * t;
  model.dispose();
  const times = stamps.slice(warm).map((s, i) => s - stamps[warm + i - 1]);
  const ms = median(times);
  return {
    replicas,
    backend: engine === 'fused' ? 'fused' : tensors,
    msPerStep: ms,
    tokensPerSecond: (replicas * b * t * 1000) / ms,
    gflopsPerSecond: stepFlops / ms / 1e6,
    rssMiB: rss / 2 ** 20,
    steps: times.length,
  };
}

/** `model` as train() takes it, stepped by the fused step or by tfjs. */
export function trainingTask(model: MatryoshkaGPT, engine: RowEngine | 'tfjs'): TrainingTask {
  return {
    widths: model.widths,
    variables: model.namedVariables(),
    replicas: model.replicas,
    loss: (x, y, options) =>
      model.loss(x as never, y as never, { training: options.training, dropoutSeeds: options.dropoutSeeds }),
    fusedStep: engine === 'fused' ? taskFusedStep(model, {}) : undefined,
  };
}

/** Wall time of one call of `work`, in ms. */
export function msOf(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Run every (engine, R) in a child process and print the table and the goals. */
export function printReplicaRows(script: string, backends: readonly RowEngine[], quick: boolean): void {
  console.log(
    `\n== replicas: experiment 1 (d=32 l=4 h=4 b=4 t=16, dropout 0.2) trained by train(), R replicas per step${quick ? ' (quick)' : ''}`,
  );
  const rows: ReplicaRow[] = [];
  for (const backend of backends) {
    for (const R of REPLICA_COUNTS) {
      const engine = backend === 'fused' ? ['--engine', 'fused'] : ['--backend', backend];
      const args = [...process.execArgv, script, '--replica-row', String(R), ...engine, ...(quick ? ['--quick'] : [])];
      const child = spawnSync(process.execPath, args, { encoding: 'utf8' });
      const line = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !line.startsWith('{')) {
        console.log(`${backend} R=${R}: unavailable (${(child.stderr.trim().split('\n').pop() ?? '').slice(0, 160)})`);
        break;
      }
      rows.push(JSON.parse(line) as ReplicaRow);
    }
  }
  if (rows.length === 0) return;
  console.log(
    '| R | engine | ms/step (median) | tokens/s | GFLOP/s | throughput vs R=1, same engine | vs best R=1 | RSS MiB | RSS per replica MiB |',
  );
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const one = (backend: string) => rows.find((r) => r.replicas === 1 && r.backend === backend);
  /** The row of highest throughput among those kept (the first on ties: sort is stable). */
  const fastest = (keep: (r: ReplicaRow) => boolean): ReplicaRow | undefined =>
    rows.filter(keep).sort((a, b) => b.tokensPerSecond - a.tokensPerSecond)[0];
  const best = (R: number) => fastest((r) => r.replicas === R);
  const bestOne = best(1) as ReplicaRow;
  for (const row of rows) {
    const base = one(row.backend);
    console.log(
      `| ${row.replicas} | ${row.backend} | ${row.msPerStep.toFixed(1)} | ${row.tokensPerSecond.toFixed(0)} | ${row.gflopsPerSecond.toFixed(1)} | ` +
        `${base ? (row.tokensPerSecond / base.tokensPerSecond).toFixed(2) : '-'} | ${(row.tokensPerSecond / bestOne.tokensPerSecond).toFixed(2)} | ` +
        `${row.rssMiB.toFixed(0)} | ${(row.rssMiB / row.replicas).toFixed(0)} |`,
    );
  }
  for (const R of REPLICA_COUNTS) {
    const row = best(R);
    if (row) console.log(`best engine at R=${R}: ${row.backend} (${row.tokensPerSecond.toFixed(0)} tokens/s)`);
  }
  const eight = best(8);
  const sixteen = rows.find((r) => r.replicas === 16 && r.backend === best(16)?.backend);
  if (eight) {
    console.log(
      `goal: 8 replicas in <= 2x the time of one: ${eight.msPerStep.toFixed(1)} ms vs ${bestOne.msPerStep.toFixed(1)} ms = ` +
        `${(eight.msPerStep / bestOne.msPerStep).toFixed(2)}x the time, ${(eight.tokensPerSecond / bestOne.tokensPerSecond).toFixed(2)}x the throughput (goal >= 4x)`,
    );
    const tfjsOne = fastest((r) => r.replicas === 1 && r.backend !== 'fused');
    if (tfjsOne && eight.backend === 'fused')
      console.log(
        `8 replicas by the fused step against one model by tfjs (${tfjsOne.backend}): ${eight.msPerStep.toFixed(1)} vs ` +
          `${tfjsOne.msPerStep.toFixed(1)} ms = ${(eight.msPerStep / tfjsOne.msPerStep).toFixed(2)}x the time`,
      );
  }
  if (sixteen) console.log(`memory: 16 replicas RSS ${sixteen.rssMiB.toFixed(0)} MiB (goal <= 2048)`);
}
