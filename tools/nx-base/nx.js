#!/usr/bin/env node
// The workspace's `nx` command (node_modules/.bin/nx points here; see install.js): Nx itself,
// with one decision added for `nx affected` when no base was given. Nx compares HEAD with its
// merge-base with `defaultBase` (main): right on a feature branch, but on main itself the
// merge-base is HEAD, so a fresh clone and CI would test nothing. Here the base is:
//   - a branch with commits of its own: Nx's default, the branch point with main;
//   - main with commits not yet in its upstream (origin/main): that upstream;
//   - main with uncommitted changes: HEAD (Nx adds the uncommitted and untracked files);
//   - otherwise (a fresh clone, CI, a clean main, no main at all): no base, so every project.
// Explicit criteria (--base, --head, --files, --uncommitted, --untracked, --all, NX_BASE) are
// left to Nx. Everything else is passed through untouched.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** The empty tree: `git diff <it> HEAD` lists every tracked file, so every project is affected. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const EXPLICIT = ['--base', '--head', '--files', '--uncommitted', '--untracked', '--all'];

/** @param {string} from @returns {string | null} */
function workspaceRoot(from) {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'nx.json'))) return dir;
    if (path.dirname(dir) === dir) return null;
  }
}

/** @param {string[]} args */
function isAffectedCommand(args) {
  const [command] = args;
  if (command === undefined) return false;
  if (command === 'affected' || command.startsWith('affected:')) return true;
  return command === 'show' && args.includes('--affected');
}

/** @param {string[]} args @param {NodeJS.ProcessEnv} env */
function givesCriteria(args, env) {
  if (env.NX_BASE) return true;
  const own = args.slice(0, args.includes('--') ? args.indexOf('--') : args.length);
  return own.some((arg) => EXPLICIT.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
}

/**
 * The base for `nx affected` in the repository at `root`, or null to keep Nx's default:
 * { base, reason } where base is a revision (or the empty tree) and reason says why, for people.
 * @param {string} root
 * @returns {{ base: string, reason: string } | null}
 */
function chooseBase(root) {
  /** @param {string[]} args */
  const git = (...args) => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  if (git('rev-parse', '--is-inside-work-tree') !== 'true') return null;
  const nxJson = JSON.parse(fs.readFileSync(path.join(root, 'nx.json'), 'utf8'));
  const defaultBase = nxJson.defaultBase ?? 'main';
  const head = git('rev-parse', 'HEAD');
  const main = git('rev-parse', '--verify', '--quiet', `${defaultBase}^{commit}`);
  if (!head || !main) return { base: EMPTY_TREE, reason: `no ${defaultBase} branch to compare with: every project` };
  if (git('merge-base', main, head) !== head) return null; // a branch with commits of its own
  const upstream = git('rev-parse', '--verify', '--quiet', '@{upstream}');
  if (upstream && git('merge-base', upstream, head) !== head) {
    return { base: upstream, reason: `${defaultBase} is ahead of its upstream: what changed since ${upstream.slice(0, 7)}` };
  }
  if (git('status', '--porcelain')) return { base: head, reason: 'on ' + defaultBase + ' with uncommitted changes: the projects they touch' };
  return { base: EMPTY_TREE, reason: `on ${defaultBase} with nothing changed there is no branch point: every project` };
}

/**
 * argv with `--base=<base>` added among Nx's own options (before any `--`).
 * @param {string[]} argv @param {string} base
 */
function withBase(argv, base) {
  const split = argv.indexOf('--', 2);
  const at = split === -1 ? argv.length : split;
  return [...argv.slice(0, at), `--base=${base}`, ...argv.slice(at)];
}

function main() {
  const args = process.argv.slice(2);
  const root = workspaceRoot(process.cwd());
  if (root && isAffectedCommand(args) && !givesCriteria(args, process.env)) {
    const choice = chooseBase(root);
    if (choice) {
      process.stderr.write(`nx affected: ${choice.reason} (--base=${choice.base.slice(0, 12)})\n`);
      process.argv = withBase(process.argv, choice.base);
    }
  }
  const nxBin = require.resolve('nx/bin/nx.js', { paths: [root ?? process.cwd(), __dirname] });
  require(nxBin);
}

if (require.main === module) main();

module.exports = { chooseBase, withBase, isAffectedCommand, givesCriteria, EMPTY_TREE };
