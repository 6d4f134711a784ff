#!/usr/bin/env node
// Prints the base revision for `nx affected` (its own --base flag), chosen for where you are; the
// reason goes to stderr. The README's test command, `npm test` and .ci/run all run
//   npx nx affected -t test lint typecheck build --output-style=static --base=$(node tools/affected-base/base.js)
// Nx's default base is the branch point with main (nx.json's defaultBase): right on a branch, but
// on main itself that is HEAD, so a fresh clone and CI would test nothing. The base printed:
//   - a branch with commits of its own: main, so Nx compares with the branch point (its default);
//   - main with commits not yet in its upstream (origin/main): that upstream;
//   - main with uncommitted changes: HEAD (Nx adds uncommitted and untracked files to any base);
//   - otherwise (a fresh clone, CI, a clean main, no main at all): the empty tree, every project.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The empty tree: `git diff <it> HEAD` lists every tracked file, so every project is affected. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** @param {string[]} args @returns {string | null} git's output, or null when git fails */
function git(...args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** @returns {{ base: string, reason: string }} */
function chooseBase() {
  const main = JSON.parse(fs.readFileSync(path.join(ROOT, 'nx.json'), 'utf8')).defaultBase ?? 'main';
  const head = git('rev-parse', '--verify', '--quiet', 'HEAD');
  const mainCommit = git('rev-parse', '--verify', '--quiet', `${main}^{commit}`);
  if (!head || !mainCommit) return { base: EMPTY_TREE, reason: `no ${main} branch to compare with: every project` };
  if (git('merge-base', mainCommit, head) !== head)
    return { base: main, reason: `a branch: what changed since it left ${main}` };
  const upstream = git('rev-parse', '--verify', '--quiet', '@{upstream}');
  if (upstream && git('merge-base', upstream, head) !== head) {
    return { base: upstream, reason: `${main} is ahead of its upstream: what changed since ${upstream.slice(0, 7)}` };
  }
  if (git('status', '--porcelain'))
    return { base: head, reason: `on ${main} with uncommitted changes: the projects they touch` };
  return { base: EMPTY_TREE, reason: `on ${main} with nothing changed there is no branch point: every project` };
}

const { base, reason } = chooseBase();
process.stderr.write(`[affected-base] ${reason}: --base=${base}\n`);
process.stdout.write(base);
