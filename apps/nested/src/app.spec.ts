import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analyzeCommand, parseTrainSettings, trainCommand } from '@matryoshka/experiment';
import { readMetrics } from '@matryoshka/training';
import { nestedApp } from './app';
import { baselineDir, baselinesCommand, baselineValLosses } from './baselines';

jest.setTimeout(120_000);

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'nested-'));

describe('nested defaults', () => {
  it('are experiment 4 of EXPERIMENTS.md', () => {
    const s = parseTrainSettings(nestedApp, []);
    expect(s).toMatchObject({ batch: 16, context: 64, width: 128, heads: 4, layers: 8, dropout: 0.1, minPower: 5, steps: 5000, evalInterval: 100, trunk: 'nested', lr: 3e-4, weightDecay: 0.01 });
  });
  it('refuses heads that do not divide a nested width', async () => {
    await expect(trainCommand(nestedApp, ['--out', join(dir, 'bad'), '--data', CORPUS, '--heads', '8', '--width', '16', '--min-power', '2'])).rejects.toThrow(
      /heads \(8\) must divide every nested width, but not 4/,
    );
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});

describe('baselines', () => {
  const run = join(dir, 'run');
  const tiny = ['--data', CORPUS, '--steps', '4', '--eval-interval', '2', '--eval-iters', '1', '--width', '16', '--layers', '1', '--heads', '2', '--min-power', '2', '--batch', '2', '--context', '8'];

  it('trains an ordinary GPT at each smaller width with the same settings and puts them in the report', async () => {
    await trainCommand(nestedApp, ['--out', run, ...tiny]);
    const dirs = await baselinesCommand(nestedApp, ['--run', run]);
    expect(dirs).toEqual([baselineDir(run, 4), baselineDir(run, 8)]);
    const config8 = JSON.parse(readFileSync(join(baselineDir(run, 8), 'config.json'), 'utf8'));
    expect(config8).toMatchObject({ width: 8, minPower: 3, layers: 1, heads: 2, steps: 4, seed: 1337, batch: 2, context: 8, trunk: 'nested' });
    const losses = baselineValLosses(run);
    const metrics8 = readMetrics(join(baselineDir(run, 8), 'metrics.jsonl'));
    expect(losses['8']).toBe(metrics8[metrics8.length - 1].val['8']);
    await expect(baselinesCommand(nestedApp, ['--run', run])).rejects.toThrow('already holds a baseline');
    const { reportFile } = await analyzeCommand(nestedApp, ['--run', run]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('Nested submodels vs ordinary GPTs trained alone');
    expect(html).toContain(losses['4'].toFixed(3));
  });
});
