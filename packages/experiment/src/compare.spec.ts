import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SHAKESPEARE_HIERARCHY } from '@matryoshka/hierarchy-imposed';
import { readMetrics, type MetricsRecord } from '@matryoshka/training';
import {
  COMPARE_HTML,
  COMPARE_JSON,
  compareCommand,
  comparisonTable,
  type Comparison,
  type MemberValue,
} from './compare-command';
import { loadCorpusData } from './corpus-data';
import { measureWidthCosts } from './costs';
import { replicaEmbeddingRows, separationAcrossReplicas } from './hierarchy-targets';
import { klFromFullWidth } from './kl-divergence';
import { loadRun } from './load-run';
import { RESULTS_FILE, buildResults, comparisonProblems, hierarchySeparation, type RunResults } from './results';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp } from './tiny-run.test-helper';

jest.setTimeout(240_000);

const member = (key: string, replica: number, value: number): MemberValue => ({ key, replica, value });

describe('comparisonTable', () => {
  // Entry 0: seeds s1, s2; entry 1: the same seeds; entry 2: one model of seed s2.
  const table = comparisonTable('val loss', [
    new Map([
      [8, [member('s1', 0, 2.0), member('s2', 1, 2.2)]],
      [16, [member('s1', 0, 1.8), member('s2', 1, 1.9)]],
    ]),
    new Map([
      [8, [member('s1', 0, 2.5), member('s2', 1, 2.8)]],
      [32, [member('s1', 0, 1.5), member('s2', 1, 1.6)]],
    ]),
    new Map([[8, [member('s2', 0, 2.5)]]]),
  ]);

  it('sets each entry against the first, by hand', () => {
    const [w8, w16, w32] = table.widths;
    expect(table.widths.map((w) => w.width)).toEqual([8, 16, 32]);
    const [first, second, single] = w8.rows;
    // Entry 0: mean 2.1, std |2.0 - 2.2| / sqrt 2 = 0.1414. Entry 1: mean 2.65, std 0.3 / sqrt 2 = 0.2121.
    expect(first.stat.mean).toBeCloseTo(2.1, 12);
    expect(first.stat.std).toBeCloseTo(0.2 / Math.SQRT2, 12);
    expect(first.vsFirst).toBeUndefined();
    expect(second.stat.mean).toBeCloseTo(2.65, 12);
    // Difference 0.55 > 0.1414 + 0.2121 = 0.3536: beyond the spread.
    expect(second.vsFirst!.difference).toBeCloseTo(0.55, 12);
    expect(second.vsFirst!.exceedsSpread).toBe(true);
    // Paired: s1 2.5 - 2.0 = 0.5, s2 2.8 - 2.2 = 0.6: mean 0.55, std 0.1 / sqrt 2 = 0.0707.
    expect(second.vsFirst!.paired.mean).toBeCloseTo(0.55, 12);
    expect(second.vsFirst!.paired.std).toBeCloseTo(0.1 / Math.SQRT2, 12);
    expect(second.vsFirst!.paired.n).toBe(2);
    // One model (seed s2): no spread, so no verdict; one pair, 2.5 - 2.2 = 0.3.
    expect(single.stat).toEqual({
      mean: 2.5,
      std: null,
      n: 1,
      reasons: { std: 'one value (a single model): no spread' },
    });
    expect(single.vsFirst!.exceedsSpread).toBeNull();
    expect(single.vsFirst!.reasons).toEqual({ exceedsSpread: 'one side is a single value: no spread to compare with' });
    expect(single.vsFirst!.paired.mean).toBeCloseTo(0.3, 12);
    expect(single.vsFirst!.paired.n).toBe(1);
    // Width 16 only the first has; width 32 the first lacks.
    expect(w16.rows.map((r) => r.entry)).toEqual([0]);
    expect(w32.rows[0].vsFirst).toMatchObject({ difference: null, exceedsSpread: null, paired: { mean: null, n: 0 } });
    expect(w32.rows[0].vsFirst!.reasons).toEqual({
      difference: 'the first entry has no value at this width',
      exceedsSpread: 'the first entry has no value at this width',
    });
  });
});

