// MatFormer's question: are the dolls inside as good as dolls trained alone? `baselines` trains
// an ordinary GPT at each smaller width with the nested run's layers, heads, data, steps and
// seed, into <run>/baselines/w<m>/; `analyze` then sets their val losses beside the submodels'.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  alignColumns,
  checkRunApp,
  readRunConfig,
  replicaLosses,
  runTraining,
  type AppDefinition,
  trainBackendFlag,
  UserError,
  parseFlags,
  type FlagSpec,
} from '@matryoshka/experiment';
import { nestsSubmodels } from '@matryoshka/nested-transformer';
import { METRICS_FILE, readMetrics, type MetricsRecord } from '@matryoshka/training';
import { formatMeanStd, meanStd } from '@matryoshka/viz';

export const BASELINES_DIR = 'baselines';

const flags = [
  { name: 'run', type: 'string', metavar: 'DIR', required: true, help: 'the nested run to compare with' },
  { name: 'steps', type: 'int', min: 1, help: 'steps per baseline', defaultHelp: "the nested run's" },
  trainBackendFlag,
] as const satisfies readonly FlagSpec[];

export function baselineDir(runDir: string, width: number): string {
  return join(runDir, BASELINES_DIR, `w${width}`);
}

export async function baselinesCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): Promise<string[]> {
  const parsed = parseFlags(argv, flags, {
    command: `npx nx run ${app.name}:baselines --`,
    description: 'Train an ordinary GPT at each smaller width of a nested run, for comparison.',
  });
  const config = readRunConfig(parsed.run);
  checkRunApp(app, 'baselines', { source: parsed.run, config });
  const { model, training } = config;
  if (!nestsSubmodels(model.nesting))
    throw new UserError(`--run ${parsed.run} is not a nested run (its nesting is '${model.nesting}')`);
  // The baselines repeat the run's replicas (--replicas: the same seeds), so each difference pairs like with like.
  if (training.sweep)
    throw new UserError(
      `--run ${parsed.run} sweeps ${training.sweep}; baselines compare runs of one setting (use --replicas without --sweep)`,
    );
  const dirs: string[] = [];
  for (let m = 2 ** model.minPower; m < model.width; m *= 2) {
    const dir = baselineDir(parsed.run, m);
    if (existsSync(join(dir, METRICS_FILE)))
      throw new UserError(`${dir} already holds a baseline; remove it to train again`);
    process.stderr.write(`baselines: an ordinary GPT at d=${m} (layers ${model.layers}, heads ${model.heads})\n`);
    // The nested run's settings with one width: a plain GPT of width m (its only nested width).
    const { vocabSize: _v, ...shape } = model;
    // An ordinary GPT whatever the run's nesting: one width, every layer, every step.
    const plain = {
      ...shape,
      width: m,
      minPower: Math.log2(m),
      nesting: 'width' as const,
      layersPerWidth: null,
      layerWidths: null,
    };
    await runTraining(
      app,
      {
        run: {
          model: plain,
          training: {
            ...training,
            steps: parsed.steps ?? training.steps,
            regime: 'all',
            widthProbs: null,
            importance: null,
          },
          settings: config.settings,
        },
        out: dir,
        backend: parsed.backend,
      },
      { log: (line) => process.stderr.write(line + '\n'), progress: 'auto', suggestNext: false },
    );
    dirs.push(dir);
  }
  out.write(formatComparison(compareWithBaselines(parsed.run)));
  process.stderr.write(
    `baselines: done. Next: npx nx run ${app.name}:analyze -- --run ${parsed.run}  (the report sets them side by side)\n`,
  );
  return dirs;
}

export interface BaselineComparison {
  width: number;
  /** The nested run's final val loss at this width, one per replica (undefined before its first evaluation). */
  nested?: number[];
  /** The final val loss of the ordinary GPT of this width trained alone, one per replica (the same seeds). */
  alone: number[];
}

/** The final val losses at a width of a metrics file's last record: one per replica (one model: one). */
function finalValLosses(record: MetricsRecord | undefined, width: number): number[] | undefined {
  if (!record) return undefined;
  return replicaLosses(record)?.map((r) => r.val[String(width)]) ?? [record.val[String(width)]];
}

/** Per width that has a baseline, narrowest first: the nested submodel's val losses and the baseline's. */
export function compareWithBaselines(runDir: string): BaselineComparison[] {
  const alone = baselineValLosses(runDir);
  const metricsFile = join(runDir, METRICS_FILE);
  const records = existsSync(metricsFile) ? readMetrics(metricsFile) : [];
  const last = records[records.length - 1];
  return Object.keys(alone)
    .map(Number)
    .sort((a, b) => a - b)
    .map((width) => ({ width, nested: finalValLosses(last, width), alone: alone[String(width)] }));
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/**
 * `nested - alone`, signed, or '-' when the nested run has no val loss at that width. With
 * replicas, replica r of the nested run against replica r of the baseline (the same seeds):
 * mean ± std of those paired differences, and whether the mean exceeds their spread.
 */
export function lossDifference(c: BaselineComparison): string {
  if (c.nested === undefined) return '-';
  const nested = c.nested;
  const differences = c.alone.map((a, r) => nested[r] - a);
  if (differences.length === 1) return signed(differences[0]);
  const { mean, std, n } = meanStd(differences);
  return `${signed(mean)} ± ${std.toFixed(3)} (n=${n})${Math.abs(mean) > std ? ' *' : ''}`;
}

/** The comparison as a small aligned table for the terminal. */
export function formatComparison(rows: readonly BaselineComparison[]): string {
  const table = [
    ['width', 'nested', 'alone', 'nested - alone'],
    ...rows.map((c) => [
      String(c.width),
      c.nested ? formatMeanStd(c.nested) : '-',
      formatMeanStd(c.alone),
      lossDifference(c),
    ]),
  ];
  const replicated = rows.some((c) => c.alone.length > 1);
  return (
    [
      "val loss per width: the nested run's submodel vs an ordinary GPT of that width trained alone",
      ...alignColumns(table),
      ...(replicated
        ? ['(mean ± std over replicas; differences paired by seed; * = the mean difference exceeds its spread)']
        : []),
    ].join('\n') + '\n'
  );
}

/** Final val losses of each baseline found under the run: width -> one per replica. */
export function baselineValLosses(runDir: string): Record<string, number[]> {
  const root = join(runDir, BASELINES_DIR);
  if (!existsSync(root)) return {};
  const out: Record<string, number[]> = {};
  for (const entry of readdirSync(root)) {
    const match = /^w(\d+)$/.exec(entry);
    const metrics = join(root, entry, METRICS_FILE);
    if (!match || !existsSync(metrics)) continue;
    const losses = finalValLosses(readMetrics(metrics).at(-1), Number(match[1]));
    if (losses) out[match[1]] = losses;
  }
  return out;
}
