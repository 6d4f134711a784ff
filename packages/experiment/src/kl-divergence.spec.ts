import * as tf from '@tensorflow/tfjs-core';
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer';
import { klFromFullWidth, meanKlDivergence } from './kl-divergence';
import { runTarget, usage } from './run-app';
import { tinyMrlApp } from './tiny-run.test-helper';

describe('meanKlDivergence', () => {
  it('equals sum p (log p - log q) computed by hand, averaged over positions', () => {
    const p = [0.7, 0.2, 0.1];
    const q = [0.5, 0.25, 0.25];
    const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);
    // logits = log of the probabilities (softmax recovers them); second position has KL 0.
    const ref = tf.tensor2d([p.map(Math.log), [0, 0, 0]]);
    const other = tf.tensor2d([q.map(Math.log), [1, 1, 1]]);
    expect(meanKlDivergence(ref, other).dataSync()[0]).toBeCloseTo(kl / 2, 6);
    expect(meanKlDivergence(ref, ref).dataSync()[0]).toBeCloseTo(0, 7);
  });
});

describe('klFromFullWidth', () => {
  it("is each width's mean KL divergence from the full width's next-token distribution", () => {
    // A stand-in model: widths 2 and 4, fixed logits per width whatever the batch.
    const narrow = [Math.log(0.5), Math.log(0.25), Math.log(0.25)];
    const full = [Math.log(0.7), Math.log(0.2), Math.log(0.1)];
    const logitsOf = (row: number[], x: tf.Tensor) =>
      tf.tile(tf.tensor3d([[row]]), [x.shape[0], x.shape[1] as number, 1]);
    const model = {
      widths: [2, 4],
      forward: (x: tf.Tensor) => [logitsOf(narrow, x), logitsOf(full, x)],
    } as unknown as MatryoshkaGPT;
    const kl = klFromFullWidth(
      model,
      Int32Array.from({ length: 64 }, (_, i) => i % 3),
      { batches: 2, batchSize: 2, contextLength: 4, seed: 1 },
    );
    const expected = [0.7, 0.2, 0.1].reduce((s, p, i) => s + p * Math.log(p / Math.exp(narrow[i])), 0);
    expect(Object.keys(kl)).toEqual(['2', '4']);
    expect(kl['2']).toBeCloseTo(expected, 5);
    expect(kl['4']).toBe(0);
  });
});

describe('app command line', () => {
  it('lists the targets and names an unknown one', async () => {
    expect(usage(tinyMrlApp)).toContain('npx nx run mrl-embeddings:<target>');
    expect(usage(tinyMrlApp)).toMatch(/train .*\n.*sample .*\n.*analyze /);
    expect(usage(tinyMrlApp)).not.toContain('export'); // only the nested app can export a smaller model
    await expect(runTarget(tinyMrlApp, ['trian'])).rejects.toThrow(
      'unknown target "trian"; expected one of train, sample, analyze',
    );
  });
});
