#!/usr/bin/env node
// `npm test`: node tools/affected-base/with-base.js nx affected -t ... runs that Nx command with
// Nx's own --base flag, chosen for where you are. Nx's default base is the branch point with main
// (nx.json's defaultBase): right on a branch, but on main itself that is HEAD, so a fresh clone
// and CI would test nothing. The base chosen here:
//   - a branch with commits of its own: main, so Nx compares with the branch point (its default);
//   - main with commits not yet in its upstream (origin/main): that upstream;
//   - main with uncommitted changes: HEAD (Nx adds uncommitted and untracked files to any base);
//   - otherwise (a fresh clone, CI, a clean main, no main at all): the empty tree, every project.
// A base of your own (`npm test -- --base=HEAD~3`, or --head, --files, --uncommitted, --untracked,
// NX_BASE) is left to Nx. Arguments after the command are passed through as they are.
'use strict';

const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The empty tree: `git diff <it> HEAD` lists every tracked file, so every project is affected. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const CRITERIA = ['--base', '--head', '--files', '--uncommitted', '--untracked', '--all'];

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
  if (git('merge-base', mainCommit, head) !== head) {
    return { base: main, reason: `a branch: what changed since it left ${main}` };
  }
  const upstream = git('rev-parse', '--verify', '--quiet', '@{upstream}');
  if (upstream && git('merge-base', upstream, head) !== head) {
    return { base: upstream, reason: `${main} is ahead of its upstream: what changed since ${upstream.slice(0, 7)}` };
  }
  if (git('status', '--porcelain')) return { base: head, reason: `on ${main} with uncommitted changes: the projects they touch` };
  return { base: EMPTY_TREE, reason: `on ${main} with nothing changed there is no branch point: every project` };
}

const [command, ...args] = process.argv.slice(2);
if (!command) throw new Error('usage: node tools/affected-base/with-base.js nx affected <nx options>');
const split = args.includes('--') ? args.indexOf('--') : args.length; // after `--`: the tasks' own arguments
const own = args.slice(0, split);
if (!process.env.NX_BASE && !own.some((arg) => CRITERIA.some((flag) => arg === flag || arg.startsWith(`${flag}=`)))) {
  const { base, reason } = chooseBase();
  process.stderr.write(`[affected-base] ${reason}\n`);
  args.splice(split, 0, `--base=${base}`);
}
process.stderr.write(`> ${[command, ...args].join(' ')}\n`);
const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
if (result.error) throw result.error;
if (result.signal) process.kill(process.pid, result.signal);
process.exitCode = result.status ?? 1;
