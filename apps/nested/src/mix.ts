// Mix'n'Match (docs/EXPERIMENTS.md, "Nesting modes and Mix'n'Match"): a mix runs each layer at
// its own nested width. `mix` evaluates seeded random mixes and the trained widths on the same
// validation batches and draws val loss against forward FLOPs per token, with the Pareto front.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  FIGURES_DIR,
  alignColumns,
  loadCorpusData,
  loadRun,
  useBackend,
  type AppDefinition,
  backendFlag,
  replicaFlag,
  UserError,
  parseFlags,
  type FlagSpec,
} from '@matryoshka/experiment';
import { crossEntropy } from '@matryoshka/matryoshka-layers';
import {
  flopsPerToken,
  formatMix,
  mixOfWidth,
  nestsSubmodels,
  parameterCount,
  randomMixes,
  type MatryoshkaGPT,
} from '@matryoshka/nested-transformer';
import {
  BatchSampler,
  SeededRandom,
  parseJson,
  writeFileAtomic,
  type BatchSamplerOptions,
} from '@matryoshka/tokenizer';
import { closeRenderer, renderParetoChart, type ScatterPoint } from '@matryoshka/viz';

export const MIX_FILE = 'mix.json';
export const MIX_FIGURE = 'mix-n-match';

export interface MixPoint {
  /** The width each layer runs at (0 = skipped). */
  layerWidths: number[];
  /** 'trained': a trained width's own submodel; 'mix': a random mix. */
  kind: 'trained' | 'mix';
  /** The trained width (kind 'trained'). */
  width?: number;
  parameters: number;
  flopsPerToken: number;
  /** Mean cross-entropy over the evaluation batches. */
  valLoss: number;
  /** No other point is both cheaper (or as cheap) and better. */
  pareto: boolean;
}

export interface MixFile {
  run: string;
  step: number;
  nesting: string;
  /** The evaluation: batches of the val split, drawn with this seed. */
  evaluation: { batches: number; batchSize: number; contextLength: number; seed: number };
  samplesSeed: number;
  points: MixPoint[];
}

/** Mark the points on the Pareto front of (FLOPs, loss): sorted by cost, each better than every cheaper one. */
export function markParetoFront<T extends { flopsPerToken: number; valLoss: number }>(
  points: readonly T[],
): (T & { pareto: boolean })[] {
  const order = points
    .map((_, i) => i)
    .sort((a, b) => points[a].flopsPerToken - points[b].flopsPerToken || points[a].valLoss - points[b].valLoss);
  const onFront = new Set<number>();
  let best = Infinity;
  for (const i of order) {
    if (points[i].valLoss < best) {
      onFront.add(i);
      best = points[i].valLoss;
    }
  }
  return points.map((p, i) => ({ ...p, pareto: onFront.has(i) }));
}

/** Mean val cross-entropy of each mix on the same `batches` batches (seeded). */
export function evaluateMixes(
  model: MatryoshkaGPT,
  valData: Int32Array,
  mixes: readonly (readonly number[])[],
  options: BatchSamplerOptions & { batches: number },
  onProgress?: (done: number) => void,
): number[] {
  const sampler = new BatchSampler(valData, options);
  const batches = Array.from({ length: options.batches }, () => sampler.next());
  return mixes.map((layerWidths, done) => {
    const sub = model.mix(layerWidths);
    let sum = 0;
    for (const batch of batches) {
      sum += tf.tidy(() => {
        const x = tf.tensor3d(batch.x, [1, batch.batchSize, batch.contextLength], 'int32');
        const y = tf.tensor3d(batch.y, [1, batch.batchSize, batch.contextLength], 'int32');
        return crossEntropy(model.forwardSubmodel(x, sub, { training: false }), y).dataSync()[0];
      });
    }
    onProgress?.(done + 1);
    return sum / batches.length;
  });
}

/** The trained widths and `samples` random mixes of a model, each priced and evaluated, the front marked. */
export function mixPoints(
  model: MatryoshkaGPT,
  valData: Int32Array,
  options: { samples: number; seed: number; batches: number; batchSize: number; contextLength: number },
  onProgress?: (done: number, total: number) => void,
): MixPoint[] {
  const { config } = model;
  const random = new SeededRandom(options.seed);
  const trained = model.widths.map((m) => ({ layerWidths: mixOfWidth(config, m), kind: 'trained' as const, width: m }));
  const drawn = randomMixes(config, options.samples, () => random.next()).map((layerWidths) => ({
    layerWidths,
    kind: 'mix' as const,
  }));
  const all = [...trained, ...drawn];
  const losses = evaluateMixes(
    model,
    valData,
    all.map((p) => p.layerWidths),
    options,
    (done) => onProgress?.(done, all.length),
  );
  return markParetoFront(
    all.map((p, i) => {
      const sub = model.mix(p.layerWidths);
      return {
        ...p,
        parameters: parameterCount(config, sub),
        flopsPerToken: flopsPerToken(config, sub),
        valLoss: losses[i],
      };
    }),
  );
}

/** The points as the chart draws them: random mixes, then the trained widths labelled. */
export function mixChartPoints(points: readonly MixPoint[]): ScatterPoint[] {
  return [...points]
    .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'mix' ? -1 : 1))
    .map((p) => ({
      x: p.flopsPerToken,
      y: p.valLoss,
      series: p.kind === 'trained' ? 'trained width' : 'random mix',
      label: p.kind === 'trained' ? `w${p.width}` : undefined,
      front: p.pareto,
    }));
}

