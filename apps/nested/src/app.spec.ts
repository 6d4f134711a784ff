import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analyzeCommand, appTargetProblems, parseTrainSettings, targetNames, trainCommand } from '@matryoshka/experiment';
import { configWidths } from '@matryoshka/nested-transformer';
import { readMetrics } from '@matryoshka/training';
import { nestedApp } from './app';
import { baselineDir, baselinesCommand, baselineValLosses } from './baselines';
import project from '../project.json';

jest.setTimeout(120_000);

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'nested-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nested defaults', () => {
  it('are experiment 4 of docs/EXPERIMENTS.md, "Defaults per app"', () => {
    // Copied from the document, not from code.
    const { run } = parseTrainSettings(nestedApp, []);
    expect(run.model).toEqual({ contextLength: 64, width: 128, heads: 4, layers: 8, dropout: 0.1, minPower: 5, nesting: 'width', headNormalisation: 'prefix', seed: 1337 });
    expect(run.training).toMatchObject({ batchSize: 16, steps: 5000, evalInterval: 100, evalIters: 20, lr: 3e-4, weightDecay: 0.01, seed: 1337 });
    expect(configWidths(run.model)).toEqual([32, 64, 128]);
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
    let table = '';
    const stderr = jest.spyOn(process.stderr, 'write');
    const dirs = await baselinesCommand(nestedApp, ['--run', run], { write: (text: string) => (table += text) });
    const status = stderr.mock.calls.map(([text]) => String(text)).join('');
    stderr.mockRestore();
    expect(dirs).toEqual([baselineDir(run, 4), baselineDir(run, 8)]);
    const config8 = JSON.parse(readFileSync(join(baselineDir(run, 8), 'config.json'), 'utf8'));
    expect(config8).toMatchObject({
      model: { width: 8, minPower: 3, layers: 1, heads: 2, contextLength: 8, nesting: 'width', seed: 1337 },
      training: { steps: 4, seed: 1337, batchSize: 2 },
    });
    const losses = baselineValLosses(run);
    const metrics8 = readMetrics(join(baselineDir(run, 8), 'metrics.jsonl'));
    expect(losses['8']).toBe(metrics8[metrics8.length - 1].val['8']);
    // It ends with the comparison per width (the nested run's last val loss vs the baseline's) ...
    const nested = readMetrics(join(run, 'metrics.jsonl')).at(-1)!.val;
    const row = (m: number) => {
      const d = nested[m] - losses[m];
      return [String(m), nested[m].toFixed(3), losses[m].toFixed(3), `${d >= 0 ? '+' : ''}${d.toFixed(3)}`];
    };
    const cells = table.trim().split('\n').slice(1).map((line) => line.trim().split(/\s{2,}/));
    expect(cells).toEqual([['width', 'nested', 'alone', 'nested - alone'], row(4), row(8)]);
    // ... and a "Next:" line for the nested run, not for a baseline.
    const next = status.split('\n').filter((line) => line.includes('Next:'));
    expect(next).toEqual([`baselines: done. Next: npx nx run nested:analyze -- --run ${run}  (the report sets them side by side)`]);
    await expect(baselinesCommand(nestedApp, ['--run', run])).rejects.toThrow('already holds a baseline');
    const { reportFile } = await analyzeCommand(nestedApp, ['--run', run]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('Nested submodels vs ordinary GPTs trained alone');
    expect(html).toContain(losses['4'].toFixed(3));
  });
});

describe('--help', () => {
  it('every target is offered by Nx and states each default once, printably, and never as null or undefined', async () => {
    expect(targetNames(nestedApp)).toEqual(['train', 'sample', 'analyze', 'export', 'baselines']);
    expect(await appTargetProblems(nestedApp, Object.keys(project.targets))).toEqual([]);
  });
});
