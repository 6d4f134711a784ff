import { cpSync, existsSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint, readMetrics } from '@matryoshka/training';
import { UserError } from './cli/errors';
import { trainCommand } from './train-command';
import { sampleCommand } from './sample-command';
import { analyzeCommand } from './analyze-command';
import { exportCommand } from './export-command';
import { checkRunApp, loadRun } from './load-run';
import { resultsProblems } from './results';
import { loadCorpusData } from './corpus-data';
import { visibleText } from './side-by-side';
import { CORPUS, tempDir, tinyFlags, tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

function capture() {
  let text = '';
  return { stream: { write: (s: string) => (text += s) }, text: () => text };
}

describe('train -> sample -> analyze on a tiny mrl run', () => {
  const dir = tempDir('runner');
  const runDir = join(dir, 'run');

  beforeAll(async () => {
    await trainCommand(tinyMrlApp, tinyFlags(runDir));
  });

  it('writes config.json with every setting and the vocabulary, and metrics at each eval', () => {
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      app: 'mrl-embeddings',
      model: {
        vocabSize: 65,
        width: 16,
        layers: 1,
        heads: 2,
        minPower: 2,
        contextLength: 8,
        nesting: 'embedding',
        headNormalisation: 'full',
        seed: 1337,
      },
      training: { steps: 6, batchSize: 2, lr: 3e-4, seed: 1337 },
      settings: {},
    });
    expect(config.vocabulary).toHaveLength(65);
    expect(config.vocabulary[0]).toBe('\n');
    const metrics = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.step)).toEqual([0, 3, 6]);
    expect(Object.keys(metrics[0].val)).toEqual(['4', '8', '16']);
    expect(readCheckpoint(runDir).state.step).toBe(6);
  });

  it('never overwrites a run and names what is wrong with bad flags', async () => {
    await expect(trainCommand(tinyMrlApp, tinyFlags(runDir))).rejects.toThrow(
      `${runDir} already exists; pass --resume`,
    );
    await expect(trainCommand(tinyMrlApp, ['--stpes', '3'])).rejects.toThrow(
      'unknown flag --stpes; did you mean --steps?',
    );
    await expect(trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'x')), '--width', '48'])).rejects.toThrow(
      '--width (d) must be a power of two (got 48)',
    );
    await expect(
      trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'y')), '--data', join(dir, 'missing.txt')]),
    ).rejects.toThrow(`--data: ${join(dir, 'missing.txt')} does not exist`);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it("refuses a learning-rate schedule the loop would refuse before it makes the run's directory", async () => {
    const refused = async (flags: string[], message: string) => {
      const out = join(dir, 'schedule');
      await expect(trainCommand(tinyMrlApp, [...tinyFlags(out), ...flags])).rejects.toThrow(new UserError(message));
      expect(existsSync(out)).toBe(false);
    };
    await refused(['--min-lr', '0.1'], '--min-lr must be in [0, --lr=0.0003], got 0.1');
    await refused(['--warmup', '50'], "the run's steps must be an integer >= --warmup (50), got 6");
    // The low rate is the sweep's second value: every replica is checked, not only the first.
    await refused(
      ['--sweep', 'lr=1e-3,1e-5', '--min-lr', '1e-4'],
      '--min-lr must be in [0, the swept lr=0.00001], got 0.0001 (replica lr=0.00001 seed+0)',
    );
    await refused(
      ['--sweep', 'weight-decay=0,0.1', '--min-lr', '0.1'],
      '--min-lr must be in [0, --lr=0.0003], got 0.1 (replica weight-decay=0 seed+0)',
    );
  });

  it("chooses a new run's backend before it makes the run's directory", async () => {
    const out = join(dir, 'backend');
    const saved = process.env.MATRYOSHKA_BACKEND;
    process.env.MATRYOSHKA_BACKEND = 'bogus';
    try {
      await expect(trainCommand(tinyMrlApp, tinyFlags(out))).rejects.toThrow('MATRYOSHKA_BACKEND');
    } finally {
      if (saved === undefined) delete process.env.MATRYOSHKA_BACKEND;
      else process.env.MATRYOSHKA_BACKEND = saved;
    }
    expect(existsSync(out)).toBe(false);
  });

  it('checks the schedule of a resumed run too, and leaves the run as it was', async () => {
    const run = join(dir, 'warm-resume');
    await trainCommand(tinyMrlApp, [...tinyFlags(run, 3), '--warmup', '3']);
    // A warm-up longer than the steps a resume asks for (config.json edited by hand).
    const configFile = join(run, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8'));
    writeFileSync(configFile, JSON.stringify({ ...config, training: { ...config.training, warmup: 5 } }, null, 2));
    const files = () =>
      readdirSync(run, { recursive: true, encoding: 'utf8' })
        .sort()
        .map((f) => [f, contents(join(run, f))]);
    const before = files();
    await expect(trainCommand(tinyMrlApp, ['--resume', run, '--steps', '4'])).rejects.toThrow(
      new UserError("the run's steps must be an integer >= --warmup (5), got 4"),
    );
    expect(files()).toEqual(before);
  });

  it('resume continues to more steps, and refuses to change fixed settings', async () => {
    await expect(trainCommand(tinyMrlApp, ['--resume', runDir, '--lr', '0.1'])).rejects.toThrow(
      '--lr (0.0003 in config.json) cannot change on resume',
    );
    const copy = join(dir, 'resumed');
    await trainCommand(tinyMrlApp, tinyFlags(copy, 3));
    await trainCommand(tinyMrlApp, ['--resume', copy, '--steps', '6']);
    const resumed = readMetrics(join(copy, 'metrics.jsonl'));
    const straight = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(resumed.map((m) => m.step)).toEqual([0, 3, 6]);
    // Same seed: the resumed run's losses equal the uninterrupted run's.
    expect(resumed[2].val).toEqual(straight[2].val);
  });

  it('samples at every width from a one-character prompt and from a prompt longer than the context', async () => {
    const out = capture();
    await sampleCommand(
      tinyMrlApp,
      ['--run', runDir, '--width', 'all', '--prompt', 'A', '--tokens', '20', '--greedy'],
      out.stream,
    );
    const lines = out.text().split('\n');
    expect(lines[0]).toBe('prompt: A');
    expect(lines[1]).toMatch(/^width 4 +│ width 8 +│ width 16/);
    // Each column holds that width's greedy continuation: compare with single-width runs.
    for (const w of [4, 8, 16]) {
      const one = capture();
      await sampleCommand(
        tinyMrlApp,
        ['--run', runDir, '--width', String(w), '--prompt', 'A', '--tokens', '20', '--greedy'],
        one.stream,
      );
      expect([...one.text().replace(/\n$/, '')].length).toBe(21);
      // The column shows the continuation's newlines as ↵, so its first row is the continuation's start.
      const continuation = visibleText(one.text().slice(1, -1));
      const column = lines[3].split(' │ ')[[4, 8, 16].indexOf(w)] ?? '';
      expect(continuation.startsWith(column.trimEnd())).toBe(true);
    }
    const long = 'ROMEO: But soft, what light through yonder window breaks?';
    const out2 = capture();
    await sampleCommand(
      tinyMrlApp,
      ['--run', runDir, '--width', '8', '--prompt', long, '--tokens', '10', '--greedy'],
      out2.stream,
    );
    expect(out2.text().startsWith(long)).toBe(true);
    expect([...out2.text().replace(/\n$/, '')].length).toBe([...long].length + 10);
    await expect(sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'é'])).rejects.toThrow(/--prompt: .*é/);
    await expect(sampleCommand(tinyMrlApp, ['--run', runDir, '--width', '5'])).rejects.toThrow(
      '--width 5 is not a width of this model (4, 8, 16, or all)',
    );
  });

  it('names every prompt character outside the vocabulary and the flag that replaces them', async () => {
    await expect(sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'Café ☺ é'])).rejects.toThrow(
      new UserError(
        `--prompt: "é" (U+00E9), "☺" (U+263A) are not in this run's vocabulary of 65 characters; ` +
          `leave them out, or pass --unknown replace to put --replacement (default " ") in their place`,
      ),
    );
    // --unknown replace continues the prompt with each unknown character replaced, as if typed so.
    const replaced = capture();
    await sampleCommand(
      tinyMrlApp,
      ['--run', runDir, '--prompt', 'Café', '--unknown', 'replace', '--replacement', 'e', '--tokens', '8', '--greedy'],
      replaced.stream,
    );
    const typed = capture();
    await sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'Cafe', '--tokens', '8', '--greedy'], typed.stream);
    expect(replaced.text().startsWith('Cafe')).toBe(true);
    expect(replaced.text()).toBe(typed.text());
    await expect(
      sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'Café', '--unknown', 'replace', '--replacement', 'é']),
    ).rejects.toThrow(`--replacement "é" must be one character of this run's vocabulary`);
  });

  it('refuses sampling flags that contradict each other, naming both, and takes --temperature 0 as --greedy', async () => {
    const sample = (flags: string[]) =>
      sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'A', '--tokens', '8', ...flags], capture().stream);
    await expect(sample(['--greedy', '--temperature', '0.5'])).rejects.toThrow(
      new UserError(
        '--greedy and --temperature cannot be given together: --greedy always takes the most likely token, which no temperature changes',
      ),
    );
    await expect(sample(['--greedy', '--top-k', '5'])).rejects.toThrow('--greedy and --top-k cannot be given together');
    await expect(sample(['--temperature', '0', '--top-k', '5'])).rejects.toThrow(
      '--temperature 0 and --top-k cannot be given together',
    );
    const greedy = capture();
    const zero = capture();
    await sampleCommand(tinyMrlApp, ['--run', runDir, '--prompt', 'A', '--tokens', '8', '--greedy'], greedy.stream);
    await sampleCommand(
      tinyMrlApp,
      ['--run', runDir, '--prompt', 'A', '--tokens', '8', '--temperature', '0'],
      zero.stream,
    );
    expect(zero.text()).toBe(greedy.text());
  });

  it('refuses a run of another app, naming both apps and the command to use', async () => {
    await expect(sampleCommand(tinyNestedApp, ['--run', runDir])).rejects.toThrow(
      new UserError(
        `--run ${runDir} is a run of mrl-embeddings, not of nested: use npx nx run mrl-embeddings:sample -- --run ${runDir}`,
      ),
    );
    await expect(analyzeCommand(tinyNestedApp, ['--run', runDir])).rejects.toThrow(
      `--run ${runDir} is a run of mrl-embeddings, not of nested: use npx nx run mrl-embeddings:analyze -- --run ${runDir}`,
    );
    // Checked as soon as the config is read: a broken checkpoint of another app's run is not read.
    const broken = join(tempDir('other-app'), 'run');
    cpSync(runDir, broken, { recursive: true });
    truncateSync(join(broken, 'checkpoint', 'model.safetensors'), 10);
    await expect(analyzeCommand(tinyNestedApp, ['--run', broken])).rejects.toThrow(
      `--run ${broken} is a run of mrl-embeddings, not of nested`,
    );
    await expect(trainCommand(tinyNestedApp, ['--resume', runDir])).rejects.toThrow(
      `--resume ${runDir} is a run of mrl-embeddings, not of nested: use npx nx run mrl-embeddings:train -- --resume ${runDir}`,
    );
    // An app's own command (nested's export) names no other app's.
    const run = { source: runDir, config: { app: 'mrl-embeddings' } } as Parameters<typeof checkRunApp>[2];
    expect(() => checkRunApp({ name: 'emergent' }, 'analyze', run)).toThrow(
      `--run ${runDir} is a run of mrl-embeddings, not of emergent: use npx nx run mrl-embeddings:analyze -- --run ${runDir}`,
    );
    const ownExport = { name: 'nested', commands: { export: { help: '', run: async () => undefined } } };
    expect(() => checkRunApp(ownExport, 'export', run)).toThrow(
      `--run ${runDir} is a run of mrl-embeddings, not of nested: nested:export reads only runs of nested`,
    );
    expect(() => checkRunApp(tinyMrlApp, 'analyze', run)).not.toThrow();
  });

  it('says what a --run file is when it is not a model', async () => {
    const json = join(dir, 'some.json');
    writeFileSync(json, '{"a": 1}');
    const expected = 'give a run directory (written by train) or an exported .safetensors file (written by export)';
    await expect(sampleCommand(tinyMrlApp, ['--run', json])).rejects.toThrow(
      new UserError(`--run ${json} is a JSON file, not a model: ${expected}`),
    );
    await expect(sampleCommand(tinyMrlApp, ['--run', join(runDir, 'config.json')])).rejects.toThrow(
      `is a JSON file, not a model: ${expected}; for the run whose config this is: --run ${runDir}`,
    );
    await expect(sampleCommand(tinyMrlApp, ['--run', CORPUS])).rejects.toThrow(
      new UserError(`--run ${CORPUS} is neither a run directory nor a .safetensors file: ${expected}`),
    );
  });

  it('analyze writes maps, similarity.json equal to an independent cosine, curves and report.html', async () => {
    const hierarchyFile = join(dir, 'h.json');
    writeFileSync(
      hierarchyFile,
      JSON.stringify({ name: 't', levels: [{ width: 4, groups: { up: ['A', 'B', 'C'], low: ['a', 'b', 'c'] } }] }),
    );
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', runDir, '--raw', '--hierarchy', hierarchyFile]);
    const figures = readdirSync(join(runDir, 'figures'));
    expect(figures).toEqual(
      expect.arrayContaining(['similarity-w4.svg', 'similarity-w4.png', 'loss-curves.svg', 'val-loss-vs-compute.png']),
    );
    // Nested by embedding: every width runs the same d-wide trunk, so the bars name what differs, the head (2 v m FLOPs).
    const bars = readFileSync(join(runDir, 'figures', 'val-loss-vs-compute.svg'), 'utf8');
    expect(bars).toContain('mrl-embeddings: validation loss per width (step 6)');
    for (const label of ['w4 (head 520 FLOP/tok)', 'w8 (head 1.04K FLOP/tok)', 'w16 (head 2.08K FLOP/tok)'])
      expect(bars).toContain(label);
    const svg = readFileSync(join(runDir, 'figures', 'similarity-w8.svg'), 'utf8');
    expect(svg).toContain('cosine similarity, width 8 (raw prefixes');
    const sim = JSON.parse(readFileSync(join(runDir, 'similarity.json'), 'utf8'));
    expect(sim.mode).toBe('raw');
    // Independent: cosine of the checkpoint's embedding rows' first 8 coordinates.
    const E = readCheckpoint(runDir).weights['token_embedding']; // (1, v, d): one replica
    const d = E.shape[2];
    const row = (i: number) => Array.from(E.values.subarray(i * d, i * d + 8));
    const cos = (a: number[], b: number[]) =>
      a.reduce((s, x, k) => s + x * b[k], 0) / Math.hypot(...a) / Math.hypot(...b);
    expect(sim.similarity['8'][39][40]).toBeCloseTo(cos(row(39), row(40)), 5);
    expect(sim.similarity['8'][5][5]).toBeCloseTo(1, 5);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('KL from full width');
    expect(html).toContain('Samples per width');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5);
    // The --hierarchy score, recomputed from similarity.json: mean cos within groups minus between.
    const s4 = sim.similarity['4'] as number[][];
    const id = (t: string) => sim.vocabulary.indexOf(t);
    const groups = [
      ['A', 'B', 'C'],
      ['a', 'b', 'c'],
    ].map((g) => g.map(id));
    const pairs = (f: (i: number, j: number) => boolean) => {
      const all = groups.flat();
      const values: number[] = [];
      all.forEach((i, p) => all.slice(p + 1).forEach((j) => f(i, j) && values.push(s4[i][j])));
      return values.reduce((a, b) => a + b, 0) / values.length;
    };
    const same = (i: number, j: number) => groups.some((g) => g.includes(i) && g.includes(j));
    const score = pairs(same) - pairs((i, j) => !same(i, j));
    expect(html).toContain('Separation of the groups of &quot;t&quot;');
    expect(html).toContain(`<td>${score.toFixed(3)}</td>`);
    // results.json: valid against its schema, with the same numbers as the run's files.
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    expect(resultsProblems(results)).toEqual([]);
    const last = readMetrics(join(runDir, 'metrics.jsonl')).at(-1)!;
    expect(
      results.widths.map((w: { width: number; valLoss: { mean: number; n: number } }) => [
        w.width,
        w.valLoss.mean,
        w.valLoss.n,
      ]),
    ).toEqual([4, 8, 16].map((w) => [w, last.val[String(w)], 1]));
    expect(results.hierarchyScore.levels[0].score.mean).toBeCloseTo(score, 5);
  });
});

