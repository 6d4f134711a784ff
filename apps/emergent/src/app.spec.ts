import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  analyzeCommand,
  appTargetProblems,
  makeRunConfig,
  parseTrainSettings,
  targetNames,
  trainCommand,
  type AppDefinition,
  UserError,
} from '@matryoshka/experiment';
import { configWidths } from '@matryoshka/nested-transformer';
import { readMetrics } from '@matryoshka/training';
import {
  describeHierarchy,
  emergentApp,
  HISTORY_FILE,
  hierarchyFile,
  isReclusterEpoch,
  type EmergentSettings,
} from './app';
import project from '../project.json';

jest.setTimeout(120_000);

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'emergent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const tiny = (out: string, extra: string[] = []) => [
  '--out',
  out,
  '--data',
  CORPUS,
  '--epochs',
  '3',
  '--steps-per-epoch',
  '4',
  '--eval-interval',
  '4',
  '--eval-iters',
  '1',
  '--layers',
  '1',
  '--batch',
  '2',
  '--context',
  '8',
  '--threshold',
  '0.5',
  '--min-group',
  '2',
  ...extra,
];

describe('re-clustering schedule', () => {
  it('re-clusters after each epoch from the warm-up on, never after the last', () => {
    const s = { epochs: 6, warmupEpochs: 1, reclusterEvery: 1 };
    expect([0, 1, 2, 3, 4, 5].map((e) => isReclusterEpoch(e, s))).toEqual([true, true, true, true, true, false]);
    const t = { epochs: 8, warmupEpochs: 2, reclusterEvery: 3 };
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((e) => isReclusterEpoch(e, t))).toEqual([
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      false,
    ]);
  });
  it('describes groups per level', () => {
    const h = { name: 'x', levels: [{ width: 4, groups: { a: ['a', 'b', 'c'], b: ['A', 'B'] } }] };
    expect(describeHierarchy(h, 10)).toBe('w4: 2 groups (3, 2), 5 ungrouped');
    expect(
      describeHierarchy(
        {
          name: 'x',
          levels: [
            { width: 4, groups: { a: ['a', 'b', 'c'] } },
            { width: 8, groups: {} },
          ],
        },
        10,
      ),
    ).toBe('w4: 1 group (3), 7 ungrouped; w8: 0 groups (-), 10 ungrouped');
  });
});

describe('emergent defaults', () => {
  it('are experiment 3 of docs/EXPERIMENTS.md, "Defaults per app": b=8 t=24, widths 4..32, 40 epochs x 250 steps', () => {
    const { run } = parseTrainSettings(emergentApp, []);
    expect(run.model).toEqual({
      contextLength: 24,
      width: 32,
      heads: 4,
      layers: 4,
      dropout: 0.2,
      minPower: 2,
      nesting: 'embedding',
      headNormalisation: 'full',
      seed: 1337,
      init: 'small',
      layersPerWidth: null,
      layerWidths: null,
    });
    expect(run.training).toMatchObject({ batchSize: 8, steps: 10000, evalInterval: 50 });
    expect(run.settings).toMatchObject({
      epochs: 40,
      stepsPerEpoch: 250,
      threshold: 0.1,
      minGroup: 3,
      linkage: 'average',
      cut: 'threshold',
    });
    expect(configWidths(run.model)).toEqual([4, 8, 16, 32]);
  });
});

describe("a new run's length", () => {
  // The run config of these flags, as train makes it (the vocabulary does not matter here).
  const newRun = (argv: string[]) => {
    const { run } = parseTrainSettings(emergentApp, argv);
    return emergentApp.finalize!(makeRunConfig(emergentApp.name, run, [...'abcdefgh'], emergentApp.trainFlags), 'new');
  };

  it('is --epochs x --steps-per-epoch, or --steps alone in whole epochs; both at once are refused, naming both', async () => {
    expect(newRun(['--epochs', '2', '--steps-per-epoch', '10'])).toMatchObject({
      training: { steps: 20 },
      settings: { epochs: 2, stepsPerEpoch: 10 },
    });
    expect(newRun(['--epochs', '3'])).toMatchObject({ training: { steps: 750 }, settings: { epochs: 3 } });
    expect(newRun(['--steps', '500'])).toMatchObject({
      training: { steps: 500 },
      settings: { epochs: 2, stepsPerEpoch: 250 },
    });
    expect(() => newRun(['--steps', '100'])).toThrow(
      '--steps 100 must be a whole number of epochs of 250 steps (--steps-per-epoch)',
    );
    const why =
      'the run trains --epochs x --steps-per-epoch steps; give those, or --steps alone (a whole number of epochs, as on --resume)';
    await expect(trainCommand(emergentApp, tiny(join(dir, 'both'), ['--steps', '100']))).rejects.toThrow(
      `--epochs and --steps cannot be given together: ${why}`,
    );
    expect(() => parseTrainSettings(emergentApp, ['--steps', '100', '--steps-per-epoch', '10'])).toThrow(
      `--steps-per-epoch and --steps cannot be given together: ${why}`,
    );
    expect(existsSync(join(dir, 'both'))).toBe(false);
  });

  it('is what a warm-up is checked against, before the run directory exists', async () => {
    // 3 epochs x 4 steps = 12 steps: the warm-up must fit in those, not in the default --steps.
    await expect(trainCommand(emergentApp, tiny(join(dir, 'warm'), ['--warmup', '20']))).rejects.toThrow(
      new UserError("the run's steps must be an integer >= --warmup (20), got 12"),
    );
    expect(existsSync(join(dir, 'warm'))).toBe(false);
  });
});

