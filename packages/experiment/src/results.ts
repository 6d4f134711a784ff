// results.json (docs/RESULTS.md): what `analyze` found in a run, as numbers a script can read.
// Per width the losses over the replicas, the KL from the full width and what the width costs;
// every replica's final losses with its seeds, so that runs can be paired by seed; each app's
// own statistics. The format is versioned and has a JSON schema (results.schema.json), checked
// here with ajv, plus the one rule a schema cannot say (every null names its reason); `compare` reads the same way.
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { fieldPath } from '@matryoshka/tokenizer';
import type { Hierarchy } from '@matryoshka/hierarchy-imposed';
import { type MetricsRecord } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { differenceExceedsSpread, meanStd } from '@matryoshka/viz';
import type { WidthCost } from './costs';
import type { PrefixMode } from './embedding-similarity';
import { separationAcrossReplicas, separationByLevel } from './hierarchy-targets';
import { replicaLosses } from './metrics';
import { replicaGroups, type Replica, type SweepName } from './replicas';
import type { RunConfig } from './run-config';
import schemaJson from './results.schema.json';

export const RESULTS_FILE = 'results.json';
export const RESULTS_FORMAT = 'matryoshka-results';
export const COMPARISON_FORMAT = 'matryoshka-comparison';
/** The version this code writes and reads (of both formats). */
export const RESULTS_VERSION = 1;
/** The JSON schema of results.json; its `$defs.comparison` is compare.json's. */
export const RESULTS_SCHEMA: Readonly<Record<string, unknown>> = schemaJson;

/** Why each null field of an object is null: field name -> reason. */
export type Reasons = Record<string, string>;

/** mean ± sample std over n values; see `spreadOf` for when each is null. */
export interface Stat {
  mean: number | null;
  std: number | null;
  n: number;
  reasons?: Reasons;
}

export interface SweepValue {
  name: SweepName;
  value: number;
}

export interface RunResults {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  app: string;
  run: {
    dir: string;
    steps: number;
    plannedSteps: number;
    evaluatedStep: number | null;
    widths: number[];
    nesting: string;
    vocabularySize: number;
    seed: number;
    initSeed: number;
    seeds: number;
    sweep?: { name: SweepName; values: number[] };
    shownReplica: number;
    pooled: { name: string; replicas: number[] };
    backend: string;
    reasons?: Reasons;
  };
  widths: (WidthCost & { valLoss: Stat; trainLoss: Stat; klFromFull: number | null; reasons?: Reasons })[];
  groups: {
    name: string;
    sweep?: SweepValue;
    replicas: number[];
    widths: { width: number; valLoss: Stat; trainLoss: Stat }[];
  }[];
  replicas: ReplicaResults[];
  hierarchyScore?: HierarchySeparation;
  imposed?: { separation: HierarchySeparation };
  emergent?: EmergentResults;
  nested?: NestedResults;
}

export interface ReplicaResults {
  index: number;
  label: string;
  seedOffset: number;
  seed: number;
  initSeed: number;
  sweep?: SweepValue;
  losses: { width: number; val: number | null; train: number | null; reasons?: Reasons }[];
}

/** Separation of a hierarchy's groups per level, over replicas (and each replica's own). */
export interface HierarchySeparation {
  hierarchy: string;
  mode: PrefixMode;
  replicas: number[];
  levels: {
    width: number;
    groups: string[];
    score: Stat;
    silhouette: Stat;
    withinMean: Stat;
    betweenMean: Stat;
    perReplica: { replica: number; score: number | null; silhouette: number | null; reasons?: Reasons }[];
  }[];
}

export interface EmergentResults {
  mode: PrefixMode;
  replicas: number[];
  clusterings: number;
  lastClustering?: { epoch: number; step: number };
  widths: {
    width: number;
    groups: Stat;
    ariVsPrevious: number | null;
    ariBetweenReplicas: Stat;
    score: Stat;
    silhouette: Stat;
    reasons?: Reasons;
  }[];
  stability: { epoch: number; step: number; ari: { width: number; ari: number | null; reasons?: Reasons }[] }[];
}

export interface NestedResults {
  baselines:
    | { width: number; nested: Stat; alone: Stat; difference: Stat; exceedsSpread: boolean | null; reasons?: Reasons }[]
    | null;
  reasons?: Reasons;
}

/** What an app adds to its runs' results.json (AppAnalysis.results): its own key. */
export type AppResults = Pick<RunResults, 'imposed' | 'emergent' | 'nested'>;

// ---- statistics ---------------------------------------------------------------------------

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const finiteOrNull = (x: unknown): number | null => (isFiniteNumber(x) ? x : null);

