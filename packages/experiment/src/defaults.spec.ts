import { checkModelShape } from '@matryoshka/training';
import { configWidths, resolveConfig } from '@matryoshka/nested-transformer';
import { APP_NAMES, EXPERIMENT_DEFAULTS } from './defaults';
import { modelConfigOf } from './run-config';

// The defaults are those of docs/EXPERIMENTS.md, "Defaults per app"; these figures are copied from that document, not from code.
const DOCUMENTED = {
  'mrl-embeddings': { batch: 4, context: 16, width: 32, heads: 4, layers: 4, dropout: 0.2, widths: [8, 16, 32], steps: 5000 },
  imposed: { batch: 4, context: 16, width: 32, heads: 4, layers: 4, dropout: 0.2, widths: [2, 4, 8, 16, 32], steps: 1000 },
  emergent: { batch: 8, context: 24, width: 32, heads: 4, layers: 4, dropout: 0.2, widths: [4, 8, 16, 32], steps: 40 * 250 },
  nested: { batch: 16, context: 64, width: 128, heads: 4, layers: 8, dropout: 0.1, widths: [32, 64, 128], steps: 5000 },
} as const;

describe('EXPERIMENT_DEFAULTS', () => {
  it.each(APP_NAMES)('%s: matches docs/EXPERIMENTS.md, "Defaults per app", and builds a valid model', (app) => {
    const settings = EXPERIMENT_DEFAULTS[app];
    const doc = DOCUMENTED[app];
    expect({
      batch: settings.batch,
      context: settings.context,
      width: settings.width,
      heads: settings.heads,
      layers: settings.layers,
      dropout: settings.dropout,
      steps: settings.steps,
    }).toEqual({ batch: doc.batch, context: doc.context, width: doc.width, heads: doc.heads, layers: doc.layers, dropout: doc.dropout, steps: doc.steps });
    expect(() => checkModelShape({ ...settings, importance: settings.importance ?? undefined })).not.toThrow();
    const model = modelConfigOf({ ...settings, app, vocabulary: ['a', 'b', 'c'] });
    expect(() => resolveConfig(model)).not.toThrow();
    expect(configWidths(resolveConfig(model))).toEqual([...doc.widths]);
  });
});
