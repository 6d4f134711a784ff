// The app as a user runs it: a real process, its exit status and what it prints.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAppCli } from '@matryoshka/experiment';

jest.setTimeout(120_000);

describe('mrl-embeddings command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mrl-cli-'));

  it('trains with the experiment-1 model shape, printing the backend first', () => {
    const out = join(dir, 'run');
    const r = runAppCli('mrl-embeddings', ['train', '--out', out, '--steps', '2', '--eval-interval', '2', '--eval-iters', '1']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^backend: (tensorflow|wasm|cpu)/);
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

  it('prints its targets', () => {
    const r = runAppCli('mrl-embeddings', []);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Matryoshka embeddings GPT');
    expect(r.stdout).toContain('analyze');
  });
});