export const ONE_VALUE = 'one value (a single model): no spread';

/**
 * mean ± sample std (n - 1) of the finite values (n counts them): with none, mean and std are
 * null for `missing`; with one, std is null for `single`.
 */
export function spreadOf(values: readonly (number | null | undefined)[], missing: string, single = ONE_VALUE): Stat {
  const finite = values.filter(isFiniteNumber);
  if (finite.length === 0) return { mean: null, std: null, n: 0, reasons: { mean: missing, std: missing } };
  const { mean, std, n } = meanStd(finite);
  return n === 1 ? { mean, std: null, n, reasons: { std: single } } : { mean, std, n };
}

/** A value and what pairs it with another run's: its seeds (`seed/initSeed`) or replica index. */
export interface Keyed {
  key: string;
  value: number | null | undefined;
}

/** `b - a` for every key both have (finite), in a's order: mean ± std over the pairs, n = pairs. */
export function pairedDifference(a: readonly Keyed[], b: readonly Keyed[]): Stat {
  const other = new Map(b.filter((x) => isFiniteNumber(x.value)).map((x) => [x.key, x.value as number]));
  const differences = a.flatMap((x) =>
    isFiniteNumber(x.value) && other.has(x.key) ? [(other.get(x.key) as number) - x.value] : [],
  );
  return spreadOf(differences, 'no seed in common: nothing to pair', 'one pair: no spread');
}

/** Whether |mean a - mean b| > std a + std b (viz's rule), or null and why when a side has fewer than two values. */
export function spreadVerdict(
  a: readonly (number | null | undefined)[],
  b: readonly (number | null | undefined)[],
): { exceeds: boolean | null; reason?: string } {
  const [x, y] = [a.filter(isFiniteNumber), b.filter(isFiniteNumber)];
  if (!x.length || !y.length) return { exceeds: null, reason: 'no value to compare' };
  if (x.length < 2 || y.length < 2)
    return { exceeds: null, reason: 'one side is a single value: no spread to compare with' };
  return { exceeds: differenceExceedsSpread(x, y) };
}

/** `fields`, with `reasons` naming why each null among them is null (`why[field]`). */
export function explained<T extends object>(
  fields: T,
  why: Partial<Record<keyof T, string | undefined>>,
): T & { reasons?: Reasons } {
  const nulls = Object.entries(fields).filter(([, v]) => v === null);
  if (!nulls.length) return fields;
  const reasons = Object.fromEntries(
    nulls.map(([k]) => {
      const reason = why[k as keyof T];
      if (!reason) throw new Error(`results: ${k} is null with no reason given`);
      return [k, reason];
    }),
  );
  return { ...fields, reasons };
}

// ---- a run's results ----------------------------------------------------------------------

/** What `analyze` has at hand; see buildResults. */
export interface ResultsInput {
  /** app.name */
  app: string;
  runDir: string;
  /** loadRun's config (of a run of replicas: the shown replica's; the plan gives the run's seeds). */
  config: RunConfig;
  /** Steps the checkpoint has seen (loadRun's step). */
  step: number;
  /** metrics.jsonl */
  records: readonly MetricsRecord[];
  costs: readonly WidthCost[];
  /** KL from the full width per width (keys as strings), of the shown replica. */
  kl: Readonly<Record<string, number>>;
  /** The backend the costs were measured on. */
  backend: string;
  /** loadRun's replicas (a run of replicas): its plan, the shown replica and its group. */
  replicas?: { plan: readonly Replica[]; index: number; group: { name: string; members: readonly number[] } };
  /** The app's own part (AppAnalysis.results). */
  appResults?: AppResults;
  /** analyze --hierarchy: hierarchySeparation of that file's groups. */
  hierarchyScore?: HierarchySeparation;
}

const NO_EVALUATION = 'no evaluation yet: metrics.jsonl has no line';
const NOT_EVALUATED = 'not evaluated at this width';
const NOT_FINITE = 'not a finite number (the measurement gave NaN or infinity)';

/** A replica's (or the one model's: replica 0) loss in a metrics record at a width. */
export function lossAt(
  record: MetricsRecord | undefined,
  split: 'train' | 'val',
  width: number,
  replica: number,
): number | undefined {
  const each = replicaLosses(record);
  const source = each ? each[replica] : record;
  return source?.[split]?.[String(width)];
}

/**
 * results.json of an analysed run, from what analyze has at hand (pure; throws, as a bug, if
 * the document would not match the schema).
 */
