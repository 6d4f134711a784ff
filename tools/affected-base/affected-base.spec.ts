// The README's test command (`nx affected ... --base=$(node tools/affected-base/base.js)`, also
// `npm test` and .ci/run's last line), in a copy of this workspace made into a fresh git
// repository and cloned (so it has an upstream, like a clone of the real one): the test tasks it
// would run are counted from Nx's task graph (`--graph=stdout` plans the tasks without running
// them) and compared with Nx's own answer for an explicit list of changed files.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

jest.setTimeout(240_000);

const WORKSPACE = resolve(__dirname, '../..');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** `command args` in `cwd`, with no affected criteria from the environment; throws on failure. */
function run(cwd: string, command: string, args: string[]): { stdout: string; stderr: string } {
  const { NX_BASE: _base, NX_HEAD: _head, ...inherited } = process.env;
  const env = { ...inherited, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0' };
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} failed (status ${result.status}) in ${cwd}:\n${result.stderr}${result.stdout}`,
    );
  return { stdout: result.stdout, stderr: result.stderr };
}

/** Nx itself, as `npx nx` runs it: node_modules/.bin/nx. */
function nx(cwd: string, ...args: string[]): { stdout: string; stderr: string } {
  return run(cwd, join(cwd, 'node_modules/.bin/nx'), args);
}

/** The test tasks planned by `command` (its stdout: Nx's `--graph=stdout`), as sorted project names, and its stderr. */
function plannedTests({ stdout, stderr }: { stdout: string; stderr: string }): { projects: string[]; note: string } {
  const graph = JSON.parse(stdout) as { tasks: { tasks: Record<string, unknown> } };
  const projects = Object.keys(graph.tasks.tasks)
    .filter((id) => id.endsWith(':test'))
    .map((id) => id.slice(0, -':test'.length))
    .sort();
  return { projects, note: stderr };
}

/** `npm test -- <args>`: what the README's test command would run (npm appends the args). */
function npmTest(cwd: string, ...args: string[]): { projects: string[]; note: string } {
  return plannedTests(run(cwd, 'npm', ['test', '--silent', '--', ...args, '--graph=stdout']));
}

/** Nx's own answer for an explicit list of changed files: the projects with a test target it marks affected. */
function affectedByFiles(cwd: string, files: string[]): string[] {
  const { stdout } = nx(
    cwd,
    'show',
    'projects',
    '--affected',
    `--files=${files.join(',')}`,
    '--with-target',
    'test',
    '--json',
  );
  return (JSON.parse(stdout) as string[]).sort();
}

describe('the test command', () => {
  it('is one line, the same in the README, npm test and .ci/run', () => {
    const read = (file: string) => readFileSync(join(WORKSPACE, file), 'utf8');
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const command = `npx ${scripts.test}`;
    expect(command).toMatch(
      /^npx nx affected -t test lint typecheck build .*--base=\$\(node tools\/affected-base\/base\.js\)$/,
    );
    expect(read('.ci/run').trim().split('\n').at(-1)).toBe(command);
    expect(read('README.md')).toContain(`\n${command}   `);
  });
});

describe('npx nx is Nx', () => {
  it('is the link npm makes to the nx package, and no install script rewrites it', () => {
    const nxPackage = join(WORKSPACE, 'node_modules/nx');
    const { bin } = JSON.parse(readFileSync(join(nxPackage, 'package.json'), 'utf8')) as {
      bin: Record<string, string>;
    };
    // Fails in a checkout installed while the postinstall still linked it elsewhere: `npm ci` again.
    expect(realpathSync(join(WORKSPACE, 'node_modules/.bin/nx'))).toBe(realpathSync(join(nxPackage, bin.nx)));
    const { scripts } = JSON.parse(readFileSync(join(WORKSPACE, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.postinstall).not.toMatch(/\bnx\b|\.bin|affected-base/);
  });
});

describe('npm test in a fresh clone, on a branch, with local changes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'affected-base-'));
  const origin = join(scratch, 'origin');
  const clone = join(scratch, 'clone');
  let everyProject: string[] = [];

  beforeAll(() => {
    // The workspace as it is now (tracked and new files, not ignored ones; not tracked files
    // deleted but not yet committed) committed on main...
    mkdirSync(origin);
    const deleted = new Set(git(WORKSPACE, 'ls-files', '--deleted').split('\n'));
    const files = git(WORKSPACE, 'ls-files', '-co', '--exclude-standard')
      .split('\n')
      .filter((file) => file && !deleted.has(file));
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
    everyProject = (
      JSON.parse(nx(clone, 'show', 'projects', '--with-target', 'test', '--json').stdout) as string[]
    ).sort();
  });

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('tests every project in a fresh clone, where Nx alone would test none', () => {
    expect(everyProject.length).toBeGreaterThanOrEqual(12);
    const fresh = npmTest(clone);
    expect(fresh.note).toContain('no branch point: every project');
    expect(fresh.projects).toEqual(everyProject);
    // The card's command is Nx's own: its default base, main, is HEAD here.
    expect(plannedTests(nx(clone, 'affected:test', '--graph=stdout')).projects).toEqual([]);
  });

  it('tests only what a change on main touches, uncommitted or committed ahead of origin', () => {
    const file = 'packages/hierarchy-imposed/src/index.ts';
    appendFileSync(join(clone, file), '\n// a local change\n');
    const expected = affectedByFiles(clone, [file]);
    expect(expected).toContain('hierarchy-imposed');
    expect(expected.length).toBeLessThan(everyProject.length);
    const uncommitted = npmTest(clone);
    expect(uncommitted.note).toContain('uncommitted changes');
    expect(uncommitted.projects).toEqual(expected);

    git(clone, 'commit', '--quiet', '-am', 'local commit on main');
    const ahead = npmTest(clone);
    expect(ahead.note).toContain('ahead of its upstream');
    expect(ahead.projects).toEqual(expected);
    git(clone, 'reset', '--quiet', '--hard', 'origin/main');
  });

  it('compares a feature branch with its branch point, as Nx does', () => {
    git(clone, 'checkout', '--quiet', '-b', 'feature');
    const file = 'packages/viz/src/index.ts';
    appendFileSync(join(clone, file), '\n// a change on a branch\n');
    git(clone, 'commit', '--quiet', '-am', 'change viz');
    const expected = affectedByFiles(clone, [file]);
    expect(expected).toEqual(expect.arrayContaining(['viz', 'experiment', 'nested', 'mrl-embeddings']));
    expect(expected).not.toContain('tokenizer');
    const branch = npmTest(clone);
    expect(branch.note).toContain('a branch: what changed since it left main');
    expect(branch.projects).toEqual(expected);
    expect(plannedTests(nx(clone, 'affected', '-t', 'test', '--graph=stdout')).projects).toEqual(expected);
    git(clone, 'checkout', '--quiet', 'main');
  });

  it('tests everything where there is no main to compare with (a detached CI checkout)', () => {
    git(clone, 'checkout', '--quiet', '--detach');
    git(clone, 'branch', '--quiet', '-D', 'main', 'feature');
    const detached = npmTest(clone);
    expect(detached.note).toContain('no main branch');
    expect(detached.projects).toEqual(everyProject);
  });
});
