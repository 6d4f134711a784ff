import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readMetrics } from '@matryoshka/training';
import { nestedApp } from './app';
import { cellSettings, faceOffCells, faceOffCommand, lossAtFlops } from './face-off';

jest.setTimeout(240_000);

const CORPUS = resolve(__dirname, '../../../data/tinyshakespeare.txt');
const dir = mkdtempSync(join(tmpdir(), 'face-off-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lossAtFlops', () => {
  const baselines = [
    { flopsPerToken: 100, valLoss: 3 },
    { flopsPerToken: 400, valLoss: 2 },
    { flopsPerToken: 1600, valLoss: 1.5 },
  ];
  it('is linear in log FLOPs between neighbouring baselines (hand-worked: 200 is half-way from 100 to 400)', () => {
    expect(lossAtFlops(baselines, 200)).toBeCloseTo(2.5, 12);
    expect(lossAtFlops(baselines, 800)).toBeCloseTo(1.75, 12);
    expect(lossAtFlops(baselines, 400)).toBe(2);
  });
  it('does not extrapolate', () => {
    expect(lossAtFlops(baselines, 50)).toBeUndefined();
    expect(lossAtFlops(baselines, 3200)).toBeUndefined();
  });
});

describe('face-off cells', () => {
  it('are every nesting x regime, then an ordinary GPT alone at every width', () => {
    expect(faceOffCells([16, 32, 64]).map((c) => c.name)).toEqual([
      'width-all',
      'width-sample',
      'ffn-all',
      'ffn-sample',
      'width+depth-all',
      'width+depth-sample',
      'alone-w16',
      'alone-w32',
      'alone-w64',
    ]);
    const alone = cellSettings(nestedApp.defaults, faceOffCells([16, 32])[7], 10);
    expect(alone.model).toMatchObject({ nesting: 'width', width: 32, minPower: 5 });
    expect(alone.training).toMatchObject({ regime: 'all', steps: 10, evalInterval: 10 });
  });
});

describe('nested:face-off', () => {
  it('trains every cell for the same measured time, writes the table, face-off.json and the figure, and continues an unfinished one', async () => {
    const out = join(dir, 'run');
    const argv = [
      '--out',
      out,
      '--data',
      CORPUS,
      '--budget',
      '0.3',
      '--width',
      '16',
      '--layers',
      '2',
      '--context',
      '8',
      '--min-power',
      '3',
      '--calibration-steps',
      '3',
    ];
    let table = '';
    const result = await faceOffCommand(nestedApp, argv, { write: (t: string) => (table += t) });
    // Every cell trained its planned steps: budget / measured step time.
    for (const cell of result.plan.cells) {
      expect(cell.steps).toBe(Math.max(1, Math.floor(300 / cell.stepMs)));
      expect(readMetrics(join(out, cell.name, 'metrics.jsonl')).at(-1)!.step).toBe(cell.steps);
    }
    // 6 nested cells x 2 widths, each compared with the alone-trained loss at its FLOPs where the baselines reach.
    expect(result.rows).toHaveLength(12);
    const widthAll = result.rows.filter((r) => r.cell === 'width-all');
    const alone = Object.fromEntries(result.baselines.map((b) => [b.width, b.valLoss]));
    // A width-nested submodel costs exactly what the ordinary GPT of its width costs.
    expect(widthAll.map((r) => r.aloneAtEqualFlops)).toEqual([alone[8], alone[16]]);
    expect(table).toContain(
      '| nesting | regime | width | parameters | FLOPs/token | val loss | alone, equal FLOPs | difference |',
    );
    expect(JSON.parse(readFileSync(join(out, 'face-off.json'), 'utf8')).rows).toHaveLength(12);
    expect(readFileSync(join(out, 'face-off.svg'), 'utf8')).toContain('trained alone');
    expect(existsSync(join(out, 'face-off.png'))).toBe(true);
    // Continue after losing a cell: only that one trains again (same steps, same seeds: the same numbers).
    const kept = readFileSync(join(out, 'width-all', 'metrics.jsonl'), 'utf8');
    rmSync(join(out, 'ffn-sample'), { recursive: true });
    const again = await faceOffCommand(nestedApp, argv, { write: () => undefined });
    expect(again.rows).toEqual(result.rows);
    expect(readFileSync(join(out, 'width-all', 'metrics.jsonl'), 'utf8')).toBe(kept);
    await expect(faceOffCommand(nestedApp, [...argv.slice(0, 4), '--budget', '1'])).rejects.toThrow(
      /holds a face-off with other settings/,
    );
  });
});
