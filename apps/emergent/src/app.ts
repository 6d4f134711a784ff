// Experiment 3 (docs/EXPERIMENTS.md, "Experiment 3"): categories found by clustering the model's own prefix
// embeddings during training (agglomerative, ml-hclust), fed back as soft targets.
// Its own lines: the re-clustering schedule, the hierarchy history, and its pictures.
import { join } from 'node:path';
import {
  disposeTargets,
  groupOrder,
  groupsAtWidth,
  hierarchyTargetTensors,
  replicaEmbeddingRows,
  replicaTargetTensors,
  separationByLevel,
  experimentDefaults,
  type AppDefinition,
} from '@matryoshka/experiment';
import {
  CUT_METHODS,
  DEFAULT_CLUSTER_OPTIONS,
  LINKAGES,
  adjustedRandIndex,
  discoverLevels,
  hierarchyStability,
  labelsOfLevel,
  type DiscoverOptions,
} from '@matryoshka/hierarchy-emergent';
import { DEFAULT_SHAKESPEARE_HIERARCHY, formatHierarchy, saveHierarchy, type Hierarchy } from '@matryoshka/hierarchy-imposed';
import { EXP1_DEFAULTS } from '@matryoshka/nested-transformer';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import { UserError, type FlagSpec } from '@matryoshka/training';
import { formatMeanStd, meanStd, renderBarChart, renderDendrogram, type ReportSection } from '@matryoshka/viz';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';

export const HISTORY_FILE = 'hierarchy-history.json';
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

const flags: FlagSpec[] = [
  { name: 'epochs', key: 'epochs', path: 'settings.epochs', type: 'int', min: 1, help: 'training epochs (steps = epochs x steps-per-epoch)' },
  { name: 'steps-per-epoch', key: 'stepsPerEpoch', path: 'settings.stepsPerEpoch', type: 'int', min: 1, help: 'steps per epoch' },
  { name: 'threshold', key: 'threshold', path: 'settings.threshold', type: 'number', min: 0, max: 2, help: 'cosine-distance cut of the tree (cut threshold)' },
  { name: 'min-group', key: 'minGroup', path: 'settings.minGroup', type: 'int', min: 1, help: 'smaller clusters become ungrouped tokens' },
  { name: 'linkage', key: 'linkage', path: 'settings.linkage', type: 'choice', choices: LINKAGES, help: 'agglomerative linkage' },
  { name: 'cut', key: 'cut', path: 'settings.cut', type: 'choice', choices: CUT_METHODS, help: 'threshold, k groups, or auto (best silhouette)' },
  { name: 'k', key: 'k', path: 'settings.k', type: 'int', min: 2, help: 'number of groups for --cut k' },
  { name: 'max-k', key: 'maxK', path: 'settings.maxK', type: 'int', min: 2, help: 'largest k tried by --cut auto' },
  { name: 'nest', key: 'nest', path: 'settings.nest', type: 'bool', help: "nest each level's groups inside the narrower level's groups" },
  { name: 'recluster-every', key: 'reclusterEvery', path: 'settings.reclusterEvery', type: 'int', min: 1, help: 're-cluster every N epochs' },
  { name: 'warmup-epochs', key: 'warmupEpochs', path: 'settings.warmupEpochs', type: 'int', min: 1, help: 'epochs of pure MRL before the first clustering' },
];

interface HistoryEntry {
  epoch: number;
  step: number;
  hierarchy: Hierarchy;
  /** ARI per width against the previous clustering (absent for the first). */
  stability?: Record<string, number>;
  /** A run of replicas: the hierarchies of replicas 1..R-1 (`hierarchy` is replica 0's), each found in its own embeddings. */
  otherReplicas?: Hierarchy[];
}

/** Every replica's hierarchy of a history entry, replica 0 first. */
function replicaHierarchies(entry: HistoryEntry): Hierarchy[] {
  return [entry.hierarchy, ...(entry.otherReplicas ?? [])];
}

/** ARI per width between every pair of replicas' hierarchies: width -> one value per pair. */
export function agreementBetweenReplicas(hierarchies: readonly Hierarchy[], vocabulary: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (let a = 0; a < hierarchies.length; a++) {
    for (let b = a + 1; b < hierarchies.length; b++) {
      for (const [width, ari] of Object.entries(hierarchyStability(hierarchies[a], hierarchies[b], vocabulary))) (out[width] ??= []).push(ari);
    }
  }
  return out;
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
export function isReclusterEpoch(epoch: number, settings: Pick<EmergentSettings, 'epochs' | 'warmupEpochs' | 'reclusterEvery'>): boolean {
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
      return `w${l.width}: ${sizes.length} groups (${sizes.join(', ') || '-'}), ${vocabularySize - grouped} ungrouped`;
    })
    .join('; ');
}

function readHistory(runDir: string): HistoryEntry[] {
  const file = join(runDir, HISTORY_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as HistoryEntry[]) : [];
}

