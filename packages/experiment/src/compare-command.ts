// `compare`: runs side by side, of any app (docs/RESULTS.md, "compare"). Per width, each run's
// final val loss as mean ± std over its replicas, the difference from the first run, whether
// that exceeds the spread, and where two runs share seeds the difference paired by seed. The
// losses come from each run's metrics.jsonl and config.json, so a run need not be analysed;
// costs, KL and separation come from its results.json when analyze wrote one. A sweep run gives
// an entry per value. Prints the tables; writes compare.html and compare.json into a new folder.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { METRICS_FILE, readMetrics, type MetricsRecord } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { parseFlags, type FlagSpec } from './cli/flags';
import { runTimestamp } from './run-dir';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import { closeRenderer, renderErrorBars, renderRunCurves, writeReport, type ReportSection } from '@matryoshka/viz';
import type { AppDefinition } from './app-definition';
import type { WidthCost } from './costs';
import { readRunConfig } from './load-run';
import { lossSeries } from './metrics';
import { alignColumns } from './side-by-side';
import { replicaGroups, replicaPlan } from './replicas';
import {
  COMPARISON_FORMAT,
  RESULTS_FILE,
  RESULTS_VERSION,
  comparisonProblems,
  explained,
  lossAt,
  pairedDifference,
  readResults,
  spreadOf,
  spreadVerdict,
  type Keyed,
  type Reasons,
  type RunResults,
  type Stat,
  type SweepValue,
} from './results';

export const COMPARE_HTML = 'compare.html';
export const COMPARE_JSON = 'compare.json';

const compareFlags = [
  {
    name: 'out',
    type: 'string',
    metavar: 'DIR',
    help: 'folder to write compare.html, compare.json and the figures into; must not exist or be empty',
    defaultHelp: 'runs/compare/<timestamp>',
  },
  {
    name: 'labels',
    type: 'string',
    list: true,
    metavar: 'NAME,NAME,...',
    help: "one name per run for the tables and figures, in the runs' order; a sweep run's entries add their value to it",
    defaultHelp: 'each run directory as given',
  },
] as const satisfies readonly FlagSpec[];

/** One side of a comparison: a run, or one sweep value of a sweep run. */
export interface CompareEntry {
  label: string;
  /** The run directory as given. */
  run: string;
  app: string;
  sweep?: SweepValue;
  vocabulary: readonly string[];
  data: string;
  /** The models it pools (a single model: replica 0), with their seeds. */
  replicas: { index: number; label: string; seed: number; initSeed: number }[];
  records: readonly MetricsRecord[];
  /** The run's results.json, when analyze wrote one. */
  results?: { file: string; doc: RunResults };
}

export interface ComparisonRow {
  /** Index into the entries. */
  entry: number;
  stat: Stat;
  replicas: { replica: number; value: number | null; reasons?: Reasons }[];
  /** Against the first entry (absent in the first entry's own row). */
  vsFirst?: { difference: number | null; exceedsSpread: boolean | null; paired: Stat; reasons?: Reasons };
}

export interface ComparisonTable {
  measure: string;
  widths: { width: number; rows: ComparisonRow[] }[];
}

export interface Comparison {
  format: typeof COMPARISON_FORMAT;
  version: typeof RESULTS_VERSION;
  entries: (Pick<CompareEntry, 'label' | 'run' | 'app' | 'sweep' | 'replicas'> & {
    step: number;
    results: string | null;
    reasons?: Reasons;
  })[];
  tables: ComparisonTable[];
  costs: (WidthCost & { entry: number; klFromFull: number | null; reasons?: Reasons })[];
}

/** One entry's values of a measure at one width: a value per replica, with the key that pairs it across runs. */
export type MemberValue = Keyed & { replica: number };

/** What pairs two models across runs: the same training seed and the same init seed. */
const seedKey = (r: { seed: number; initSeed: number }) => `${r.seed}/${r.initSeed}`;

const FIRST_LACKS = 'the first entry has no value at this width';
const valuesOf = (members: readonly MemberValue[]) => members.map((m) => m.value);

