// The app as a user runs it: a real process, its exit status and what it prints.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appTargetProblems, parseTrainSettings, runAppCli, targetNames, WORKSPACE_ROOT } from '@matryoshka/experiment';
import { configWidths } from '@matryoshka/nested-transformer';
import { mrlEmbeddingsApp } from './app';
import project from '../project.json';

jest.setTimeout(120_000);

describe('mrl-embeddings command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrl-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains with the experiment-1 model shape, printing the backend first', () => {
    const out = join(dir, 'run');
    const r = runAppCli('mrl-embeddings', [
      'train',
      '--out',
      out,
      '--steps',
      '2',
      '--eval-interval',
      '2',
      '--eval-iters',
      '1',
    ]);
    expect(r.status).toBe(0);
    expect(r.stderr.split('\n')[0]).toMatch(/^backend: (tensorflow|wasm|cpu)/);
    expect(r.stderr).toContain('d=32 widths 8/16/32 l=4 h=4 b=4 t=16; 52,512 parameters; 2 steps');
    expect(existsSync(join(out, 'checkpoint'))).toBe(true);
  });

  it('exits 1 with one clear line for bad input', () => {
    const r = runAppCli('mrl-embeddings', ['train', '--steps', 'many']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['error: --steps must be an integer, got "many"']);
    const s = runAppCli('mrl-embeddings', ['sample', '--run', join(dir, 'nope')]);
    expect(s.status).toBe(1);
    expect(s.stderr).toContain(`--run: ${join(dir, 'nope')} does not exist`);
  });

  it('refuses a prompt character outside the vocabulary in one line that names it and the flag to use', () => {
    const r = runAppCli('mrl-embeddings', ['sample', '--run', join(dir, 'run'), '--prompt', 'naïve', '--tokens', '3']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `error: --prompt: "ï" (U+00EF) is not in this run's vocabulary of 65 characters; leave it out, or pass --unknown replace`,
    );
    const ok = runAppCli('mrl-embeddings', [
      'sample',
      '--run',
      join(dir, 'run'),
      '--prompt',
      'naïve',
      '--tokens',
      '3',
      '--unknown',
      'replace',
    ]);
    expect(ok.status).toBe(0);
    expect(ok.stdout.startsWith('na ve')).toBe(true);
  });

  it('stops on Ctrl-C (SIGINT) with a checkpoint, says how to resume, and exits 130', async () => {
    const out = join(dir, 'interrupted');
    const child = spawn(
      process.execPath,
      [
        join(WORKSPACE_ROOT, 'apps/mrl-embeddings/bin.js'),
        'train',
        '--out',
        out,
        '--steps',
        '100000',
        '--eval-interval',
        '100000',
      ],
      {
        env: { ...process.env, FORCE_COLOR: '0' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/step \d+/.test(stderr) && !child.killed) child.kill('SIGINT'); // training has started
    });
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    expect(status).toBe(130);
    expect(stderr).toContain(`continue with --resume ${out}`);
    expect(stderr).not.toContain('error:');
    expect(existsSync(join(out, 'checkpoint', 'state.json'))).toBe(true);
  });

  it('prints its targets', () => {
    const r = runAppCli('mrl-embeddings', []);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Matryoshka embeddings GPT');
    expect(r.stdout).toContain('analyze');
  });
});

describe('mrl-embeddings defaults', () => {
  it('are experiment 1 of docs/EXPERIMENTS.md, "Defaults per app" (copied from the document, not from code)', () => {
    const { run } = parseTrainSettings(mrlEmbeddingsApp, []);
    expect(run.model).toEqual({
      contextLength: 16,
      width: 32,
      heads: 4,
      layers: 4,
      dropout: 0.2,
      minPower: 3,
      nesting: 'embedding',
      headNormalisation: 'full',
      seed: 1337,
      init: 'small',
      layersPerWidth: null,
      layerWidths: null,
    });
    expect(run.training).toMatchObject({
      batchSize: 4,
      steps: 5000,
      evalInterval: 50,
      evalIters: 20,
      lr: 3e-4,
      weightDecay: 0.01,
      seed: 1337,
    });
    expect(configWidths(run.model)).toEqual([8, 16, 32]);
  });
});

describe('--help', () => {
  it('every target is offered by Nx and states each default once, printably, and never as null or undefined', async () => {
    expect(targetNames(mrlEmbeddingsApp)).toEqual(['train', 'sample', 'analyze', 'compare']);
    expect(await appTargetProblems(mrlEmbeddingsApp, Object.keys(project.targets))).toEqual([]);
  });
});
