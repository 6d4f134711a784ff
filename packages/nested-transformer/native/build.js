#!/usr/bin/env node
/*
 * Builds the fused training step (fused-step.c beside this file) into build/fused-step.node
 * with the system C compiler and the Node headers installed next to the node binary: no
 * download. Run by `npm install` (postinstall) and by the tests when the source is newer than
 * the build. Never fails the install: without a compiler, training runs
 * on the tfjs path, which is the reference anyway. Plain CommonJS, Node built-ins only.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const NATIVE = __dirname;
const SOURCE = path.join(NATIVE, 'fused-step.c');
const OUT = path.join(NATIVE, 'build', 'fused-step.node');

/** Build if missing or older than the source; returns null when built (or current), else why not. */
function buildFusedStep() {
  if (fs.existsSync(OUT) && fs.statSync(OUT).mtimeMs >= fs.statSync(SOURCE).mtimeMs) return null;
  const include = path.join(path.resolve(path.dirname(process.execPath), '..'), 'include', 'node');
  if (!fs.existsSync(path.join(include, 'node_api.h'))) return `no Node headers in ${include}`;
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  const tmp = `${OUT}.${process.pid}.tmp`;
  const flags = ['-shared', '-fPIC', '-O3', '-march=native', '-std=c11', '-pthread'];
  // Reassociation lets the compiler vectorise float sums; GCC applies it only with signed zeros and traps off.
  const math = ['-fno-math-errno', '-fassociative-math', '-fno-signed-zeros', '-fno-trapping-math'];
  const args = [...flags, ...math, `-I${include}`, '-o', tmp, SOURCE, '-lm'];
  const result = cp.spawnSync(process.env.CC || 'cc', args, { encoding: 'utf8', timeout: 120000 });
  if (result.status !== 0) {
    fs.rmSync(tmp, { force: true });
    const why = result.error ? result.error.message : (result.stderr || '').trim().split('\n')[0];
    return `cc failed: ${why}`;
  }
  fs.renameSync(tmp, OUT);
  return null;
}

module.exports = { buildFusedStep, FUSED_STEP_BUILD: OUT };

if (require.main === module) {
  let why;
  try {
    why = buildFusedStep();
  } catch (error) {
    why = error.message;
  }
  console.log(
    why
      ? `[build-native] fused training step not built (${why}); training uses the tfjs path`
      : `[build-native] fused training step: ${path.relative(process.cwd(), OUT)}`,
  );
}