/** What analyze will write as results.json (buildResults from what analyze has at hand), scoring the default hierarchy. */
function writeResults(runDir: string): RunResults {
  const run = loadRun(runDir);
  try {
    const records = readMetrics(join(runDir, 'metrics.jsonl'));
    const data = loadCorpusData(run.config.training.data, run.config.vocabulary);
    const kl = klFromFullWidth(run.model, data.val, { batches: 1, batchSize: 2, contextLength: 8, seed: 1 });
    const members = run.replicas?.group.members ?? [0];
    const scores = separationAcrossReplicas(
      run.replicas?.embeddings ?? replicaEmbeddingRows(run.model.namedVariables()),
      DEFAULT_SHAKESPEARE_HIERARCHY,
      run.config.vocabulary,
    );
    const doc = buildResults({
      app: 'mrl-embeddings',
      runDir,
      config: run.config,
      step: run.step,
      records,
      costs: measureWidthCosts(run.model, { tokens: 4, repeats: 1 }),
      kl,
      backend: 'cpu',
      replicas: run.replicas,
      hierarchyScore: hierarchySeparation(DEFAULT_SHAKESPEARE_HIERARCHY, 'layer-norm', members, scores),
    });
    writeFileSync(join(runDir, RESULTS_FILE), JSON.stringify(doc));
    return doc;
  } finally {
    run.model.dispose();
  }
}

const fixed = (x: number) => x.toFixed(3);
// Signed, rounded first (a difference that rounds to zero prints +0.000).
const signed = (x: number) => (Number(x.toFixed(3)) >= 0 ? `+${Math.abs(x).toFixed(3)}` : x.toFixed(3));
// Two values: mean and sample std (n - 1 = 1), |x - y| / sqrt 2.
const mean2 = ([x, y]: number[]) => (x + y) / 2;
const std2 = ([x, y]: number[]) => Math.abs(x - y) / Math.SQRT2;
const meanStd2 = (v: number[]) => `${fixed(mean2(v))} ± ${fixed(std2(v))} (n=2)`;

