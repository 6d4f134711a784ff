import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  analyzeCommand,
  appTargetProblems,
  exportCommand,
  loadRun,
  parseTrainSettings,
  runAppCli,
  sampleCommand,
  sampleText,
  targetNames,
  trainCommand,
} from '@matryoshka/experiment';
import { configWidths, mixOfWidth } from '@matryoshka/nested-transformer';
import { readCheckpoint, readMetrics } from '@matryoshka/training';
import { nestedApp } from './app';
import { baselineDir, baselinesCommand, baselineValLosses, lossDifference } from './baselines';
import { MIX_FILE, markParetoFront, mixCommand, type MixFile } from './mix';
import project from '../project.json';

jest.setTimeout(120_000);

/** Token ids (b, T) as a model of one replica takes them, (1, b, T). */
function tensorOf(rows: number[][]) {
  return tf.tensor3d([rows], undefined, 'int32');
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return a.length === b.length ? worst : Infinity;
}

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'nested-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nested defaults', () => {
  it('are experiment 4 of docs/EXPERIMENTS.md, "Defaults per app"', () => {
    // Copied from the document, not from code.
    const { run } = parseTrainSettings(nestedApp, []);
    expect(run.model).toEqual({
      contextLength: 64,
      width: 128,
      heads: 4,
      layers: 8,
      dropout: 0.1,
      minPower: 5,
      nesting: 'width',
      headNormalisation: 'prefix',
      seed: 1337,
      init: 'small',
      layersPerWidth: null,
      layerWidths: null,
    });
    expect(run.training).toMatchObject({
      batchSize: 16,
      steps: 5000,
      evalInterval: 100,
      evalIters: 20,
      lr: 3e-4,
      weightDecay: 0.01,
      seed: 1337,
      regime: 'all',
      widthProbs: null,
    });
    expect(configWidths(run.model)).toEqual([32, 64, 128]);
  });
  it('refuses heads that do not divide a nested width', async () => {
    await expect(
      trainCommand(nestedApp, [
        '--out',
        join(dir, 'bad'),
        '--data',
        CORPUS,
        '--heads',
        '8',
        '--width',
        '16',
        '--min-power',
        '2',
      ]),
    ).rejects.toThrow(/heads \(8\) must divide every nested width, but not 4/);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});

describe('baselines', () => {
  const run = join(dir, 'run');
  const tiny = [
    '--data',
    CORPUS,
    '--steps',
    '4',
    '--eval-interval',
    '2',
    '--eval-iters',
    '1',
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
  ];

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
    expect(losses['8']).toEqual([metrics8[metrics8.length - 1].val['8']]);
    // It ends with the comparison per width (the nested run's last val loss vs the baseline's) ...
    const nested = readMetrics(join(run, 'metrics.jsonl')).at(-1)!.val;
    const row = (m: number) => {
      const d = nested[m] - losses[m][0];
      return [String(m), nested[m].toFixed(3), losses[m][0].toFixed(3), `${d >= 0 ? '+' : ''}${d.toFixed(3)}`];
    };
    const cells = table
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s{2,}/));
    expect(cells).toEqual([['width', 'nested', 'alone', 'nested - alone'], row(4), row(8)]);
    // ... and a "Next:" line for the nested run, not for a baseline.
    const next = status.split('\n').filter((line) => line.includes('Next:'));
    expect(next).toEqual([
      `baselines: done. Next: npx nx run nested:analyze -- --run ${run}  (the report sets them side by side)`,
    ]);
    await expect(baselinesCommand(nestedApp, ['--run', run])).rejects.toThrow('already holds a baseline');
    const { reportFile } = await analyzeCommand(nestedApp, ['--run', run]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('Nested submodels vs ordinary GPTs trained alone');
    expect(html).toContain(losses['4'][0].toFixed(3));
  });
});

const TINY = [
  '--data',
  CORPUS,
  '--eval-iters',
  '1',
  '--width',
  '16',
  '--layers',
  '2',
  '--heads',
  '2',
  '--min-power',
  '2',
  '--batch',
  '2',
  '--context',
  '8',
];

