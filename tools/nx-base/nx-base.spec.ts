// `nx affected` as people type it, in a copy of this workspace made into a fresh git repository
// and cloned (so it has an upstream, like a clone of the real one): the test tasks Nx would run
// are counted from its task graph (`--graph=stdout` plans the tasks without running them) and
// compared with Nx's own answer for an explicit list of changed files.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

jest.setTimeout(240_000);

const WORKSPACE = resolve(__dirname, '../..');
const WRAPPER = join(__dirname, 'nx.js');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Nx through the wrapper, in `cwd`, with no affected criteria from the environment. */
function nx(cwd: string, ...args: string[]): { stdout: string; stderr: string } {
  const { NX_BASE: _base, NX_HEAD: _head, ...inherited } = process.env;
  const env = { ...inherited, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' };
  const result = spawnSync(process.execPath, [WRAPPER, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`nx ${args.join(' ')} failed (status ${result.status}) in ${cwd}:\n${result.stderr}${result.stdout}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The test tasks `nx <args> --graph=stdout` plans, as sorted project names. */
function plannedTests(cwd: string, ...args: string[]): { projects: string[]; note: string } {
  const { stdout, stderr } = nx(cwd, ...args, '--graph=stdout');
  const graph = JSON.parse(stdout) as { tasks: { tasks: Record<string, unknown> } };
  const projects = Object.keys(graph.tasks.tasks)
    .filter((id) => id.endsWith(':test'))
    .map((id) => id.slice(0, -':test'.length))
    .sort();
  return { projects, note: stderr };
}

/** Nx's own answer for an explicit list of changed files: the projects with a test target it marks affected. */
function affectedByFiles(cwd: string, files: string[]): string[] {
  const { stdout } = nx(cwd, 'show', 'projects', '--affected', `--files=${files.join(',')}`, '--with-target', 'test', '--json');
  return (JSON.parse(stdout) as string[]).sort();
}

describe('nx affected in a fresh clone, on a branch, with local changes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'nx-base-'));
  const origin = join(scratch, 'origin');
  const clone = join(scratch, 'clone');
  let everyProject: string[] = [];

  beforeAll(() => {
    // The workspace as it is now (tracked and new files, not ignored ones; not tracked files
    // deleted but not yet committed) committed on main...
    mkdirSync(origin);
    const deleted = new Set(git(WORKSPACE, 'ls-files', '--deleted').split('\n'));
    const files = git(WORKSPACE, 'ls-files', '-co', '--exclude-standard').split('\n').filter((file) => file && !deleted.has(file));
    for (const file of files) {
      mkdirSync(dirname(join(origin, file)), { recursive: true });
      cpSync(join(WORKSPACE, file), join(origin, file), { verbatimSymlinks: true });
    }
    git(origin, 'init', '--quiet', '--initial-branch=main');
    git(origin, 'add', '--all');
    git(origin, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '--quiet', '-m', 'workspace');
    // ...then cloned, as a newcomer does; node_modules comes from this checkout.
    git(scratch, 'clone', '--quiet', origin, clone);
    git(clone, 'config', 'user.name', 'test');
    git(clone, 'config', 'user.email', 'test@example.com');
    symlinkSync(join(WORKSPACE, 'node_modules'), join(clone, 'node_modules'));
    everyProject = (JSON.parse(nx(clone, 'show', 'projects', '--with-target', 'test', '--json').stdout) as string[]).sort();
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is the nx that npx runs in this checkout (linked by npm ci)', () => {
    expect(realpathSync(join(WORKSPACE, 'node_modules/.bin/nx'))).toBe(WRAPPER);
  });

  it('tests every project in a fresh clone, in both spellings', () => {
    expect(everyProject.length).toBeGreaterThanOrEqual(12);
    const colon = plannedTests(clone, 'affected:test');
    expect(colon.projects).toEqual(everyProject);
    expect(colon.note).toContain('no branch point: every project');
    expect(plannedTests(clone, 'affected', '-t', 'test').projects).toEqual(everyProject);
  });

  it('tests only what a change on main touches, uncommitted or committed ahead of origin', () => {
    const file = 'packages/hierarchy-imposed/src/index.ts';
    appendFileSync(join(clone, file), '\n// a local change\n');
    const expected = affectedByFiles(clone, [file]);
    expect(expected).toContain('hierarchy-imposed');
    expect(expected.length).toBeLessThan(everyProject.length);
    const uncommitted = plannedTests(clone, 'affected:test');
    expect(uncommitted.note).toContain('uncommitted changes');
    expect(uncommitted.projects).toEqual(expected);

    git(clone, 'commit', '--quiet', '-am', 'local commit on main');
    const ahead = plannedTests(clone, 'affected', '-t', 'test');
    expect(ahead.note).toContain('ahead of its upstream');
    expect(ahead.projects).toEqual(expected);
    git(clone, 'reset', '--quiet', '--hard', 'origin/main');
  });

  it('compares a feature branch with its branch point, and leaves explicit criteria to Nx', () => {
    git(clone, 'checkout', '--quiet', '-b', 'feature');
    const file = 'packages/viz/src/index.ts';
    appendFileSync(join(clone, file), '\n// a change on a branch\n');
    git(clone, 'commit', '--quiet', '-am', 'change viz');
    const expected = affectedByFiles(clone, [file]);
    expect(expected).toEqual(expect.arrayContaining(['viz', 'experiment', 'nested', 'mrl-embeddings']));
    expect(expected).not.toContain('tokenizer');
    const branch = plannedTests(clone, 'affected:test');
    expect(branch.note).not.toContain('nx affected:'); // Nx's default base: the branch point with main
    expect(branch.projects).toEqual(expected);
    // An explicit base is Nx's business: from the branch's own tip nothing has changed.
    expect(plannedTests(clone, 'affected', '-t', 'test', '--base=HEAD').projects).toEqual([]);
    git(clone, 'checkout', '--quiet', 'main');
  });

  it('tests everything where there is no main to compare with (a detached CI checkout)', () => {
    git(clone, 'checkout', '--quiet', '--detach');
    git(clone, 'branch', '--quiet', '-D', 'main', 'feature');
    const detached = plannedTests(clone, 'affected', '-t', 'test');
    expect(detached.note).toContain('no main branch');
    expect(detached.projects).toEqual(everyProject);
  });
});
