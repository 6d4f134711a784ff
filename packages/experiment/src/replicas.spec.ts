import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCheckpoint, readMetrics, type MetricsRecord, type ReplicaLosses } from '@matryoshka/training';
import { parseSweep } from './replicas';
import { analyzeCommand } from './analyze-command';
import { exportCommand } from './export-command';
import { loadRun } from './load-run';
import { sampleCommand } from './sample-command';
import { parseTrainSettings, runTraining, trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';
import type { AppDefinition } from './app-definition';

jest.setTimeout(240_000);

const replicasOf = (record: MetricsRecord) => record.replicas as ReplicaLosses[];

/** Every loss of a lone run's metrics equals replica r's of a replicated run, to `tolerance`. */
function expectSameLosses(lone: MetricsRecord[], replicated: MetricsRecord[], r: number, tolerance: number): void {
  expect(replicated.map((m) => m.step)).toEqual(lone.map((m) => m.step));
  lone.forEach((alone, i) => {
    const mine = replicasOf(replicated[i])[r];
    for (const split of ['train', 'val'] as const) {
      for (const width of Object.keys(alone[split])) {
        expect(Math.abs(mine[split][width] - alone[split][width])).toBeLessThan(tolerance);
      }
    }
    expect(Math.abs(mine.valTotal - alone.valTotal)).toBeLessThan(tolerance);
    expect(mine.lr).toBeCloseTo(alone.lr, 12);
  });
}

async function replicaMatchesLoneRuns(
  app: AppDefinition,
  extra: string[],
  lone: (r: number) => string[],
  count: number,
): Promise<string> {
  const dir = tempDir('replicas');
  const replicatedDir = join(dir, 'replicated');
  await trainCommand(app, [...tinyFlags(replicatedDir, 20), '--eval-interval', '5', ...extra]);
  const replicated = readMetrics(join(replicatedDir, 'metrics.jsonl'));
  expect(replicasOf(replicated[0])).toHaveLength(count);
  const initSeed = JSON.parse(readFileSync(join(replicatedDir, 'config.json'), 'utf8')).model.seed as number;
  for (let r = 0; r < count; r++) {
    const loneDir = join(dir, `lone-${r}`);
    await trainCommand(app, [
      ...tinyFlags(loneDir, 20),
      '--eval-interval',
      '5',
      ...lone(r),
      '--init-seed',
      String(initSeed + (r % 2)),
    ]);
    expectSameLosses(readMetrics(join(loneDir, 'metrics.jsonl')), replicated, r, 1e-5);
  }
  return dir;
}

/** What `sample` prints for these flags. */
async function sampled(app: AppDefinition, flags: string[]): Promise<string> {
  let text = '';
  await sampleCommand(app, [...flags, '--greedy', '--tokens', '30', '--prompt', 'ROMEO:'], {
    write: (s: string) => (text += s),
  });
  return text;
}

describe('a run of replicas', () => {
  it('trains each replica of an experiment-1 sweep exactly as a lone run with its seed and value (20 steps, dropout, clipping, decay); sample and analyze read any replica', async () => {
    const shared = ['--clip-norm', '0.5', '--weight-decay', '0.1'];
    const dir = await replicaMatchesLoneRuns(
      tinyMrlApp,
      [...shared, '--replicas', '2', '--sweep', 'lr=0.003,0.0003'],
      (r) => [...shared, '--seed', String(1337 + (r % 2)), '--lr', r < 2 ? '0.003' : '0.0003'],
      4,
    );
    const replicated = join(dir, 'replicated');
    // Replica 3 (lr=0.0003, seed+1) generates what its lone twin generates.
    expect(await sampled(tinyMrlApp, ['--run', replicated, '--replica', '3'])).toBe(
      await sampled(tinyMrlApp, ['--run', join(dir, 'lone-3')]),
    );
    expect(await sampled(tinyMrlApp, ['--run', replicated])).toBe(
      await sampled(tinyMrlApp, ['--run', join(dir, 'lone-0')]),
    );
    await expect(sampled(tinyMrlApp, ['--run', replicated, '--replica', '4'])).rejects.toThrow(
      '--replica 4: ' + replicated + ' holds replicas 0..3 (0: lr=0.003 seed+0',
    );
    expect(await sampled(tinyMrlApp, ['--run', join(dir, 'lone-3'), '--replica', '0'])).toBe(
      await sampled(tinyMrlApp, ['--run', join(dir, 'lone-3')]),
    );
    await expect(sampled(tinyMrlApp, ['--run', join(dir, 'lone-3'), '--replica', '1'])).rejects.toThrow(
      'is a run of one model (replica 0 only)',
    );
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', replicated, '--replica', '1']);
    const html = readFileSync(reportFile, 'utf8');
    expect(html).toContain('bands_marks');
    expect(html).toContain('replica 1 (lr=0.003 seed+1)');
    // One row per sweep value, mean ± std of its 2 replicas, and the verdict per width.
    expect(html).toMatch(/lr=0.003<\/td><td class="num">2<\/td><td>\d\.\d{3} ± \d\.\d{3} \(n=2\)/);
    // The verdict, computed here from each replica's last val loss: |mean a - mean b| > std a + std b.
    const last = readMetrics(join(replicated, 'metrics.jsonl'))
      .at(-1)!
      .replicas!.map((r) => r.val['16']);
    const stats = (v: number[]) => {
      const mean = (v[0] + v[1]) / 2;
      return { mean, std: Math.abs(v[0] - v[1]) / Math.SQRT2 };
    };
    const [a, b] = [stats(last.slice(0, 2)), stats(last.slice(2, 4))];
    const verdict = Math.abs(a.mean - b.mean) > a.std + b.std ? 'exceeds' : 'within';
    expect(html).toContain(`width 16: lr=0.003 vs lr=0.0003: ${(a.mean - b.mean).toFixed(3)} (${verdict} the spread)`);
    expect(html).toContain('lr=0.003: mean of 2 replicas; band: their min to max');
  });

  it("ends a sweep's training with each value's val losses apart, never one mean over the values", async () => {
    const summary = async (name: string, extra: string[]) => {
      const runDir = join(tempDir('summary'), name);
      const lines: string[] = [];
      const flags = [...tinyFlags(runDir), ...extra];
      await runTraining(tinyMrlApp, parseTrainSettings(tinyMrlApp, flags), { log: (line) => lines.push(line) });
      const last = replicasOf(readMetrics(join(runDir, 'metrics.jsonl')).at(-1)!);
      // The lines from the summary to the closing "done.", without the wall time.
      const from = lines.findIndex((line) => line.startsWith('mrl-embeddings: step 6, '));
      const to = lines.findIndex((line) => line.startsWith('mrl-embeddings: done.'));
      return { last, lines: lines.slice(from, to).map((line) => line.replace(/; [\d.]+ s$/, '')) };
    };
    // Mean and sample std of a pair of replicas at each width, by hand.
    const pair = (last: ReplicaLosses[], members: number[]) =>
      [4, 8, 16]
        .map((m) => {
          const [a, b] = members.map((r) => last[r].val[String(m)]);
          return `${m}: ${((a + b) / 2).toFixed(3)} ± ${(Math.abs(a - b) / Math.SQRT2).toFixed(3)} (n=2)`;
        })
        .join(', ');
    // Replicas 0-1 trained at lr=0.003, 2-3 at lr=0.0003.
    const sweep = await summary('sweep', ['--replicas', '2', '--sweep', 'lr=0.003,0.0003']);
    expect(sweep.lines).toEqual([
      'mrl-embeddings: step 6, val loss per width of each lr',
      `  lr=0.003: ${pair(sweep.last, [0, 1])}`,
      `  lr=0.0003: ${pair(sweep.last, [2, 3])}`,
    ]);
    // Two seeds, no sweep: one line, the mean of both.
    const seeds = await summary('seeds', ['--replicas', '2']);
    expect(seeds.lines).toEqual([`mrl-embeddings: step 6, val loss per width ${pair(seeds.last, [0, 1])}`]);
  });

  it('does so for whole nested submodels (experiment 4) and a dropout sweep; export writes any replica', async () => {
    const dir = await replicaMatchesLoneRuns(
      tinyNestedApp,
      ['--replicas', '2', '--sweep', 'dropout=0,0.3', '--lr', '0.003'],
      // The sweep moves --dropout only; the attention dropout stays the run's (0.1, from tinyFlags' --dropout).
      (r) => [
        '--seed',
        String(1337 + (r % 2)),
        '--dropout',
        r < 2 ? '0' : '0.3',
        '--attention-dropout',
        '0.1',
        '--lr',
        '0.003',
      ],
      4,
    );
    const file = join(dir, 'replica-2-w8.safetensors');
    await exportCommand(tinyNestedApp, [
      '--run',
      join(dir, 'replicated'),
      '--replica',
      '2',
      '--width',
      '8',
      '--out',
      file,
    ]);
    const alone = join(dir, 'lone-2-w8.safetensors');
    await exportCommand(tinyNestedApp, ['--run', join(dir, 'lone-2'), '--width', '8', '--out', alone]);
    expect(await sampled(tinyNestedApp, ['--run', file])).toBe(await sampled(tinyNestedApp, ['--run', alone]));
    expect(loadRun(file).config.model.dropout).toBe(0.3);
  });

  it('resumes exactly: 8 + 12 steps equal 20 straight, every replica', async () => {
    const dir = tempDir('replicas-resume');
    const flags = (out: string, steps: number) => [...tinyFlags(out, steps), '--eval-interval', '4', '--replicas', '3'];
    await trainCommand(tinyMrlApp, flags(join(dir, 'straight'), 20));
    await trainCommand(tinyMrlApp, flags(join(dir, 'resumed'), 8));
    await trainCommand(tinyMrlApp, ['--resume', join(dir, 'resumed'), '--steps', '20']);
    const straight = readMetrics(join(dir, 'straight', 'metrics.jsonl'));
    const resumed = readMetrics(join(dir, 'resumed', 'metrics.jsonl'));
    expect(resumed.map(replicasOf)).toEqual(straight.map(replicasOf));
    const state = readCheckpoint(join(dir, 'resumed')).state;
    expect(state.replicas?.map((r) => r.seed)).toEqual([1337, 1338, 1339]);
    expect(state.parameters.token_embedding).toEqual([3, 65, 16]);
  });

  it('reports the mean of the replicas beside each one', async () => {
    const dir = tempDir('replicas-mean');
    await trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'run'), 3), '--replicas', '2']);
    const [first] = readMetrics(join(dir, 'run', 'metrics.jsonl'));
    const each = replicasOf(first);
    expect(first.val['16']).toBeCloseTo((each[0].val['16'] + each[1].val['16']) / 2, 10);
    expect(each[0].val['16']).not.toBe(each[1].val['16']);
  });

  it('refuses what replicas cannot do, naming the flag', async () => {
    const dir = tempDir('replicas-bad');
    await expect(trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'a')), '--sweep', 'heads=2,4'])).rejects.toThrow(
      '--sweep: cannot sweep "heads"; choose one of lr, weight-decay, dropout',
    );
    await expect(trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'b')), '--sweep', 'lr=1e-3,x'])).rejects.toThrow(
      '--sweep lr: "x" is not a non-negative number',
    );
    await expect(
      trainCommand(tinyNestedApp, [...tinyFlags(join(dir, 'c')), '--replicas', '2', '--regime', 'sample']),
    ).rejects.toThrow('--regime sample draws one width per step');
    await expect(
      trainCommand(tinyMrlApp, [...tinyFlags(join(dir, 'd'), 3), '--replicas', '2']).then(() =>
        trainCommand(tinyMrlApp, ['--resume', join(dir, 'd'), '--replicas', '3']),
      ),
    ).rejects.toThrow(/--replicas \(2 in config.json\) cannot change on resume/);
  });

  it('parses a sweep', () => {
    expect(parseSweep('weight-decay=0, 0.1')).toEqual({ name: 'weight-decay', values: [0, 0.1] });
    expect(() => parseSweep('lr')).toThrow('expected NAME=V1,V2,...');
    expect(() => parseSweep('dropout=0.1,1')).toThrow('--sweep dropout: 1 must be below 1');
    expect(() => parseSweep('lr=1,1')).toThrow('a value is repeated');
  });
});