export const emergentApp: AppDefinition<EmergentSettings> = {
  name: 'emergent',
  description: 'Emergent hierarchical embeddings: groups found by clustering prefix embeddings during training (experiment 3).',
  // Experiment 3: b=8 t=24, widths 4..32; 40 epochs x 250 steps.
  defaults: experimentDefaults(
    { ...EXP1_DEFAULTS, batchSize: 8, contextLength: 24, minPower: 2 },
    { steps: EMERGENT_DEFAULTS.epochs * EMERGENT_DEFAULTS.stepsPerEpoch, evalInterval: 50 },
    EMERGENT_DEFAULTS,
  ),
  trainFlags: flags,
  // The schedule is in epochs: a new run's steps follow from them; a resumed run's --steps sets them.
  finalize: (config, stage) => {
    const { settings, training } = config;
    if (settings.cut === 'k' && settings.k === undefined) throw new UserError('--cut k needs --k N');
    if (stage === 'new') return { ...config, training: { ...training, steps: settings.epochs * settings.stepsPerEpoch } };
    if (training.steps % settings.stepsPerEpoch !== 0) {
      throw new UserError(`--steps ${training.steps} must be a whole number of epochs of ${settings.stepsPerEpoch} steps`);
    }
    return { ...config, settings: { ...settings, epochs: training.steps / settings.stepsPerEpoch } };
  },
  prepareTraining: ({ runDir, config, model, log }) => {
    const vocabulary = config.vocabulary;
    let history: HistoryEntry[] = [];
    let targets: (tf.Tensor | null)[] | undefined;
    // A run of replicas: each replica clusters its own embeddings and trains on its own groups.
    const replicas = model.replicas;
    const useHierarchy = (entry: HistoryEntry | undefined) => {
      disposeTargets(targets);
      if (!entry) targets = undefined;
      else if (replicas === undefined) targets = hierarchyTargetTensors(entry.hierarchy, vocabulary, model.widths);
      else targets = replicaTargetTensors(replicaHierarchies(entry), vocabulary, model.widths);
    };
    const latest = () => history[history.length - 1];
    const current = () => latest()?.hierarchy;
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
          const scores = replicaEmbeddingRows(model.namedVariables(), replicas).map((rows, r) => separationByLevel(rows, hierarchies[r], vocabulary));
          // Per width, the mean over the replicas whose groups have that level and a finite score
          // (a silhouette is NaN when every grouped token is in one group): NaN when none has.
          const widths = [...new Set(scores.flatMap((s) => Object.keys(s)))];
          const meanOf = (w: string, field: 'score' | 'silhouette') => {
            const values = scores.flatMap((s) => (s[w] && Number.isFinite(s[w][field]) ? [s[w][field]] : []));
            return values.length ? meanStd(values).mean : NaN;
          };
          return { separation: Object.fromEntries(widths.map((w) => [w, { score: meanOf(w, 'score'), silhouette: meanOf(w, 'silhouette') }])) };
        },
        onEpochEnd: (epoch, { step }) => {
          if (!isReclusterEpoch(epoch, config.settings)) return;
          const [hierarchy, ...otherReplicas] = replicaEmbeddingRows(model.namedVariables(), replicas).map(
            (embeddings) => discoverLevels({ embeddings, vocabulary, widths: model.widths, options: clusterOptions(config.settings) }).hierarchy,
          );
          const previous = current();
          const stability = previous ? hierarchyStability(previous, hierarchy, vocabulary) : undefined;
          const entry: HistoryEntry = { epoch, step, hierarchy, stability, ...(replicas === undefined ? {} : { otherReplicas }) };
          history.push(entry);
          saveHierarchy(join(runDir, hierarchyFile(epoch)), hierarchy);
          writeFileAtomic(join(runDir, HISTORY_FILE), JSON.stringify(history) + '\n');
          const ari = stability ? `; ARI vs previous ${Object.entries(stability).map(([w, a]) => `w${w} ${a.toFixed(2)}`).join(', ')}` : '';
          const agreement =
            replicas === undefined
              ? ''
              : `; ARI between replicas ${Object.entries(agreementBetweenReplicas(replicaHierarchies(entry), vocabulary))
                  .map(([w, values]) => `w${w} ${meanStd(values).mean.toFixed(2)}`)
                  .join(', ')}`;
          log(`emergent: epoch ${epoch} (step ${step}) re-clustered${replicas === undefined ? '' : ' (replica 0)'}: ${describeHierarchy(hierarchy, vocabulary.length)}${ari}${agreement}`);
          useHierarchy(entry);
        },
      },
      dispose: () => disposeTargets(targets),
    };
  },
  analyze: async ({ runDir, figuresDir, config, embedding, raw, replicas, log }) => {
    const vocabulary = config.vocabulary;
    const { settings } = config;
    const history = readHistory(runDir);
    // The groups of the replica shown (replica 0 unless --replica).
    const lastEntry = history[history.length - 1];
    const final = lastEntry ? replicaHierarchies(lastEntry)[replicas?.index ?? 0] : undefined;
    const widths = [...new Set(history.flatMap((e) => e.hierarchy.levels.map((l) => l.width)))].sort((a, b) => a - b);
    const { levels, hierarchy: now } = discoverLevels({
      embeddings: embedding,
      vocabulary,
      widths: [...widths, config.model.width].filter((w, i, a) => a.indexOf(w) === i).sort((a, b) => a - b),
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
        preformatted: history.map((e) => `epoch ${e.epoch} (step ${e.step}): ${describeHierarchy(e.hierarchy, vocabulary.length)}`).join('\n') + '\n\nFinal:\n' + formatHierarchy(final!),
      });
      const bars = history
        .filter((e) => e.stability)
        .flatMap((e) => Object.entries(e.stability!).map(([w, ari]) => ({ label: `epoch ${e.epoch}`, value: Number(ari.toFixed(3)), group: `width ${w}` })));
      if (bars.length) {
        const svg = await renderBarChart({ bars, title: 'stability: adjusted Rand index vs the previous clustering', xTitle: 're-clustering', yTitle: 'ARI', outBase: join(figuresDir, 'stability') });
        sections.push({ kind: 'figures', title: 'Stability of the groups across re-clusterings (replica 0)', figures: [{ caption: 'ARI per width', svg }] });
      }
      // The agreement of the replicas pooled with the one shown (its sweep value's).
      if (replicas && replicas.group.members.length > 1) {
        const hierarchies = replicaHierarchies(lastEntry!);
        sections.push(...(await replicaAgreementSections(replicas.group.members.map((r) => hierarchies[r]), lastEntry!.epoch, vocabulary, figuresDir)));
      }
      // How the found groups compare with the human-made hierarchy at the same widths.
      const rows = final!.levels
        .map((l) => {
          const imposed = DEFAULT_SHAKESPEARE_HIERARCHY.levels.find((i) => i.width === l.width);
          if (!imposed) return undefined;
          const ari = adjustedRandIndex(labelsOfLevel(l, vocabulary), labelsOfLevel(imposed, vocabulary));
          return [l.width, Object.keys(l.groups).length, Object.keys(imposed.groups).length, ari.toFixed(3)];
        })
        .filter((r): r is (string | number)[] => r !== undefined);
      if (rows.length) {
        sections.push({ kind: 'table', title: 'Found groups vs the imposed Shakespeare hierarchy (ARI, 1 = identical)', columns: ['width', 'found groups', 'imposed groups', 'ARI'], rows });
      }
      const scores = separationByLevel(embedding, final!, vocabulary, raw ? 'raw' : 'layer-norm');
      sections.push({
        kind: 'table',
        title: 'Separation of the last targets by the final embeddings',
        columns: ['width', 'within - between', 'silhouette'],
        rows: Object.entries(scores).map(([w, s]) => [w, s.score.toFixed(3), s.silhouette.toFixed(3)]),
      });
    } else {
      sections.push({ kind: 'text', title: 'Groups', preformatted: `No re-clustering happened in this run (it needs more than ${settings.warmupEpochs} epoch(s)).\nGroups the final embeddings would give: ${describeHierarchy(now, vocabulary.length)}` });
    }
    return {
      sections,
      groupingName: 'the last found groups',
      orderAtWidth: (m) => {
        const groups = groupsAtWidth(final, m);
        return groups.length ? groupOrder(vocabulary, groups) : undefined;
      },
    };
  },
};