/**
 * A measure of several entries side by side: per width (of any entry, narrowest first) a row
 * per entry that has it, each but the first's against the first (`values[e]`: entry e's values
 * per width). Pure: the numbers of compare.json and of the printed tables.
 */
export function comparisonTable(
  measure: string,
  values: readonly ReadonlyMap<number, readonly MemberValue[]>[],
): ComparisonTable {
  const widths = [...new Set(values.flatMap((byWidth) => [...byWidth.keys()]))].sort((a, b) => a - b);
  return {
    measure,
    widths: widths.map((width) => {
      const first = values[0].get(width);
      const rows = values.flatMap((byWidth, entry): ComparisonRow[] => {
        const mine = byWidth.get(width);
        if (!mine) return [];
        const row: ComparisonRow = {
          entry,
          stat: spreadOf(valuesOf(mine), 'no finite value at this width'),
          replicas: mine.map((m) =>
            explained(
              { replica: m.replica, value: Number.isFinite(m.value) ? (m.value as number) : null },
              { value: 'not a finite number' },
            ),
          ),
        };
        if (entry === 0) return [row];
        if (!first) {
          const vsFirst = explained(
            { difference: null, exceedsSpread: null, paired: spreadOf([], FIRST_LACKS) },
            { difference: FIRST_LACKS, exceedsSpread: FIRST_LACKS },
          );
          return [{ ...row, vsFirst }];
        }
        const reference = spreadOf(valuesOf(first), FIRST_LACKS);
        const verdict = spreadVerdict(valuesOf(first), valuesOf(mine));
        const difference = row.stat.mean !== null && reference.mean !== null ? row.stat.mean - reference.mean : null;
        const vsFirst = explained(
          { difference, exceedsSpread: verdict.exceeds, paired: pairedDifference(first, mine) },
          { difference: 'no finite value on one side', exceedsSpread: verdict.reason },
        );
        return [{ ...row, vsFirst }];
      });
      return { width, rows };
    }),
  };
}

/** The entries of one run directory: the run, or one per sweep value; refuses what is not a run. */
export function loadEntries(run: string, label: string): CompareEntry[] {
  const config = readRunConfig(run);
  const file = join(run, METRICS_FILE);
  const records = existsSync(file) ? readMetrics(file) : [];
  if (!records.length)
    throw new UserError(`${run}: no evaluation in ${file} yet; a run compares from its first evaluation on`);
  const plan = replicaPlan(config);
  const resultsFile = join(run, RESULTS_FILE);
  const results = existsSync(resultsFile) ? { file: resultsFile, doc: readResults(resultsFile) } : undefined;
  const models = plan.map((r) => ({ index: r.index, label: r.label, seed: r.training.seed, initSeed: r.model.seed }));
  return replicaGroups(plan).map((g) => {
    const sweep = plan[g.members[0]].sweep;
    return {
      label: sweep ? `${label} ${g.name}` : label,
      run,
      app: config.app,
      ...(sweep ? { sweep: { ...sweep } } : {}),
      vocabulary: config.vocabulary,
      data: config.training.data,
      replicas: g.members.map((i) => models[i]),
      records,
      ...(results ? { results } : {}),
    };
  });
}

/** The widths an entry's last evaluation measured. */
const widthsOf = (entry: CompareEntry) =>
  Object.keys(entry.records[entry.records.length - 1].val)
    .map(Number)
    .sort((a, b) => a - b);

/** An entry's final val losses per width it evaluated, keyed by seed. */
function finalValLosses(entry: CompareEntry): Map<number, MemberValue[]> {
  const last = entry.records[entry.records.length - 1];
  return new Map(
    widthsOf(entry).map((w) => [
      w,
      entry.replicas.map((r) => ({ key: seedKey(r), replica: r.index, value: lossAt(last, 'val', w, r.index) })),
    ]),
  );
}