export function buildResults(input: ResultsInput): RunResults {
  const { config, costs, kl } = input;
  const last = input.records.at(-1);
  const plan = input.replicas?.plan;
  const models: Omit<ReplicaResults, 'losses'>[] = plan
    ? plan.map((r) => ({
        index: r.index,
        label: r.label,
        seedOffset: r.seedOffset,
        seed: r.training.seed,
        initSeed: r.model.seed,
        ...(r.sweep ? { sweep: { ...r.sweep } } : {}),
      }))
    : [{ index: 0, label: 'seed+0', seedOffset: 0, seed: config.training.seed, initSeed: config.model.seed }];
  const widths = costs.map((c) => c.width);
  const missing = last ? NOT_EVALUATED : NO_EVALUATION;
  const stat = (split: 'train' | 'val', members: readonly number[], width: number) =>
    spreadOf(
      members.map((r) => lossAt(last, split, width, r)),
      missing,
    );
  const losses = (members: readonly number[], width: number) => ({
    valLoss: stat('val', members, width),
    trainLoss: stat('train', members, width),
  });
  const groups = plan ? replicaGroups(plan) : [{ name: 'one model', members: [0] }];
  const pooled = input.replicas?.group ?? groups[0];
  const sweepValues = [...new Set(models.flatMap((m) => (m.sweep ? [m.sweep.value] : [])))];
  const results: RunResults = {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    app: input.app,
    run: explained(
      {
        dir: input.runDir,
        steps: input.step,
        plannedSteps: config.training.steps,
        evaluatedStep: last?.step ?? null,
        widths,
        nesting: config.model.nesting,
        vocabularySize: config.vocabulary.length,
        seed: models[0].seed,
        initSeed: models[0].initSeed,
        seeds: models.filter((m) => m.sweep?.value === models[0].sweep?.value).length,
        ...(models[0].sweep ? { sweep: { name: models[0].sweep.name, values: sweepValues } } : {}),
        shownReplica: input.replicas?.index ?? 0,
        pooled: { name: pooled.name, replicas: [...pooled.members] },
        backend: input.backend,
      },
      { evaluatedStep: NO_EVALUATION },
    ),
    widths: costs.map((c) =>
      explained(
        {
          width: c.width,
          ...losses(pooled.members, c.width),
          klFromFull: finiteOrNull(kl[String(c.width)]),
          parameters: c.parameters,
          flopsPerToken: c.flopsPerToken,
          generationTokensPerSecond: c.generationTokensPerSecond,
        },
        { klFromFull: kl[String(c.width)] === undefined ? 'not measured' : NOT_FINITE },
      ),
    ),
    groups: groups.map((g) => {
      const sweep = models[g.members[0]].sweep;
      return {
        name: g.name,
        ...(sweep ? { sweep } : {}),
        replicas: [...g.members],
        widths: widths.map((w) => ({ width: w, ...losses(g.members, w) })),
      };
    }),
    replicas: models.map((m) => ({
      ...m,
      losses: widths.map((w) => {
        const [val, train] = [lossAt(last, 'val', w, m.index), lossAt(last, 'train', w, m.index)];
        const why = (x: number | undefined) => (x === undefined ? missing : NOT_FINITE);
        return explained(
          { width: w, val: finiteOrNull(val), train: finiteOrNull(train) },
          { val: why(val), train: why(train) },
        );
      }),
    })),
    ...(input.hierarchyScore ? { hierarchyScore: input.hierarchyScore } : {}),
    ...input.appResults,
  };
  const problems = resultsProblems(results);
  if (problems.length)
    throw new Error(`buildResults: the document does not match results.schema.json: ${problems.join('; ')}`);
  return results;
}

// ---- the apps' parts ----------------------------------------------------------------------

const UNDEFINED_SCORE = 'undefined for these groups (no pair of tokens within a group, or none between groups)';
const UNDEFINED_SILHOUETTE = 'undefined for these groups (fewer than two groups with tokens)';
/** Why a separation statistic is undefined: the score's own reason (SeparationScore.undefinedBecause), else `otherwise`. */
const undefinedBecause = (why: string | undefined, otherwise: string) => (why ? `undefined: ${why}` : otherwise);

/**
 * A hierarchy's separation from separationAcrossReplicas' scores (width -> one value per
 * replica, in the order of `replicas`, the replicas' indices).
 */
