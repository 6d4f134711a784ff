import { BACKEND_CHOICES } from '@matryoshka/matryoshka-layers';
import { analyzeFlags, backendFlag, checkModelShape, commonTrainDefaults, sampleFlags, trainFlags } from './common-flags';
import { UserError } from './errors';
import { formatUsage, mergeFlagSpecs, parseFlags } from './flags';

const names = (specs: readonly { name: string }[]) => specs.map((spec) => spec.name);

describe('the shared flags of the command-line contract', () => {
  it('train has every contract flag', () => {
    expect(names(trainFlags)).toEqual(
      expect.arrayContaining([
        'out', 'resume', 'data', 'steps', 'eval-interval', 'eval-iters', 'batch', 'context', 'width',
        'min-power', 'layers', 'heads', 'dropout', 'lr', 'weight-decay', 'seed', 'backend',
        'checkpoint-every', 'warmup', 'min-lr', 'clip-norm', 'importance',
      ]),
    );
  });

  it('sample and analyze have theirs', () => {
    expect(names(sampleFlags)).toEqual(
      expect.arrayContaining(['run', 'width', 'prompt', 'tokens', 'temperature', 'top-k', 'seed', 'greedy', 'backend']),
    );
    expect(names(analyzeFlags)).toEqual(expect.arrayContaining(['run', 'raw', 'backend']));
  });

  it('parses a realistic train command line over an app defaults object', () => {
    // Per-experiment defaults live in @matryoshka/experiment (defaults.ts); this is a stand-in.
    const defaults = { ...commonTrainDefaults, batch: 4, context: 16, width: 32, heads: 4, layers: 4, minPower: 3, steps: 5000 };
    const config = parseFlags(
      ['--steps', '20', '--backend', 'cpu', '--importance', '1,1,2', '--weight-decay=0'],
      trainFlags,
      { defaults },
    );
    expect(config).toMatchObject({ steps: 20, backend: 'cpu', importance: [1, 1, 2], weightDecay: 0, width: 32, lr: 3e-4 });
    expect(() => checkModelShape(config)).not.toThrow();
  });

  it('sample takes --width N or all and requires --run', () => {
    expect(parseFlags(['--run', 'r', '--width', 'all', '--greedy'], sampleFlags)).toEqual({ run: 'r', width: 'all', greedy: true });
    expect(parseFlags(['--run', 'r', '--width', '16'], sampleFlags)).toEqual({ run: 'r', width: 16 });
    expect(() => parseFlags([], sampleFlags)).toThrow('missing required flag --run DIR');
  });

  it('an app adds its own flags', () => {
    const emergent = mergeFlagSpecs(trainFlags, [
      { name: 'epochs', key: 'epochs', type: 'int', min: 1, help: 'epochs' },
      { name: 'linkage', key: 'linkage', type: 'choice', choices: ['average', 'complete', 'single'], help: 'linkage' },
    ]);
    expect(parseFlags(['--epochs', '3', '--linkage', 'single', '--steps', '5'], emergent)).toEqual({
      epochs: 3,
      linkage: 'single',
      steps: 5,
    });
    expect(formatUsage(emergent)).toContain('--linkage average|complete|single');
  });

  it('--backend offers exactly the engine backend choices', () => {
    expect(backendFlag.choices).toEqual(BACKEND_CHOICES);
    expect(() => parseFlags(['--backend', 'gpu'], trainFlags)).toThrow(UserError);
  });
});

describe('checkModelShape', () => {
  it.each([
    [{ width: 48 }, '--width must be a power of two, got 48'],
    [{ width: 32, minPower: 6 }, '--min-power 6 gives a smallest width of 64, larger than --width 32'],
    [{ width: 32, heads: 3 }, '--heads 3 must divide --width 32'],
    [{ width: 32, minPower: 3, importance: [1, 1] }, '--importance has 2 values but there are 3 nested widths (2^3 .. 32)'],
  ])('%j -> %s', (config, message) => {
    expect(() => checkModelShape(config)).toThrow(new UserError(message));
  });
});
