// A typed flag schema and its parser: defaults < `--config file.json` < command-line flags.
// Every mistake is one UserError line naming the flag (or config key and file) and the bad value.
import { readFileSync } from 'node:fs';
import { parseJson } from '@matryoshka/tokenizer';
import { HelpRequested, UserError } from './errors';
import { closest } from './suggest';

export type FlagType = 'int' | 'number' | 'string' | 'bool' | 'choice';

export interface FlagSpec {
  /** kebab-case, written `--name` on the command line; its camelCase form is the key (keyOf). */
  name: string;
  /**
   * Where the value goes in the parsed object, dotted (`model.width`, `training.batchSize`):
   * a command whose settings are nested (a run's config) names the place once, here. Default: `key`.
   */
  path?: string;
  type: FlagType;
  /** The allowed values of a `choice` flag. */
  choices?: readonly string[];
  /** Inclusive bounds of an `int` or `number` flag (of every element, for a list). */
  min?: number;
  max?: number;
  /** One line for `--help`. */
  help: string;
  /** The value is a comma-separated list of `type` (`--importance 1,0.5,0.25`). */
  list?: boolean;
  /** Words accepted besides the type's values (`--width all` on an `int` flag). */
  alsoAccepts?: readonly string[];
  /** Placeholder shown by `--help` (`DIR`, `FILE`); defaults to one derived from the type. */
  metavar?: string;
  /** Parsing fails when no default, config file or flag gives a value. */
  required?: boolean;
  /**
   * How `--help` states the default, in words, when the value alone would not say it (`all 1`
   * for an unset list, a rule for `--backend`); replaces the value. A null default is not shown.
   */
  defaultHelp?: string;
  /**
   * Flags (by name) that cannot be given together with this one, each with why: giving both, on
   * the command line or in a config file, is one error naming the two (`--greedy` and
   * `--temperature`). A bool flag counts as given when true. Declared once, on either flag.
   */
  conflicts?: Readonly<Record<string, string>>;
  /**
   * The setting's default where the flag defines it (null: none, and the setting may be null);
   * settingDefaults() collects these, and `--help` shows them. A command's `defaults` option
   * takes precedence (an app's own values).
   */
  default?: FlagScalar | readonly FlagScalar[] | null;
}

/** The value a spec gives: its type's (a choice's own words), a list of them, a word it also accepts, or null by default. */
export type ValueOf<S> =
  | (S extends { list: true } ? ScalarOf<S>[] : ScalarOf<S>)
  | (S extends { alsoAccepts: readonly (infer A)[] } ? A : never)
  | (S extends { default: null } ? null : never);
type ScalarOf<S> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'choice'; choices: readonly (infer C)[] }
      ? C
      : string;

/**
 * The settings that specs place under `prefix` (`path: 'training.lr'` -> `lr`), each typed by
 * its spec: a settings type derived from the one definition of each flag.
 */
export type SettingsAt<Specs extends readonly FlagSpec[], Prefix extends string> = {
  [S in Specs[number] as S extends { path: `${Prefix}.${infer Key}` } ? Key : never]: ValueOf<S>;
};

/** The part of SettingsAt whose specs define a default. */
export type DefaultsAt<Specs extends readonly FlagSpec[], Prefix extends string> = {
  [S in Specs[number] as S extends { path: `${Prefix}.${infer Key}`; default: unknown } ? Key : never]: ValueOf<S>;
};

/** A flag's key: its name in camelCase (`eval-interval` -> `evalInterval`). */
type CamelCase<N extends string> = N extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : N;
type KeyOf<S> = S extends { name: infer N extends string } ? CamelCase<N> : never;

/** A spec parseFlags puts at its key (it has no path), written as a literal (its name is known). */
type Unplaced<S> = S extends { path: string }
  ? never
  : S extends { name: infer N }
    ? string extends N
      ? never
      : S
    : never;

/**
 * The object parseFlags gives for the specs without a path, typed by the specs: each value at its
 * key, optional unless the spec is required.
 */
export type FlagsOf<Specs extends readonly FlagSpec[]> = {
  [
    S in Specs[number] as [Unplaced<S>] extends [never] ? never : S extends { required: true } ? KeyOf<S> : never
  ]: ValueOf<S>;
} & {
  [
    S in Specs[number] as [Unplaced<S>] extends [never] ? never : S extends { required: true } ? never : KeyOf<S>
  ]?: ValueOf<S>;
};

