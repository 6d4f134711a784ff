// --engine through the runner: the fused step and the tfjs path train the same run (metrics to
// 1e-5), a run may change engine on resume, and a model the fused step cannot train is refused
// before anything is written.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readMetrics, type MetricsRecord } from '@matryoshka/training';
import { buildFusedStep } from '@matryoshka/nested-transformer';
import { parseTrainSettings, runTraining, trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

function losses(records: MetricsRecord[]): number[] {
  return records.flatMap((r) => [...Object.values(r.train), ...Object.values(r.val), r.trainTotal, r.valTotal]);
}

function expectClose(a: number[], b: number[], tolerance: number): void {
  expect(a).toHaveLength(b.length);
  expect(Math.max(...a.map((x, i) => Math.abs(x - b[i])))).toBeLessThan(tolerance);
}

describe('--engine', () => {
  const dir = tempDir('engine');
  beforeAll(() => {
    const why = buildFusedStep();
    if (why) throw new Error(`the fused step could not be built: ${why}`);
  });

  it('trains the same run with the fused step and with tfjs, and may change engine on resume', async () => {
    // The engine each train says it used (its second status line).
    const engineOf = async (argv: string[]) => {
      const lines: string[] = [];
      await runTraining(tinyMrlApp, parseTrainSettings(tinyMrlApp, argv), { log: (line) => lines.push(line) });
      return lines.find((line) => line.startsWith('engine: '));
    };
    const run = (name: string, engine: string, steps = 6) =>
      engineOf([...tinyFlags(join(dir, name), steps), '--engine', engine]);
    expect(await run('fused', 'fused')).toBe('engine: fused (asked for)');
    expect(await run('tfjs', 'tfjs')).toBe('engine: tfjs (asked for)');
    expect(await run('auto', 'auto')).toBe('engine: fused (the faster here)');
    const fused = readMetrics(join(dir, 'fused', 'metrics.jsonl'));
    expectClose(losses(fused), losses(readMetrics(join(dir, 'tfjs', 'metrics.jsonl'))), 1e-5);
    expect(losses(readMetrics(join(dir, 'auto', 'metrics.jsonl')))).toEqual(losses(fused));
    await run('switched', 'fused', 3);
    const resumed = ['--resume', join(dir, 'switched'), '--steps', '6', '--engine', 'tfjs'];
    expect(await engineOf(resumed)).toBe('engine: tfjs (asked for)');
    expectClose(losses(readMetrics(join(dir, 'switched', 'metrics.jsonl'))), losses(fused), 1e-5);
  });

  it('refuses --engine fused for a model nested by width, before creating the run', async () => {
    const out = join(dir, 'nested');
    await expect(trainCommand(tinyNestedApp, [...tinyFlags(out), '--engine', 'fused'])).rejects.toThrow(
      "--engine fused cannot train this model: the fused step runs nesting 'embedding' only, not 'width'",
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses it on resume of such a run before writing anything', async () => {
    const out = join(dir, 'nested-run');
    await trainCommand(tinyNestedApp, tinyFlags(out, 2));
    const files = ['config.json', 'metrics.jsonl', join('checkpoint', 'state.json')];
    const before = files.map((file) => readFileSync(join(out, file)));
    await expect(trainCommand(tinyNestedApp, ['--resume', out, '--steps', '4', '--engine', 'fused'])).rejects.toThrow(
      "--engine fused cannot train this model: the fused step runs nesting 'embedding' only, not 'width'",
    );
    files.forEach((file, i) => expect(readFileSync(join(out, file)).equals(before[i])).toBe(true));
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'config.json', 'metrics.jsonl']);
  });
});
