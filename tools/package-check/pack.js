#!/usr/bin/env node
// The `pack` target of every package: `npm pack` into <workspace>/dist/packs/, then check what the
// tarball holds: the built entry points, the README, package.json, and nothing else outside
// dist/ (no sources, specs, test helpers or source maps). Usage: node pack.js <package folder>.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const workspace = path.resolve(__dirname, '..', '..');
const packageDir = path.resolve(workspace, process.argv[2] ?? '.');
const destination = path.join(workspace, 'dist', 'packs');
const REQUIRED = ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts'];
const ALLOWED = /^(package\.json|README\.md|LICENSE(\.md)?|dist\/.+\.(js|d\.ts|json))$/;
const FORBIDDEN = /\.(spec|test-helper)\.|test-setup\.|\.map$/;

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`error: pack ${path.relative(workspace, packageDir)}: ${message}`);
  process.exit(1);
}

fs.mkdirSync(destination, { recursive: true });
let report;
try {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: packageDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  report = JSON.parse(out)[0];
} catch (error) {
  fail(`npm pack failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`);
}
/** @type {string[]} */
const files = report.files.map((/** @type {{ path: string }} */ f) => f.path);
const missing = REQUIRED.filter((file) => !files.includes(file));
if (missing.length > 0) fail(`the tarball lacks ${missing.join(', ')}`);
const unexpected = files.filter((file) => !ALLOWED.test(file) || FORBIDDEN.test(file));
if (unexpected.length > 0) fail(`the tarball would ship ${unexpected.join(', ')}`);
const tarball = path.join(destination, report.filename);
console.log(
  `pack: ${path.relative(workspace, tarball)} (${files.length} files, ${(report.size / 1024).toFixed(1)} kB)`,
);