export function hierarchySeparation(
  hierarchy: Hierarchy,
  mode: PrefixMode,
  replicas: readonly number[],
  scores: ReturnType<typeof separationAcrossReplicas>,
): HierarchySeparation {
  return {
    hierarchy: hierarchy.name,
    mode,
    replicas: [...replicas],
    levels: hierarchy.levels
      .filter((l) => scores[String(l.width)])
      .map((l) => {
        const s = scores[String(l.width)];
        const [score, silhouette] = [
          undefinedBecause(s.undefinedBecause, UNDEFINED_SCORE),
          undefinedBecause(s.undefinedBecause, UNDEFINED_SILHOUETTE),
        ];
        return {
          width: l.width,
          groups: Object.keys(l.groups),
          score: spreadOf(s.score, score),
          silhouette: spreadOf(s.silhouette, silhouette),
          withinMean: spreadOf(s.withinMean, score),
          betweenMean: spreadOf(s.betweenMean, score),
          perReplica: replicas.map((replica, k) =>
            explained(
              { replica, score: finiteOrNull(s.score[k]), silhouette: finiteOrNull(s.silhouette[k]) },
              { score, silhouette },
            ),
          ),
        };
      }),
  };
}

export interface EmergentResultsInput {
  /** The last groups found by each of `replicas` (empty before the first re-clustering). */
  hierarchies: readonly Hierarchy[];
  /** Those replicas' token embedding rows, in the same order. */
  embeddings: readonly (readonly (readonly number[])[])[];
  /** Their indices. */
  replicas: readonly number[];
  /** ARI per width between the last groups of every pair of them (NaN where undefined, and why). */
  agreement: Readonly<Record<string, { ari: readonly number[]; undefinedBecause?: string }>>;
  /** The run's re-clusterings (hierarchy-history.json): replica 0's ARI against the one before (null or NaN where undefined). */
  history: readonly { epoch: number; step: number; stability?: Readonly<Record<string, number | null>> }[];
  vocabulary: readonly string[];
  mode: PrefixMode;
}

/** The emergent app's part: groups per width, their stability and agreement, their separation. */
export function emergentResults(input: EmergentResultsInput): EmergentResults {
  const { hierarchies, history } = input;
  const last = history.at(-1);
  const scores = hierarchies.map((h, k) => separationByLevel(input.embeddings[k], h, input.vocabulary, input.mode));
  const widths = [...new Set(hierarchies.flatMap((h) => h.levels.map((l) => l.width)))].sort((a, b) => a - b);
  const ariWhy = (ari: number | null | undefined, before: boolean) =>
    ari !== undefined
      ? 'undefined (no groups at this width in either clustering, or one group of everything)'
      : before
        ? 'not clustered at this width before'
        : 'the first clustering: none before it';
  return {
    mode: input.mode,
    replicas: [...input.replicas],
    clusterings: history.length,
    ...(last ? { lastClustering: { epoch: last.epoch, step: last.step } } : {}),
    widths: widths.map((w) => {
      const ari = last?.stability?.[String(w)];
      const agreement = input.agreement[String(w)];
      const groups = hierarchies.map((h) => Object.keys(h.levels.find((l) => l.width === w)?.groups ?? {}).length);
      const why = groups.every((n) => n === 0)
        ? 'no groups at this width'
        : scores.map((s) => s[String(w)]?.undefinedBecause).find((x) => x);
      return explained(
        {
          width: w,
          groups: spreadOf(groups, 'no replica'),
          ariVsPrevious: finiteOrNull(ari),
          ariBetweenReplicas: spreadOf(
            agreement?.ari ?? [],
            agreement
              ? undefinedBecause(agreement.undefinedBecause, 'undefined for every pair')
              : 'one replica: no pair to compare',
            'one pair: no spread',
          ),
          score: spreadOf(
            scores.map((s) => s[String(w)]?.score),
            undefinedBecause(why, UNDEFINED_SCORE),
          ),
          silhouette: spreadOf(
            scores.map((s) => s[String(w)]?.silhouette),
            undefinedBecause(why, UNDEFINED_SILHOUETTE),
          ),
        },
        { ariVsPrevious: ariWhy(ari, !!last?.stability) },
      );
    }),
    stability: history
      .filter((e) => e.stability)
      .map((e) => ({
        epoch: e.epoch,
        step: e.step,
        ari: Object.entries(e.stability ?? {}).map(([w, ari]) =>
          explained({ width: Number(w), ari: finiteOrNull(ari) }, { ari: ariWhy(ari, true) }),
        ),
      })),
  };
}

/**
 * The nested app's part: per width with a baseline (nested:baselines' comparison), the nested
 * submodel's and the baseline's final val losses, replica r against replica r (the same seeds).
 */