describe('emergent train', () => {
  const out = join(dir, 'run');
  beforeAll(async () => {
    await trainCommand(emergentApp, tiny(out));
  });

  it('trains epochs x steps, writes hierarchy-<epoch>.json after each re-clustering and their stability', () => {
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model: { minPower: 2 },
      training: { steps: 12, batchSize: 2 },
      settings: { epochs: 3, stepsPerEpoch: 4, linkage: 'average', cut: 'threshold' },
    });
    expect(existsSync(join(out, hierarchyFile(0)))).toBe(true);
    expect(existsSync(join(out, hierarchyFile(1)))).toBe(true);
    expect(existsSync(join(out, hierarchyFile(2)))).toBe(false); // not after the last epoch
    const stored = JSON.parse(readFileSync(join(out, HISTORY_FILE), 'utf8'));
    expect(stored).toMatchObject({ format: 'matryoshka-hierarchy-history', version: 1 });
    const history = stored.history;
    expect(history.map((e: { step: number }) => e.step)).toEqual([4, 8]);
    expect(history[0].stability).toBeUndefined();
    expect(Object.keys(history[1].stability)).toEqual(['4', '8', '16']);
    const levels = history[1].hierarchy.levels;
    expect(levels.map((l: { width: number }) => l.width)).toEqual([4, 8, 16]);
    // min group 2: every found group has at least two tokens.
    for (const l of levels)
      for (const g of Object.values(l.groups) as string[][]) expect(g.length).toBeGreaterThanOrEqual(2);
  });

  it('resumes exactly after a stop between re-clusterings (the found hierarchy is saved in the checkpoint)', async () => {
    const part = join(dir, 'part');
    // Stop at step 6: after the first re-clustering (step 4), before the second (step 8).
    const stopping: AppDefinition<EmergentSettings> = {
      ...emergentApp,
      prepareTraining: async (ctx) => {
        const plan = await emergentApp.prepareTraining!(ctx);
        return { ...plan, hooks: { ...plan.hooks, shouldStop: ({ step }) => !ctx.resumed && step === 6 } };
      },
    };
    const first = await trainCommand(stopping, tiny(part));
    expect(first.summary.stopped).toBe(true);
    await trainCommand(stopping, ['--resume', part]);
    const a = readMetrics(join(out, 'metrics.jsonl'));
    const b = readMetrics(join(part, 'metrics.jsonl'));
    expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
    expect(b[b.length - 1].val).toEqual(a[a.length - 1].val);
    expect(readFileSync(join(part, hierarchyFile(1)), 'utf8')).toBe(readFileSync(join(out, hierarchyFile(1)), 'utf8'));
  });

  it('analyze draws dendrograms per level and the stability chart', async () => {
    const { reportFile } = await analyzeCommand(emergentApp, ['--run', out]);
    for (const f of ['dendrogram-w4.svg', 'dendrogram-w8.svg', 'dendrogram-w16.svg', 'stability.svg']) {
      expect(existsSync(join(out, 'figures', f))).toBe(true);
    }
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('Groups found per level at each re-clustering');
    expect(html).toContain('Found groups vs the imposed Shakespeare hierarchy');
  });

  it("keeps the stability chart's size at the default 40 epochs (it grew with every epoch)", async () => {
    const svgWidth = () =>
      Number(/<svg[^>]* width="([\d.]+)"/.exec(readFileSync(join(out, 'figures', 'stability.svg'), 'utf8'))?.[1]);
    const short = svgWidth();
    // The run's history stretched to 40 re-clusterings (the app's default epochs), then analysed again.
    const file = join(out, HISTORY_FILE);
    const original = readFileSync(file, 'utf8');
    const stored = JSON.parse(original) as { history: { epoch: number; step: number }[] };
    const last = stored.history[stored.history.length - 1];
    const long = Array.from({ length: 40 }, (_, epoch) => ({ ...last, epoch, step: (epoch + 1) * 10 }));
    writeFileSync(file, JSON.stringify({ ...stored, history: long }) + '\n');
    try {
      await analyzeCommand(emergentApp, ['--run', out]);
      expect(svgWidth()).toBe(short);
      expect(short).toBeLessThan(900);
      // A history of an earlier form (the bare list) is refused in one line naming the file.
      writeFileSync(file, JSON.stringify(long) + '\n');
      await expect(analyzeCommand(emergentApp, ['--run', out])).rejects.toThrow(
        `${file} is not matryoshka-hierarchy-history version 1 (a run of an earlier version: train it again)`,
      );
    } finally {
      writeFileSync(file, original);
    }
  });

  it('names bad clustering flags', async () => {
    await expect(trainCommand(emergentApp, tiny(join(dir, 'bad'), ['--linkage', 'nearest']))).rejects.toThrow(
      /--linkage must be one of single, complete, average/,
    );
    await expect(trainCommand(emergentApp, tiny(join(dir, 'bad2'), ['--cut', 'k']))).rejects.toThrow(
      '--cut k needs --k N',
    );
  });
});