const flags = [
  {
    name: 'run',
    type: 'string',
    metavar: 'DIR',
    required: true,
    help: 'a run of the nested app (any --nest)',
  },
  {
    name: 'samples',
    type: 'int',
    min: 0,
    help: 'random mixes to evaluate (beside the trained widths)',
  },
  {
    name: 'seed',
    type: 'int',
    min: 0,
    max: 2 ** 32 - 1,
    help: 'seed of the random mixes and the evaluation batches',
    defaultHelp: "the run's --seed",
  },
  {
    name: 'eval-batches',
    type: 'int',
    min: 1,
    help: 'val batches every mix is evaluated on (the same for all)',
  },
  replicaFlag,
  backendFlag,
] as const satisfies readonly FlagSpec[];

export const MIX_DEFAULTS = { samples: 32, evalBatches: 10 } as const;

export async function mixCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): Promise<MixFile> {
  const parsed = parseFlags(argv, flags, {
    command: `npx nx run ${app.name}:mix --`,
    description:
      "Evaluate Mix'n'Match mixes (one nested width per layer) of a nested run: val loss against forward FLOPs per token.",
    defaults: MIX_DEFAULTS,
  });
  const log = (line: string) => process.stderr.write(line + '\n');
  await useBackend({ prefer: parsed.backend }, log); // batched evaluation, as in training: the default order
  const run = loadRun(parsed.run, parsed.replica, { app, target: 'mix' });
  const runDir = run.runDir;
  try {
    if (!runDir) throw new UserError(`--run: mix needs a run directory, not the exported file ${parsed.run}`);
    const { model, config } = run;
    if (!nestsSubmodels(model.config.nesting) || model.config.layerWidths) {
      throw new UserError(
        `--run ${runDir}: Mix'n'Match needs a run nested by width, ffn or width+depth (this one: ${model.config.nesting}${model.config.layerWidths ? ', a fixed mix' : ''})`,
      );
    }
    const data = loadCorpusData(config.training.data, config.vocabulary, model.config.contextLength);
    const seed = parsed.seed ?? config.training.seed;
    const evaluation = {
      batches: parsed.evalBatches,
      batchSize: config.training.batchSize,
      contextLength: model.config.contextLength,
      seed,
    };
    log(
      `mix: ${parsed.samples} random mixes + ${model.widths.length} trained widths of ${runDir} (nesting ${model.config.nesting}), ${parsed.evalBatches} val batches each`,
    );
    const points = mixPoints(model, data.val, { samples: parsed.samples, ...evaluation }, (done, total) => {
      if (done % 8 === 0 || done === total) log(`mix: ${done}/${total} evaluated`);
    });
    const file: MixFile = {
      run: runDir,
      step: run.step,
      nesting: model.config.nesting,
      evaluation,
      samplesSeed: seed,
      points,
    };
    writeFileAtomic(join(runDir, MIX_FILE), JSON.stringify(file, null, 1) + '\n');
    mkdirSync(join(runDir, FIGURES_DIR), { recursive: true });
    await renderParetoChart({
      points: mixChartPoints(points),
      title: `${app.name} (${model.config.nesting}): Mix'n'Match, val loss vs compute (step ${run.step})`,
      xTitle: 'forward FLOPs per token (log scale)',
      yTitle: 'val loss',
      logX: true,
      fronts: 'across series', // one front over the random mixes and the trained widths together
      outBase: join(runDir, FIGURES_DIR, MIX_FIGURE),
    });
    out.write(formatFront(points));
    log(
      `mix: wrote ${join(runDir, MIX_FILE)} and ${join(runDir, FIGURES_DIR, MIX_FIGURE)}.svg|png. Next: npx nx run ${app.name}:analyze -- --run ${runDir}  (the report shows it)`,
    );
    return file;
  } finally {
    run.model.dispose();
    await closeRenderer();
  }
}

/** The Pareto front as an aligned table: FLOPs/token, val loss, layer widths. */
export function formatFront(points: readonly MixPoint[]): string {
  const front = points.filter((p) => p.pareto).sort((a, b) => a.flopsPerToken - b.flopsPerToken);
  const rows = [
    ['FLOPs/token', 'parameters', 'val loss', 'layer widths', ''],
    ...front.map((p) => [
      p.flopsPerToken.toLocaleString('en'),
      p.parameters.toLocaleString('en'),
      p.valLoss.toFixed(3),
      formatMix(p.layerWidths),
      p.kind === 'trained' ? `trained width ${p.width}` : '',
    ]),
  ];
  return (
    [
      `Pareto front of ${points.length} points (${front.length} on it): cheaper and better than every point not on it`,
      ...alignColumns(rows, 3),
    ].join('\n') + '\n'
  );
}

/** What analyze shows of a run's mix.json: the figure and the front, or nothing when `mix` has not run. */
export function readMixFile(runDir: string): { file: MixFile; svg?: string } | undefined {
  const path = join(runDir, MIX_FILE);
  if (!existsSync(path)) return undefined;
  const svgPath = join(runDir, FIGURES_DIR, `${MIX_FIGURE}.svg`);
  return {
    file: parseJson(readFileSync(path, 'utf8'), path) as MixFile,
    svg: existsSync(svgPath) ? readFileSync(svgPath, 'utf8') : undefined,
  };
}