export function baselineResults(
  rows: readonly { width: number; nested?: readonly number[]; alone: readonly number[] }[],
): NestedResults {
  if (!rows.length)
    return { baselines: null, reasons: { baselines: 'no baselines yet: nested:baselines has not run for this run' } };
  const byReplica = (values: readonly number[]) => values.map((value, r) => ({ key: String(r), value }));
  return {
    baselines: rows.map((c) => {
      const nested = c.nested ?? [];
      const verdict = spreadVerdict(nested, c.alone);
      return explained(
        {
          width: c.width,
          nested: spreadOf(nested, 'the nested run has no val loss at this width'),
          alone: spreadOf(c.alone, 'the baseline has no val loss'),
          difference: pairedDifference(byReplica(c.alone), byReplica(nested)),
          exceedsSpread: verdict.exceeds,
        },
        { exceedsSpread: verdict.reason },
      );
    }),
  };
}

// ---- validation ---------------------------------------------------------------------------

type Path = readonly (string | number)[];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

// The schema's checks are ajv's (JSON Schema 2020-12, strict: a keyword it does not know is an error).
const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(RESULTS_SCHEMA);
const validators = {
  [RESULTS_FORMAT]: ajv.compile({ $ref: String(RESULTS_SCHEMA.$id) }),
  [COMPARISON_FORMAT]: ajv.compile({ $ref: `${String(RESULTS_SCHEMA.$id)}#/$defs/comparison` }),
};

/** An ajv error as `widths[1].valLoss.std: must be number,null` (a JSON pointer turned into a path). */
function describeError(error: ErrorObject): string {
  const path: Path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (error.keyword === 'required')
    return `${fieldPath([...path, (error.params as { missingProperty: string }).missingProperty])}: missing`;
  if (error.keyword === 'additionalProperties')
    return `${fieldPath([...path, (error.params as { additionalProperty: string }).additionalProperty])}: not a field of this format`;
  return `${fieldPath(path)}: ${error.message}`;
}

/** Every null must have a reason (`reasons.<field>` of its object), and every reason a null. */
function unexplainedNulls(value: unknown, path: Path, out: string[]): void {
  if (Array.isArray(value)) value.forEach((item, i) => unexplainedNulls(item, [...path, i], out));
  if (!isObject(value)) return;
  const reasons = isObject(value.reasons) ? value.reasons : {};
  for (const [key, item] of Object.entries(value)) {
    if (key === 'reasons') continue;
    if (item === null && typeof reasons[key] !== 'string')
      out.push(`${fieldPath([...path, key])}: null with no reason (reasons.${key})`);
    unexplainedNulls(item, [...path, key], out);
  }
  for (const key of Object.keys(reasons))
    if (value[key] !== null) out.push(`${fieldPath([...path, 'reasons', key])}: a reason for a field that is not null`);
}

/** Problems of a document: results.json, or compare.json (the schema's `$defs.comparison`). */
function documentProblems(doc: unknown, format: typeof RESULTS_FORMAT | typeof COMPARISON_FORMAT): string[] {
  if (!isObject(doc)) return [`(root): expected an object, got ${JSON.stringify(doc) ?? 'nothing'}`];
  if (doc.format !== format)
    return [`format: expected ${JSON.stringify(format)}, got ${JSON.stringify(doc.format) ?? 'nothing'}`];
  if (doc.version !== RESULTS_VERSION)
    return [`version: ${JSON.stringify(doc.version) ?? 'nothing'}; this program reads version ${RESULTS_VERSION} only`];
  // As JSON: a NaN or infinity in the document is then a null with no reason.
  const json = JSON.parse(JSON.stringify(doc)) as unknown;
  const validate = validators[format as keyof typeof validators];
  if (!validate(json)) return (validate.errors ?? []).map(describeError);
  const out: string[] = [];
  unexplainedNulls(json, [], out);
  return out;
}

/** Everything wrong with a results.json document, each naming the field (`widths[1].valLoss.std: ...`); empty when valid. */
export function resultsProblems(doc: unknown): string[] {
  return documentProblems(doc, RESULTS_FORMAT);
}

/** Everything wrong with a compare.json document; empty when valid. */
export function comparisonProblems(doc: unknown): string[] {
  return documentProblems(doc, COMPARISON_FORMAT);
}

/** Read and check a results.json; a bad one is a UserError naming the file and the first field at fault. */
export function readResults(file: string): RunResults {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UserError(`${file}: not readable JSON (${(error as Error).message})`);
  }
  const problems = resultsProblems(doc);
  if (problems.length)
    throw new UserError(
      `${file}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more problems)` : ''}`,
    );
  return doc as RunResults;
}
