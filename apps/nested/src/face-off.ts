// The face-off (docs/EXPERIMENTS.md, "The face-off"): which nesting gives the best small models
// for their compute? Every nesting x regime trains for the same training time on one config,
// beside ordinary GPTs trained alone at each width; each submodel is then compared with the
// alone-trained loss at its own forward FLOPs (interpolated in log FLOPs).
//
// Equal time, reproducibly: each cell's step time is measured first (all cells back to back,
// twice, interleaved; the first third of the steps, where kernels warm up, not counted), and a
// cell trains budget / (its step time) steps. The steps, not the
// clock, go into each run's config.json, so every run can be repeated from it alone.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  readRunConfig,
  runTraining,
  useBackend,
  type AppDefinition,
  type RunSettings,
  trainBackendFlag,
  type Regime,
  UserError,
  parseFlags,
  type FlagSpec,
  type ParsedFlags,
} from '@matryoshka/experiment';
import type { BackendChoice } from '@matryoshka/matryoshka-layers';
import {
  configWidths,
  flopsPerToken,
  parameterCount,
  submodelAt,
  type GPTConfig,
  type Nesting,
} from '@matryoshka/nested-transformer';
import { parseJson, writeFileAtomic } from '@matryoshka/tokenizer';
import { METRICS_FILE, readMetrics } from '@matryoshka/training';
import { closeRenderer, renderParetoChart, type ScatterPoint } from '@matryoshka/viz';

export interface FaceOffCell {
  /** Directory name under --out: `width-all`, `ffn-sample`, `alone-w32`, ... */
  name: string;
  nesting: Nesting;
  regime: Regime;
  /** Ordinary GPT trained alone at this width (a baseline), or undefined for a nested run. */
  alone?: number;
}

/** The cells: every nesting x regime, then a GPT alone at each nested width (the full one included). */
export function faceOffCells(widths: readonly number[]): FaceOffCell[] {
  const nestings: Nesting[] = ['width', 'ffn', 'width+depth'];
  const regimes: Regime[] = ['all', 'sample'];
  return [
    ...nestings.flatMap((nesting) => regimes.map((regime) => ({ name: `${nesting}-${regime}`, nesting, regime }))),
    ...widths.map((m) => ({ name: `alone-w${m}`, nesting: 'width' as const, regime: 'all' as const, alone: m })),
  ];
}

/** A cell's run settings over the face-off's base settings. */
export function cellSettings(base: RunSettings, cell: FaceOffCell, steps: number): RunSettings {
  const model: Omit<GPTConfig, 'vocabSize'> = cell.alone
    ? { ...base.model, nesting: 'width', width: cell.alone, minPower: Math.log2(cell.alone), layersPerWidth: null }
    : { ...base.model, nesting: cell.nesting, layersPerWidth: null };
  return { ...base, model, training: { ...base.training, regime: cell.regime, steps, evalInterval: steps } };
}

export interface FaceOffRow {
  cell: string;
  nesting: Nesting;
  regime: Regime;
  width: number;
  parameters: number;
  flopsPerToken: number;
  valLoss: number;
  /** The alone-trained loss at this FLOPs/token (log-linear between the two nearest baselines), if inside their range. */
  aloneAtEqualFlops?: number;
}

/**
 * The alone-trained loss at `flops`: linear in log FLOPs between the neighbouring baselines;
 * undefined outside their range (no extrapolation).
 */
export function lossAtFlops(
  baselines: readonly { flopsPerToken: number; valLoss: number }[],
  flops: number,
): number | undefined {
  const sorted = [...baselines].sort((a, b) => a.flopsPerToken - b.flopsPerToken);
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i];
    if (p.flopsPerToken === flops) return p.valLoss;
    const q = sorted[i + 1];
    if (q && p.flopsPerToken < flops && flops < q.flopsPerToken) {
      const t = Math.log(flops / p.flopsPerToken) / Math.log(q.flopsPerToken / p.flopsPerToken);
      return p.valLoss + t * (q.valLoss - p.valLoss);
    }
  }
  return undefined;
}

const FACE_OFF_FILE = 'face-off.json';
const PLAN_FILE = 'plan.json';

export const FACE_OFF_DEFAULTS = {
  budget: 240,
  out: 'runs/nested/face-off',
  width: 64,
  layers: 4,
  context: 64,
  minPower: 4,
  calibrationSteps: 30,
} as const;

const flags = [
  {
    name: 'out',
    type: 'string',
    metavar: 'DIR',
    help: 'where the runs, face-off.json and the figures go; an unfinished face-off there is continued',
  },
  { name: 'budget', type: 'number', min: 0.1, help: 'training seconds per cell (evaluation excluded)' },
  { name: 'data', type: 'string', metavar: 'FILE', help: 'training text', defaultHelp: "the app's" },
  { name: 'width', type: 'int', min: 2, help: 'model width d of every nested run' },
  { name: 'layers', type: 'int', min: 1, help: 'transformer blocks l' },
  { name: 'context', type: 'int', min: 1, help: 'context length t' },
  { name: 'min-power', type: 'int', min: 0, help: 'smallest nested width 2^N' },
  {
    name: 'calibration-steps',
    type: 'int',
    min: 3,
    help: 'steps run per cell (twice) to time it; the last two thirds are timed',
  },
  trainBackendFlag,
] as const satisfies readonly FlagSpec[];