/** parseFlags' result: the flags by key (required where `defaults` gives a value) and the rest of `defaults`. */
export type ParsedFlags<Specs extends readonly FlagSpec[], D extends object> = Omit<FlagsOf<Specs>, keyof D> &
  Required<Pick<FlagsOf<Specs>, keyof D & keyof FlagsOf<Specs>>> &
  Omit<D, keyof FlagsOf<Specs>>;

/** The defaults that specs define for the settings under `prefix`, as an object of those settings. */
export function settingDefaults<const Specs extends readonly FlagSpec[], const Prefix extends string>(
  specs: Specs,
  prefix: Prefix,
): DefaultsAt<Specs, Prefix> {
  const entries = specs.filter((spec) => spec.path?.startsWith(`${prefix}.`) && 'default' in spec);
  // The object is built from the same specs the type is computed from.
  return Object.fromEntries(
    entries.map((spec) => [(spec.path as string).slice(prefix.length + 1), spec.default]),
  ) as DefaultsAt<Specs, Prefix>;
}

export type FlagScalar = number | string | boolean;
export type FlagValue = FlagScalar | FlagScalar[];
export type FlagValues = Record<string, FlagValue | undefined>;

export interface ParseFlagsOptions<D extends object = object> {
  /**
   * Values used where neither the config file nor the command line sets one, shaped as the
   * parsed object (read at each flag's path); entries no flag sets pass through unchanged.
   */
  defaults?: D;
  /** Accept `--config file.json` (default true). */
  allowConfigFile?: boolean;
  /** Shown in the first line of `--help`, e.g. `nx run mrl-embeddings:train --`. */
  command?: string;
  /** Shown under the first line of `--help`. */
  description?: string;
}

const FLAG_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;
const RESERVED = ['help', 'config'];

/**
 * Parses `argv` (the arguments after the program, e.g. `process.argv.slice(2)`) against `specs`
 * into a plain object: the defaults, with each value set on the command line or in the config
 * file written at its spec's path (default its key), typed by the specs (ParsedFlags). Throws
 * UserError on bad input and HelpRequested (carrying the usage text) on `--help` / `-h`.
 */
export function parseFlags<const Specs extends readonly FlagSpec[], D extends object = Record<never, never>>(
  argv: readonly string[],
  specs: Specs,
  options: ParseFlagsOptions<D> = {},
): ParsedFlags<Specs, D> {
  checkSpecs(specs);
  const allowConfigFile = options.allowConfigFile ?? true;
  if (argv.includes('--help') || argv.includes('-h')) {
    throw new HelpRequested(formatUsage(specs, options));
  }
  const { values: fromArgv, configFile } = readArgv(argv, specs, allowConfigFile);
  const fromFile = configFile === undefined ? {} : readConfigFile(configFile, specs);
  const given = { ...fromFile, ...fromArgv };
  checkConflicts(specs, given);
  const config = structuredClone(options.defaults ?? {}) as Record<string, unknown>;
  for (const spec of specs) {
    if (keyOf(spec) in given) setAt(config, pathOf(spec), given[keyOf(spec)]);
    if (spec.required && getAt(config, pathOf(spec)) === undefined) {
      throw new UserError(`missing required flag --${spec.name} ${metavarOf(spec)}`.trimEnd());
    }
  }
  // Each value was parsed and checked against the spec that places it (or came from `defaults`).
  return config as ParsedFlags<Specs, D>;
}

// Two flags that contradict each other (FlagSpec.conflicts) were both given: refuse, naming both.
function checkConflicts(specs: readonly FlagSpec[], given: Readonly<Record<string, FlagValue>>): void {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const isGiven = (spec: FlagSpec) => keyOf(spec) in given && !(spec.type === 'bool' && given[keyOf(spec)] === false);
  for (const spec of specs) {
    for (const [other, why] of Object.entries(spec.conflicts ?? {})) {
      if (isGiven(spec) && isGiven(byName.get(other) as FlagSpec)) {
        throw new UserError(`--${spec.name} and --${other} cannot be given together: ${why}`);
      }
    }
  }
}

/** The flags given on the command line or in a config file, by key (no defaults): what a caller changes. */
export function givenFlags(argv: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  return readArgv(argv, specs, false).values;
}

