// Experiment 3 (docs/EXPERIMENTS.md, "Experiment 3"): categories found by clustering the model's own prefix
// embeddings during training (agglomerative, ml-hclust), fed back as soft targets.
// Its own lines: the re-clustering schedule, the hierarchy history, and its pictures.
import { join } from 'node:path';
import {
  disposeTargets,
  emergentResults,
  groupsAtWidth,
  replicaEmbeddingRows,
  replicaTargetTensors,
  separationByLevel,
  experimentDefaults,
  type AppDefinition,
  UserError,
  type FlagSpec,
} from '@matryoshka/experiment';
import {
  CUT_METHODS,
  DEFAULT_CLUSTER_OPTIONS,
  LINKAGES,
  adjustedRandIndex,
  ariUndefinedReason,
  discoverLevels,
  hierarchyAgreement,
  labelsOfLevel,
  type DiscoverOptions,
} from '@matryoshka/hierarchy-emergent';
import {
  DEFAULT_SHAKESPEARE_HIERARCHY,
  formatHierarchy,
  saveHierarchy,
  type Hierarchy,
} from '@matryoshka/hierarchy-imposed';
import { EXP1_DEFAULTS } from '@matryoshka/nested-transformer';
import { parseJson, writeFileAtomic } from '@matryoshka/tokenizer';
import {
  formatMeanStd,
  meanStd,
  renderDendrogram,
  renderDotChart,
  renderLineChart,
  type ReportSection,
} from '@matryoshka/viz';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';

export const HISTORY_FILE = 'hierarchy-history.json';
/** hierarchy-history.json's format and version: `{format, version, history: [entries]}`. */
const HISTORY_FORMAT = { format: 'matryoshka-hierarchy-history', version: 1 } as const;
export const hierarchyFile = (epoch: number) => `hierarchy-${epoch}.json`;

/** The app's own settings: the re-clustering schedule and how to cluster. */
export interface EmergentSettings {
  /** Training epochs: training.steps = epochs x stepsPerEpoch. */
  epochs: number;
  stepsPerEpoch: number;
  threshold: number;
  minGroup: number;
  linkage: DiscoverOptions['linkage'];
  cut: DiscoverOptions['cut'];
  /** Groups for cut 'k'. */
  k?: number;
  maxK: number;
  nest: boolean;
  reclusterEvery: number;
  warmupEpochs: number;
}

export const EMERGENT_DEFAULTS: EmergentSettings = {
  epochs: 40,
  stepsPerEpoch: 250,
  threshold: DEFAULT_CLUSTER_OPTIONS.threshold,
  minGroup: DEFAULT_CLUSTER_OPTIONS.minGroupSize,
  linkage: DEFAULT_CLUSTER_OPTIONS.linkage,
  cut: DEFAULT_CLUSTER_OPTIONS.cut,
  maxK: DEFAULT_CLUSTER_OPTIONS.maxK,
  nest: false,
  reclusterEvery: 1,
  warmupEpochs: 1,
};

// A run's length is given once: in epochs on a new run, or by --steps (whole epochs), the way a resumed run is lengthened.
const LENGTH_GIVEN_TWICE =
  'the run trains --epochs x --steps-per-epoch steps; give those, or --steps alone (a whole number of epochs, as on --resume)';
/** A new run's steps when nothing sets its length: --steps that differ from it were given (they conflict with --epochs and --steps-per-epoch). */
const DEFAULT_STEPS = EMERGENT_DEFAULTS.epochs * EMERGENT_DEFAULTS.stepsPerEpoch;

