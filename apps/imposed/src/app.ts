// Experiment 2 (docs/EXPERIMENTS.md, "Experiment 2"): small prefixes trained to predict human-defined categories of
// the next token, given as a hierarchy file. Its own lines: load + validate the hierarchy, turn
// it into target matrices, and score how well each level's groups separate.
import { basename, join } from 'node:path';
import {
  disposeTargets,
  groupsAtWidth,
  hierarchySeparation,
  hierarchyTargetTensors,
  loadCheckedHierarchy,
  replicaEmbeddingRows,
  separationAcrossReplicas,
  experimentDefaults,
  type AppDefinition,
  UserError,
  type FlagSpec,
} from '@matryoshka/experiment';
import { DEFAULT_HIERARCHY_PATH, loadHierarchy, saveHierarchy, type Hierarchy } from '@matryoshka/hierarchy-imposed';
import { nestingWidths } from '@matryoshka/matryoshka-layers';
import { EXP1_DEFAULTS } from '@matryoshka/nested-transformer';
import { formatMeanStd, meanStd } from '@matryoshka/viz';

export const IMPOSED_HIERARCHY_FILE = 'hierarchy-imposed.json';

/** The app's own settings: the hierarchy file, and (in a run's config) the hierarchy itself. */
export interface ImposedSettings {
  hierarchy: string;
  /** Stored in config.json when the run starts: the run is reproducible from config.json alone. */
  hierarchyData?: Hierarchy;
}

const hierarchyFlag: FlagSpec = {
  name: 'hierarchy',
  path: 'settings.hierarchy',
  type: 'string',
  metavar: 'FILE',
  help: 'hierarchy JSON file (format: packages/hierarchy-imposed/README.md)',
  defaultHelp: `the shipped Shakespeare one, hierarchy-imposed's ${basename(DEFAULT_HIERARCHY_PATH)}`,
};

// The mean over the replicas; NaN (null in metrics.jsonl) where the score is undefined (a level of one group).
const definedMean = (values: number[]) => (values.some((v) => Number.isNaN(v)) ? Number.NaN : meanStd(values).mean);
const meanScores = (scores: ReturnType<typeof separationAcrossReplicas>) =>
  Object.fromEntries(
    Object.entries(scores).map(([w, s]) => [w, { score: definedMean(s.score), silhouette: definedMean(s.silhouette) }]),
  );

export const imposedApp: AppDefinition<ImposedSettings> = {
  name: 'imposed',
  description: 'Imposed hierarchical embeddings: prefixes predict the categories of a hierarchy file (experiment 2).',
  // Experiment 2: as experiment 1 with widths 2..32, 1000 steps.
  defaults: experimentDefaults(
    { ...EXP1_DEFAULTS, minPower: 1 },
    { steps: 1000, evalInterval: 50 },
    { hierarchy: DEFAULT_HIERARCHY_PATH },
  ),
  trainFlags: [hierarchyFlag],
  finalize: (config, stage) => {
    if (stage === 'resume') return config;
    // Store the hierarchy itself in config.json: the run is reproducible from it alone.
    const file = config.settings.hierarchy;
    const widths = nestingWidths(config.model.width, config.model.minPower);
    let hierarchy: Hierarchy;
    try {
      hierarchy = loadHierarchy(file);
    } catch (error) {
      throw new UserError(`--hierarchy: ${(error as Error).message}`);
    }
    if (hierarchy.levels.some((l) => !widths.includes(l.width) || l.width === widths[widths.length - 1])) {
      throw new UserError(
        `--hierarchy ${file}: levels at widths ${hierarchy.levels.map((l) => l.width).join(', ')} but this model's widths below the full one are ${widths.slice(0, -1).join(', ')} (check --min-power/--width)`,
      );
    }
    loadCheckedHierarchy(file, config.vocabulary, widths);
    return { ...config, settings: { ...config.settings, hierarchyData: hierarchy } };
  },
  prepareTraining: ({ runDir, config, model, resumed, log }) => {
    // A new run keeps its own copy, so it stays reproducible if the file changes later.
    const file = join(runDir, IMPOSED_HIERARCHY_FILE);
    const hierarchy = config.settings.hierarchyData ?? loadHierarchy(file);
    if (!resumed) saveHierarchy(file, hierarchy);
    log(
      `imposed: hierarchy "${hierarchy.name}" with levels at widths ${hierarchy.levels.map((l) => `${l.width} (${Object.keys(l.groups).length} group${Object.keys(l.groups).length === 1 ? '' : 's'})`).join(', ')}`,
    );
    const targets = hierarchyTargetTensors(hierarchy, config.vocabulary, model.widths);
    return {
      targets: () => targets,
      hooks: {
        // The separation of each replica's embeddings; the record keeps their mean.
        onEval: () => ({
          separation: meanScores(
            separationAcrossReplicas(replicaEmbeddingRows(model.namedVariables()), hierarchy, config.vocabulary),
          ),
        }),
      },
      dispose: () => disposeTargets(targets),
    };
  },
  analyze: ({ runDir, config, embedding, raw, replicas }) => {
    const hierarchy = config.settings.hierarchyData ?? loadHierarchy(join(runDir, IMPOSED_HIERARCHY_FILE));
    const mode = raw ? 'raw' : 'layer-norm';
    // The embeddings of the replicas pooled with the one shown (a run of one model: its own): cells are mean ± std over them.
    const scores = separationAcrossReplicas(replicas?.embeddings ?? [embedding], hierarchy, config.vocabulary, mode);
    const over = replicas ? `, mean ± std over ${replicas.embeddings.length} replicas` : '';
    return {
      results: {
        imposed: {
          separation: hierarchySeparation(hierarchy, mode, replicas?.group.members ?? [0], scores),
        },
      },
      groupingName: `the imposed groups of "${hierarchy.name}"`,
      groupsAtWidth: (m) => groupsAtWidth(hierarchy, m),
      sections: [
        {
          kind: 'table',
          title: `Separation of the imposed groups per level (${raw ? 'raw' : 'layer-normed'} prefixes${over})`,
          columns: ['width', 'groups', 'mean cos within', 'mean cos between', 'within - between', 'silhouette'],
          rows: hierarchy.levels.map((l) => {
            const s = scores[String(l.width)];
            const cell = (values: number[] | undefined) =>
              values ? formatMeanStd(values, 3, s?.undefinedBecause) : '-';
            return [
              l.width,
              Object.keys(l.groups).join(', '),
              cell(s?.withinMean),
              cell(s?.betweenMean),
              cell(s?.score),
              cell(s?.silhouette),
            ];
          }),
        },
      ],
    };
  },
};