describe('compare on real runs', () => {
  const dir = tempDir('compare');
  const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name));
  const out = join(dir, 'comparison');
  let printed = '';
  let comparison: Comparison;
  let results: { a: RunResults; c: RunResults };
  const lastOf = (run: string): MetricsRecord => readMetrics(join(run, 'metrics.jsonl')).at(-1)!;

  beforeAll(async () => {
    // A: 2 replicas (seeds 1337, 1338); B: a sweep of two learning rates, 2 replicas each (the
    // same seeds); C: one model with replica 1's seeds.
    await trainCommand(tinyMrlApp, [...tinyFlags(a, 6), '--replicas', '2']);
    await trainCommand(tinyMrlApp, [...tinyFlags(b, 6), '--replicas', '2', '--sweep', 'lr=0.001,0.003']);
    await trainCommand(tinyMrlApp, [...tinyFlags(c, 6), '--seed', '1338', '--init-seed', '1338']);
    results = { a: writeResults(a), c: writeResults(c) };
    ({ comparison } = await compareCommand(tinyMrlApp, [a, b, c, '--labels', 'A,B,C', '--out', out], {
      write: (text: string) => (printed += text),
    }));
  });

  /** The printed row of a table for (width, entry), as cells. */
  const row = (text: string, width: number, entry: string) =>
    text
      .split('\n')
      .map((line) => line.trim().split(/\s{2,}/))
      .find((cells) => cells[0] === String(width) && cells[1] === entry);

  it("prints per width each entry's mean ± std, the difference from the first, the verdict and the difference paired by seed, as computed here from metrics.jsonl", () => {
    const A = lastOf(a).replicas!.map((r) => r.val['8']);
    const B = lastOf(b).replicas!.map((r) => r.val['8']);
    const C = lastOf(c).val['8'];
    const valTable = printed.slice(0, printed.indexOf('separation of'));
    expect(row(valTable, 8, 'A')).toEqual(['8', 'A', meanStd2(A)]);
    for (const [entry, values] of [
      ['B lr=0.001', B.slice(0, 2)],
      ['B lr=0.003', B.slice(2, 4)],
    ] as const) {
      const difference = mean2(values) - mean2(A);
      const beyond = Math.abs(difference) > std2(values) + std2(A) ? 'yes' : 'no';
      // Paired by seed: replica k of B's value against replica k of A (the same seeds).
      const pairs = [values[0] - A[0], values[1] - A[1]];
      expect(row(valTable, 8, entry)).toEqual([
        '8',
        entry,
        meanStd2(values),
        signed(difference),
        beyond,
        `${signed(mean2(pairs))} ± ${fixed(std2(pairs))} (n=2)`,
      ]);
    }
    // C is one model (no spread: no verdict) with A's replica 1's seeds: one pair.
    expect(row(valTable, 8, 'C')).toEqual([
      '8',
      'C',
      fixed(C),
      signed(C - mean2(A)),
      'n/a',
      `${signed(C - A[1])} (1 pair)`,
    ]);
    expect(printed).toContain('*  A           mrl-embeddings, step 6, 2 replicas, seeds 1337, 1338');
    expect(printed).toContain('   C           mrl-embeddings, step 6, 1 model, seed 1338');
  });

  it('writes compare.json with the same numbers, valid against the schema, and compare.html with the curves, the bars and the tables', () => {
    expect(readdirSync(out).sort()).toEqual([COMPARE_HTML, COMPARE_JSON, 'figures']);
    const written = JSON.parse(readFileSync(join(out, COMPARE_JSON), 'utf8'));
    expect(comparisonProblems(written)).toEqual([]);
    expect(written).toEqual(JSON.parse(JSON.stringify(comparison)));
    expect(written.entries.map((e: { label: string }) => e.label)).toEqual(['A', 'B lr=0.001', 'B lr=0.003', 'C']);
    expect(written.tables[0].measure).toBe('val loss at the last evaluation');
    const w16 = written.tables[0].widths.find((w: { width: number }) => w.width === 16);
    const B = lastOf(b).replicas!.map((r) => r.val['16']);
    expect(w16.rows[2].replicas).toEqual([
      { replica: 2, value: B[2] },
      { replica: 3, value: B[3] },
    ]);
    expect(w16.rows[2].stat.mean).toBeCloseTo(mean2(B.slice(2)), 12);
    const html = readFileSync(join(out, COMPARE_HTML), 'utf8');
    expect(html).toContain('bands_marks'); // the replicas' bands behind the curves
    expect(html).toContain('means_marks'); // the error bars' points
    expect(html).toContain(`<td>B lr=0.003</td><td>${meanStd2(B.slice(2))}</td>`);
    expect(readdirSync(join(out, 'figures'))).toContain('val-loss-per-width.svg');
    expect(readdirSync(dir).filter((name) => name.includes('staging'))).toEqual([]);
  });

  it("takes costs, KL and separation from a run's results.json, pairing C's separation with A's replica 1", () => {
    expect(comparison.entries.map((e) => e.results)).toEqual([
      join(a, RESULTS_FILE),
      null,
      null,
      join(c, RESULTS_FILE),
    ]);
    expect(comparison.costs.map((x) => [x.entry, x.width])).toEqual([
      [0, 4],
      [0, 8],
      [0, 16],
      [3, 4],
      [3, 8],
      [3, 16],
    ]);
    expect(comparison.costs[2]).toMatchObject({ parameters: results.a.widths[2].parameters, klFromFull: 0 });
    const [, separation] = comparison.tables;
    expect(separation.measure).toBe(
      'separation of "tiny-shakespeare-default" (within - between cosine, layer-norm prefixes) at the analysed step',
    );
    const w4 = separation.widths.find((w) => w.width === 4)!;
    expect(w4.rows.map((r) => r.entry)).toEqual([0, 3]);
    const scoreOf = (doc: RunResults, replica: number) =>
      doc.hierarchyScore!.levels.find((l) => l.width === 4)!.perReplica.find((p) => p.replica === replica)!.score!;
    expect(w4.rows[1].vsFirst!.paired.mean).toBeCloseTo(scoreOf(results.c, 0) - scoreOf(results.a, 1), 12);
    expect(row(printed.slice(printed.indexOf('separation of')), 4, 'C')?.[5]).toBe(
      `${signed(scoreOf(results.c, 0) - scoreOf(results.a, 1))} (1 pair)`,
    );
  });

  it('refuses, in one line naming the run, what cannot be compared, and writes nothing', async () => {
    const compare = (...args: string[]) =>
      compareCommand(tinyMrlApp, [...args, '--out', join(dir, 'refused')], { write: () => undefined });
    await expect(compare(a, join(dir, 'nope'))).rejects.toThrow(`run directory ${join(dir, 'nope')} does not exist`);
    const notRun = tempDir('not-a-run');
    await expect(compare(a, notRun)).rejects.toThrow(
      `config.json not found; is ${notRun} a run directory written by train?`,
    );
    await expect(compare(a)).rejects.toThrow(`compare needs two runs, or one sweep run, to compare; got only ${a}`);
    await expect(compare(a, a)).rejects.toThrow(`${a} is given twice`);
    // Another vocabulary: a copy of A whose config.json lacks the last character.
    const other = join(dir, 'other-vocabulary');
    cpSync(a, other, { recursive: true });
    const config = JSON.parse(readFileSync(join(other, 'config.json'), 'utf8'));
    writeFileSync(
      join(other, 'config.json'),
      JSON.stringify({ ...config, vocabulary: config.vocabulary.slice(0, -1) }),
    );
    await expect(compare(a, other)).rejects.toThrow(
      `${other}: its vocabulary (64 characters) is not that of ${a} (65): losses over different vocabularies do not compare`,
    );
    // Widths with no overlap: a model of width 32 alone.
    const wide = join(dir, 'wide');
    await trainCommand(tinyMrlApp, [...tinyFlags(wide, 3), '--width', '32', '--min-power', '5']);
    await expect(compare(a, wide)).rejects.toThrow(`${wide}: its widths (32) share none with those of ${a} (4, 8, 16)`);
    await expect(compareCommand(tinyMrlApp, [a, c, '--out', out], { write: () => undefined })).rejects.toThrow(
      `--out ${out} already exists and is not an empty folder`,
    );
    expect(existsSync(join(dir, 'refused'))).toBe(false);
    expect(readdirSync(out).sort()).toEqual([COMPARE_HTML, COMPARE_JSON, 'figures']);
  });

  it('gives a sweep run an entry per value, and writes into runs/compare/<timestamp> by default', async () => {
    const cwd = process.cwd();
    const here = tempDir('compare-default');
    process.chdir(here);
    try {
      let text = '';
      const { dir: written, comparison: sweep } = await compareCommand(tinyMrlApp, [b], {
        write: (t: string) => (text += t),
      });
      expect(written).toMatch(/^runs\/compare\/\d{8}-\d{6}$/);
      expect(readdirSync(join(here, written)).sort()).toEqual([COMPARE_HTML, COMPARE_JSON, 'figures']);
      expect(sweep.entries.map((e) => e.label)).toEqual([`${b} lr=0.001`, `${b} lr=0.003`]);
      const B = lastOf(b).replicas!.map((r) => r.val['4']);
      const pairs = [B[2] - B[0], B[3] - B[1]];
      expect(row(text, 4, `${b} lr=0.003`)?.[5]).toBe(`${signed(mean2(pairs))} ± ${fixed(std2(pairs))} (n=2)`);
    } finally {
      process.chdir(cwd);
    }
  });
});