/** What the face-off's flags give, over its defaults (typed by the specs above). */
type FaceOffFlags = ParsedFlags<typeof flags, typeof FACE_OFF_DEFAULTS>;

interface Plan {
  flags: Omit<FaceOffFlags, 'out' | 'backend'>;
  /** Measured training milliseconds per step, and the steps that fill the budget, per cell. */
  cells: { name: string; stepMs: number; steps: number }[];
}

export interface FaceOffResult {
  plan: Plan;
  rows: FaceOffRow[];
  baselines: FaceOffRow[];
}

export async function faceOffCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): Promise<FaceOffResult> {
  const parsed = parseFlags(argv, flags, {
    command: `npx nx run ${app.name}:face-off --`,
    description:
      'Train every nesting (width, ffn, width+depth) x regime (all, sample) for the same training time, and GPTs alone at each width; compare at equal FLOPs.',
    defaults: FACE_OFF_DEFAULTS,
  });
  const log = (line: string) => process.stderr.write(line + '\n');
  const { out: dir, backend, data, ...shape } = parsed;
  const base: RunSettings = {
    ...app.defaults,
    training: { ...app.defaults.training, data: data ?? app.defaults.training.data },
    model: {
      ...app.defaults.model,
      width: shape.width,
      layers: shape.layers,
      contextLength: shape.context,
      minPower: shape.minPower,
    },
  };
  const widths = configWidths({ width: shape.width, minPower: shape.minPower });
  const cells = faceOffCells(widths);
  mkdirSync(dir, { recursive: true });
  await useBackend({ prefer: backend }, log);

  const plan = await loadOrMakePlan(app, dir, base, cells, shape, backend, log);
  for (const cell of cells) {
    const planned = plan.cells.find((c) => c.name === cell.name)!;
    const runDir = join(dir, cell.name);
    if (finishedAt(runDir) === planned.steps) {
      log(`face-off: ${cell.name} done already (${planned.steps} steps)`);
      continue;
    }
    if (existsSync(runDir)) rmSync(runDir, { recursive: true, force: true }); // an interrupted cell starts again
    log(`face-off: ${cell.name}: ${planned.steps} steps (${planned.stepMs.toFixed(1)} ms each, ${parsed.budget} s)`);
    await runTraining(
      app,
      { run: cellSettings(base, cell, planned.steps), out: runDir, backend },
      { log, progress: 'auto', suggestNext: false },
    );
  }

  // Costs come from each run's config alone (no weights needed), losses from its last evaluation.
  const rows: FaceOffRow[] = cells.flatMap((cell) => {
    const { model } = readRunConfig(join(dir, cell.name));
    const last = readMetrics(join(dir, cell.name, METRICS_FILE)).at(-1)!;
    return configWidths(model).map((m) => ({
      cell: cell.name,
      nesting: cell.nesting,
      regime: cell.regime,
      width: m,
      parameters: parameterCount(model, submodelAt(model, m)),
      flopsPerToken: flopsPerToken(model, submodelAt(model, m)),
      valLoss: last.val[String(m)],
    }));
  });
  const baselines = rows.filter((r) => r.cell.startsWith('alone-'));
  const nested = rows
    .filter((r) => !r.cell.startsWith('alone-'))
    .map((r) => ({ ...r, aloneAtEqualFlops: lossAtFlops(baselines, r.flopsPerToken) }));
  const result: FaceOffResult = { plan, rows: nested, baselines };
  writeFileAtomic(join(dir, FACE_OFF_FILE), JSON.stringify(result, null, 1) + '\n');
  try {
    await renderParetoChart({
      points: faceOffPoints(result),
      title: `face-off: val loss vs compute, every cell ${parsed.budget} s of training`,
      xTitle: 'forward FLOPs per token (log scale)',
      yTitle: 'val loss',
      logX: true,
      outBase: join(dir, 'face-off'),
    });
  } finally {
    await closeRenderer();
  }
  out.write(formatFaceOff(result));
  log(
    `face-off: wrote ${join(dir, FACE_OFF_FILE)} and ${join(dir, 'face-off')}.svg|png (the table above is on stdout). Mix'n'Match of a cell: npx nx run ${app.name}:mix -- --run ${join(dir, '<cell>')}`,
  );
  return result;
}

/** The last evaluated step of a finished run, or undefined. */
function finishedAt(runDir: string): number | undefined {
  const file = join(runDir, METRICS_FILE);
  return existsSync(file) ? readMetrics(file).at(-1)?.step : undefined;
}

