// The tree is formatted as `nx format` (Prettier, .prettierrc.json) writes it: `nx format:check
// --all` passes. Run as a test so that `nx affected -t test` (the README's test command and CI)
// refuses an unformatted change; `npx nx format` fixes one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const WORKSPACE = resolve(__dirname, '../..');

describe('the formatting of the tree', () => {
  it('is what nx format writes (nx format:check --all passes)', () => {
    const nx = join(WORKSPACE, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
    const run = spawnSync(process.execPath, [nx, 'format:check', '--all'], {
      cwd: WORKSPACE,
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
    });
    // On failure Nx lists the files that are not formatted.
    expect({ status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  }, 120_000);

  it('would catch an unformatted file (the same configuration, on files written badly and well)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'format-check-'));
    try {
      const check = (text: string) => {
        writeFileSync(join(dir, 'example.ts'), text);
        const prettier = join(WORKSPACE, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
        const config = join(WORKSPACE, '.prettierrc.json');
        const args = [prettier, '--check', '--config', config, '--ignore-path', join(dir, 'none'), 'example.ts'];
        return spawnSync(process.execPath, args, { cwd: dir }).status;
      };
      expect(check("const a = {b:1,  c:'x'}\n")).toBe(1);
      expect(check("const a = { b: 1, c: 'x' };\n")).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