describe('a run whose clusterings find no groups', () => {
  it('records the ARI between them as undefined, and analyze shows n/a (no groups) and draws no bar', async () => {
    const out = join(dir, 'no-groups');
    // No group of 70 tokens exists in a vocabulary of 65: every re-clustering finds none.
    await trainCommand(emergentApp, tiny(out, ['--min-group', '70']));
    const { history } = JSON.parse(readFileSync(join(out, HISTORY_FILE), 'utf8'));
    expect(history[1].stability).toEqual({ 4: null, 8: null, 16: null });
    const { reportFile } = await analyzeCommand(emergentApp, ['--run', out]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('width 4 at epoch 1: n/a (no groups)');
    expect(existsSync(join(out, 'figures', 'stability.svg'))).toBe(false);
    expect(html).not.toMatch(/NaN/);
  });
});

describe('--help', () => {
  it('every target is offered by Nx and states each default once, printably, and never as null or undefined', async () => {
    expect(targetNames(emergentApp)).toEqual(['train', 'sample', 'analyze', 'compare']);
    expect(await appTargetProblems(emergentApp, Object.keys(project.targets))).toEqual([]);
  });
});

describe('emergent with replicas', () => {
  const out = join(dir, 'replicas');
  beforeAll(async () => {
    // Stopped at step 6 (between the re-clusterings at 4 and 8) and resumed.
    const stopping: AppDefinition<EmergentSettings> = {
      ...emergentApp,
      prepareTraining: async (ctx) => {
        const plan = await emergentApp.prepareTraining!(ctx);
        return { ...plan, hooks: { ...plan.hooks, shouldStop: ({ step }) => !ctx.resumed && step === 6 } };
      },
    };
    expect((await trainCommand(stopping, tiny(out, ['--replicas', '2']))).summary.stopped).toBe(true);
    await trainCommand(stopping, ['--resume', out]);
  }, 240_000);

  it('gives each replica its own groups, found in its own embeddings, and trains it exactly as a lone run with its seeds', async () => {
    const { history } = JSON.parse(readFileSync(join(out, HISTORY_FILE), 'utf8'));
    expect(history.map((e: { step: number }) => e.step)).toEqual([4, 8]);
    expect(history[1].otherReplicas).toHaveLength(1);
    const lone = join(dir, 'replica-1-alone');
    await trainCommand(emergentApp, tiny(lone, ['--seed', '1338', '--init-seed', '1338']));
    const loneHistory = JSON.parse(readFileSync(join(lone, HISTORY_FILE), 'utf8')).history;
    expect(history[1].otherReplicas[0]).toEqual(loneHistory[1].hierarchy);
    const loneMetrics = readMetrics(join(lone, 'metrics.jsonl'));
    const mine = readMetrics(join(out, 'metrics.jsonl'));
    expect(mine.map((m) => m.step)).toEqual(loneMetrics.map((m) => m.step));
    mine.forEach((record, i) => {
      for (const w of Object.keys(loneMetrics[i].val))
        expect(Math.abs(record.replicas![1].val[w] - loneMetrics[i].val[w])).toBeLessThan(1e-5);
    });
  });

  it('analyze shows replica 0 and how far the replicas agree', async () => {
    const { reportFile, figures } = await analyzeCommand(emergentApp, ['--run', out]);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('Do independent replicas find the same groups?');
    expect(html).toContain('Agreement between replicas');
    expect(html).toContain('mean of 2 replicas; band: their min to max');
    expect(html).toContain('bands_marks');
    expect(html).toMatch(/\d\.\d{3} ± \d\.\d{3} \(n=2\)/);
    expect(figures.some((f) => f.endsWith('loss-curves.svg'))).toBe(true);
    expect(existsSync(join(out, 'figures', 'replica-agreement.svg'))).toBe(true);
  });
});