function std(values: Float32Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

describe('--init original --attention-dropout 0: experiment 4 as its notebook initialised and dropped', () => {
  it('writes a first checkpoint whose embeddings have std ~1 and biases std ~0.02 (ours: 0.02 and 0)', async () => {
    const shape = [
      '--data',
      CORPUS,
      '--steps',
      '1',
      '--eval-interval',
      '1',
      '--eval-iters',
      '1',
      '--width',
      '64',
      '--layers',
      '2',
      '--heads',
      '2',
      '--min-power',
      '5',
      '--batch',
      '2',
      '--context',
      '64',
      '--lr',
      '1e-9',
    ];
    const original = join(dir, 'original');
    const ours = join(dir, 'ours');
    await trainCommand(nestedApp, ['--out', original, ...shape, '--init', 'original', '--attention-dropout', '0']);
    await trainCommand(nestedApp, ['--out', ours, ...shape]);
    const o = readCheckpoint(original).weights;
    const s = readCheckpoint(ours).weights;
    for (const name of ['token_embedding', 'position_embedding']) {
      expect(Math.abs(std(o[name].values) - 1)).toBeLessThan(0.05);
      expect(Math.abs(std(s[name].values) - 0.02)).toBeLessThan(0.002);
    }
    const biases = Object.keys(o).filter((n) => /\.(bo|b1|b2)$/.test(n));
    expect(biases).toHaveLength(6);
    const pooled = Float32Array.from(biases.flatMap((n) => Array.from(o[n].values)));
    expect(Math.abs(std(pooled) - 0.02)).toBeLessThan(0.002);
    // Ours start at 0 (one step at lr 1e-9 moves them by ~1e-9).
    expect(biases.every((n) => s[n].values.every((x) => Math.abs(x) < 1e-6))).toBe(true);
    const config = JSON.parse(readFileSync(join(original, 'config.json'), 'utf8'));
    expect(config.model).toMatchObject({ init: 'original', attentionDropout: 0, dropout: 0.1 });
    expect(JSON.parse(readFileSync(join(ours, 'config.json'), 'utf8')).model).toMatchObject({
      init: 'small',
      attentionDropout: 0.1,
    });
  });
});

describe.each([
  ['ffn', 'sample'],
  ['width+depth', 'all'],
])('--nest %s --regime %s', (nest, regime) => {
  const run = join(dir, `${nest}-${regime}`);
  const flags = [...TINY, '--nest', nest, '--regime', regime, '--eval-interval', '5', '--checkpoint-every', '5'];

  it('trains, and resumes exactly: 5 + 5 steps equal 10 straight', async () => {
    await trainCommand(nestedApp, ['--out', run, ...flags, '--steps', '5']);
    await trainCommand(nestedApp, ['--resume', run, '--steps', '10']);
    const straight = join(dir, `${nest}-${regime}-straight`);
    await trainCommand(nestedApp, ['--out', straight, ...flags, '--steps', '10']);
    const losses = (d: string) => readMetrics(join(d, 'metrics.jsonl')).map((r) => [r.step, r.val]);
    expect(losses(run)).toEqual(losses(straight));
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'))).toMatchObject({
      model: { nesting: nest },
      training: { regime },
    });
    await expect(trainCommand(nestedApp, ['--resume', run, '--steps', '12', '--nest', 'width'])).rejects.toThrow(
      /--nest \("[a-z+]+" in config.json\) cannot change on resume/,
    );
  });

  it('samples, analyzes, and exports a width and a mix that sample runs as the run does', async () => {
    const loaded = loadRun(run);
    const request = { prompt: 'ROMEO:', tokens: 30, temperature: 1, seed: 3, greedy: true };
    const fromRun = Object.fromEntries(
      loaded.model.widths.map((m) => [m, sampleText(loaded, { ...request, width: m })]),
    );
    loaded.model.dispose();
    const exported = join(dir, `${nest}-w8.safetensors`);
    await exportCommand(nestedApp, ['--run', run, '--width', '8', '--out', exported]);
    let printed = '';
    await sampleCommand(
      nestedApp,
      ['--run', exported, '--prompt', 'ROMEO:', '--tokens', '30', '--greedy', '--width', nest === 'ffn' ? '16' : '8'],
      { write: (t: string) => (printed += t) },
    );
    expect(printed).toBe(`ROMEO:${fromRun[8]}\n`);

    // A mix: the standalone file generates what the mix generates inside the run.
    const mixWidths = nest === 'ffn' ? [4, 16] : [8, 0];
    const mixFile = join(dir, `${nest}-mix.safetensors`);
    await exportCommand(nestedApp, ['--run', run, '--layer-widths', mixWidths.join(','), '--out', mixFile]);
    const mixRun = loadRun(mixFile);
    expect(mixRun.model.config.layerWidths).toEqual(mixWidths);
    const inside = loadRun(run);
    const standaloneLogits = mixRun.model.forwardWidth(tensorOf([[1, 2, 3]]), mixRun.model.config.width, {
      training: false,
    });
    const insideLogits = inside.model.forwardSubmodel(tensorOf([[1, 2, 3]]), inside.model.mix(mixWidths), {
      training: false,
    });
    expect(maxAbsDiff(standaloneLogits.dataSync(), insideLogits.dataSync())).toBeLessThan(1e-5);
    mixRun.model.dispose();
    inside.model.dispose();
    let mixText = '';
    await sampleCommand(nestedApp, ['--run', mixFile, '--prompt', 'ROMEO:', '--tokens', '30', '--greedy'], {
      write: (t: string) => (mixText += t),
    });
    expect(mixText).toMatch(/^ROMEO:[^]{30}\n$/);
    await expect(
      exportCommand(nestedApp, ['--run', run, '--layer-widths', '4', '--out', join(dir, 'bad.safetensors')]),
    ).rejects.toThrow(/--layer-widths: .*needs one width per layer \(2\)/);

    const { reportFile } = await analyzeCommand(nestedApp, ['--run', run]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain(nest);
    expect(html).toContain('forward FLOPs/token');
  });

  it('mix evaluates the trained widths and seeded random mixes, marks the Pareto front, and draws it', async () => {
    let table = '';
    const file: MixFile = await mixCommand(nestedApp, ['--run', run, '--samples', '5', '--eval-batches', '2'], {
      write: (t: string) => (table += t),
    });
    const loaded = loadRun(run);
    const trained = file.points.filter((p) => p.kind === 'trained');
    expect(trained.map((p) => p.width)).toEqual([4, 8, 16]);
    trained.forEach((p) => {
      expect(p.layerWidths).toEqual(mixOfWidth(loaded.model.config, p.width as number));
      expect(p.flopsPerToken).toBe(loaded.model.flopsPerToken(p.width));
      expect(p.parameters).toBe(loaded.model.parameterCount(p.width));
    });
    loaded.model.dispose();
    expect(file.points.filter((p) => p.kind === 'mix').length).toBeGreaterThan(0);
    expect(file.points.map((p) => p.pareto)).toEqual(markParetoFront(file.points).map((p) => p.pareto));
    expect(JSON.parse(readFileSync(join(run, MIX_FILE), 'utf8'))).toEqual(file);
    const svg = readFileSync(join(run, 'figures', 'mix-n-match.svg'), 'utf8');
    expect(svg).toContain('trained width');
    expect(existsSync(join(run, 'figures', 'mix-n-match.png'))).toBe(true);
    expect(table).toMatch(/^Pareto front of \d+ points/);
    // Seeded: the same command draws the same mixes.
    const again = await mixCommand(nestedApp, ['--run', run, '--samples', '5', '--eval-batches', '2'], {
      write: () => undefined,
    });
    expect(again.points).toEqual(file.points);
    const { reportFile } = await analyzeCommand(nestedApp, ['--run', run]);
    expect(readFileSync(reportFile, 'utf8')).toMatch(/the Pareto front<\/h2><pre>Pareto front of \d+ points/);
  });

  it('samples by speculative decoding as a user runs it: the greedy text of --width on stdout, statistics on stderr, a refusal in one line', async () => {
    const argv = ['--run', run, '--prompt', 'R', '--tokens', '30', '--greedy', '--width', '16'];
    let plain = '';
    await sampleCommand(nestedApp, argv, { write: (t: string) => (plain += t) }, () => undefined);
    const cli = runAppCli('nested', ['sample', ...argv, '--draft-width', '4', '--draft-tokens', '3']);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toBe(plain);
    const status = cli.stderr.trim().split('\n');
    expect(status[0]).toMatch(/^backend: /);
    expect(status.slice(1, 3).join('\n')).toMatch(
      /^speculative decoding: width 4 drafts 3 per round, width 16 verifies\nacceptance rate \d\.\d{3}: \d+ of \d+ tested drafts? accepted/,
    );
    expect(status[3]).toMatch(/^30 tokens in .* tokens\/s$/);
    const refused = runAppCli('nested', ['sample', ...argv, '--draft-width', '16']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n').slice(1)).toEqual([
      "error: --draft-width 16 must be below the verifier's width 16: the draft is the smaller, cheaper doll",
    ]);
  });
});

