import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  analyzeCommand,
  appTargetProblems,
  embeddingRows,
  loadCorpusData,
  loadRun,
  parseTrainSettings,
  separationByLevel,
  targetNames,
  trainCommand,
} from '@matryoshka/experiment';
import { DEFAULT_SHAKESPEARE_HIERARCHY, loadHierarchy, validateHierarchy } from '@matryoshka/hierarchy-imposed';
import { nestingWidths } from '@matryoshka/matryoshka-layers';
import { configWidths } from '@matryoshka/nested-transformer';
import { readMetrics } from '@matryoshka/training';
import { imposedApp, IMPOSED_HIERARCHY_FILE } from './app';
import project from '../project.json';

jest.setTimeout(120_000);

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'imposed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = (out: string, extra: string[] = []) => [
  '--out',
  out,
  '--data',
  CORPUS,
  '--steps',
  '4',
  '--eval-interval',
  '2',
  '--eval-iters',
  '1',
  '--layers',
  '1',
  '--batch',
  '2',
  ...extra,
];
const writeJson = (name: string, value: unknown) => {
  const file = join(dir, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};

describe('imposed defaults', () => {
  it('are experiment 2 of docs/EXPERIMENTS.md, "Defaults per app": experiment 1 with widths 2..32 and 1000 steps', () => {
    const { run } = parseTrainSettings(imposedApp, []);
    expect(run.model).toEqual({
      contextLength: 16,
      width: 32,
      heads: 4,
      layers: 4,
      dropout: 0.2,
      minPower: 1,
      nesting: 'embedding',
      headNormalisation: 'full',
      seed: 1337,
      init: 'small',
      layersPerWidth: null,
      layerWidths: null,
    });
    expect(run.training).toMatchObject({ batchSize: 4, steps: 1000, evalInterval: 50 });
    expect(configWidths(run.model)).toEqual([2, 4, 8, 16, 32]);
  });
});

describe('imposed train', () => {
  it('trains with the shipped hierarchy, keeps it in the run and logs separation per level', async () => {
    const out = join(dir, 'run');
    await trainCommand(imposedApp, tiny(out));
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.model.minPower).toBe(1);
    expect(config.settings.hierarchyData).toEqual(DEFAULT_SHAKESPEARE_HIERARCHY);
    expect(JSON.parse(readFileSync(join(out, IMPOSED_HIERARCHY_FILE), 'utf8'))).toEqual(DEFAULT_SHAKESPEARE_HIERARCHY);
    const metrics = readMetrics(join(out, 'metrics.jsonl'));
    expect(Object.keys(metrics[0].separation as object)).toEqual(['2', '4', '8', '16']);
    // The logged score at the last eval is the score of the final weights (computed independently here).
    const run = loadRun(out);
    const scores = separationByLevel(
      embeddingRows(run.model.namedVariables()),
      DEFAULT_SHAKESPEARE_HIERARCHY,
      config.vocabulary,
    );
    const last = metrics[metrics.length - 1].separation as Record<string, { score: number }>;
    expect(last['2'].score).toBeCloseTo(scores['2'].score, 5);
    run.model.dispose();
  });

  it.each([
    ['malformed JSON', '{"name": "x", "levels": [', /--hierarchy: .*bad\.json/],
    [
      'an unknown token',
      { name: 'x', levels: [{ width: 2, groups: { a: ['A', '€'] } }] },
      /"€".*group "a"|group "a".*"€"/,
    ],
    ['an empty group', { name: 'x', levels: [{ width: 2, groups: { a: [] } }] }, /group "a".*empty|empty.*"a"/],
    ['a token in two groups', { name: 'x', levels: [{ width: 8, groups: { v: ['Y', 'a'], c: ['Y', 'b'] } }] }, /"Y"/],
    ['a level at no width of the model', { name: 'x', levels: [{ width: 3, groups: { a: ['A', 'B'] } }] }, /width/],
  ])('refuses a hierarchy with %s, naming it', async (_what, content, message) => {
    const file = writeJson('bad.json', content);
    const out = join(dir, `bad-${Math.random().toString(36).slice(2)}`);
    await expect(trainCommand(imposedApp, tiny(out, ['--hierarchy', file]))).rejects.toThrow(message);
    await expect(trainCommand(imposedApp, tiny(out, ['--hierarchy', file]))).rejects.toThrow(file);
    expect(existsSync(out)).toBe(false);
  });
});