/** Refuse entries that cannot be compared with the first, with one line naming the run. */
export function checkComparable(entries: readonly CompareEntry[]): void {
  if (entries.length < 2) {
    throw new UserError(
      `compare needs two runs, or one sweep run, to compare; got ${entries.length === 1 ? `only ${entries[0].run}` : 'none'} (usage: compare RUN RUN [RUN ...])`,
    );
  }
  const [first, ...rest] = entries;
  const labels = new Set<string>();
  for (const e of entries) {
    if (labels.has(e.label))
      throw new UserError(`${e.label} is given twice; compare each run once (or name them apart with --labels)`);
    labels.add(e.label);
  }
  for (const e of rest) {
    if (JSON.stringify(e.vocabulary) !== JSON.stringify(first.vocabulary)) {
      throw new UserError(
        `${e.run}: its vocabulary (${e.vocabulary.length} characters) is not that of ${first.run} (${first.vocabulary.length}): losses over different vocabularies do not compare`,
      );
    }
    const shared = widthsOf(e).filter((w) => widthsOf(first).includes(w));
    if (!shared.length)
      throw new UserError(
        `${e.run}: its widths (${widthsOf(e).join(', ')}) share none with those of ${first.run} (${widthsOf(first).join(', ')})`,
      );
  }
}

/** The separations of an entry's results.json that cover its replicas: imposed's own and analyze --hierarchy's. */
function separationsOf(entry: CompareEntry) {
  const doc = entry.results?.doc;
  return [doc?.imposed?.separation, doc?.hierarchyScore].filter(
    (s): s is NonNullable<typeof s> => !!s && entry.replicas.every((r) => s.replicas.includes(r.index)),
  );
}

/** One table per hierarchy whose separation the first entry and at least one other have. */
function separationTables(entries: readonly CompareEntry[]): ComparisonTable[] {
  const tables: ComparisonTable[] = [];
  for (const reference of separationsOf(entries[0])) {
    const values = entries.map((e) => {
      const separation = separationsOf(e).find((s) => s.hierarchy === reference.hierarchy && s.mode === reference.mode);
      const seeds = new Map(e.replicas.map((r) => [r.index, seedKey(r)]));
      return new Map(
        (separation?.levels ?? []).map((l) => [
          l.width,
          l.perReplica
            .filter((p) => seeds.has(p.replica))
            .map((p) => ({ key: seeds.get(p.replica) as string, replica: p.replica, value: p.score })),
        ]),
      );
    });
    if (values.filter((v) => v.size).length < 2) continue;
    tables.push(
      comparisonTable(
        `separation of "${reference.hierarchy}" (within - between cosine, ${reference.mode} prefixes) at the analysed step`,
        values,
      ),
    );
  }
  return tables;
}

/** The numbers of a comparison (compare.json), from loaded entries. */
export function compareEntries(entries: readonly CompareEntry[]): Comparison {
  checkComparable(entries);
  const comparison: Comparison = {
    format: COMPARISON_FORMAT,
    version: RESULTS_VERSION,
    entries: entries.map((e) =>
      explained(
        {
          label: e.label,
          run: e.run,
          app: e.app,
          ...(e.sweep ? { sweep: e.sweep } : {}),
          step: e.records[e.records.length - 1].step,
          replicas: e.replicas,
          results: e.results?.file ?? null,
        },
        { results: `no ${RESULTS_FILE}: the run was not analysed (costs, KL and separation need analyze)` },
      ),
    ),
    tables: [
      comparisonTable('val loss at the last evaluation', entries.map(finalValLosses)),
      ...separationTables(entries),
    ],
    costs: entries.flatMap((e, entry) => {
      const doc = e.results?.doc;
      if (!doc) return [];
      const shown = e.replicas.some((r) => r.index === doc.run.shownReplica);
      return doc.widths.map((w) =>
        explained(
          {
            entry,
            width: w.width,
            parameters: w.parameters,
            flopsPerToken: w.flopsPerToken,
            generationTokensPerSecond: w.generationTokensPerSecond,
            klFromFull: shown ? w.klFromFull : null,
          },
          {
            klFromFull: shown
              ? w.reasons?.klFromFull
              : `${RESULTS_FILE} holds the KL of replica ${doc.run.shownReplica}, which is not in this entry`,
          },
        ),
      );
    }),
  };
  const problems = comparisonProblems(comparison);
  if (problems.length)
    throw new Error(`compare: the comparison does not match results.schema.json's comparison: ${problems.join('; ')}`);
  return comparison;
}