/** How alike the replicas' last groups are: ARI between every pair at each width, as bars (mean, min, max) and a table. */
async function replicaAgreementSections(hierarchies: readonly Hierarchy[], epoch: number, vocabulary: readonly string[], figuresDir: string): Promise<ReportSection[]> {
  const agreement = Object.entries(agreementBetweenReplicas(hierarchies, vocabulary));
  const bars = agreement.flatMap(([w, values]) => {
    const { mean, min, max } = meanStd(values);
    return [
      { label: 'min', value: Number(min.toFixed(3)), group: `width ${w}` },
      { label: 'mean', value: Number(mean.toFixed(3)), group: `width ${w}` },
      { label: 'max', value: Number(max.toFixed(3)), group: `width ${w}` },
    ];
  });
  const svg = await renderBarChart({
    bars,
    title: `agreement between ${hierarchies.length} replicas' groups (ARI over ${agreement[0]?.[1].length ?? 0} pairs; 1 = identical)`,
    xTitle: 'over the pairs of replicas',
    yTitle: 'ARI',
    outBase: join(figuresDir, 'replica-agreement'),
  });
  return [
    { kind: 'figures', title: `Do independent replicas find the same groups? (epoch ${epoch})`, figures: [{ caption: 'ARI between replicas per width', svg }] },
    {
      kind: 'table',
      title: "Agreement between replicas' groups (ARI, mean ± std over pairs) and how many groups each replica found",
      columns: ['width', 'ARI between replicas', 'groups per replica'],
      rows: agreement.map(([w, values]) => [
        w,
        formatMeanStd(values),
        formatMeanStd(hierarchies.map((h) => Object.keys(h.levels.find((l) => l.width === Number(w))?.groups ?? {}).length), 1),
      ]),
    },
  ];
}