describe('the example hierarchy the README trains with', () => {
  // npx nx run imposed:train -- --hierarchy data/hierarchies/case-and-punctuation.hierarchy.json
  const EXAMPLE = resolve(__dirname, '../../../data/hierarchies/case-and-punctuation.hierarchy.json');

  it('loads with the package loader and fits the bundled corpus at the default widths', async () => {
    const hierarchy = loadHierarchy(EXAMPLE);
    expect(hierarchy.name).toBe('case-and-punctuation');
    expect(hierarchy.levels.map((l) => l.width)).toEqual([4, 8]);
    const vocabulary = [...loadCorpusData(CORPUS).tokenizer.vocabulary];
    const defaults = parseTrainSettings(imposedApp, []);
    expect(() =>
      validateHierarchy(hierarchy, vocabulary, nestingWidths(defaults.run.model.width, defaults.run.model.minPower)),
    ).not.toThrow();
    // The train command accepts it as given: a tiny run keeps it and scores its two levels.
    const out = join(dir, 'example');
    await trainCommand(imposedApp, tiny(out, ['--hierarchy', EXAMPLE]));
    expect(JSON.parse(readFileSync(join(out, IMPOSED_HIERARCHY_FILE), 'utf8'))).toEqual(hierarchy);
    expect(Object.keys(readMetrics(join(out, 'metrics.jsonl'))[0].separation as object)).toEqual(['4', '8']);
  });
});

describe('a hierarchy level of one group', () => {
  it('trains, and analyze shows its undefined scores as n/a (one group), never NaN', async () => {
    // One group: no pairs between groups, so no within - between and no silhouette.
    const file = writeJson('one-group.json', {
      name: 'one',
      levels: [{ width: 2, groups: { vowels: ['a', 'e', 'i', 'o', 'u'] } }],
    });
    const out = join(dir, 'one-group');
    await trainCommand(imposedApp, tiny(out, ['--hierarchy', file]));
    expect(readMetrics(join(out, 'metrics.jsonl'))[0].separation).toEqual({ 2: { score: null, silhouette: null } });
    const html = readFileSync((await analyzeCommand(imposedApp, ['--run', out])).reportFile, 'utf8');
    expect(html).toContain('n/a (one group)');
    expect(html).not.toMatch(/NaN/);
  });
});

describe('--help', () => {
  it('every target is offered by Nx and states each default once, printably, and never as null or undefined', async () => {
    expect(targetNames(imposedApp)).toEqual(['train', 'sample', 'analyze', 'compare']);
    expect(await appTargetProblems(imposedApp, Object.keys(project.targets))).toEqual([]);
  });
});

describe('imposed with a sweep of replicas', () => {
  it('trains lr=1e-3,3e-4 x 2 seeds at once, resumes, scores separation per replica, and reports mean ± std', async () => {
    const out = join(dir, 'sweep');
    await trainCommand(imposedApp, tiny(out, ['--sweep', 'lr=1e-3,3e-4', '--replicas', '2', '--steps', '2']));
    await trainCommand(imposedApp, ['--resume', out, '--steps', '4']);
    const metrics = readMetrics(join(out, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual([0, 2, 4]);
    expect(metrics[2].replicas!.map((r) => r.lr)).toEqual([1e-3, 1e-3, 3e-4, 3e-4]);
    // The record's separation is the mean of each replica's own.
    const hierarchy = loadHierarchy(join(out, IMPOSED_HIERARCHY_FILE));
    const perReplica = [0, 1, 2, 3].map((r) => {
      const run = loadRun(out, r);
      const score = separationByLevel(embeddingRows(run.model.namedVariables()), hierarchy, run.config.vocabulary)['8']
        .score;
      run.model.dispose();
      return score;
    });
    const separation = metrics[2].separation as Record<string, { score: number }>;
    expect(separation['8'].score).toBeCloseTo(perReplica.reduce((a, b) => a + b, 0) / 4, 10);
    const { reportFile } = await analyzeCommand(imposedApp, ['--run', out]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('mean ± std over 2 replicas'); // replica 0's sweep value, lr=0.001
    expect(html).toMatch(/lr=0.001<\/td><td class="num">2<\/td>/);
  });
});