// ---- text -------------------------------------------------------------------------------------

/** `+0.012`, `-0.012`; a difference that rounds to zero is `+0.000`, never `-0.000`. */
const signed = (x: number) => {
  const rounded = Number(x.toFixed(3));
  return `${rounded >= 0 ? '+' : ''}${rounded.toFixed(3)}`;
};

/** `2.512 ± 0.013 (n=4)`, `2.512` for one value, `-` for none (as formatMeanStd). */
export function formatStat(s: Stat, sign = false): string {
  if (s.mean === null) return '-';
  const mean = sign ? signed(s.mean) : s.mean.toFixed(3);
  return s.std === null ? mean : `${mean} ± ${s.std.toFixed(3)} (n=${s.n})`;
}

const verdictText = (v: boolean | null | undefined) => (v === true ? 'yes' : v === false ? 'no' : 'n/a');

/** A table's cells: width, entry, value, difference from the first, beyond the spread, paired by seed. */
export function tableRows(table: ComparisonTable, labels: readonly string[]): string[][] {
  return table.widths.flatMap(({ width, rows }) =>
    rows.map((r) => {
      const vs = r.vsFirst;
      const paired =
        !vs || vs.paired.mean === null
          ? ''
          : vs.paired.n === 1
            ? `${signed(vs.paired.mean)} (1 pair)`
            : formatStat(vs.paired, true);
      return [
        String(width),
        labels[r.entry],
        formatStat(r.stat),
        vs ? (vs.difference === null ? '-' : signed(vs.difference)) : '',
        vs ? verdictText(vs.exceedsSpread) : '',
        paired,
      ];
    }),
  );
}

export const TABLE_COLUMNS = ['width', 'entry', 'mean ± std (n)', 'vs first', 'beyond the spread', 'paired by seed'];

function seedsText(replicas: CompareEntry['replicas']): string {
  const same = replicas.every((r) => r.seed === r.initSeed);
  const seeds = replicas.map((r) => (same ? String(r.seed) : `${r.seed}/${r.initSeed}`)).join(', ');
  const one = replicas.length === 1;
  return `${one ? '1 model' : `${replicas.length} replicas`}, ${same ? 'seed' : 'seed/init seed'}${one ? '' : 's'} ${seeds}`;
}

/** What compare prints: the entries, then each table. */
export function formatComparison(comparison: Comparison): string {
  const labels = comparison.entries.map((e) => e.label);
  const entries = alignColumns(
    comparison.entries.map((e, i) => [
      `${i === 0 ? '*' : ' '}`,
      e.label,
      `${e.app}, step ${e.step}, ${seedsText(e.replicas)}`,
    ]),
    1,
  ).join('\n');
  const tables = comparison.tables.map(
    (t) => `${t.measure}, per width:\n${alignColumns([TABLE_COLUMNS, ...tableRows(t, labels)], 1).join('\n')}`,
  );
  return [
    'entries (* = the first, which the others are compared with):',
    entries,
    '',
    tables.join('\n\n'),
    '',
    "mean ± std over the entry's replicas; vs first: difference of the means; beyond the spread: |difference| > std + std of the first",
    '(n/a: a side is one model); paired by seed: the difference per model of the same seeds, mean ± std over the pairs.',
    '',
  ].join('\n');
}

// ---- files ------------------------------------------------------------------------------------

