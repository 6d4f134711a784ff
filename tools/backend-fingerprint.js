// Prints which tensor backends this checkout can load and whether the fused training step is
// built, for nx's cache key of the test targets: a test result obtained on the native backend
// (or the fused step) must not be reused where only wasm (or only the tfjs path) exists.
const fs = require('node:fs');
const path = require('node:path');
const { addonPath } = require('./setup-tfjs-node/setup.js');
let native = 'no-tfjs-node';
try {
  const pkgJson = require.resolve('@tensorflow/tfjs-node/package.json');
  native = fs.existsSync(addonPath(path.dirname(pkgJson), require(pkgJson))) ? 'tfjs-node-built' : 'tfjs-node-unbuilt';
} catch {
  // not installed
}
const { FUSED_STEP_BUILD } = require('../packages/nested-transformer/native/build.js');
const fusedState = fs.existsSync(FUSED_STEP_BUILD) ? 'fused-step-built' : 'no-fused-step';
console.log(`${native} ${fusedState} backend=${process.env.MATRYOSHKA_BACKEND ?? 'auto'}`);
