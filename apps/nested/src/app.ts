// Experiment 4 (docs/EXPERIMENTS.md, "Experiment 4"): the fully nested transformer; every width is a working GPT.
import { experimentDefaults, exportCommand, type AppDefinition } from '@matryoshka/experiment';
import { EXP4_DEFAULTS } from '@matryoshka/nested-transformer';
import { baselinesCommand, compareWithBaselines, lossDifference } from './baselines';

export const nestedApp: AppDefinition = {
  name: 'nested',
  description: 'Nested transformer: every width is a smaller working GPT inside the big one (experiment 4).',
  defaults: experimentDefaults(EXP4_DEFAULTS, { steps: 5000, evalInterval: 100 }, {}),
  analyze: ({ runDir }) => {
    const comparison = compareWithBaselines(runDir);
    if (!comparison.length) {
      return {
        sections: [
          {
            kind: 'text',
            title: 'Nested submodels vs models trained alone',
            preformatted: `No baselines yet: run  npx nx run nested:baselines -- --run ${runDir}  then analyze again.`,
          },
        ],
      };
    }
    const rows = comparison.map((c) => [c.width, c.nested?.toFixed(3) ?? '-', c.alone.toFixed(3), lossDifference(c)]);
    return {
      sections: [
        {
          kind: 'table',
          title: 'Nested submodels vs ordinary GPTs trained alone at the same width (val loss)',
          columns: ['width', 'nested submodel', 'trained alone', 'difference'],
          rows,
        },
      ],
    };
  },
  commands: {
    // Only a width-nested run holds standalone smaller models, so only this app exports one.
    export: { help: 'write one width of a nested run as a standalone model', run: (argv) => exportCommand(nestedApp, argv) },
    baselines: { help: 'train an ordinary GPT at each smaller width for comparison', run: (argv) => baselinesCommand(nestedApp, argv).then(() => undefined) },
  },
};