/** `--out`, checked, or a fresh runs/compare/<timestamp>(-k) folder name. Creates nothing. */
function outputDir(out: string | undefined): string {
  const usable = (dir: string) => !existsSync(dir) || (statSync(dir).isDirectory() && readdirSync(dir).length === 0);
  if (out !== undefined) {
    if (out.trim() === '') throw new UserError('--out must name a folder, got ""');
    if (!usable(out))
      throw new UserError(
        `--out ${out} already exists and is not an empty folder; compare never overwrites: choose another --out`,
      );
    return out;
  }
  const base = join('runs', 'compare', runTimestamp(new Date()));
  for (let k = 1; k < 1000; k++) {
    const dir = k === 1 ? base : `${base}-${k}`;
    if (usable(dir)) return dir;
  }
  throw new UserError(`no free folder name under ${dirname(base)}; pass --out`);
}

/** The val curves of each entry at one width, from the first tenth of the steps on (the early losses would flatten the rest). */
function curvesAt(entries: readonly CompareEntry[], width: number) {
  const lastStep = Math.max(...entries.map((e) => e.records[e.records.length - 1].step));
  return entries.flatMap((e) => {
    const later = e.records.filter((r) => r.step >= lastStep / 10);
    const series = lossSeries(
      later.length ? later : e.records,
      e.replicas.map((r) => r.index),
    );
    const val = series.find((s) => s.split === 'val' && s.width === width);
    return val ? [{ run: e.label, points: val.points }] : [];
  });
}

/** compare.html (with its figures) and compare.json, written into `dir` (a staging folder). */
async function writeFiles(dir: string, entries: readonly CompareEntry[], comparison: Comparison): Promise<number> {
  const figuresDir = join(dir, 'figures');
  mkdirSync(figuresDir);
  const labels = comparison.entries.map((e) => e.label);
  const [valTable] = comparison.tables;
  const curves: { caption: string; svg: string }[] = [];
  for (const { width } of valTable.widths) {
    const svg = await renderRunCurves({
      curves: curvesAt(entries, width),
      title: `val loss at width ${width}`,
      subtitle: 'each entry: the mean of its replicas; band: their min to max',
      outBase: join(figuresDir, `val-loss-w${width}`),
    });
    curves.push({ caption: `width ${width}`, svg });
  }
  const bars = await renderErrorBars({
    points: valTable.widths.flatMap(({ width, rows }) =>
      rows.flatMap((r) => {
        const { mean, std } = r.stat;
        if (mean === null) return [];
        return [
          {
            category: `w${width}`,
            series: labels[r.entry],
            mean,
            ...(std === null ? {} : { low: mean - std, high: mean + std }),
          },
        ];
      }),
    ),
    title: 'val loss per width at the last evaluation',
    subtitle: 'mean over replicas; bar: ± one standard deviation',
    xTitle: 'width',
    yTitle: 'val loss',
    outBase: join(figuresDir, 'val-loss-per-width'),
  });
  const beyond = comparison.tables.flatMap((t) =>
    t.widths.flatMap(({ width, rows }) =>
      rows
        .filter((r) => r.vsFirst?.exceedsSpread)
        .map(
          (r) =>
            `${t.measure}, width ${width}: ${labels[r.entry]} vs ${labels[0]}: ${signed(r.vsFirst?.difference as number)}`,
        ),
    ),
  );
  const sections: ReportSection[] = [
    {
      kind: 'keyValue',
      title: 'Entries (the first is the one the others are compared with)',
      entries: Object.fromEntries(
        comparison.entries.map((e) => [e.label, `${e.app}, ${e.run}, step ${e.step}, ${seedsText(e.replicas)}`]),
      ),
    },
    // The results first (tables, then which differences count), then the pictures.
    ...comparison.tables.map((t): ReportSection => ({
      kind: 'table',
      title: `${t.measure} (vs first: difference of the means; paired by seed: mean ± std over the pairs)`,
      columns: TABLE_COLUMNS,
      rows: tableRows(t, labels),
    })),
    {
      kind: 'text',
      title: 'Differences beyond the spread (|mean a - mean b| > std a + std b)',
      preformatted: beyond.length ? beyond.join('\n') : 'none',
    },
    {
      kind: 'figures',
      title: 'Val loss per width',
      figures: [{ caption: "mean ± std over each entry's replicas", svg: bars }],
    },
    { kind: 'figures', title: 'Val loss during training', figures: curves },
  ];
  if (comparison.costs.length) {
    sections.push({
      kind: 'table',
      title: `Costs and KL from the full width (from each run's ${RESULTS_FILE})`,
      columns: [
        'entry',
        'width',
        'parameters used',
        'forward FLOPs/token',
        'generation tokens/s',
        'KL from full width',
      ],
      rows: comparison.costs.map((c) => [
        labels[c.entry],
        c.width,
        c.parameters,
        c.flopsPerToken,
        Number(c.generationTokensPerSecond.toFixed(1)),
        c.klFromFull === null ? '-' : c.klFromFull.toFixed(4),
      ]),
    });
  }
  await writeReport(join(dir, COMPARE_HTML), { title: `compare: ${labels.join(' vs ')}`, sections });
  writeFileAtomic(join(dir, COMPARE_JSON), JSON.stringify(comparison, null, 2) + '\n');
  return curves.length + 1;
}

