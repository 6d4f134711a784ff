import { BACKEND_CHOICES } from '@matryoshka/matryoshka-layers';
import { UserError } from './cli/errors';
import { formatUsage, mergeFlagSpecs, parseFlags } from './cli/flags';
import { analyzeFlags, backendFlag, COMMON_TRAINING, sampleFlags, trainFlags } from './settings';

const names = (specs: readonly { name: string }[]) => specs.map((spec) => spec.name);

describe('the shared flags of the command-line contract', () => {
  it('train has every contract flag', () => {
    expect(names(trainFlags)).toEqual(
      expect.arrayContaining([
        'out',
        'resume',
        'data',
        'steps',
        'eval-interval',
        'eval-iters',
        'batch',
        'context',
        'width',
        'min-power',
        'layers',
        'heads',
        'dropout',
        'lr',
        'weight-decay',
        'seed',
        'backend',
        'checkpoint-every',
        'warmup',
        'min-lr',
        'clip-norm',
        'importance',
        'init-seed',
        'no-decay',
      ]),
    );
  });

  it('sample and analyze have theirs', () => {
    expect(names(sampleFlags)).toEqual(
      expect.arrayContaining(['run', 'width', 'prompt', 'tokens', 'temperature', 'top-k', 'seed', 'greedy', 'backend']),
    );
    expect(names(analyzeFlags)).toEqual(expect.arrayContaining(['run', 'raw', 'backend']));
  });

  it('parses a realistic train command line into a run config: the model and the loop in their places', () => {
    // An app's defaults (per experiment, in its app.ts); this is a stand-in.
    const defaults = {
      model: { contextLength: 16, width: 32, heads: 4, layers: 4, minPower: 3, dropout: 0.2, seed: 1337 },
      training: { ...COMMON_TRAINING, batchSize: 4, steps: 5000, evalInterval: 50 },
      settings: { extra: 'kept' },
    };
    const config = parseFlags(
      [
        '--steps',
        '20',
        '--backend',
        'cpu',
        '--importance',
        '1,1,2',
        '--weight-decay=0',
        '--context',
        '8',
        '--batch',
        '2',
        '--seed',
        '5',
        '--init-seed',
        '7',
      ],
      trainFlags,
      { defaults },
    );
    expect(config).toEqual({
      backend: 'cpu',
      model: { ...defaults.model, contextLength: 8, seed: 7 },
      training: { ...defaults.training, steps: 20, importance: [1, 1, 2], weightDecay: 0, batchSize: 2, seed: 5 },
      settings: { extra: 'kept' },
    });
    // The defaults object is not modified.
    expect(defaults.training.steps).toBe(5000);
    expect(formatUsage(trainFlags, { defaults })).toMatch(/--context N +context length in tokens \(t\) \(default 16\)/);
  });

  it('sample takes --width N or all and requires --run', () => {
    expect(parseFlags(['--run', 'r', '--width', 'all', '--greedy'], sampleFlags)).toEqual({
      run: 'r',
      width: 'all',
      greedy: true,
    });
    expect(parseFlags(['--run', 'r', '--width', '16'], sampleFlags)).toEqual({ run: 'r', width: 16 });
    expect(() => parseFlags([], sampleFlags)).toThrow('missing required flag --run DIR');
  });

  it('an app adds its own flags', () => {
    const emergent = mergeFlagSpecs(trainFlags, [
      { name: 'epochs', path: 'settings.epochs', type: 'int', min: 1, help: 'epochs' },
      {
        name: 'linkage',
        path: 'settings.linkage',
        type: 'choice',
        choices: ['average', 'complete', 'single'],
        help: 'linkage',
      },
    ]);
    expect(parseFlags(['--epochs', '3', '--linkage', 'single', '--steps', '5'], emergent)).toEqual({
      settings: { epochs: 3, linkage: 'single' },
      training: { steps: 5 },
    });
    expect(formatUsage(emergent)).toContain('--linkage average|complete|single');
  });

  it('--backend offers exactly the engine backend choices', () => {
    expect(backendFlag.choices).toEqual(BACKEND_CHOICES);
    expect(() => parseFlags(['--backend', 'gpu'], trainFlags)).toThrow(UserError);
  });
});