describe('export of a nested width', () => {
  const dir = tempDir('export');
  const runDir = join(dir, 'nested');

  it('writes a standalone model that sample loads and that generates like the nested width', async () => {
    await trainCommand(tinyNestedApp, tinyFlags(runDir, 3));
    const file = join(dir, 'w8.safetensors');
    await exportCommand(tinyNestedApp, ['--run', runDir, '--width', '8', '--out', file]);
    await expect(exportCommand(tinyNestedApp, ['--run', runDir, '--width', '8', '--out', file])).rejects.toThrow(
      'already exists',
    );
    const exported = loadRun(file);
    expect(exported.model.config.width).toBe(8);
    expect(exported.model.widths).toEqual([4, 8]);
    const full = loadRun(runDir);
    const ids = tf.tensor3d([[[1, 2, 3, 4, 5, 6]]], undefined, 'int32');
    const a = exported.model.forwardWidth(ids, 8, { training: false });
    const b = full.model.forwardWidth(ids, 8, { training: false });
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
    const out1 = capture();
    const out2 = capture();
    await sampleCommand(tinyNestedApp, ['--run', file, '--prompt', 'A', '--tokens', '15', '--greedy'], out1.stream);
    await sampleCommand(
      tinyNestedApp,
      ['--run', runDir, '--width', '8', '--prompt', 'A', '--tokens', '15', '--greedy'],
      out2.stream,
    );
    expect(out1.text()).toBe(out2.text());
    exported.model.dispose();
    full.model.dispose();
  });

  it('refuses to export from a run nested by embedding only', async () => {
    const mrl = join(dir, 'mrl');
    await trainCommand(tinyMrlApp, tinyFlags(mrl, 1));
    await expect(
      exportCommand(tinyMrlApp, ['--run', mrl, '--width', '8', '--out', join(dir, 'x.safetensors')]),
    ).rejects.toThrow(
      /only nested runs \(the nested app\) hold standalone submodels; this run nests its embedding only/,
    );
  });
});

describe('a corpus too short to train on', () => {
  it('says how many characters it needs for the context length and the split, and how many the file has', () => {
    const short = join(tempDir('corpus'), 'short.txt');
    writeFileSync(short, 'x'.repeat(43));
    // t = 8: each part needs 9 characters; 81 splits into 72 + 9, 80 into 72 + 8.
    expect(() => loadCorpusData(short, undefined, 8)).toThrow(
      new UserError(
        `--data: a corpus needs at least 81 characters for context length 8 and the 90/10 train/val split (each part a window of 8 and the character after it); ${short} has 43`,
      ),
    );
    writeFileSync(short, 'x'.repeat(81));
    expect(loadCorpusData(short, undefined, 8).val).toHaveLength(9);
  });
});

describe('CORPUS fixture', () => {
  it('is the bundled Tiny Shakespeare', () => {
    expect(readFileSync(CORPUS, 'utf8').length).toBe(1115394);
  });
});

/** A file's bytes as hex, or '' for a directory. */
function contents(path: string): string {
  return statSync(path).isDirectory() ? '' : readFileSync(path).toString('hex');
}
