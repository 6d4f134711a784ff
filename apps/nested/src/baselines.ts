// MatFormer's question: are the dolls inside as good as dolls trained alone? `baselines` trains
// an ordinary GPT at each smaller width with the nested run's layers, heads, data, steps and
// seed, into <run>/baselines/w<m>/; `analyze` then sets their val losses beside the submodels'.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRunConfig, runTraining, type AppDefinition } from '@matryoshka/experiment';
import { METRICS_FILE, UserError, backendFlag, parseFlags, readMetrics, type FlagSpec } from '@matryoshka/training';

export const BASELINES_DIR = 'baselines';

const flags: FlagSpec[] = [
  { name: 'run', key: 'run', type: 'string', metavar: 'DIR', required: true, help: 'the nested run to compare with' },
  { name: 'steps', key: 'steps', type: 'int', min: 1, help: "steps per baseline (default: the run's)" },
  backendFlag,
];

export function baselineDir(runDir: string, width: number): string {
  return join(runDir, BASELINES_DIR, `w${width}`);
}

export async function baselinesCommand(app: AppDefinition, argv: readonly string[]): Promise<string[]> {
  const parsed = parseFlags<{ run: string; steps?: number; backend?: string }>(argv, flags, {
    command: `npx nx run ${app.name}:baselines --`,
    description: 'Train an ordinary GPT at each smaller width of a nested run, for comparison.',
  });
  const config = readRunConfig(parsed.run);
  if (config.trunk !== 'nested') throw new UserError(`--run ${parsed.run} is not a nested run`);
  const full = config.width;
  const dirs: string[] = [];
  for (let m = 2 ** config.minPower; m < full; m *= 2) {
    const out = baselineDir(parsed.run, m);
    if (existsSync(join(out, METRICS_FILE))) throw new UserError(`${out} already holds a baseline; remove it to train again`);
    const { app: _app, vocabulary: _vocabulary, packageVersion: _v, createdAt: _c, ...settings } = config as typeof config & Record<string, unknown>;
    process.stderr.write(`baselines: an ordinary GPT at d=${m} (layers ${config.layers}, heads ${config.heads})\n`);
    await runTraining(app, {
      ...settings,
      width: m,
      minPower: Math.log2(m),
      steps: parsed.steps ?? config.steps,
      out,
      backend: parsed.backend,
    });
    dirs.push(out);
  }
  return dirs;
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
