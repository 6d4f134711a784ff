// `analyze`: pictures, similarity.json, tables, samples and report.html for a run directory.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import type { Hierarchy } from '@matryoshka/hierarchy-imposed';
import { join } from 'node:path';
import { useBackend } from './backend';
import { METRICS_FILE, readMetrics, type MetricsRecord } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { mergeFlagSpecs, parseFlags, type FlagSpec } from './cli/flags';
import { analyzeFlags } from './settings';
import { processAlive } from './run-lock';
import { categoryOrder, writeFileAtomic } from '@matryoshka/tokenizer';
import {
  closeRenderer,
  formatMeanStd,
  meanStd,
  renderDotChart,
  renderLossCurves,
  renderSimilarityHeatmap,
  writeReport,
  type DotChartInput,
  type ReportSection,
  type TableSection,
} from '@matryoshka/viz';
import { nestsSubmodels, type Nesting } from '@matryoshka/nested-transformer';
import type { AppDefinition } from './app-definition';
import { loadCorpusData } from './corpus-data';
import { klFromFullWidth } from './kl-divergence';
import { measureWidthCosts, type WidthCost } from './costs';
import { similarityAtWidth, type PrefixMode } from './embedding-similarity';
import { loadRun } from './load-run';
import { RESULTS_FILE, buildResults, hierarchySeparation } from './results';
import { embeddingRows, loadCheckedHierarchy, separationAcrossReplicas } from './hierarchy-targets';
import { lossCell, lossesAt, lossSeries, replicaLosses, replicaTable } from './metrics';
import { replicaGroups, type Replica } from './replicas';
import { sampleText } from './sample-command';
import { groupBlocks, reorder } from './token-order';

export const REPORT_FILE = 'report.html';
export const SIMILARITY_FILE = 'similarity.json';
export const FIGURES_DIR = 'figures';
export const SAMPLES_FILE = 'samples.txt';
/** analyze's staging folder inside the run, `.analyze-<pid>-XXXXXX` (removed when analyze ends, published or not). */
const STAGING_PREFIX = '.analyze-';

const log = (line: string) => process.stderr.write(line + '\n');
const fmt = (x: number | undefined, digits = 3) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

const scoreHierarchyFlag = {
  name: 'hierarchy',
  type: 'string',
  metavar: 'FILE',
  help: "also score how well this run's prefixes separate a hierarchy file's groups (any app)",
} as const satisfies FlagSpec;

/** Separation of a hierarchy file's groups by a run's embeddings, as a report table. */
export function hierarchyScoreSection(
  file: string,
  hierarchy: Hierarchy,
  scores: ReturnType<typeof separationAcrossReplicas>,
  replicas: number,
  mode: PrefixMode,
): TableSection {
  const over = replicas > 1 ? `, mean ± std over ${replicas} replicas` : '';
  return {
    kind: 'table',
    title: `Separation of the groups of "${hierarchy.name}" (${file}) by this run's ${mode} prefixes${over}`,
    columns: ['width', 'groups', 'within - between', 'silhouette'],
    rows: hierarchy.levels.map((l) => {
      const s = scores[String(l.width)];
      return [
        l.width,
        Object.keys(l.groups).length,
        s ? formatMeanStd(s.score, 3, s.undefinedBecause) : '-',
        s ? formatMeanStd(s.silhouette, 3, s.undefinedBecause) : '-',
      ];
    }),
  };
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumSignificantDigits: 3 });

/**
 * The "validation loss per width" chart, a dot per width (mean over the replicas, with their
 * min-max range; a dot chart, not bars, so the axis spans the losses and 2.53 and 2.78 lie far
 * apart): nested by width, each width is a smaller model, so its label names its forward FLOPs;
 * nested by embedding only, every width runs the same d-wide trunk and differs only in its head
 * (a v x m matmul, 2 v m FLOPs), so the label names that. `val`: per width, one loss per replica.
 */
export function lossPerWidthChart(
  appName: string,
  costs: readonly WidthCost[],
  val: Record<string, readonly number[]>,
  step: number,
  nesting: Nesting,
  vocabSize: number,
): DotChartInput {
  const nested = nestsSubmodels(nesting);
  const replicas = Math.max(...Object.values(val).map((v) => v.length));
  return {
    dots: costs.map((c) => {
      const { mean, min, max } = meanStd(val[String(c.width)]);
      const range = replicas > 1 ? { low: Math.min(min, mean), high: Math.max(max, mean) } : {};
      return {
        label: nested
          ? `w${c.width} (${compact.format(c.flopsPerToken)} FLOP/tok)`
          : `w${c.width} (head ${compact.format(2 * vocabSize * c.width)} FLOP/tok)`,
        value: mean,
        ...range,
      };
    }),
    title: nested
      ? `${appName}: validation loss per width vs compute (step ${step})`
      : `${appName}: validation loss per width (step ${step})`,
    subtitle: replicas > 1 ? `dot: mean of ${replicas} replicas; bar: their min to max` : undefined,
    xTitle: nested
      ? 'width (forward FLOPs per token)'
      : 'width (FLOPs per token of its head; every width runs the full trunk)',
    yTitle: 'val loss',
  };
}