const flags: FlagSpec[] = [
  {
    name: 'epochs',
    path: 'settings.epochs',
    type: 'int',
    min: 1,
    help: 'training epochs (steps = epochs x steps-per-epoch)',
    conflicts: { steps: LENGTH_GIVEN_TWICE },
  },
  {
    name: 'steps-per-epoch',
    path: 'settings.stepsPerEpoch',
    type: 'int',
    min: 1,
    help: 'steps per epoch',
    conflicts: { steps: LENGTH_GIVEN_TWICE },
  },
  {
    name: 'threshold',
    path: 'settings.threshold',
    type: 'number',
    min: 0,
    max: 2,
    help: 'cosine-distance cut of the tree (cut threshold)',
  },
  {
    name: 'min-group',
    path: 'settings.minGroup',
    type: 'int',
    min: 1,
    help: 'smaller clusters become ungrouped tokens',
  },
  {
    name: 'linkage',
    path: 'settings.linkage',
    type: 'choice',
    choices: LINKAGES,
    help: 'agglomerative linkage',
  },
  {
    name: 'cut',
    path: 'settings.cut',
    type: 'choice',
    choices: CUT_METHODS,
    help: 'threshold, k groups, or auto (best silhouette)',
  },
  { name: 'k', path: 'settings.k', type: 'int', min: 2, help: 'number of groups for --cut k' },
  { name: 'max-k', path: 'settings.maxK', type: 'int', min: 2, help: 'largest k tried by --cut auto' },
  {
    name: 'nest',
    path: 'settings.nest',
    type: 'bool',
    help: "nest each level's groups inside the narrower level's groups",
  },
  {
    name: 'recluster-every',
    path: 'settings.reclusterEvery',
    type: 'int',
    min: 1,
    help: 're-cluster every N epochs',
  },
  {
    name: 'warmup-epochs',
    path: 'settings.warmupEpochs',
    type: 'int',
    min: 1,
    help: 'epochs of pure MRL before the first clustering',
  },
];

interface HistoryEntry {
  epoch: number;
  step: number;
  hierarchy: Hierarchy;
  /** ARI per width against the previous clustering (absent for the first); null where undefined (NaN: no groups in either). */
  stability?: Record<string, number | null>;
  /** A run of replicas: the hierarchies of replicas 1..R-1 (`hierarchy` is replica 0's), each found in its own embeddings. */
  otherReplicas?: Hierarchy[];
}

/** Every replica's hierarchy of a history entry, replica 0 first. */
function replicaHierarchies(entry: HistoryEntry): Hierarchy[] {
  return [entry.hierarchy, ...(entry.otherReplicas ?? [])];
}

/** ARI per width between every pair of replicas' hierarchies: width -> one value per pair (NaN where undefined), and why. */
export function agreementBetweenReplicas(
  hierarchies: readonly Hierarchy[],
  vocabulary: readonly string[],
): Record<string, { ari: number[]; undefinedBecause?: string }> {
  const out: Record<string, { ari: number[]; undefinedBecause?: string }> = {};
  for (let a = 0; a < hierarchies.length; a++) {
    for (let b = a + 1; b < hierarchies.length; b++) {
      for (const [width, { ari, undefinedBecause }] of Object.entries(
        hierarchyAgreement(hierarchies[a], hierarchies[b], vocabulary),
      )) {
        const at = (out[width] ??= { ari: [] });
        at.ari.push(ari);
        at.undefinedBecause ??= undefinedBecause;
      }
    }
  }
  return out;
}

/** The mean of ARIs (2 decimals) over those that are defined; "n/a (why)" when none is. */
function meanAri(values: readonly number[], undefinedBecause: string | undefined): string {
  const defined = values.filter((v) => !Number.isNaN(v));
  return formatMeanStd(defined.length ? [meanStd(defined).mean] : values, 2, undefinedBecause);
}

function clusterOptions(settings: EmergentSettings): DiscoverOptions {
  return {
    threshold: settings.threshold,
    minGroupSize: settings.minGroup,
    linkage: settings.linkage,
    cut: settings.cut,
    k: settings.k,
    maxK: settings.maxK,
    nested: settings.nest,
    name: 'emergent',
  };
}

/** After epoch `epoch` (0-based) ends, is it time to re-cluster? Never after the last epoch. */
export function isReclusterEpoch(
  epoch: number,
  settings: Pick<EmergentSettings, 'epochs' | 'warmupEpochs' | 'reclusterEvery'>,
): boolean {
  const done = epoch + 1;
  if (done >= settings.epochs) return false;
  if (done < settings.warmupEpochs) return false;
  return (done - settings.warmupEpochs) % settings.reclusterEvery === 0;
}