describe('markParetoFront', () => {
  it('keeps each point better than every cheaper one (hand-worked)', () => {
    const points = [
      { flopsPerToken: 10, valLoss: 3.0 },
      { flopsPerToken: 20, valLoss: 3.1 }, // dearer and worse than the first
      { flopsPerToken: 30, valLoss: 2.5 },
      { flopsPerToken: 30, valLoss: 2.6 }, // as dear, worse
      { flopsPerToken: 40, valLoss: 2.5 }, // dearer, not better
      { flopsPerToken: 50, valLoss: 2.0 },
    ];
    expect(markParetoFront(points).map((p) => p.pareto)).toEqual([true, false, true, false, false, true]);
  });
});

describe('--help', () => {
  it('every target is offered by Nx and states each default once, printably, and never as null or undefined', async () => {
    expect(targetNames(nestedApp)).toEqual([
      'train',
      'sample',
      'analyze',
      'compare',
      'export',
      'baselines',
      'mix',
      'face-off',
    ]);
    expect(await appTargetProblems(nestedApp, Object.keys(project.targets))).toEqual([]);
  });
});

describe('nested vs alone, replica by replica', () => {
  it('pairs replica r of the nested run with replica r of the baseline (the same seeds): mean ± std of the differences', () => {
    // Differences 0.1, 0.3, 0.2: mean 0.2, sample std 0.1, and 0.2 > 0.1 marks it.
    expect(lossDifference({ width: 32, nested: [2.6, 2.8, 2.7], alone: [2.5, 2.5, 2.5] })).toBe(
      '+0.200 ± 0.100 (n=3) *',
    );
    // Differences -0.1, 0.1: mean 0, not beyond its spread.
    expect(lossDifference({ width: 32, nested: [2.4, 2.6], alone: [2.5, 2.5] })).toBe('+0.000 ± 0.141 (n=2)');
    expect(lossDifference({ width: 32, nested: [2.6], alone: [2.5] })).toBe('+0.100');
    expect(lossDifference({ width: 32, alone: [2.5] })).toBe('-');
  });
});