/** A flag's key, accepted in a `--config` file as its name is: the name in camelCase. */
export function keyOf(spec: Pick<FlagSpec, 'name'>): string {
  return spec.name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Where a spec's value goes: its path, else its key. */
export function pathOf(spec: FlagSpec): string[] {
  return (spec.path ?? keyOf(spec)).split('.');
}

/** The value at a path of a plain object (undefined where any part is missing). */
export function getAt(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (at, part) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined),
    object,
  );
}

function setAt(object: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let at = object;
  for (const part of path.slice(0, -1)) {
    if (at[part] === null || typeof at[part] !== 'object') at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[path[path.length - 1]] = value;
}

/** Joins spec lists; a later spec replaces an earlier one of the same name (an app's own help or bounds). */
export function mergeFlagSpecs<const Lists extends ReadonlyArray<readonly FlagSpec[]>>(
  ...lists: Lists
): Lists[number][number][] {
  const byName = new Map<string, Lists[number][number]>();
  for (const list of lists) for (const spec of list) byName.set(spec.name, spec);
  return [...byName.values()];
}

/** The `--help` text: one line per flag with its placeholder, help and default. */
export function formatUsage(specs: readonly FlagSpec[], options: ParseFlagsOptions = {}): string {
  const rows: Array<[string, string]> = specs.map((spec) => [
    flagColumn(spec),
    helpColumn(spec, options.defaults, conflictsOf(spec, specs)),
  ]);
  if (options.allowConfigFile ?? true) {
    rows.push([
      '--config FILE',
      'read flag values from a JSON object (camelCase or kebab-case keys); flags given here override it',
    ]);
  }
  rows.push(['--help', 'show this text']);
  const column = Math.min(30, Math.max(...rows.map(([left]) => left.length)) + 2);
  const lines = [`Usage: ${options.command ?? '<command>'} [flags]`, ''];
  if (options.description) lines.push(options.description, '');
  lines.push('Flags:');
  for (const [left, right] of rows) {
    if (left.length + 2 > column) lines.push(`  ${left}`, `  ${' '.repeat(column)}${right}`);
    else lines.push(`  ${left.padEnd(column)}${right}`);
  }
  return `${lines.join('\n')}\n`;
}

function flagColumn(spec: FlagSpec): string {
  if (spec.type === 'bool') return `--${spec.name}, --no-${spec.name}`;
  return `--${spec.name} ${metavarOf(spec)}`;
}

// The flags a spec cannot be given with, whichever of the two declares it.
function conflictsOf(spec: FlagSpec, specs: readonly FlagSpec[]): string[] {
  const declaredHere = Object.keys(spec.conflicts ?? {});
  const declaredThere = specs.filter((other) => spec.name in (other.conflicts ?? {})).map((other) => other.name);
  return [...new Set([...declaredHere, ...declaredThere])];
}

function helpColumn(spec: FlagSpec, defaults: object | undefined, conflicts: readonly string[]): string {
  const notes: string[] = [];
  if (spec.required) notes.push('required');
  if (conflicts.length > 0) notes.push(`not with ${conflicts.map((name) => `--${name}`).join(' or ')}`);
  const fallback = spec.defaultHelp ?? defaultText(getAt(defaults, pathOf(spec)) ?? spec.default);
  if (fallback !== undefined) notes.push(`default ${fallback}`);
  return notes.length === 0 ? spec.help : `${spec.help} (${notes.join('; ')})`;
}

const NON_PRINTING = /[\p{Cc}\u2028\u2029]/gu;

// A default value as `--help` shows it: undefined and null are "no default" (not shown); text
// with control characters or outer spaces is quoted with escapes (`"\n"`, `" "`).
function defaultText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'string' && (value.trim() !== value || value === '' || value.match(NON_PRINTING))) {
    // JSON escapes C0 controls; the rest (DEL, C1, line/paragraph separators) as \uXXXX too.
    return JSON.stringify(value).replace(NON_PRINTING, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  }
  return String(value);
}

function metavarOf(spec: FlagSpec): string {
  if (spec.metavar) return spec.metavar;
  const base =
    spec.type === 'int'
      ? 'N'
      : spec.type === 'number'
        ? 'X'
        : spec.type === 'choice'
          ? (spec.choices ?? []).join('|')
          : spec.type === 'bool'
            ? ''
            : 'VALUE';
  const one = [base, ...(spec.alsoAccepts ?? [])].join('|');
  return spec.list ? `${one},${one},...` : one;
}