async function loadOrMakePlan(
  app: AppDefinition,
  dir: string,
  base: RunSettings,
  cells: readonly FaceOffCell[],
  shape: Plan['flags'],
  backend: BackendChoice | undefined,
  log: (line: string) => void,
): Promise<Plan> {
  const file = join(dir, PLAN_FILE);
  if (existsSync(file)) {
    const plan = parseJson(readFileSync(file, 'utf8'), file) as Plan;
    if (JSON.stringify(plan.flags) !== JSON.stringify(shape)) {
      throw new UserError(
        `--out ${dir} holds a face-off with other settings (${JSON.stringify(plan.flags)}); choose another --out`,
      );
    }
    log(`face-off: continuing ${dir} (step times measured before)`);
    return plan;
  }
  // Two interleaved rounds, so that drift of a noisy machine touches every cell alike.
  const times = new Map<string, number[]>(cells.map((c) => [c.name, []]));
  for (let round = 0; round < 2; round++) {
    for (const cell of cells) {
      const scratch = join(dir, `.calibrate-${cell.name}`);
      rmSync(scratch, { recursive: true, force: true });
      const settings = cellSettings(base, cell, shape.calibrationSteps);
      // Evaluations split the steps; the records after the first third time the warm steps.
      const warmUp = Math.max(1, Math.floor(shape.calibrationSteps / 3));
      const training = { ...settings.training, evalIters: 1, evalInterval: warmUp };
      await runTraining(app, { run: { ...settings, training }, out: scratch, backend });
      const records = readMetrics(join(scratch, METRICS_FILE)).filter((r) => r.step > warmUp);
      rmSync(scratch, { recursive: true, force: true });
      const tokensPerStep = settings.training.batchSize * settings.model.contextLength;
      let seconds = 0;
      let steps = 0;
      records.forEach((r, i) => {
        const interval = r.step - (i === 0 ? warmUp : records[i - 1].step);
        seconds += (interval * tokensPerStep) / r.tokensPerSecond;
        steps += interval;
      });
      const ms = (1000 * seconds) / steps;
      times.get(cell.name)!.push(ms);
      log(`face-off: timing ${cell.name} (round ${round + 1}): ${ms.toFixed(1)} ms/step`);
    }
  }
  const plan: Plan = {
    flags: shape,
    cells: cells.map((cell) => {
      const [a, b] = times.get(cell.name)!;
      const stepMs = (a + b) / 2;
      return { name: cell.name, stepMs, steps: Math.max(1, Math.floor((1000 * shape.budget) / stepMs)) };
    }),
  };
  writeFileAtomic(file, JSON.stringify(plan, null, 1) + '\n');
  return plan;
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;

/** The face-off as a markdown table (the README's), one row per submodel, and the steps per cell. */
export function formatFaceOff(result: FaceOffResult): string {
  const lines = [
    '| nesting | regime | width | parameters | FLOPs/token | val loss | alone, equal FLOPs | difference |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...result.rows.map((r) =>
      [
        r.nesting,
        r.regime,
        r.width,
        r.parameters.toLocaleString('en'),
        r.flopsPerToken.toLocaleString('en'),
        r.valLoss.toFixed(3),
        r.aloneAtEqualFlops === undefined ? '-' : r.aloneAtEqualFlops.toFixed(3),
        r.aloneAtEqualFlops === undefined ? '-' : signed(r.valLoss - r.aloneAtEqualFlops),
      ]
        .join(' | ')
        .replace(/^/, '| ')
        .replace(/$/, ' |'),
    ),
    '',
    '| trained alone | parameters | FLOPs/token | val loss |',
    '|---:|---:|---:|---:|',
    ...result.baselines.map(
      (b) =>
        `| w${b.width} | ${b.parameters.toLocaleString('en')} | ${b.flopsPerToken.toLocaleString('en')} | ${b.valLoss.toFixed(3)} |`,
    ),
    '',
    '| cell | ms/step | steps |',
    '|---|---:|---:|',
    ...result.plan.cells.map((c) => `| ${c.name} | ${c.stepMs.toFixed(1)} | ${c.steps} |`),
  ];
  return lines.join('\n') + '\n';
}

/** Every cell's submodels and the alone-trained GPTs as chart points; each series' front marked. */
export function faceOffPoints(result: FaceOffResult): ScatterPoint[] {
  const series = (r: FaceOffRow) => (r.cell.startsWith('alone-') ? 'trained alone' : `${r.nesting}, ${r.regime}`);
  const all = [...result.rows, ...result.baselines];
  return all.map((r) => {
    const same = all.filter((o) => series(o) === series(r));
    const front = !same.some((o) => o !== r && o.flopsPerToken <= r.flopsPerToken && o.valLoss < r.valLoss);
    return {
      x: r.flopsPerToken,
      y: r.valLoss,
      series: series(r),
      label: r.cell.startsWith('alone-') ? `w${r.width}` : undefined,
      front,
    };
  });
}
