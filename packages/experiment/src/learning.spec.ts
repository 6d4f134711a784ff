// The model, losses and loop together on the real corpus: training lowers every width's
// validation loss, and a checkpoint that does not fit the run is refused by name.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMetrics } from '@matryoshka/training';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

jest.setTimeout(180_000);

describe('a few hundred steps on Tiny Shakespeare', () => {
  it.each([
    ['nested by embedding (experiment 1)', tinyMrlApp],
    ['nested by width (experiment 4)', tinyNestedApp],
  ])("lower every width's val loss: %s", async (_name, app) => {
    const run = join(tempDir('learn'), 'run');
    await trainCommand(app, [
      ...tinyFlags(run, 300),
      '--eval-interval',
      '300',
      '--eval-iters',
      '10',
      '--batch',
      '8',
      '--lr',
      '0.003',
    ]);
    const [first, last] = readMetrics(join(run, 'metrics.jsonl'));
    for (const w of ['4', '8', '16']) {
      expect(last.val[w]).toBeLessThan(first.val[w] - 0.5);
    }
    // Well below the loss of a uniform guess over 65 characters (ln 65 = 4.17) at full width.
    expect(last.val['16']).toBeLessThan(Math.log(65) - 0.8);
  });
});

describe('checkpoints that do not fit the run', () => {
  it('refuses a checkpoint of another shape, naming the tensor and both shapes', async () => {
    const dir = tempDir('mismatch');
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await trainCommand(tinyMrlApp, tinyFlags(a, 1));
    await trainCommand(tinyMrlApp, [...tinyFlags(b, 1), '--heads', '4']);
    // Put b's weights (4 heads) under a's config (2 heads).
    const configA = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    writeFileSync(join(b, 'config.json'), JSON.stringify(configA));
    await expect(trainCommand(tinyMrlApp, ['--resume', b, '--steps', '2'])).rejects.toThrow(
      /blocks\.0\.attn\.wqkv.*\[1,16,3,4,4\].*\[1,16,3,2,8\]|blocks\.0\.attn\.wqkv.*\[1,16,3,2,8\].*\[1,16,3,4,4\]/,
    );
    // Another nesting list is named as such.
    const c = join(dir, 'c');
    await trainCommand(tinyMrlApp, [...tinyFlags(c, 1), '--width', '32', '--min-power', '3']);
    writeFileSync(join(c, 'config.json'), JSON.stringify(configA));
    await expect(trainCommand(tinyMrlApp, ['--resume', c, '--steps', '2'])).rejects.toThrow(
      'the checkpoint has widths [8,16,32] but this run has [4,8,16]',
    );
  });

  it("refuses a corpus with characters outside the run's vocabulary, naming the character", async () => {
    const dir = tempDir('vocab');
    const a = join(dir, 'a');
    await trainCommand(tinyMrlApp, tinyFlags(a, 1));
    const other = join(dir, 'other.txt');
    writeFileSync(other, readFileSync(tinyFlags(a)[3], 'utf8').slice(0, 5000) + 'ж');
    const config = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    writeFileSync(join(a, 'config.json'), JSON.stringify({ ...config, training: { ...config.training, data: other } }));
    await expect(trainCommand(tinyMrlApp, ['--resume', a, '--steps', '2'])).rejects.toThrow(
      /does not fit the run's vocabulary: .*ж/,
    );
  });
});
