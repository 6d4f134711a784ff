import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMetrics } from './metrics';

describe('readMetrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const line = (step: number) => JSON.stringify({ step, train: {}, val: {} }) + '\n';

  it('leaves out a last line a running trainer is still writing (no newline yet)', () => {
    const file = join(dir, 'partial.jsonl');
    writeFileSync(file, line(0) + line(50));
    appendFileSync(file, line(100).slice(0, 9));
    expect(readMetrics(file).map((r) => r.step)).toEqual([0, 50]);
  });

  it('names the file and line of a broken complete line', () => {
    const file = join(dir, 'broken.jsonl');
    writeFileSync(file, line(0) + '{"step": 5,\n' + line(10));
    expect(() => readMetrics(file)).toThrow(`${file}:2: not a JSON line`);
  });
});