/** "w4: 3 groups (12, 5, 3), 45 ungrouped" per level. */
export function describeHierarchy(hierarchy: Hierarchy, vocabularySize: number): string {
  return hierarchy.levels
    .map((l) => {
      const sizes = Object.values(l.groups).map((g) => g.length);
      const grouped = sizes.reduce((s, n) => s + n, 0);
      return `w${l.width}: ${sizes.length} group${sizes.length === 1 ? '' : 's'} (${sizes.join(', ') || '-'}), ${vocabularySize - grouped} ungrouped`;
    })
    .join('; ');
}

function readHistory(runDir: string): HistoryEntry[] {
  const file = join(runDir, HISTORY_FILE);
  if (!existsSync(file)) return [];
  const stored = parseJson(readFileSync(file, 'utf8'), file) as {
    format?: unknown;
    version?: unknown;
    history?: HistoryEntry[];
  };
  if (
    stored?.format !== HISTORY_FORMAT.format ||
    stored.version !== HISTORY_FORMAT.version ||
    !Array.isArray(stored.history)
  ) {
    const { format, version } = HISTORY_FORMAT;
    throw new UserError(`${file} is not ${format} version ${version} (a run of an earlier version: train it again)`);
  }
  return stored.history;
}

export const emergentApp: AppDefinition<EmergentSettings> = {
  name: 'emergent',
  description:
    'Emergent hierarchical embeddings: groups found by clustering prefix embeddings during training (experiment 3).',
  // Experiment 3: b=8 t=24, widths 4..32; 40 epochs x 250 steps.
  defaults: experimentDefaults(
    { ...EXP1_DEFAULTS, batchSize: 8, contextLength: 24, minPower: 2 },
    { steps: DEFAULT_STEPS, evalInterval: 50 },
    EMERGENT_DEFAULTS,
  ),
  trainFlags: flags,
  // The schedule is in epochs: a new run's steps follow from them; a resumed run's --steps sets them.
  finalize: (config, stage) => {
    const { settings, training } = config;
    if (settings.cut === 'k' && settings.k === undefined) throw new UserError('--cut k needs --k N');
    // A new run's length in epochs, unless --steps gave it (then, as on resume, whole epochs).
    if (stage === 'new' && training.steps === DEFAULT_STEPS)
      return { ...config, training: { ...training, steps: settings.epochs * settings.stepsPerEpoch } };
    if (training.steps % settings.stepsPerEpoch !== 0) {
      throw new UserError(
        `--steps ${training.steps} must be a whole number of epochs of ${settings.stepsPerEpoch} steps (--steps-per-epoch)`,
      );
    }
    return { ...config, settings: { ...settings, epochs: training.steps / settings.stepsPerEpoch } };
  },
  prepareTraining: ({ runDir, config, model, log }) => {
    const vocabulary = config.vocabulary;
    let history: HistoryEntry[] = [];
    let targets: (tf.Tensor | null)[] | undefined;
    // Each replica clusters its own embeddings and trains on its own groups (a run of one model: R = 1).
    const several = model.replicas > 1;
    const useHierarchy = (entry: HistoryEntry | undefined) => {
      disposeTargets(targets);
      targets = entry && replicaTargetTensors(replicaHierarchies(entry), vocabulary, model.widths);
    };
    const latest = () => history[history.length - 1];
    return {
      stepsPerEpoch: config.settings.stepsPerEpoch,
      targets: () => targets,
      extraState: {
        save: () => ({ history }),
        load: (state) => {
          history = (state as { history?: HistoryEntry[] } | undefined)?.history ?? [];
          useHierarchy(latest());
        },
      },
      hooks: {
        onEval: () => {
          const entry = latest();
          if (!entry) return undefined;
          // Each replica's groups in its own embeddings; the record keeps their mean.
          const hierarchies = replicaHierarchies(entry);
          const scores = replicaEmbeddingRows(model.namedVariables()).map((rows, r) =>
            separationByLevel(rows, hierarchies[r], vocabulary),
          );
          // Per width, the mean over the replicas whose groups have that level and a finite score
          // (a silhouette is NaN when every grouped token is in one group): NaN when none has.
          const widths = [...new Set(scores.flatMap((s) => Object.keys(s)))];
          const meanOf = (w: string, field: 'score' | 'silhouette') => {
            const values = scores.flatMap((s) => (s[w] && Number.isFinite(s[w][field]) ? [s[w][field]] : []));
            return values.length ? meanStd(values).mean : NaN;
          };
          return {
            separation: Object.fromEntries(
              widths.map((w) => [w, { score: meanOf(w, 'score'), silhouette: meanOf(w, 'silhouette') }]),
            ),
          };
        },
        onEpochEnd: (epoch, { step }) => {
          if (!isReclusterEpoch(epoch, config.settings)) return;
          const [hierarchy, ...otherReplicas] = replicaEmbeddingRows(model.namedVariables()).map(
            (embeddings) =>
              discoverLevels({ embeddings, vocabulary, widths: model.widths, options: clusterOptions(config.settings) })
                .hierarchy,
          );
          const previous = latest()?.hierarchy;
          const agreement = previous ? Object.entries(hierarchyAgreement(previous, hierarchy, vocabulary)) : undefined;
          const stability = agreement && Object.fromEntries(agreement.map(([w, a]) => [w, a.ari]));
          const entry: HistoryEntry = { epoch, step, hierarchy, stability, ...(several ? { otherReplicas } : {}) };
          history.push(entry);
          saveHierarchy(join(runDir, hierarchyFile(epoch)), hierarchy);
          writeFileAtomic(join(runDir, HISTORY_FILE), JSON.stringify({ ...HISTORY_FORMAT, history }) + '\n');
          const ari = agreement
            ? `; ARI vs previous ${agreement.map(([w, a]) => `w${w} ${formatMeanStd([a.ari], 2, a.undefinedBecause)}`).join(', ')}`
            : '';
          const between = several
            ? `; ARI between replicas ${Object.entries(agreementBetweenReplicas(replicaHierarchies(entry), vocabulary))
                .map(([w, a]) => `w${w} ${meanAri(a.ari, a.undefinedBecause)}`)
                .join(', ')}`
            : '';
          log(
            `emergent: epoch ${epoch} (step ${step}) re-clustered${several ? ' (replica 0)' : ''}: ${describeHierarchy(hierarchy, vocabulary.length)}${ari}${between}`,
          );
          useHierarchy(entry);
        },
      },
      dispose: () => disposeTargets(targets),
    };
  },
  analyze: async ({ runDir, figuresDir, config, embedding, raw, replicas, log }) => {
    const { vocabulary, settings } = config;
    const history = readHistory(runDir);
    // The groups of the replica shown (replica 0 unless --replica).
    const lastEntry = history[history.length - 1];
    const final = lastEntry ? replicaHierarchies(lastEntry)[replicas?.index ?? 0] : undefined;
    // Every width clustered during training, and the full one.
    const widths = new Set([...history.flatMap((e) => e.hierarchy.levels.map((l) => l.width)), config.model.width]);
    const { levels, hierarchy: now } = discoverLevels({
      embeddings: embedding,
      vocabulary,
      widths: [...widths].sort((a, b) => a - b),
      options: clusterOptions(settings),
    });
    log(`analyze: dendrograms at widths ${levels.map((l) => l.width).join(', ')}`);
    const dendrograms: { caption: string; svg: string }[] = [];
    for (const level of levels) {
      const svg = await renderDendrogram({
        labels: vocabulary,
        merges: level.tree,
        title: `agglomerative clustering (${settings.linkage} linkage) of width-${level.width} prefixes`,
        threshold: settings.cut === 'threshold' ? settings.threshold : undefined,
        heightTitle: 'cosine distance',
        outBase: join(figuresDir, `dendrogram-w${level.width}`),
      });
      dendrograms.push({ caption: `width ${level.width}`, svg });
    }
    const sections: ReportSection[] = [
      { kind: 'figures', title: 'Dendrograms of the final embeddings per level', figures: dendrograms },
    ];
    if (history.length) {
      sections.push({
        kind: 'text',
        title: 'Groups found per level at each re-clustering',
        preformatted:
          history
            .map((e) => `epoch ${e.epoch} (step ${e.step}): ${describeHierarchy(e.hierarchy, vocabulary.length)}`)
            .join('\n') +
          '\n\nFinal:\n' +
          formatHierarchy(final!),
      });
      // An undefined ARI (null, e.g. no groups in either clustering) is no point, never a full one: the
      // caption names it, with why (from the groups of the entry and of the one before, compared).
      const aris = history.flatMap((entry, i) =>
        Object.entries(entry.stability ?? {}).map(([w, ari]) => ({ w, ari, entry, previous: history[i - 1] })),
      );
      const points = aris.flatMap(({ w, ari, entry }) =>
        ari === null || Number.isNaN(ari) ? [] : [{ series: `width ${w}`, x: entry.epoch, y: Number(ari.toFixed(3)) }],
      );
      const unstated = aris
        .filter(({ ari }) => ari === null || Number.isNaN(ari))
        .map(({ w, entry, previous }) => {
          const why = previous
            ? hierarchyAgreement(previous.hierarchy, entry.hierarchy, vocabulary)[Number(w)]?.undefinedBecause
            : undefined;
          return `width ${w} at epoch ${entry.epoch}: n/a${why ? ` (${why})` : ''}`;
        });
      if (points.length) {
        // A line per width over the epochs: the same size at 4 epochs or 40 (a bar per epoch and width was 10,000 px wide at 40).
        const svg = await renderLineChart({
          points,
          title: 'stability: adjusted Rand index vs the previous clustering',
          subtitle: '1 = the same groups as at the re-clustering before',
          xTitle: 'epoch of the re-clustering',
          yTitle: 'ARI',
          yDomain: [Math.min(0, ...points.map((p) => p.y)), 1],
          outBase: join(figuresDir, 'stability'),
        });
        const caption = `ARI per width${unstated.length ? `; no point where it is undefined: ${unstated.join('; ')}` : ''}`;
        sections.push({
          kind: 'figures',
          title: 'Stability of the groups across re-clusterings (replica 0)',
          figures: [{ caption, svg }],
        });
      } else if (unstated.length) {
        sections.push({
          kind: 'text',
          title: 'Stability of the groups across re-clusterings (replica 0)',
          preformatted: `ARI vs the previous clustering:\n${unstated.join('\n')}`,
        });
      }
      // The agreement of the replicas pooled with the one shown (its sweep value's).
      if (replicas && replicas.group.members.length > 1) {
        const hierarchies = replicaHierarchies(lastEntry!);
        sections.push(
          ...(await replicaAgreementSections(
            replicas.group.members.map((r) => hierarchies[r]),
            lastEntry!.epoch,
            vocabulary,
            figuresDir,
          )),
        );
      }
      // How the found groups compare with the human-made hierarchy at the same widths.
      const rows = final!.levels
        .map((l) => {
          const imposed = DEFAULT_SHAKESPEARE_HIERARCHY.levels.find((i) => i.width === l.width);
          if (!imposed) return undefined;
          const [found, human] = [labelsOfLevel(l, vocabulary), labelsOfLevel(imposed, vocabulary)];
          return [
            l.width,
            Object.keys(l.groups).length,
            Object.keys(imposed.groups).length,
            formatMeanStd([adjustedRandIndex(found, human)], 3, ariUndefinedReason(found, human)),
          ];
        })
        .filter((r): r is (string | number)[] => r !== undefined);
      if (rows.length) {
        sections.push({
          kind: 'table',
          title: 'Found groups vs the imposed Shakespeare hierarchy (ARI, 1 = identical)',
          columns: ['width', 'found groups', 'imposed groups', 'ARI'],
          rows,
        });
      }
      const scores = separationByLevel(embedding, final!, vocabulary, raw ? 'raw' : 'layer-norm');
      sections.push({
        kind: 'table',
        title: 'Separation of the last targets by the final embeddings',
        columns: ['width', 'within - between', 'silhouette'],
        rows: Object.entries(scores).map(([w, s]) => [
          w,
          formatMeanStd([s.score], 3, s.undefinedBecause),
          formatMeanStd([s.silhouette], 3, s.undefinedBecause),
        ]),
      });
    } else {
      sections.push({
        kind: 'text',
        title: 'Groups',
        preformatted: `No re-clustering happened in this run (it needs more than ${settings.warmupEpochs} epoch${settings.warmupEpochs === 1 ? '' : 's'}).\nGroups the final embeddings would give: ${describeHierarchy(now, vocabulary.length)}`,
      });
    }
    // results.json: the last groups of the replicas pooled with the one shown (a run of one model: its own).
    const pooled = replicas?.group.members ?? [0];
    const finals = lastEntry ? pooled.map((r) => replicaHierarchies(lastEntry)[r]) : [];
    const mode = raw ? 'raw' : 'layer-norm';
    return {
      results: {
        emergent: emergentResults({
          hierarchies: finals,
          embeddings: replicas?.embeddings ?? [embedding],
          replicas: pooled,
          agreement: agreementBetweenReplicas(finals, vocabulary),
          history,
          vocabulary,
          mode,
        }),
      },
      sections,
      groupingName: 'the last found groups',
      groupsAtWidth: (m) => groupsAtWidth(final, m),
    };
  },
};

