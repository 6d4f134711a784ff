// A tiny run for the runner's tests: real corpus, real model, a handful of steps.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AppDefinition } from './app-definition';

export const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');

export const tinyMrlApp: AppDefinition = { name: 'mrl-embeddings', description: 'test app' };
export const tinyNestedApp: AppDefinition = { name: 'nested', description: 'test app' };

/** Flags of a tiny model: d=16, 1 layer, 2 heads, widths 4/8/16, b=2, t=8. */
export function tinyFlags(out: string, steps = 6): string[] {
  return [
    '--out', out, '--data', CORPUS, '--steps', String(steps), '--eval-interval', '3', '--eval-iters', '2',
    '--width', '16', '--layers', '1', '--heads', '2', '--min-power', '2', '--batch', '2', '--context', '8',
    '--dropout', '0.1',
  ];
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}
