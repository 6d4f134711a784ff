// Prints which tensor backends this checkout can load, for nx's cache key of the test targets:
// a test result obtained on the native backend must not be reused where only wasm exists.
const fs = require('node:fs');
const path = require('node:path');
let native = 'no-tfjs-node';
try {
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  native = fs.existsSync(path.join(dir, 'lib', 'napi-v8', 'tfjs_binding.node'))
    ? 'tfjs-node-built'
    : 'tfjs-node-unbuilt';
} catch {
  // not installed
}
console.log(`${native} backend=${process.env.MATRYOSHKA_BACKEND ?? 'auto'}`);