/** How alike the replicas' last groups are: ARI between every pair at each width, as a dot per width (mean, with a bar from min to max) and a table. */
async function replicaAgreementSections(
  hierarchies: readonly Hierarchy[],
  epoch: number,
  vocabulary: readonly string[],
  figuresDir: string,
): Promise<ReportSection[]> {
  const agreement = Object.entries(agreementBetweenReplicas(hierarchies, vocabulary));
  // Per width, a dot at the mean over the pairs and a bar from min to max: as wide for 8 replicas as for 2.
  const dots = agreement.flatMap(([w, { ari }]) => {
    const defined = ari.filter((v) => !Number.isNaN(v)); // an undefined ARI (no groups in either) is no dot; the table says n/a
    if (!defined.length) return [];
    const { mean, min, max } = meanStd(defined);
    return [
      {
        label: `width ${w}`,
        value: Number(mean.toFixed(3)),
        low: Number(min.toFixed(3)),
        high: Number(max.toFixed(3)),
      },
    ];
  });
  const sections: ReportSection[] = [];
  if (dots.length) {
    const svg = await renderDotChart({
      dots,
      title: `agreement between ${hierarchies.length} replicas' groups (1 = identical)`,
      subtitle: `ARI over the ${agreement[0]?.[1].ari.length ?? 0} pairs of replicas: dot the mean, bar min to max`,
      xTitle: 'width',
      yTitle: 'ARI',
      yDomain: [Math.min(0, ...dots.map((d) => d.low)), 1],
      outBase: join(figuresDir, 'replica-agreement'),
    });
    sections.push({
      kind: 'figures',
      title: `Do independent replicas find the same groups? (epoch ${epoch})`,
      figures: [{ caption: 'ARI between replicas per width', svg }],
    });
  }
  return [
    ...sections,
    {
      kind: 'table',
      title: "Agreement between replicas' groups (ARI, mean ± std over pairs) and how many groups each replica found",
      columns: ['width', 'ARI between replicas', 'groups per replica'],
      rows: agreement.map(([w, { ari, undefinedBecause }]) => [
        w,
        formatMeanStd(ari, 3, undefinedBecause),
        formatMeanStd(
          hierarchies.map((h) => Object.keys(h.levels.find((l) => l.width === Number(w))?.groups ?? {}).length),
          1,
        ),
      ]),
    },
  ];
}
