import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { HelpRequested, UserError } from './errors';
import { type FlagSpec, type SettingsAt, formatUsage, mergeFlagSpecs, parseFlags, settingDefaults } from './flags';

const specs: FlagSpec[] = [
  { name: 'steps', type: 'int', min: 1, help: 'total steps' },
  { name: 'eval-interval', type: 'int', min: 1, help: 'evaluate every N steps' },
  { name: 'lr', type: 'number', min: 0, help: 'learning rate' },
  { name: 'dropout', type: 'number', min: 0, max: 0.99, help: 'dropout probability' },
  { name: 'prompt', type: 'string', metavar: 'TEXT', help: 'text to continue' },
  { name: 'raw', type: 'bool', help: 'raw prefixes' },
  { name: 'backend', type: 'choice', choices: ['node', 'wasm', 'cpu'], help: 'backend' },
  { name: 'importance', type: 'number', list: true, min: 0, help: 'weights' },
  { name: 'width', type: 'int', min: 1, alsoAccepts: ['all'], help: 'width' },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'flags-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function configFile(content: string, name = 'config.json'): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

function userErrorOf(argv: string[], options = {}): string {
  const error = errorOf(() => parseFlags(argv, specs, options));
  expect(error).toBeInstanceOf(UserError);
  return error.message;
}

describe('parseFlags values', () => {
  it('reads --flag value and --flag=value into camelCase keys', () => {
    expect(parseFlags(['--steps', '10', '--eval-interval=5', '--lr', '3e-4', '--prompt=a=b'], specs)).toEqual({
      steps: 10,
      evalInterval: 5,
      lr: 3e-4,
      prompt: 'a=b',
    });
  });

  it('reads bool flags as --raw, --no-raw and --raw=false', () => {
    expect(parseFlags(['--raw'], specs)).toEqual({ raw: true });
    expect(parseFlags(['--no-raw'], specs, { defaults: { raw: true } })).toEqual({ raw: false });
    expect(parseFlags(['--raw=false'], specs)).toEqual({ raw: false });
  });

  it('reads lists, choices, extra words and negative numbers as values', () => {
    expect(parseFlags(['--importance', '1,0.5, 0.25', '--backend', 'wasm', '--width', 'all'], specs)).toEqual({
      importance: [1, 0.5, 0.25],
      backend: 'wasm',
      width: 'all',
    });
    expect(parseFlags(['--prompt', '-x'], specs)).toEqual({ prompt: '-x' });
  });

  it('ignores a bare -- separator and lets the last repeated flag win', () => {
    expect(parseFlags(['--', '--steps', '1', '--steps', '2'], specs)).toEqual({ steps: 2 });
  });

  it('reads flags after a -- anywhere, and a -- where a value should be is a missing value', () => {
    expect(parseFlags(['--steps', '1', '--', '--lr', '0.5', '--', '--raw'], specs)).toEqual({
      steps: 1,
      lr: 0.5,
      raw: true,
    });
    expect(userErrorOf(['--prompt', '--', 'x'])).toBe('missing value for --prompt (expected a string)');
  });

  it('leaves unset keys out and passes defaults through', () => {
    expect(parseFlags([], specs, { defaults: { steps: 5000, vocabulary: 'abc' } })).toEqual({
      steps: 5000,
      vocabulary: 'abc',
    });
  });
});

describe('parseFlags precedence: defaults < --config file < flags', () => {
  it('applies each layer over the one before', () => {
    const file = configFile(JSON.stringify({ steps: 200, 'eval-interval': 20, lr: 0.001 }));
    const config = parseFlags(['--config', file, '--steps', '7'], specs, {
      defaults: { steps: 5000, evalInterval: 50, lr: 3e-4, dropout: 0.2 },
    });
    expect(config).toEqual({ steps: 7, evalInterval: 20, lr: 0.001, dropout: 0.2 });
  });

  it('lets flags win even when --config comes after them', () => {
    const file = configFile('{"steps": 200}');
    expect(parseFlags(['--steps=3', `--config=${file}`], specs)).toEqual({ steps: 3 });
  });

  it('accepts natural JSON types and text in the config file', () => {
    const file = configFile(
      JSON.stringify({
        raw: true,
        importance: [1, 2],
        backend: 'cpu',
        width: 'all',
        dropout: '0.5',
        evalInterval: '9',
      }),
    );
    expect(parseFlags(['--config', file], specs)).toEqual({
      raw: true,
      importance: [1, 2],
      backend: 'cpu',
      width: 'all',
      dropout: 0.5,
      evalInterval: 9,
    });
  });

  it('refuses --config when config files are not allowed', () => {
    expect(userErrorOf(['--config', 'x.json'], { allowConfigFile: false })).toMatch(/unknown flag --config/);
  });
});

describe('parseFlags errors name the flag and the bad value', () => {
  it('unknown flag, with the closest known flag suggested', () => {
    expect(userErrorOf(['--stpes', '10'])).toBe('unknown flag --stpes; did you mean --steps?');
    expect(userErrorOf(['--eval-intervall=3'])).toBe('unknown flag --eval-intervall; did you mean --eval-interval?');
    expect(userErrorOf(['-steps', '3'])).toBe('unknown flag -steps; did you mean --steps?');
    expect(userErrorOf(['--zzzzzzzzzz'])).toBe('unknown flag --zzzzzzzzzz; see --help for the flags');
    expect(userErrorOf(['--no-steps'])).toMatch(/^unknown flag --no-steps/);
  });

  it('missing value', () => {
    expect(userErrorOf(['--steps'])).toBe('missing value for --steps (expected an integer)');
    expect(userErrorOf(['--lr', '--steps', '3'])).toBe('missing value for --lr (expected a number)');
    expect(userErrorOf(['--config'])).toBe('missing value for --config (expected a JSON file)');
  });

  it('not an integer / not a number', () => {
    expect(userErrorOf(['--steps', 'ten'])).toBe('--steps must be an integer, got "ten"');
    expect(userErrorOf(['--steps', '1.5'])).toBe('--steps must be an integer, got "1.5"');
    expect(userErrorOf(['--steps='])).toBe('--steps must be an integer, got ""');
    expect(userErrorOf(['--lr', '0x10'])).toBe('--lr must be a number, got "0x10"');
    expect(userErrorOf(['--width', 'big'])).toBe('--width must be an integer or "all", got "big"');
  });

  it('out of range', () => {
    expect(userErrorOf(['--steps', '0'])).toBe('--steps must be at least 1, got 0');
    expect(userErrorOf(['--dropout', '1.5'])).toBe('--dropout must be between 0 and 0.99, got 1.5');
    expect(userErrorOf(['--importance', '1,-2'])).toBe('--importance must be at least 0, got -2');
  });

  it('bad list element', () => {
    expect(userErrorOf(['--importance', '1,x'])).toBe(
      '--importance must be a comma-separated list of numbers, got "1,x" ("x" is not valid)',
    );
  });

  it('bad choice, listing the choices', () => {
    expect(userErrorOf(['--backend', 'gpu'])).toBe('--backend must be one of node, wasm, cpu, got "gpu"');
  });

  it('bad bool value', () => {
    expect(userErrorOf(['--raw=maybe'])).toBe('--raw must be true or false, got "maybe"');
    expect(userErrorOf(['--no-raw=1'])).toBe('--no-raw takes no value, got "1"');
  });

  it('stray argument', () => {
    expect(userErrorOf(['10'])).toMatch(/^unexpected argument "10"/);
  });

  it('missing required flag', () => {
    const required: FlagSpec[] = [{ name: 'run', type: 'string', metavar: 'DIR', required: true, help: 'run' }];
    expect(errorOf(() => parseFlags([], required)).message).toBe('missing required flag --run DIR');
    expect(parseFlags(['--run', 'runs/x'], required)).toEqual({ run: 'runs/x' });
  });
});

describe('conflicting flags', () => {
  const sampling: FlagSpec[] = [
    { name: 'temperature', type: 'number', min: 0, help: 'softmax temperature' },
    { name: 'top-k', type: 'int', min: 1, help: 'top k' },
    {
      name: 'greedy',
      type: 'bool',
      help: 'argmax',
      conflicts: { temperature: 'greedy has no temperature', 'top-k': 'greedy has no top k' },
    },
  ];

  it('refuses two conflicting flags in one line naming both and why, whichever comes first', () => {
    expect(errorOf(() => parseFlags(['--greedy', '--temperature', '0.5'], sampling))).toEqual(
      new UserError('--greedy and --temperature cannot be given together: greedy has no temperature'),
    );
    expect(errorOf(() => parseFlags(['--top-k', '3', '--greedy'], sampling)).message).toBe(
      '--greedy and --top-k cannot be given together: greedy has no top k',
    );
  });

  it('counts a flag from the config file as given, and a false bool or a default as not', () => {
    const file = configFile('{"temperature": 0.5}');
    expect(errorOf(() => parseFlags(['--config', file, '--greedy'], sampling)).message).toBe(
      '--greedy and --temperature cannot be given together: greedy has no temperature',
    );
    expect(parseFlags(['--no-greedy', '--temperature', '0.5'], sampling)).toEqual({ greedy: false, temperature: 0.5 });
    expect(parseFlags(['--greedy'], sampling, { defaults: { temperature: 1 } })).toEqual({
      greedy: true,
      temperature: 1,
    });
  });

  it('shows the conflict in --help on both flags', () => {
    const usage = formatUsage(sampling);
    expect(usage).toMatch(/--temperature X +softmax temperature \(not with --greedy\)\n/);
    expect(usage).toMatch(/--greedy, --no-greedy +argmax \(not with --temperature or --top-k\)\n/);
  });

  it('rejects a conflict with a flag that is not there as a programming error', () => {
    const error = errorOf(() => parseFlags([], [{ ...sampling[2], conflicts: { temprature: 'typo' } }]));
    expect(error).not.toBeInstanceOf(UserError);
    expect(error.message).toBe(
      'flag spec --greedy (greedy): conflicts names --temprature, which is not another of these flags',
    );
  });
});

describe('parseFlags config file errors name the file', () => {
  it('malformed JSON', () => {
    const file = configFile('{"steps": 10,}');
    expect(userErrorOf(['--config', file])).toMatch(new RegExp(`^config file ${escape(file)} is not valid JSON: `));
  });

  it('malformed JSON: gives the line and column of the error', () => {
    const file = configFile('{"steps": 10,}');
    expect(userErrorOf(['--config', file])).toMatch(
      new RegExp(`^config file ${escape(file)} is not valid JSON: line 1, column 14: \\S`),
    );
    const multiline = configFile('{\n  "steps": 10,\n  "lr": 0.1.5\n}', 'multiline.json');
    expect(userErrorOf(['--config', multiline])).toMatch(
      new RegExp(`^config file ${escape(multiline)} is not valid JSON: line 3, column 12: \\S`),
    );
  });

  it('missing file', () => {
    const file = path.join(dir, 'nope.json');
    expect(userErrorOf(['--config', file])).toBe(`config file ${file} not found`);
  });

  it('not an object', () => {
    const file = configFile('[1, 2]');
    expect(userErrorOf(['--config', file])).toBe(
      `config file ${file} must hold a JSON object of flag values, got an array`,
    );
  });

  it('unknown key, naming the key and the file', () => {
    const file = configFile('{"stepz": 10}');
    expect(userErrorOf(['--config', file])).toBe(`config file ${file}: unknown key "stepz" (did you mean "steps"?)`);
  });

  it('bad value, naming the key, the file and the value', () => {
    expect(userErrorOf(['--config', configFile('{"steps": 2.5}')])).toBe(
      `config file ${path.join(dir, 'config.json')}: "steps" must be an integer, got 2.5`,
    );
    expect(userErrorOf(['--config', configFile('{"eval-interval": 0}')])).toMatch(
      /"eval-interval" must be at least 1, got 0$/,
    );
    expect(userErrorOf(['--config', configFile('{"backend": "gpu"}')])).toMatch(
      /"backend" must be one of node, wasm, cpu, got "gpu"$/,
    );
    expect(userErrorOf(['--config', configFile('{"raw": "perhaps"}')])).toMatch(
      /"raw" must be true or false, got "perhaps"$/,
    );
    expect(userErrorOf(['--config', configFile('{"prompt": 3}')])).toMatch(/"prompt" must be a string, got 3$/);
  });

  it('the same flag under both spellings', () => {
    const file = configFile('{"evalInterval": 1, "eval-interval": 2}');
    expect(userErrorOf(['--config', file])).toBe(
      `config file ${file}: "evalInterval" and "eval-interval" set the same flag`,
    );
  });
});

describe('--help', () => {
  it('throws HelpRequested with a usage text listing every flag, its placeholder and default', () => {
    const error = errorOf(() =>
      parseFlags(['--steps', 'oops', '--help'], specs, { command: 'nx run demo:train --', defaults: { steps: 5000 } }),
    );
    expect(error).toBeInstanceOf(HelpRequested);
    const usage = (error as HelpRequested).usage;
    expect(usage).toMatch(/^Usage: nx run demo:train -- \[flags\]/);
    for (const spec of specs) expect(usage).toContain(`--${spec.name}`);
    expect(usage).toContain('--steps N');
    expect(usage).toContain('total steps (default 5000)');
    expect(usage).toContain('--raw, --no-raw');
    expect(usage).toContain('--backend node|wasm|cpu');
    expect(usage).toContain('--width N|all');
    expect(usage).toContain('--config FILE');
    expect(usage).toContain('--help');
  });

  it('states each default once and printably: null is no default, defaultHelp replaces the value, text is escaped', () => {
    const usage = formatUsage(
      [
        { name: 'importance', type: 'number', list: true, help: 'weights', defaultHelp: 'all 1' },
        { name: 'no-decay', type: 'string', help: 'excluded' },
        { name: 'prompt', type: 'string', help: 'text' },
        { name: 'pad', type: 'string', help: 'pad' },
        { name: 'label', type: 'string', help: 'label' },
      ],
      { defaults: { importance: null, noDecay: null, prompt: '\n\t', pad: ' ', label: 'a b' } },
    );
    expect(usage).toMatch(/ weights \(default all 1\)\n/);
    expect(usage).toMatch(/ excluded\n/);
    expect(usage).toContain(' text (default "\\n\\t")\n');
    expect(usage).toContain(' pad (default " ")\n');
    expect(usage).toContain(' label (default a b)\n');
    expect(usage).not.toContain('null');
  });

  it('is also given by -h', () => {
    expect(errorOf(() => parseFlags(['-h'], specs))).toBeInstanceOf(HelpRequested);
  });

  it('omits --config when config files are not allowed', () => {
    expect(formatUsage(specs, { allowConfigFile: false })).not.toContain('--config');
  });
});

describe('specs', () => {
  it('mergeFlagSpecs lets a later spec replace an earlier one of the same name', () => {
    const merged = mergeFlagSpecs(specs, [{ name: 'steps', type: 'int', min: 10, help: 'app steps' }]);
    expect(merged).toHaveLength(specs.length);
    expect(merged.find((spec) => spec.name === 'steps')?.help).toBe('app steps');
  });

  it('rejects broken specs as programming errors', () => {
    const bad: FlagSpec[] = [{ name: 'Steps', type: 'int', help: '' }];
    const error = errorOf(() => parseFlags([], bad));
    expect(error).not.toBeInstanceOf(UserError);
    expect(error.message).toMatch(/kebab-case/);
    expect(() => parseFlags([], [...specs, specs[0]])).toThrow(/defined twice/);
    // `a-1` and `a1` are both kebab-case, and both have the key `a1`.
    const oneKey: FlagSpec[] = [
      { name: 'a-1', type: 'int', help: '' },
      { name: 'a1', path: 'other.a1', type: 'int', help: '' },
    ];
    expect(() => parseFlags([], oneKey)).toThrow(/--a1 \(a1\): name, key or path is defined twice/);
  });
});

describe('one definition per setting', () => {
  // Each setting's flag, type, bounds, help, place and default, written once.
  const defined = [
    { name: 'lr', path: 'loop.lr', type: 'number', min: 0, default: 0.5, help: 'step size' },
    { name: 'mode', path: 'loop.mode', type: 'choice', choices: ['a', 'b'], default: 'a', help: 'mode' },
    {
      name: 'weights',
      path: 'loop.weights',
      type: 'number',
      list: true,
      default: null,
      help: 'weights',
    },
    {
      name: 'steps',
      path: 'loop.steps',
      type: 'int',
      min: 1,
      help: 'steps (no default: the caller gives it)',
    },
    { name: 'out', type: 'string', required: true, help: 'where' },
    { name: 'quiet', type: 'bool', help: 'say less' },
  ] as const satisfies readonly FlagSpec[];

  it('gives the settings object and its defaults from the specs, and the flags typed by them', () => {
    const loop: SettingsAt<typeof defined, 'loop'> = { lr: 0.1, mode: 'b', weights: null, steps: 3 };
    // @ts-expect-error: a choice takes only its own words
    const wrong: SettingsAt<typeof defined, 'loop'>['mode'] = 'c';
    expect([loop.mode, wrong]).toEqual(['b', 'c']);
    const defaults = settingDefaults(defined, 'loop');
    expect(defaults).toEqual({ lr: 0.5, mode: 'a', weights: null });
    const parsed = parseFlags(['--out', 'x', '--lr', '0.25', '--weights', '1,2'], defined, {
      defaults: { loop: { ...defaults, steps: 7 } },
    });
    expect(parsed).toEqual({ out: 'x', loop: { lr: 0.25, mode: 'a', weights: [1, 2], steps: 7 } });
    const out: string = parsed.out;
    const quiet: boolean | undefined = parsed.quiet;
    expect([out, quiet]).toEqual(['x', undefined]);
    expect(formatUsage(defined)).toMatch(/--mode a\|b +mode \(default a\)/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
