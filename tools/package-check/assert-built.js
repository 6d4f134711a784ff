#!/usr/bin/env node
// Every package's `prepack`: refuse to pack a package whose build is missing or older than its
// sources, so a tarball never ships without (or with stale) dist/. Run in the package's folder.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const packageDir = process.cwd();
const name = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).name;
const built = path.join(packageDir, 'dist', 'index.js');
const fix = 'run `npx nx run-many -t pack` from the repository root (it builds first)';

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.ts$/.test(entry.name) && !/\.(spec|test-helper)\.ts$|^test-setup\.ts$/.test(entry.name) ? [file] : [];
  });
}

if (!fs.existsSync(built)) {
  console.error(`error: ${name} is not built (no dist/index.js): ${fix}`);
  process.exit(1);
}
const builtAt = fs.statSync(built).mtimeMs;
const newer = sources(path.join(packageDir, 'src')).filter((file) => fs.statSync(file).mtimeMs > builtAt);
if (newer.length > 0) {
  console.error(`error: ${name}'s dist/ is older than ${path.relative(packageDir, newer[0])}: ${fix}`);
  process.exit(1);
}
