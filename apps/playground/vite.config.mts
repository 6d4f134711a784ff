// The playground's bundle. The workspace packages come from their sources, through their
// browser-safe doors (src/browser.ts, the packages' "browser" export), so the page never sees
// Node's file system; everything else (TensorFlow.js, its .wasm files, the demo model in public/)
// is bundled or copied into dist/, and nothing is fetched from another host.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const workspace = fileURLToPath(new URL('../..', import.meta.url));
const BROWSER_PACKAGES = ['tokenizer', 'matryoshka-layers', 'nested-transformer'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Relative URLs: the folder works from any path of any static server.
  base: './',
  resolve: {
    alias: BROWSER_PACKAGES.map((pkg) => ({
      find: new RegExp(`^@matryoshka/${pkg}(/browser)?$`),
      replacement: `${workspace}packages/${pkg}/src/browser.ts`,
    })),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2048,
  },
  server: { host: '127.0.0.1', port: 4300 },
  preview: { host: '127.0.0.1', port: 4301 },
});