/** Split `RUN RUN --out DIR` into the runs and the flags (a flag's value is never a run). */
function splitArguments(argv: readonly string[]): { runs: string[]; flags: string[] } {
  const specs: readonly FlagSpec[] = compareFlags;
  const valued = new Set([...specs.filter((f) => f.type !== 'bool').map((f) => `--${f.name}`), '--config']);
  const runs: string[] = [];
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue;
    if (!arg.startsWith('-')) runs.push(arg);
    else {
      flags.push(arg);
      if (valued.has(arg) && i + 1 < argv.length) flags.push(argv[++i]);
    }
  }
  return { runs, flags };
}

export async function compareCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
): Promise<{ dir: string; comparison: Comparison }> {
  const { runs, flags: flagArgs } = splitArguments(argv);
  const flags = parseFlags(flagArgs, compareFlags, {
    command: `npx nx run ${app.name}:compare -- RUN RUN [RUN ...]`,
    description:
      'Compare runs of any app per width: val loss as mean ± std over replicas, the difference from the first run, whether it exceeds the spread, ' +
      'and the difference paired by seed where runs share seeds. A sweep run gives an entry per value. Writes compare.html and compare.json.',
  });
  if (flags.labels && flags.labels.length !== runs.length)
    throw new UserError(
      `--labels gives ${flags.labels.length} name${flags.labels.length === 1 ? '' : 's'} for ${runs.length} runs`,
    );
  const dir = outputDir(flags.out);
  const log = (line: string) => process.stderr.write(line + '\n');
  const entries = runs.flatMap((run, i) => loadEntries(run, flags.labels?.[i] ?? run));
  const comparison = compareEntries(entries);
  for (const e of entries.slice(1))
    if (e.data !== entries[0].data)
      log(
        `compare: warning: ${e.label} trained on ${e.data}, ${entries[0].label} on ${entries[0].data}; their val losses are over different text`,
      );
  for (const e of entries) {
    const evaluated = e.results?.doc.run.evaluatedStep;
    const step = e.records[e.records.length - 1].step;
    if (e.results && evaluated !== step)
      log(
        `compare: warning: ${e.results.file} is from step ${evaluated}, metrics.jsonl goes on to step ${step}; its costs and separation are from step ${evaluated}`,
      );
  }
  out.write(formatComparison(comparison));

  // Everything is written into a staging folder beside the destination, then renamed into place at once.
  const target = resolve(dir);
  mkdirSync(dirname(target), { recursive: true });
  const staging = mkdtempSync(join(dirname(target), `.${basename(target)}.staging-`));
  try {
    const figures = await writeFiles(staging, entries, comparison);
    try {
      renameSync(staging, target); // replaces an empty folder; fails on a filled one
    } catch (error) {
      throw new UserError(
        `--out ${dir}: could not move the comparison into place (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); was it filled meanwhile?`,
      );
    }
    log(`compare: wrote ${join(dir, COMPARE_HTML)}, ${COMPARE_JSON} and ${figures} figures in ${join(dir, 'figures')}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    await closeRenderer();
  }
  return { dir, comparison };
}