// Specs come from code, not users: a broken one is a programming error, reported as such.
function checkSpecs(specs: readonly FlagSpec[]): void {
  const names = new Set<string>();
  const keys = new Set<string>(); // `a-1` and `a1` are two names of one key
  const paths = new Set<string>();
  for (const spec of specs) {
    const path = pathOf(spec).join('.');
    const strayConflict = Object.keys(spec.conflicts ?? {}).find(
      (other) => other === spec.name || !specs.some((s) => s.name === other),
    );
    const problem = !FLAG_NAME.test(spec.name)
      ? 'name must be kebab-case'
      : RESERVED.includes(spec.name)
        ? 'name is reserved'
        : names.has(spec.name) || keys.has(keyOf(spec)) || paths.has(path)
          ? 'name, key or path is defined twice'
          : spec.type === 'choice' && !(spec.choices && spec.choices.length > 0)
            ? 'a choice flag needs choices'
            : strayConflict !== undefined
              ? `conflicts names --${strayConflict}, which is not another of these flags`
              : undefined;
    if (problem) throw new Error(`flag spec --${spec.name} (${keyOf(spec)}): ${problem}`);
    names.add(spec.name);
    keys.add(keyOf(spec));
    paths.add(path);
  }
}

// Tokenised by hand, not with node:util's parseArgs, which would need as much code around it: it
// ends the flags at a `--` (nx and npm pass one through; here it is skipped wherever it stands),
// takes `--lr --steps` as lr = "--steps" (here: missing value), and the error messages need the
// argument as written (`-steps`, `--no-raw=1`) all the same.
function readArgv(
  argv: readonly string[],
  specs: readonly FlagSpec[],
  allowConfigFile: boolean,
): { values: Record<string, FlagValue>; configFile?: string } {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const known = [...specs.map((spec) => spec.name), ...(allowConfigFile ? ['config'] : []), 'help'];
  const values: Record<string, FlagValue> = {};
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') continue; // a separator passed through by nx / npm
    if (!arg.startsWith('-') || arg === '-') {
      throw new UserError(`unexpected argument "${arg}"; flags are written --name value (see --help)`);
    }
    const body = arg.replace(/^-+/, '');
    const equals = body.indexOf('=');
    const name = equals >= 0 ? body.slice(0, equals) : body;
    const inline = equals >= 0 ? body.slice(equals + 1) : undefined;
    if (!arg.startsWith('--')) throw unknownFlag(arg.split('=')[0], name, known);

    const takeValue = (expected: string): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new UserError(`missing value for --${name} (expected ${expected})`);
      }
      i += 1;
      return next;
    };

    if (name === 'config' && allowConfigFile) {
      configFile = takeValue('a JSON file');
      continue;
    }
    const spec = byName.get(name);
    if (spec) {
      values[keyOf(spec)] =
        spec.type === 'bool' && inline === undefined
          ? true
          : parseText(spec, takeValue(expectation(spec)), `--${name}`);
      continue;
    }
    const negated = name.startsWith('no-') ? byName.get(name.slice(3)) : undefined;
    if (negated && negated.type === 'bool') {
      if (inline !== undefined) throw new UserError(`--${name} takes no value, got "${inline}"`);
      values[keyOf(negated)] = false;
      continue;
    }
    throw unknownFlag(`--${name}`, name, known);
  }
  return { values, configFile };
}

function unknownFlag(written: string, name: string, known: readonly string[]): UserError {
  const suggestion = closest(name, known);
  const hint = suggestion ? `; did you mean --${suggestion}?` : '; see --help for the flags';
  return new UserError(`unknown flag ${written}${hint}`);
}

