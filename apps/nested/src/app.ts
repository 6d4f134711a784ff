// Experiment 4 (EXPERIMENTS.md): the fully nested transformer; every width is a working GPT.
import { readMetrics, METRICS_FILE } from '@matryoshka/training';
import type { AppDefinition } from '@matryoshka/experiment';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { baselineValLosses, baselinesCommand } from './baselines';

export const nestedApp: AppDefinition = {
  name: 'nested',
  description: 'Nested transformer: every width is a smaller working GPT inside the big one (experiment 4).',
  analyze: ({ runDir, model }) => {
    const baselines = baselineValLosses(runDir);
    if (!Object.keys(baselines).length) {
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
    const metricsFile = join(runDir, METRICS_FILE);
    const records = existsSync(metricsFile) ? readMetrics(metricsFile) : [];
    const last = records[records.length - 1];
    const rows = model.widths
      .filter((m) => baselines[String(m)] !== undefined)
      .map((m) => {
        const nested = last?.val[String(m)];
        const alone = baselines[String(m)];
        return [m, nested?.toFixed(3) ?? '-', alone.toFixed(3), nested === undefined ? '-' : (nested - alone).toFixed(3)];
      });
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
    baselines: { help: 'train an ordinary GPT at each smaller width for comparison', run: (argv) => baselinesCommand(nestedApp, argv).then(() => undefined) },
  },
};
