import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SHAKESPEARE_HIERARCHY } from '@matryoshka/hierarchy-imposed';
import { readMetrics } from '@matryoshka/training';
import { loadCorpusData } from './corpus-data';
import { measureWidthCosts } from './costs';
import { embeddingRows, separationAcrossReplicas } from './hierarchy-targets';
import { klFromFullWidth } from './kl-divergence';
import { loadRun } from './load-run';
import {
  RESULTS_SCHEMA,
  baselineResults,
  buildResults,
  emergentResults,
  hierarchySeparation,
  pairedDifference,
  readResults,
  resultsProblems,
  spreadOf,
  spreadVerdict,
  type RunResults,
} from './results';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

describe('spreadOf', () => {
  it('gives mean ± sample std over the finite values, by hand', () => {
    // 2.0, 2.5, 3.0: deviations -0.5, 0, 0.5; squares sum to 0.5; / (n - 1) = 0.25; std 0.5.
    expect(spreadOf([2.0, 2.5, 3.0], 'none')).toEqual({ mean: 2.5, std: 0.5, n: 3 });
    // NaN (and null, as JSON writes NaN) are not values: 1 and 3 give mean 2, std sqrt(2).
    const s = spreadOf([1, NaN, null, 3], 'none');
    expect(s.mean).toBe(2);
    expect(s.std).toBeCloseTo(Math.SQRT2, 12);
    expect(s.n).toBe(2);
  });
  it('is null with a reason where undefined: std of one value, both of none', () => {
    expect(spreadOf([2.5], 'none')).toEqual({
      mean: 2.5,
      std: null,
      n: 1,
      reasons: { std: 'one value (a single model): no spread' },
    });
    expect(spreadOf([], 'not evaluated')).toEqual({
      mean: null,
      std: null,
      n: 0,
      reasons: { mean: 'not evaluated', std: 'not evaluated' },
    });
  });
});

describe('pairedDifference', () => {
  const a = [
    { key: 's1', value: 2.0 },
    { key: 's2', value: 2.5 },
    { key: 's3', value: 3.0 },
  ];
  it('pairs by key: b - a over the shared keys, mean ± std over the pairs, by hand', () => {
    // Pairs s1, s2, s3 (s4 has no partner): +0.1, -0.1, +0.3; mean 0.1; deviations 0, -0.2, 0.2;
    // squares sum to 0.08; / 2 = 0.04; std 0.2.
    const b = [
      { key: 's4', value: 9 },
      { key: 's3', value: 3.3 },
      { key: 's1', value: 2.1 },
      { key: 's2', value: 2.4 },
    ];
    const d = pairedDifference(a, b);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.std).toBeCloseTo(0.2, 12);
  });
  it('is null with a reason with no pair, and has no std with one', () => {
    expect(pairedDifference(a, [{ key: 'x', value: 1 }])).toMatchObject({
      mean: null,
      std: null,
      n: 0,
      reasons: { mean: 'no seed in common: nothing to pair' },
    });
    const one = pairedDifference(a, [{ key: 's2', value: 2.0 }]);
    expect(one).toMatchObject({ std: null, n: 1, reasons: { std: 'one pair: no spread' } });
    expect(one.mean).toBeCloseTo(-0.5, 12);
  });
});

describe('spreadVerdict', () => {
  it('is |mean a - mean b| > std a + std b, by hand; null for a single value', () => {
    // a: mean 2.1, std 0.1 sqrt 2 = 0.1414; b: mean 2.6, same std; 0.5 > 0.283.
    expect(spreadVerdict([2.0, 2.2], [2.5, 2.7])).toEqual({ exceeds: true });
    // b: mean 2.3; 0.2 < 0.283.
    expect(spreadVerdict([2.0, 2.2], [2.2, 2.4])).toEqual({ exceeds: false });
    expect(spreadVerdict([2.0, 2.2], [2.5])).toEqual({
      exceeds: null,
      reason: 'one side is a single value: no spread to compare with',
    });
  });
});

