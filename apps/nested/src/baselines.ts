// MatFormer's question: are the dolls inside as good as dolls trained alone? `baselines` trains
// an ordinary GPT at each smaller width with the nested run's layers, heads, data, steps and
// seed, into <run>/baselines/w<m>/; `analyze` then sets their val losses beside the submodels'.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRunConfig, runTraining, type AppDefinition } from '@matryoshka/experiment';
import type { BackendChoice } from '@matryoshka/matryoshka-layers';
import { nestsSubmodels } from '@matryoshka/nested-transformer';
import { METRICS_FILE, UserError, parseFlags, readMetrics, trainBackendFlag, type FlagSpec } from '@matryoshka/training';

export const BASELINES_DIR = 'baselines';

const flags: FlagSpec[] = [
  { name: 'run', key: 'run', type: 'string', metavar: 'DIR', required: true, help: 'the nested run to compare with' },
  { name: 'steps', key: 'steps', type: 'int', min: 1, help: 'steps per baseline', defaultHelp: "the nested run's" },
  trainBackendFlag,
];

export function baselineDir(runDir: string, width: number): string {
  return join(runDir, BASELINES_DIR, `w${width}`);
}

export async function baselinesCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): Promise<string[]> {
  const parsed = parseFlags<{ run: string; steps?: number; backend?: BackendChoice }>(argv, flags, {
    command: `npx nx run ${app.name}:baselines --`,
    description: 'Train an ordinary GPT at each smaller width of a nested run, for comparison.',
  });
  const config = readRunConfig(parsed.run);
  const { model, training } = config;
  if (!nestsSubmodels(model.nesting)) throw new UserError(`--run ${parsed.run} is not a nested run (its nesting is '${model.nesting}')`);
  const dirs: string[] = [];
  for (let m = 2 ** model.minPower; m < model.width; m *= 2) {
    const dir = baselineDir(parsed.run, m);
    if (existsSync(join(dir, METRICS_FILE))) throw new UserError(`${dir} already holds a baseline; remove it to train again`);
    process.stderr.write(`baselines: an ordinary GPT at d=${m} (layers ${model.layers}, heads ${model.heads})\n`);
    // The nested run's settings with one width: a plain GPT of width m (its only nested width).
    const { vocabSize: _v, ...shape } = model;
    // An ordinary GPT whatever the run's nesting: one width, every layer, every step.
    const plain = { ...shape, width: m, minPower: Math.log2(m), nesting: 'width' as const, layersPerWidth: null, layerWidths: null };
    await runTraining(
      app,
      {
        run: {
          model: plain,
          training: { ...training, steps: parsed.steps ?? training.steps, regime: 'all', widthProbs: null, importance: null },
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
  process.stderr.write(`baselines: done. Next: npx nx run ${app.name}:analyze -- --run ${parsed.run}  (the report sets them side by side)\n`);
  return dirs;
}

export interface BaselineComparison {
  width: number;
  /** The nested run's final val loss at this width (undefined before its first evaluation). */
  nested?: number;
  /** The final val loss of the ordinary GPT of this width trained alone. */
  alone: number;
}

/** Per width that has a baseline, narrowest first: the nested submodel's val loss and the baseline's. */
export function compareWithBaselines(runDir: string): BaselineComparison[] {
  const alone = baselineValLosses(runDir);
  const metricsFile = join(runDir, METRICS_FILE);
  const records = existsSync(metricsFile) ? readMetrics(metricsFile) : [];
  const last = records[records.length - 1];
  return Object.keys(alone)
    .map(Number)
    .sort((a, b) => a - b)
    .map((width) => ({ width, nested: last?.val[String(width)], alone: alone[String(width)] }));
}

/** `nested - alone`, signed, or '-' when the nested run has no val loss at that width. */
export function lossDifference(c: BaselineComparison): string {
  if (c.nested === undefined) return '-';
  const d = c.nested - c.alone;
  return `${d >= 0 ? '+' : ''}${d.toFixed(3)}`;
}

/** The comparison as a small aligned table for the terminal. */
export function formatComparison(rows: readonly BaselineComparison[]): string {
  const table = [
    ['width', 'nested', 'alone', 'nested - alone'],
    ...rows.map((c) => [String(c.width), c.nested?.toFixed(3) ?? '-', c.alone.toFixed(3), lossDifference(c)]),
  ];
  const widths = table[0].map((_, k) => Math.max(...table.map((row) => row[k].length)));
  return [
    'val loss per width: the nested run\'s submodel vs an ordinary GPT of that width trained alone',
    ...table.map((row) => row.map((cell, k) => cell.padStart(widths[k])).join('  ')),
  ].join('\n') + '\n';
}

/** Final val loss of each baseline found under the run: width -> loss. */
export function baselineValLosses(runDir: string): Record<string, number> {
  const root = join(runDir, BASELINES_DIR);
  if (!existsSync(root)) return {};
  const out: Record<string, number> = {};
  for (const entry of readdirSync(root)) {
    const match = /^w(\d+)$/.exec(entry);
    const metrics = join(root, entry, METRICS_FILE);
    if (!match || !existsSync(metrics)) continue;
    const records = readMetrics(metrics);
    const last = records[records.length - 1];
    if (last) out[match[1]] = last.val[match[1]];
  }
  return out;
}
