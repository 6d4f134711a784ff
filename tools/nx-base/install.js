#!/usr/bin/env node
// Part of the root postinstall: point node_modules/.bin/nx at tools/nx-base/nx.js, which picks the
// base of `nx affected` (see there) and then runs Nx. npm links every bin before it runs the
// root's postinstall, and it never replaces a link that points outside the package that owns the
// name, so the link stays until the next install re-runs this. Idempotent; prints nothing when
// the link is already right; never fails the install (Nx then simply runs unwrapped).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const link = path.join(root, 'node_modules', '.bin', 'nx');
const target = path.relative(path.dirname(link), path.join(__dirname, 'nx.js'));

try {
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch {
    // no link yet (or not a link)
  }
  if (current !== target) {
    fs.mkdirSync(path.dirname(link), { recursive: true });
    const temporary = `${link}.${process.pid}.tmp`;
    fs.symlinkSync(target, temporary);
    fs.renameSync(temporary, link); // atomic: `nx` always resolves to a working command
    console.log(`[nx-base] node_modules/.bin/nx -> ${target}`);
  }
} catch (error) {
  console.log(`[nx-base] could not link node_modules/.bin/nx (${error instanceof Error ? error.message : String(error)}); nx affected keeps Nx's own base`);
}