describe('results.json of a real run', () => {
  const dir = tempDir('results');
  const runDir = join(dir, 'run');
  let doc: RunResults;

  beforeAll(async () => {
    await trainCommand(tinyMrlApp, [...tinyFlags(runDir, 6), '--replicas', '2']);
    // What analyze has at hand, gathered as analyze gathers it (replica 1 shown).
    const run = loadRun(runDir, 1);
    try {
      const records = readMetrics(join(runDir, 'metrics.jsonl'));
      const costs = measureWidthCosts(run.model, { tokens: 4, repeats: 1 });
      const data = loadCorpusData(run.config.training.data, run.config.vocabulary);
      const kl = klFromFullWidth(run.model, data.val, { batches: 1, batchSize: 2, contextLength: 8, seed: 1 });
      const embeddings = run.replicas!.embeddings;
      const hierarchyScore = hierarchySeparation(
        DEFAULT_SHAKESPEARE_HIERARCHY,
        'layer-norm',
        [0, 1],
        separationAcrossReplicas(embeddings, DEFAULT_SHAKESPEARE_HIERARCHY, run.config.vocabulary),
      );
      expect(embeddingRows(run.model.namedVariables())).toEqual(embeddings[1]);
      doc = buildResults({
        app: 'mrl-embeddings',
        runDir,
        config: run.config,
        step: run.step,
        records,
        costs,
        kl,
        backend: 'cpu',
        replicas: run.replicas,
        hierarchyScore,
      });
    } finally {
      run.model.dispose();
    }
    writeFileSync(join(runDir, 'results.json'), JSON.stringify(doc, null, 2) + '\n');
  });

  it('matches the schema, read back from the file', () => {
    expect(resultsProblems(JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')))).toEqual([]);
    expect(readResults(join(runDir, 'results.json'))).toEqual(doc);
    expect(RESULTS_SCHEMA.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it("holds the losses of metrics.jsonl's last line, per replica with its seeds, and over the replicas", () => {
    const last = readMetrics(join(runDir, 'metrics.jsonl')).at(-1)!;
    const [r0, r1] = last.replicas!.map((r) => r.val['8']);
    expect(doc.run).toMatchObject({
      steps: 6,
      evaluatedStep: 6,
      widths: [4, 8, 16],
      seed: 1337,
      initSeed: 1337,
      seeds: 2,
      shownReplica: 1,
      pooled: { name: 'all replicas', replicas: [0, 1] },
    });
    expect(doc.replicas.map((r) => [r.index, r.label, r.seed, r.initSeed])).toEqual([
      [0, 'seed+0', 1337, 1337],
      [1, 'seed+1', 1338, 1338],
    ]);
    expect(doc.replicas[1].losses[1]).toEqual({ width: 8, val: r1, train: last.replicas![1].train['8'] });
    const w8 = doc.widths[1];
    expect(w8.valLoss.n).toBe(2);
    expect(w8.valLoss.mean).toBeCloseTo((r0 + r1) / 2, 12);
    expect(w8.valLoss.std).toBeCloseTo(Math.abs(r0 - r1) / Math.SQRT2, 12);
    expect(doc.widths[2].klFromFull).toBe(0);
    expect(doc.groups).toEqual([
      {
        name: 'all replicas',
        replicas: [0, 1],
        widths: doc.widths.map((w) => ({ width: w.width, valLoss: w.valLoss, trainLoss: w.trainLoss })),
      },
    ]);
    expect(doc.hierarchyScore?.levels.map((l) => l.width)).toEqual([2, 4, 8, 16]);
  });

  it('finds what is wrong in a broken document, naming the field', () => {
    // A copy of the document with the field at `path` set to `value` (undefined: removed).
    const broken = (path: (string | number)[], value: unknown) => {
      type Node = Record<string | number, unknown>;
      const copy = structuredClone(doc) as unknown as Node;
      const parent = path.slice(0, -1).reduce<Node>((at, key) => at[key] as Node, copy);
      const key = path[path.length - 1];
      if (value === undefined) delete parent[key];
      else parent[key] = value;
      return resultsProblems(copy);
    };
    expect(broken(['widths', 1, 'valLoss', 'std'], 'x')).toEqual(['widths[1].valLoss.std: must be number,null']);
    expect(broken(['widths', 0, 'klFromFull'], NaN)).toEqual([
      'widths[0].klFromFull: null with no reason (reasons.klFromFull)',
    ]);
    expect(broken(['widths', 0, 'klFromFull'], null)).toEqual([
      'widths[0].klFromFull: null with no reason (reasons.klFromFull)',
    ]);
    expect(broken(['widths', 0, 'reasons'], { parameters: 'why not' })).toEqual([
      'widths[0].reasons.parameters: a reason for a field that is not null',
    ]);
    expect(broken(['run', 'seed'], undefined)).toEqual(['run.seed: missing']);
    expect(broken(['replicas', 0, 'lossez'], [])).toEqual(['replicas[0].lossez: not a field of this format']);
    expect(broken(['version'], 2)).toEqual(['version: 2; this program reads version 1 only']);
    expect(broken(['version'], 0)).toEqual(['version: 0; this program reads version 1 only']);
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ ...doc, run: { ...doc.run, steps: -1 } }));
    expect(() => readResults(file)).toThrow(`${file}: run.steps: must be >= 0`);
  });

  // The apps' parts, in this run's document.
  it('nested: the baselines paired by replica, nested - alone, by hand; null with a reason before nested:baselines', () => {
    // Pairs: 2.60 - 2.50 = 0.10 and 2.64 - 2.58 = 0.06: mean 0.08, std 0.04 / sqrt 2.
    const { baselines } = baselineResults([{ width: 32, nested: [2.6, 2.64], alone: [2.5, 2.58] }]);
    expect(baselines![0].difference.mean).toBeCloseTo(0.08, 12);
    expect(baselines![0].difference.std).toBeCloseTo(0.04 / Math.SQRT2, 12);
    // Unpaired, |2.62 - 2.54| = 0.08 is within the stds 0.0283 + 0.0566 = 0.0849: the seeds move both together.
    expect(baselines![0].exceedsSpread).toBe(false);
    expect(resultsProblems({ ...doc, nested: { baselines } })).toEqual([]);
    const none = baselineResults([]);
    expect(none).toEqual({
      baselines: null,
      reasons: { baselines: 'no baselines yet: nested:baselines has not run for this run' },
    });
    expect(resultsProblems({ ...doc, nested: none })).toEqual([]);
  });

  it('emergent: groups, stability and agreement per width, valid in a results document', () => {
    const vocabulary = [...new Set(readFileSync(join(__dirname, '../../../data/tinyshakespeare.txt'), 'utf8'))].sort();
    const embedding = vocabulary.map((_, i) => Array.from({ length: 8 }, (_, k) => Math.sin(i * (k + 1))));
    const hierarchy = { name: 'found', levels: [{ width: 2, groups: { a: ['a', 'e', 'i'], b: ['b', 'c', 'd'] } }] };
    const part = emergentResults({
      hierarchies: [hierarchy, hierarchy],
      embeddings: [embedding, embedding],
      replicas: [0, 1],
      agreement: { '2': { ari: [1] } },
      history: [
        { epoch: 0, step: 10 },
        { epoch: 1, step: 20, stability: { '2': 0.5 } },
      ],
      vocabulary,
      mode: 'raw',
    });
    expect(part.lastClustering).toEqual({ epoch: 1, step: 20 });
    expect(part.widths[0]).toMatchObject({
      width: 2,
      groups: { mean: 2, std: 0, n: 2 },
      ariVsPrevious: 0.5,
      ariBetweenReplicas: { mean: 1, std: null, n: 1 },
    });
    expect(part.stability).toEqual([{ epoch: 1, step: 20, ari: [{ width: 2, ari: 0.5 }] }]);
    const first = emergentResults({
      hierarchies: [hierarchy],
      embeddings: [embedding],
      replicas: [0],
      agreement: {},
      history: [{ epoch: 0, step: 10 }],
      vocabulary,
      mode: 'raw',
    });
    expect(first.widths[0]).toMatchObject({
      ariVsPrevious: null,
      reasons: { ariVsPrevious: 'the first clustering: none before it' },
    });
    expect(first.widths[0].ariBetweenReplicas.reasons).toEqual({
      mean: 'one replica: no pair to compare',
      std: 'one replica: no pair to compare',
    });
    expect(resultsProblems({ ...doc, emergent: part })).toEqual([]);
    expect(resultsProblems({ ...doc, emergent: first })).toEqual([]);
  });
});