function readConfigFile(file: string, specs: readonly FlagSpec[]): Record<string, FlagValue> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`config file ${file} not found`);
    throw new UserError(`cannot read config file ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseJson(text, `config file ${file}`);
  } catch (error) {
    throw new UserError((error as Error).message); // "config file F is not valid JSON: line L, column C: ..."
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`config file ${file} must hold a JSON object of flag values, got ${describeJson(parsed)}`);
  }
  const byKey = new Map<string, FlagSpec>();
  for (const spec of specs) {
    byKey.set(keyOf(spec), spec);
    byKey.set(spec.name, spec);
  }
  const values: Record<string, FlagValue> = {};
  const seenFrom = new Map<string, string>();
  for (const [key, value] of Object.entries(parsed)) {
    const spec = byKey.get(key);
    if (!spec) {
      const suggestion = closest(key, [...byKey.keys()]);
      const hint = suggestion ? ` (did you mean "${suggestion}"?)` : '';
      throw new UserError(`config file ${file}: unknown key "${key}"${hint}`);
    }
    const earlier = seenFrom.get(keyOf(spec));
    if (earlier !== undefined) throw new UserError(`config file ${file}: "${earlier}" and "${key}" set the same flag`);
    seenFrom.set(keyOf(spec), key);
    values[keyOf(spec)] = parseJsonValue(spec, value, `config file ${file}: "${key}"`);
  }
  return values;
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `"${value}"` : String(value);
}

/** How a value of each flag type is described in an error: one value, and a list of them. */
const EXPECTED: Record<FlagSpec['type'], { one: (spec: FlagSpec) => string; many: (spec: FlagSpec) => string }> = {
  int: { one: () => 'an integer', many: () => 'integers' },
  number: { one: () => 'a number', many: () => 'numbers' },
  bool: { one: () => 'true or false', many: () => 'values' },
  choice: {
    one: (spec) => `one of ${(spec.choices ?? []).join(', ')}`,
    many: (spec) => `values from ${(spec.choices ?? []).join(', ')}`,
  },
  string: { one: () => 'a string', many: () => 'values' },
};

function expectation(spec: FlagSpec): string {
  const also = (spec.alsoAccepts ?? []).map((word) => ` or "${word}"`).join('');
  const words = EXPECTED[spec.type];
  return spec.list ? `a comma-separated list of ${words.many(spec)}${also}` : `${words.one(spec)}${also}`;
}

// A value written as text: on the command line, or as a JSON string in a config file.
function parseText(spec: FlagSpec, raw: string, subject: string): FlagValue {
  if (spec.alsoAccepts?.includes(raw)) return raw;
  if (!spec.list) return parseScalar(spec, raw, subject, raw);
  const parts = raw.split(',').map((part) => part.trim());
  return parts.map((part) => parseScalar(spec, part, subject, raw));
}

function parseScalar(spec: FlagSpec, raw: string, subject: string, whole: string): FlagScalar {
  const fail = (): never => {
    const detail = whole === raw ? '' : ` ("${raw}" is not valid)`;
    throw new UserError(`${subject} must be ${expectation(spec)}, got "${whole}"${detail}`);
  };
  switch (spec.type) {
    case 'string':
      return raw;
    case 'bool': {
      const lower = raw.toLowerCase();
      if (['true', '1', 'yes'].includes(lower)) return true;
      if (['false', '0', 'no'].includes(lower)) return false;
      return fail();
    }
    case 'choice':
      return spec.choices?.includes(raw) ? raw : fail();
    case 'int':
    case 'number': {
      const value = Number(raw);
      if (!DECIMAL.test(raw) || !Number.isFinite(value)) return fail();
      if (spec.type === 'int' && !Number.isSafeInteger(value)) return fail();
      return checkRange(spec, value, subject);
    }
  }
}

function checkRange(spec: FlagSpec, value: number, subject: string): number {
  const { min, max } = spec;
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const bounds =
      min !== undefined && max !== undefined
        ? `between ${min} and ${max}`
        : min !== undefined
          ? `at least ${min}`
          : `at most ${max}`;
    throw new UserError(`${subject} must be ${bounds}, got ${value}`);
  }
  return value;
}

// A value from a JSON config file: the natural JSON type, or text parsed as on the command line.
function parseJsonValue(spec: FlagSpec, value: unknown, subject: string): FlagValue {
  if (typeof value === 'string') return parseText(spec, value, subject);
  if (spec.list && Array.isArray(value)) {
    return value.map((element) => parseJsonScalar(spec, element, subject, JSON.stringify(value)));
  }
  if (spec.list)
    throw new UserError(`${subject} must be ${expectation(spec)} or an array, got ${JSON.stringify(value)}`);
  return parseJsonScalar(spec, value, subject, JSON.stringify(value));
}

function parseJsonScalar(spec: FlagSpec, value: unknown, subject: string, whole: string): FlagScalar {
  if (typeof value === 'string') return parseScalar(spec, value, subject, whole);
  if (spec.type === 'bool' && typeof value === 'boolean') return value;
  if ((spec.type === 'int' || spec.type === 'number') && typeof value === 'number') {
    if (spec.type === 'number' || Number.isSafeInteger(value)) return checkRange(spec, value, subject);
  }
  throw new UserError(`${subject} must be ${expectation(spec)}, got ${whole}`);
}
