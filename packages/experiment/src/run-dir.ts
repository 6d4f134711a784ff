// Run directories (docs/ARCHITECTURE.md, "Runs are files"): `runs/<app>/<YYYYMMDD-HHMMSS>/` holding
// `config.json`; a run never silently overwrites another.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@matryoshka/tokenizer';
import { UserError } from './cli/errors';

export const RUN_CONFIG_FILE = 'config.json';
/** config.json's format and version: a run written in any other is refused (train it again). */
export const RUN_FORMAT = 'matryoshka-run';
export const RUN_FORMAT_VERSION = 1;

export interface CreateRunDirOptions {
  /** Directory that relative paths (and the default `runs/...`) are taken from. Default: `process.cwd()`. */
  cwd?: string;
  /** Clock for the default name. Default: now. */
  now?: Date;
}

/** What `config.json` holds: its format and version, who wrote it and when, then the run's whole config. */
export interface RunConfigFile {
  format: typeof RUN_FORMAT;
  version: typeof RUN_FORMAT_VERSION;
  app: string;
  packageVersion: string;
  createdAt: string;
  [key: string]: unknown;
}

export interface RunMeta {
  app?: string;
  packageVersion?: string;
  createdAt?: string | Date;
}

/**
 * Creates the run directory and returns its path: `out` if given, else `runs/<app>/<YYYYMMDD-HHMMSS>`
 * (with `-2`, `-3`, ... appended if another run started the same second). The path is returned
 * as written (relative to the current directory) unless `options.cwd` is given, when it is
 * resolved against it. An existing empty directory is used; an existing non-empty one is refused.
 */
export function createRunDir(app: string, out?: string, options: CreateRunDirOptions = {}): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(app)) throw new Error(`createRunDir: bad app name "${app}"`);
  const shown = (dir: string) => (options.cwd === undefined ? dir : path.resolve(options.cwd, dir));
  if (out !== undefined) {
    if (out.trim() === '') throw new UserError('--out must name a directory, got ""');
    if (!makeFreshDir(path.resolve(options.cwd ?? '.', out))) {
      throw new UserError(`${out} already exists; pass --resume ${out} to continue or choose another --out`);
    }
    return shown(out);
  }
  const base = path.join('runs', app, runTimestamp(options.now ?? new Date()));
  for (let attempt = 1; attempt < 1000; attempt++) {
    const dir = attempt === 1 ? base : `${base}-${attempt}`;
    if (makeFreshDir(path.resolve(options.cwd ?? '.', dir))) return shown(dir);
  }
  throw new UserError(`could not find a free run directory name under ${path.dirname(base)}; pass --out`);
}

/** Checks that a run directory exists (for `--resume` and `--run`) and returns the path unchanged. */
export function resolveRunDir(runDir: string): string {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(runDir).isDirectory();
  } catch {
    throw new UserError(`run directory ${runDir} does not exist`);
  }
  if (!isDirectory) throw new UserError(`${runDir} is not a directory; expected a run directory`);
  return runDir;
}

/**
 * Writes `<runDir>/config.json` atomically (temporary file, then rename): `{app, packageVersion,
 * createdAt, ...config}`. Missing metadata is taken from `config` (so a config read back and
 * rewritten keeps its origin), else: app = the run directory's parent name, packageVersion =
 * this package's version, createdAt = now. Returns what was written.
 */
export function writeConfig(runDir: string, config: object, meta: RunMeta = {}): RunConfigFile {
  resolveRunDir(runDir);
  const { format, version, app, packageVersion, createdAt, ...rest } = config as Record<string, unknown>;
  const written: RunConfigFile = {
    format: RUN_FORMAT,
    version: RUN_FORMAT_VERSION,
    app: meta.app ?? stringOr(app) ?? path.basename(path.dirname(path.resolve(runDir))),
    packageVersion: meta.packageVersion ?? stringOr(packageVersion) ?? runnerPackageVersion(),
    createdAt: toIso(meta.createdAt) ?? stringOr(createdAt) ?? new Date().toISOString(),
    ...rest,
  };
  writeFileAtomic(path.join(runDir, RUN_CONFIG_FILE), `${JSON.stringify(written, null, 2)}\n`);
  return written;
}

/** Reads `<runDir>/config.json`, with errors naming the missing or malformed path. */
export function readConfig(runDir: string): RunConfigFile {
  resolveRunDir(runDir);
  const file = path.join(runDir, RUN_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UserError(`${file} not found; is ${runDir} a run directory written by train?`);
    }
    throw new UserError(`cannot read ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  checkRunFormat(file, parsed); // first: an object
  return parsed as RunConfigFile;
}

/**
 * Refuses a run config (a config.json, or an export's run metadata, named by `source`) of another
 * format or version with one line; there is no reading of older versions.
 */
export function checkRunFormat(source: string, config: unknown): void {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new UserError(`${source} must hold a JSON object`);
  const { format, version, app } = config as Record<string, unknown>;
  if (format !== RUN_FORMAT || version !== RUN_FORMAT_VERSION) {
    const found =
      format === undefined ? 'no "format"' : `format ${JSON.stringify(format)} version ${JSON.stringify(version)}`;
    throw new UserError(
      `${source} has ${found}; this code reads ${RUN_FORMAT} version ${RUN_FORMAT_VERSION} only (a run of an earlier version: train it again)`,
    );
  }
  if (typeof app !== 'string') throw new UserError(`${source} has no "app" field; was it written by train?`);
}

/** `YYYYMMDD-HHMMSS` in local time. */
export function runTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}-` +
    `${two(date.getHours())}${two(date.getMinutes())}${two(date.getSeconds())}`
  );
}

// True if `dir` was created now or already existed empty; false if it holds something.
function makeFreshDir(dir: string): boolean {
  mkdirSync(path.dirname(dir), { recursive: true });
  try {
    mkdirSync(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (!statSync(dir).isDirectory()) return false;
  return readdirSync(dir).length === 0;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toIso(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

// src and dist both sit one level below the package root.
function runnerPackageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
