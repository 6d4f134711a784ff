// `sample --draft-width`: speculative decoding from the command. Greedy, it prints exactly what
// plain greedy sampling prints at the verifier width (the library's own tests cover the sampled
// distribution); its statistics go to stderr; every refusal is one UserError naming the flag.
import { join } from 'node:path';
import { UserError } from './cli/errors';
import { helpProblems } from './help-check';
import { loadRun } from './load-run';
import { sampleCommand, sampleTextSpeculative } from './sample-command';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp, tinyNestedApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

/** sampleCommand's stdout and its status lines (stderr), each captured. */
async function sample(app: typeof tinyNestedApp, argv: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  const lines: string[] = [];
  await sampleCommand(app, argv, { write: (text: string) => (stdout += text) }, (line) => lines.push(line));
  return { stdout, stderr: lines.join('\n') };
}

describe('sample --draft-width on a tiny nested run (widths 4 / 8 / 16, context 24)', () => {
  const dir = tempDir('speculative-sample');
  const run = join(dir, 'nested');
  const mrl = join(dir, 'mrl');

  beforeAll(async () => {
    // Context 24 (not 8): room to draft before the sequence outgrows it.
    await trainCommand(tinyNestedApp, [...tinyFlags(run, 30), '--context', '24']);
    await trainCommand(tinyMrlApp, tinyFlags(mrl, 1));
  });

  it('greedy: prints what plain greedy sampling at the verifier width prints, for every draft width and k, past the context', async () => {
    const tally = { accepted: 0, rejected: 0 };
    for (const prompt of ['A', 'ROMEO:', 'First Citizen:\nBefore we proceed any']) {
      const base = ['--run', run, '--width', '16', '--prompt', prompt, '--tokens', '30', '--greedy'];
      const plain = await sample(tinyNestedApp, base);
      expect(plain.stderr).not.toContain('acceptance');
      for (const [draftWidth, k] of [
        ['4', '1'],
        ['4', '4'],
        ['8', '3'],
        ['8', '8'],
      ]) {
        const speculative = await sample(tinyNestedApp, [...base, '--draft-width', draftWidth, '--draft-tokens', k]);
        expect({ prompt, draftWidth, k, stdout: speculative.stdout }).toEqual({
          prompt,
          draftWidth,
          k,
          stdout: plain.stdout,
        });
        const [accepted, tested] = (speculative.stderr.match(/(\d+) of (\d+) tested drafts? accepted/) ?? [])
          .slice(1)
          .map(Number);
        tally.accepted += accepted;
        tally.rejected += tested - accepted;
      }
    }
    // The comparison has teeth: the draft widths both agreed and disagreed with the verifier.
    expect(tally.accepted).toBeGreaterThan(20);
    expect(tally.rejected).toBeGreaterThan(2);
    // --temperature 0 is greedy too, and k defaults to 4; --width defaults to the widest.
    const zero = await sample(tinyNestedApp, [
      '--run',
      run,
      '--prompt',
      'A',
      '--tokens',
      '12',
      '--temperature',
      '0',
      '--draft-width',
      '8',
    ]);
    const plain = await sample(tinyNestedApp, ['--run', run, '--prompt', 'A', '--tokens', '12', '--greedy']);
    expect(zero.stdout).toBe(plain.stdout);
    expect(zero.stderr).toContain('width 8 drafts 4 per round, width 16 verifies');
  });

  it('samples any replica of a run of replicas (--replica), as plain sampling of that replica does', async () => {
    const replicas = join(dir, 'replicas');
    await trainCommand(tinyNestedApp, [...tinyFlags(replicas, 10), '--context', '24', '--replicas', '2']);
    const sampled: string[] = [];
    for (const replica of ['0', '1']) {
      const base = ['--run', replicas, '--replica', replica, '--prompt', 'ROMEO:', '--tokens', '30'];
      const greedy = await sample(tinyNestedApp, [...base, '--greedy', '--draft-width', '4']);
      expect(greedy.stdout).toBe((await sample(tinyNestedApp, [...base, '--greedy'])).stdout);
      sampled.push((await sample(tinyNestedApp, [...base, '--draft-width', '8', '--seed', '5'])).stdout);
    }
    // (Greedy, these tiny models repeat the last character whatever the replica.) Sampled with one
    // seed, the two replicas' texts differ: --replica reached the model.
    expect(sampled[0]).not.toBe(sampled[1]);
  });

  it('reports on stderr: the acceptance rate, drafted and accepted counts, rounds and tokens/s', async () => {
    const { stdout, stderr } = await sample(tinyNestedApp, [
      '--run',
      run,
      '--width',
      '8',
      '--draft-width',
      '4',
      '--draft-tokens',
      '3',
      '--prompt',
      'A',
      '--tokens',
      '20',
      '--temperature',
      '0.8',
      '--top-k',
      '10',
      '--seed',
      '7',
    ]);
    expect(stdout).toMatch(/^A[^]{20}\n$/u);
    const lines = stderr.split('\n');
    expect(lines[0]).toMatch(/^backend: /);
    expect(lines[1]).toBe('speculative decoding: width 4 drafts 3 per round, width 8 verifies');
    const [, rate, accepted, tested, drafted, rounds, plain] = lines[2]
      .match(
        /^acceptance rate (\d\.\d{3}): (\d+) of (\d+) tested drafts? accepted \((\d+) drafted, (\d+) rounds?, (\d+) tokens? by the verifier alone\)$/,
      )!
      .map(Number);
    expect(rate).toBeCloseTo(accepted / tested, 3);
    expect(rounds).toBeGreaterThan(0);
    // Each round drafts at most k and ends with one verifier id; all 20 ids are accounted for.
    expect(drafted).toBeLessThanOrEqual(3 * rounds);
    expect(accepted + rounds + plain).toBe(20);
    expect(lines[3]).toMatch(/^20 tokens in \d+\.\d{2} s: \d+\.\d tokens\/s$/);
    expect(lines).toHaveLength(4);
  });

  it('refuses, in one line naming the flag: --width all, a draft width not below the verifier or not of the model, k < 1, --draft-tokens alone, a run nested by its embedding', async () => {
    const refused = (argv: string[], app = tinyNestedApp) => sample(app, ['--run', run, '--tokens', '5', ...argv]);
    await expect(refused(['--width', 'all', '--draft-width', '4'])).rejects.toThrow(
      new UserError(
        '--draft-width and --width all cannot be given together: speculative decoding verifies at one width (give --width N, or leave it out for the widest)',
      ),
    );
    await expect(refused(['--width', '8', '--draft-width', '8'])).rejects.toThrow(
      new UserError("--draft-width 8 must be below the verifier's width 8: the draft is the smaller, cheaper doll"),
    );
    await expect(refused(['--draft-width', '16'])).rejects.toThrow(
      new UserError("--draft-width 16 must be below the verifier's width 16: the draft is the smaller, cheaper doll"),
    );
    // 6 is a multiple of the heads (2), so the model could run it, but it was never trained.
    await expect(refused(['--draft-width', '6'])).rejects.toThrow(
      new UserError('--draft-width 6 is not a width of this model (4, 8, 16)'),
    );
    await expect(refused(['--draft-width', '4', '--draft-tokens', '0'])).rejects.toThrow(
      new UserError('--draft-tokens must be at least 1, got 0'),
    );
    await expect(refused(['--draft-tokens', '2'])).rejects.toThrow(
      new UserError('--draft-tokens is the number of ids --draft-width drafts per round: give --draft-width too'),
    );
    // The library's refusals name the flag of the option at fault (here past the flags' own bounds).
    const loaded = loadRun(run);
    try {
      const request = { width: 16, prompt: 'A', tokens: 5, temperature: 1, seed: 1, greedy: true, draftWidth: 4 };
      expect(() => sampleTextSpeculative(loaded, { ...request, draftTokens: 0 })).toThrow(
        new UserError('--draft-tokens must be an integer >= 1 (got 0)'),
      );
      expect(() => sampleTextSpeculative(loaded, { ...request, draftTokens: 2, draftWidth: 5 })).toThrow(
        new UserError('--draft-width 5 is not a width of this model (4, 8, 16)'),
      );
    } finally {
      loaded.model.dispose();
    }
    await expect(sample(tinyMrlApp, ['--run', mrl, '--draft-width', '4'])).rejects.toThrow(
      new UserError(
        "--draft-width: this model is nested by its embedding only (nesting 'embedding'): every width runs the same full-width trunk and only the head is cut, " +
          "so a draft costs as much as the verifier; it needs a model nested by 'width', 'ffn' or 'width+depth'",
      ),
    );
  });

  it('lists both flags in --help, k with its default', async () => {
    let usage = '';
    await sampleCommand(tinyNestedApp, ['--help']).catch((error: { usage: string }) => (usage = error.usage));
    expect(usage).toMatch(/--draft-width N +speculative decoding .* \(default none\)/);
    expect(usage).toMatch(/--draft-tokens N +with --draft-width: ids drafted per round \(k\) \(default 4\)/);
    expect(helpProblems(usage)).toEqual([]);
  });
});
