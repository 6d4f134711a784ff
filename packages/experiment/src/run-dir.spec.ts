import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UserError } from './cli/errors';
import { createRunDir, readConfig, resolveRunDir, runTimestamp, writeConfig } from './run-dir';

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), 'run-dir-'));
});
afterEach(() => rmSync(cwd, { recursive: true, force: true }));

const now = new Date(2025, 0, 2, 3, 4, 5);

describe('createRunDir', () => {
  it('defaults to runs/<app>/<YYYYMMDD-HHMMSS> under the working directory', () => {
    expect(runTimestamp(now)).toBe('20250102-030405');
    const dir = createRunDir('mrl-embeddings', undefined, { cwd, now });
    expect(dir).toBe(path.join(cwd, 'runs', 'mrl-embeddings', '20250102-030405'));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('returns the path as written when no cwd is given', () => {
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      expect(createRunDir('nested', undefined, { now })).toBe(path.join('runs', 'nested', '20250102-030405'));
      expect(createRunDir('nested', 'elsewhere/run1')).toBe('elsewhere/run1');
    } finally {
      process.chdir(previous);
    }
    expect(existsSync(path.join(cwd, 'elsewhere', 'run1'))).toBe(true);
  });

  it('picks a fresh name when another run started the same second', () => {
    const first = createRunDir('imposed', undefined, { cwd, now });
    writeFileSync(path.join(first, 'config.json'), '{}');
    const second = createRunDir('imposed', undefined, { cwd, now });
    expect(second).toBe(`${first}-2`);
    expect(readFileSync(path.join(first, 'config.json'), 'utf8')).toBe('{}');
  });

  it('uses an existing empty --out directory', () => {
    mkdirSync(path.join(cwd, 'empty'));
    expect(createRunDir('imposed', 'empty', { cwd })).toBe(path.join(cwd, 'empty'));
  });

  it('never reuses a non-empty --out directory, and leaves it untouched', () => {
    mkdirSync(path.join(cwd, 'runs', 'x'), { recursive: true });
    writeFileSync(path.join(cwd, 'runs', 'x', 'metrics.jsonl'), 'keep');
    expect(() => createRunDir('imposed', 'runs/x', { cwd })).toThrow(
      new UserError('runs/x already exists; pass --resume runs/x to continue or choose another --out'),
    );
    expect(readdirSync(path.join(cwd, 'runs', 'x'))).toEqual(['metrics.jsonl']);
    expect(readFileSync(path.join(cwd, 'runs', 'x', 'metrics.jsonl'), 'utf8')).toBe('keep');
  });

  it('refuses an --out that is a file', () => {
    writeFileSync(path.join(cwd, 'afile'), '');
    expect(() => createRunDir('imposed', 'afile', { cwd })).toThrow(/afile already exists/);
  });
});

describe('writeConfig / readConfig', () => {
  it('round-trips config.json with its metadata first', () => {
    const dir = createRunDir('emergent', undefined, { cwd, now });
    const config = { steps: 10, importance: [1, 0.5], vocabulary: ['\n', ' ', 'a'], backend: 'cpu' };
    const written = writeConfig(dir, config, { app: 'emergent', createdAt: now });
    expect(Object.keys(written).slice(0, 5)).toEqual(['format', 'version', 'app', 'packageVersion', 'createdAt']);
    expect(written.packageVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(written.createdAt).toBe(now.toISOString());
    expect(readConfig(dir)).toEqual({
      ...config,
      format: 'matryoshka-run',
      version: 1,
      app: 'emergent',
      packageVersion: written.packageVersion,
      createdAt: now.toISOString(),
    });
  });

  it('refuses a config.json of another format or version in one line, naming the file', () => {
    const dir = createRunDir('imposed', undefined, { cwd, now });
    const file = path.join(dir, 'config.json');
    const reads = 'this code reads matryoshka-run version 1 only (a run of an earlier version: train it again)';
    // A config.json of before the format was named (then a flat object), and one of a version to come.
    writeFileSync(file, JSON.stringify({ app: 'imposed', width: 32, trunk: 'full' }));
    expect(() => readConfig(dir)).toThrow(new UserError(`${file} has no "format"; ${reads}`));
    writeFileSync(file, JSON.stringify({ format: 'matryoshka-run', version: 2, app: 'imposed' }));
    expect(() => readConfig(dir)).toThrow(new UserError(`${file} has format "matryoshka-run" version 2; ${reads}`));
    writeFileSync(file, JSON.stringify({ format: 'matryoshka-results', version: 1 }));
    expect(() => readConfig(dir)).toThrow(`${file} has format "matryoshka-results" version 1; ${reads}`);
  });

  it('writes atomically: no temporary file is left, and rewriting replaces the whole file', () => {
    const dir = createRunDir('nested', undefined, { cwd, now });
    writeConfig(dir, { steps: 1, long: 'x'.repeat(10_000) });
    const first = readConfig(dir);
    writeConfig(dir, { ...first, steps: 2 });
    expect(readdirSync(dir)).toEqual(['config.json']);
    const second = readConfig(dir);
    expect(second.steps).toBe(2);
    expect(second.long).toBe('x'.repeat(10_000));
    // metadata survives a read-modify-write; app falls back to the run's parent directory name
    expect(second.app).toBe('nested');
    expect(second.createdAt).toBe(first.createdAt);
  });

  it('names the missing run directory', () => {
    const missing = path.join(cwd, 'runs', 'none');
    expect(() => readConfig(missing)).toThrow(new UserError(`run directory ${missing} does not exist`));
    expect(() => resolveRunDir(missing)).toThrow(UserError);
  });

  it('names the missing config.json', () => {
    const dir = createRunDir('imposed', undefined, { cwd, now });
    expect(() => readConfig(dir)).toThrow(
      new UserError(`${path.join(dir, 'config.json')} not found; is ${dir} a run directory written by train?`),
    );
  });

  it('names the malformed config.json', () => {
    const dir = createRunDir('imposed', undefined, { cwd, now });
    writeFileSync(path.join(dir, 'config.json'), '{"steps": ');
    expect(() => readConfig(dir)).toThrow(new RegExp(`^${escape(path.join(dir, 'config.json'))} is not valid JSON: `));
    writeFileSync(path.join(dir, 'config.json'), '[]');
    expect(() => readConfig(dir)).toThrow(`${path.join(dir, 'config.json')} must hold a JSON object`);
    writeFileSync(path.join(dir, 'config.json'), '{"format": "matryoshka-run", "version": 1}');
    expect(() => readConfig(dir)).toThrow(
      `${path.join(dir, 'config.json')} has no "app" field; was it written by train?`,
    );
  });

  it('resolveRunDir returns an existing directory and rejects a file', () => {
    expect(resolveRunDir(cwd)).toBe(cwd);
    writeFileSync(path.join(cwd, 'f'), '');
    expect(() => resolveRunDir(path.join(cwd, 'f'))).toThrow(/is not a directory/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
