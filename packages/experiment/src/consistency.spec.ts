import * as tf from '@tensorflow/tfjs-core';
import { meanKlDivergence } from './consistency';
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

describe('app command line', () => {
  it('lists the targets and names an unknown one', async () => {
    expect(usage(tinyMrlApp)).toContain('npx nx run mrl-embeddings:<target>');
    expect(usage(tinyMrlApp)).toMatch(/train .*\n.*sample .*\n.*analyze .*\n.*export/);
    await expect(runTarget(tinyMrlApp, ['trian'])).rejects.toThrow('unknown target "trian"; expected one of train, sample, analyze, export');
  });
});
