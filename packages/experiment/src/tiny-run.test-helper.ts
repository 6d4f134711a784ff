// A tiny run for the runner's tests: real corpus, real model, a handful of steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXP1_DEFAULTS, EXP4_DEFAULTS } from '@matryoshka/nested-transformer';
import type { AppDefinition } from './app-definition';
import { experimentDefaults } from './defaults';

export const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');

// Stand-ins for the apps (which this package may not import), with their experiments' defaults.
export const tinyMrlApp: AppDefinition = {
  name: 'mrl-embeddings',
  description: 'test app',
  defaults: experimentDefaults(EXP1_DEFAULTS, { steps: 5000, evalInterval: 50 }, {}),
};
export const tinyNestedApp: AppDefinition = {
  name: 'nested',
  description: 'test app',
  defaults: experimentDefaults(EXP4_DEFAULTS, { steps: 5000, evalInterval: 100 }, {}),
};

/** Flags of a tiny model: d=16, 1 layer, 2 heads, widths 4/8/16, b=2, t=8. */
export function tinyFlags(out: string, steps = 6): string[] {
  return [
    '--out',
    out,
    '--data',
    CORPUS,
    '--steps',
    String(steps),
    '--eval-interval',
    '3',
    '--eval-iters',
    '2',
    '--width',
    '16',
    '--layers',
    '1',
    '--heads',
    '2',
    '--min-power',
    '2',
    '--batch',
    '2',
    '--context',
    '8',
    '--dropout',
    '0.1',
  ];
}

const created: string[] = [];

// Registered once per test file (jest loads this module afresh for each): every folder tempDir
// made is removed when the file's tests are done. MATRYOSHKA_KEEP_TEST_DIRS=1 keeps them, to
// look at what a test wrote (e.g. the report test's report-screenshot.png).
afterAll(() => {
  const dirs = created.splice(0);
  if (process.env.MATRYOSHKA_KEEP_TEST_DIRS === '1') return;
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder under the OS temp folder, removed after the calling test file's tests. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  created.push(dir);
  return dir;
}