export interface AnalyzeResult {
  reportFile: string;
  figures: string[];
}

export async function analyzeCommand(app: AppDefinition, argv: readonly string[]): Promise<AnalyzeResult> {
  const flags = parseFlags(argv, mergeFlagSpecs(analyzeFlags, [scoreHierarchyFlag]), {
    command: `npx nx run ${app.name}:analyze --`,
    description: 'Write heat maps, loss curves, similarity.json and report.html into a run directory.',
  });
  // The generation workload: analyze measures generation speed where `sample` runs it, and its
  // other tensor work (similarity, a few evaluation batches) is small.
  const backend = await useBackend({ prefer: flags.backend, workload: 'generation' });
  const run = loadRun(flags.run, flags.replica, { app, target: 'analyze' });
  if (!run.runDir) throw new UserError(`--run: analyze needs a run directory, not the exported file ${flags.run}`);
  const runDir = run.runDir;
  const { config, model, tokenizer } = run;
  const vocabulary = [...tokenizer.vocabulary];
  // Every check before any work: a refused analyze leaves the run as it was.
  let scored: Hierarchy | undefined;
  try {
    scored = flags.hierarchy ? loadCheckedHierarchy(flags.hierarchy, vocabulary, model.widths) : undefined;
  } catch (error) {
    model.dispose();
    throw error;
  }
  // Everything is written into a staging folder inside the run and published at the end at once
  // (publishOutputs), so a failed analyze leaves no half-analysed run.
  removeAbandonedStaging(runDir);
  const staging = mkdtempSync(join(runDir, `${STAGING_PREFIX}${process.pid}-`));
  const figuresDir = join(staging, FIGURES_DIR);
  mkdirSync(figuresDir);
  try {
    const embedding = embeddingRows(model.namedVariables());
    const mode = flags.raw ? 'raw' : 'layer-norm';
    const extra = (await app.analyze?.({
      runDir,
      figuresDir,
      config,
      model,
      tokenizer,
      embedding,
      raw: !!flags.raw,
      replicas: run.replicas,
      log,
    })) ?? { sections: [] };
    const plan = run.replicas?.plan;
    const shown = run.replicas
      ? `, replica ${run.replicas.index} (${run.replicas.plan[run.replicas.index].label})`
      : '';
    // Curves and loss cells pool the replicas of the shown replica's group only (its sweep value).
    const group = run.replicas?.group;

    log(`analyze: similarity maps (${mode} prefixes) at widths ${model.widths.join(', ')}`);
    const similarity: Record<string, number[][]> = {};
    const mapSvgs: { caption: string; svg: string }[] = [];
    for (const m of model.widths) {
      const matrix = similarityAtWidth(embedding, m, mode);
      similarity[String(m)] = matrix;
      // The app's groups at this width as blocks with lines between them, else the categories.
      const groups = extra.groupsAtWidth?.(m) ?? [];
      const blocks = groups.length
        ? groupBlocks(vocabulary, groups)
        : { order: categoryOrder(vocabulary), sizes: undefined };
      const grouping = groups.length ? (extra.groupingName ?? 'groups') : 'categories';
      const svg = await renderSimilarityHeatmap({
        labels: blocks.order.map((i) => vocabulary[i]),
        matrix: reorder(matrix, blocks.order),
        groupSizes: blocks.sizes,
        title: `cosine similarity, width ${m} (${mode} prefixes, ordered by ${grouping})${shown}`,
        outBase: join(figuresDir, `similarity-w${m}`),
      });
      mapSvgs.push({ caption: `width ${m}`, svg });
    }
    writeFileAtomic(
      join(staging, SIMILARITY_FILE),
      JSON.stringify({
        format: 'matryoshka-similarity',
        version: 1,
        mode,
        vocabulary,
        widths: model.widths,
        similarity,
      }) + '\n',
    );

    // Loss curves and the final per-width losses.
    const metricsFile = join(runDir, METRICS_FILE);
    const records: MetricsRecord[] = existsSync(metricsFile) ? readMetrics(metricsFile) : [];
    const sections: ReportSection[] = [];
    const last = records[records.length - 1];
    let curves: string | undefined;
    if (records.length) {
      curves = await renderLossCurves({
        series: lossSeries(records, group?.members),
        title: `${app.name}: loss per width (solid train, dashed val)`,
        subtitle: group ? bandNote(group) : undefined,
        outBase: join(figuresDir, 'loss-curves'),
      });
    }
    // The val curves past the first tenth of the steps, where the widths' differences (and the
    // replicas' bands) are visible: the first evaluations' losses, 10x the final ones, flatten them.
    let tail: string | undefined;
    const lastStep = records.at(-1)?.step ?? 0;
    const later = records.filter((r) => r.step >= lastStep / 10);
    if (later.length >= 2 && later[0].step > 0) {
      tail = await renderLossCurves({
        series: lossSeries(later, group?.members).filter((series) => series.split === 'val'),
        title: `${app.name}: val loss per width from step ${later[0].step}`,
        subtitle: group ? bandNote(group) : undefined,
        outBase: join(figuresDir, 'loss-curves-val-tail'),
      });
    }

    log('analyze: generation speed, consistency between widths, samples');
    const costs = measureWidthCosts(model);
    const { training } = config;
    const data = loadCorpusData(training.data, config.vocabulary, model.config.contextLength);
    const kl = klFromFullWidth(model, data.val, {
      batches: 8,
      batchSize: training.batchSize,
      contextLength: model.config.contextLength,
      seed: training.seed,
    });
    const samples = model.widths.map((m) => {
      const text = sampleText(run, {
        width: m,
        prompt: '\n',
        tokens: 240,
        temperature: 1,
        seed: training.seed,
        greedy: false,
      });
      return `──── width ${m} ────\n${text}`;
    });
    writeFileAtomic(join(staging, SAMPLES_FILE), samples.join('\n\n') + '\n');
    const costRows = costs.map((c) => [
      c.width,
      c.parameters,
      c.flopsPerToken,
      Number(c.generationTokensPerSecond.toFixed(1)),
      lossCell(last, 'train', c.width, group?.members),
      lossCell(last, 'val', c.width, group?.members),
      fmt(kl[String(c.width)], 4),
    ]);
    // The report opens with the results, a row per width, and ends with the configuration.
    sections.push({
      kind: 'table',
      title: `Per width at step ${run.step}: what each width costs and how well it does${group ? ` (losses: ${group.name === 'all replicas' ? '' : `${group.name}, `}mean ± std over ${group.members.length} replicas)` : ''}`,
      columns: [
        'width',
        'parameters used',
        'forward FLOPs/token',
        `generation tokens/s (${backend})`,
        'train loss',
        'val loss',
        'KL from full width',
      ],
      rows: costRows,
    });
    if (last) {
      const valLosses = Object.fromEntries(
        model.widths.map((w) => [String(w), lossesAt(last, 'val', w, group?.members)]),
      );
      const bars = await renderDotChart({
        ...lossPerWidthChart(app.name, costs, valLosses, last.step, model.config.nesting, vocabulary.length),
        outBase: join(figuresDir, 'val-loss-vs-compute'),
      });
      const caption = nestsSubmodels(model.config.nesting) ? 'validation loss vs compute' : 'validation loss per width';
      const tailFigure = tail
        ? [
            {
              caption: `val loss after the first tenth of the steps${group ? ", with the replicas' band" : ''}`,
              svg: tail,
            },
          ]
        : [];
      sections.push({
        kind: 'figures',
        title: 'Training',
        figures: [{ caption: 'loss curves', svg: curves! }, ...tailFigure, { caption, svg: bars }],
      });
    }
    if (plan && last && replicaLosses(last)) sections.push(...replicaSections(plan, last, model.widths));
    sections.push({
      kind: 'figures',
      title: `Cosine similarity of token embeddings (${mode} prefixes${shown})`,
      figures: mapSvgs,
    });
    sections.push(...extra.sections);
    const pooled = run.replicas?.embeddings ?? [embedding];
    const scores = scored && separationAcrossReplicas(pooled, scored, vocabulary, mode);
    if (flags.hierarchy && scored && scores)
      sections.push(hierarchyScoreSection(flags.hierarchy, scored, scores, pooled.length, mode));
    sections.push({ kind: 'text', title: 'Samples per width (prompt: a newline)', preformatted: samples.join('\n\n') });
    // The run's settings as `part.field` entries (model.nesting, training.regime, ...).
    const entry = (v: unknown): string | number | boolean =>
      v === null ? 'null' : Array.isArray(v) ? v.join(', ') : (v as string | number | boolean);
    const settings = Object.fromEntries(
      Object.entries(config)
        .filter(([k]) => k !== 'vocabulary')
        .flatMap(([k, v]) =>
          typeof v === 'object' && v !== null && !Array.isArray(v)
            ? Object.entries(v).map(([f, x]) => [`${k}.${f}`, entry(x)])
            : [[k, entry(v)]],
        ),
    );
    sections.push({
      kind: 'keyValue',
      title: 'Configuration (config.json)',
      entries: {
        'run directory': runDir,
        'steps trained': run.step,
        'vocabulary size': vocabulary.length,
        ...settings,
      },
    });
    await writeReport(join(staging, REPORT_FILE), { title: `${app.name}: ${runDir}`, sections });
    // results.json: this analysis as numbers, for scripts and `compare` (docs/RESULTS.md).
    const results = buildResults({
      app: app.name,
      runDir,
      config,
      step: run.step,
      records,
      costs,
      kl,
      backend,
      replicas: run.replicas,
      appResults: extra.results,
      hierarchyScore: scored && scores && hierarchySeparation(scored, mode, group?.members ?? [0], scores),
    });
    writeFileAtomic(join(staging, RESULTS_FILE), JSON.stringify(results, null, 2) + '\n');
    const figures = readdirSync(figuresDir).filter((f) => f.endsWith('.svg'));
    publishOutputs(staging, runDir);
    const reportFile = join(runDir, REPORT_FILE);
    log(
      `analyze: wrote ${reportFile}, ${RESULTS_FILE}, ${SIMILARITY_FILE}, ${SAMPLES_FILE} and ${figures.length} figure${figures.length === 1 ? '' : 's'} (SVG and PNG) in ${join(runDir, FIGURES_DIR)}`,
    );
    return { reportFile, figures: figures.map((f) => join(runDir, FIGURES_DIR, f)) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    model.dispose();
    await closeRenderer();
  }
}

/** Staging folders of analyze processes that were killed (their pid is gone) are garbage. */
function removeAbandonedStaging(runDir: string): void {
  for (const name of readdirSync(runDir)) {
    const pid = name.startsWith(STAGING_PREFIX) ? Number(name.slice(STAGING_PREFIX.length).split('-')[0]) : NaN;
    if (Number.isInteger(pid) && !processAlive(pid)) rmSync(join(runDir, name), { recursive: true, force: true });
  }
}

/**
 * Move what analyze staged into the run: files by rename (each replaces its old version at
 * once), the figures folder by moving the old one aside first. Nothing was written into the run
 * before this point, so an analyze that fails earlier leaves it untouched.
 */
function publishOutputs(staging: string, runDir: string): void {
  const old = join(staging, '.previous-figures');
  for (const name of readdirSync(staging)) {
    if (name === FIGURES_DIR) continue;
    renameSync(join(staging, name), join(runDir, name));
  }
  if (existsSync(join(runDir, FIGURES_DIR))) renameSync(join(runDir, FIGURES_DIR), old);
  renameSync(join(staging, FIGURES_DIR), join(runDir, FIGURES_DIR));
}

/** A run of replicas: each replica's final val losses, and mean ± std per group (sweep value) with which differences exceed the spread. */
function replicaSections(plan: readonly Replica[], last: MetricsRecord, widths: readonly number[]): ReportSection[] {
  const each = replicaLosses(last) as NonNullable<ReturnType<typeof replicaLosses>>;
  const table = replicaTable(last, widths, replicaGroups(plan));
  const sections: ReportSection[] = [
    {
      kind: 'table',
      title: `Val loss at step ${last.step}, mean ± std over replicas`,
      columns: table.columns,
      rows: table.rows,
    },
    {
      kind: 'table',
      title: 'Each replica at the last evaluation',
      columns: ['replica', 'settings', ...widths.map((w) => `val loss w${w}`)],
      rows: plan.map((r) => [r.index, r.label, ...widths.map((w) => fmt(each[r.index].val[String(w)]))]),
    },
  ];
  if (table.exceeding.length) {
    sections.push({
      kind: 'text',
      title: 'Differences between sweep values against their spread (std a + std b)',
      preformatted: table.exceeding.join('\n'),
    });
  }
  return sections;
}

/** What a banded curve shows: `lr=0.001: mean of 2 replicas; band: their min to max`. */
function bandNote(group: { name: string; members: readonly number[] }): string {
  return `${group.name === 'all replicas' ? '' : `${group.name}: `}mean of ${group.members.length} replicas; band: their min to max`;
}
