// Experiment 4 (docs/EXPERIMENTS.md, "Experiment 4"): the fully nested transformer; every width
// is a working GPT. `--nest` picks what is nested (docs/EXPERIMENTS.md, "Nesting modes and
// Mix'n'Match"): the seed's whole width, MatFormer's FFN only, or width and depth.
import {
  baselineResults,
  experimentDefaults,
  exportCommand,
  type AppDefinition,
  type FlagSpec,
} from '@matryoshka/experiment';
import { formatMeanStd, type ReportSection } from '@matryoshka/viz';
import { EXP4_DEFAULTS } from '@matryoshka/nested-transformer';
import { baselinesCommand, compareWithBaselines, lossDifference, type BaselineComparison } from './baselines';
import { faceOffCommand } from './face-off';
import { formatFront, mixCommand, readMixFile } from './mix';

const nestFlags: FlagSpec[] = [
  {
    name: 'nest',
    path: 'model.nesting',
    type: 'choice',
    choices: ['width', 'ffn', 'width+depth'],
    help:
      "what the nested widths cut: 'width' = everything (embeddings, attention, FFN, residual stream); " +
      "'ffn' (MatFormer) = only each FFN's hidden units (4m); 'width+depth' = everything, and submodel m_k runs only its first l_k layers",
  },
  {
    name: 'layers-per-width',
    path: 'model.layersPerWidth',
    type: 'int',
    list: true,
    min: 1,
    help: '--nest width+depth: l_k, the layers each nested width runs, smallest first (the last = --layers)',
    defaultHelp: 'ceil(layers x m_k / width)',
  },
];

export const nestedApp: AppDefinition = {
  name: 'nested',
  description:
    'Nested transformer: every width is a smaller working GPT inside the big one (experiment 4; --nest ffn is MatFormer).',
  defaults: experimentDefaults(EXP4_DEFAULTS, { steps: 5000, evalInterval: 100 }, {}),
  trainFlags: nestFlags,
  analyze: ({ runDir }) => {
    const comparison = compareWithBaselines(runDir);
    return {
      sections: [...baselineSections(runDir, comparison), ...mixSections(runDir)],
      results: { nested: baselineResults(comparison) },
    };
  },
  commands: {
    // Only a nested run holds standalone smaller models, so only this app exports one.
    export: {
      help: "write one width, or one Mix'n'Match mix, of a nested run as a standalone model",
      run: (argv) => exportCommand(nestedApp, argv),
    },
    baselines: {
      help: 'train an ordinary GPT at each smaller width for comparison',
      run: (argv) => baselinesCommand(nestedApp, argv).then(() => undefined),
    },
    mix: {
      help: "evaluate Mix'n'Match mixes (one width per layer): val loss vs FLOPs, Pareto front",
      run: (argv) => mixCommand(nestedApp, argv),
    },
    'face-off': {
      help: 'train every nesting x regime for the same time, and GPTs alone per width; compare at equal FLOPs',
      run: (argv) => faceOffCommand(nestedApp, argv),
    },
  },
};

function baselineSections(runDir: string, comparison: readonly BaselineComparison[]): ReportSection[] {
  if (!comparison.length) {
    return [
      {
        kind: 'text',
        title: 'Nested submodels vs models trained alone',
        preformatted: `No baselines yet: run  npx nx run nested:baselines -- --run ${runDir}  then analyze again.`,
      },
    ];
  }
  const rows = comparison.map((c) => [
    c.width,
    c.nested ? formatMeanStd(c.nested) : '-',
    formatMeanStd(c.alone),
    lossDifference(c),
  ]);
  return [
    {
      kind: 'table',
      title: `Nested submodels vs ordinary GPTs trained alone at the same width (val loss${comparison[0].alone.length > 1 ? `, mean ± std over ${comparison[0].alone.length} replicas; * = the paired difference exceeds its spread` : ''})`,
      columns: ['width', 'nested submodel', 'trained alone', 'difference'],
      rows,
    },
  ];
}

function mixSections(runDir: string): ReportSection[] {
  const mix = readMixFile(runDir);
  if (!mix) {
    return [
      {
        kind: 'text',
        title: "Mix'n'Match",
        preformatted: `Not evaluated yet: run  npx nx run nested:mix -- --run ${runDir}  then analyze again.`,
      },
    ];
  }
  const { file, svg } = mix;
  const sections: ReportSection[] = [];
  if (svg)
    sections.push({
      kind: 'figures',
      title: `Mix'n'Match at step ${file.step}: ${file.points.length} points`,
      figures: [{ caption: 'val loss vs forward FLOPs per token; the dashed line is the Pareto front', svg }],
    });
  sections.push({ kind: 'text', title: "Mix'n'Match: the Pareto front", preformatted: formatFront(file.points) });
  return sections;
}
