// Public door of @matryoshka/tokenizer: everything of the browser-safe door (browser.ts), with
// CharTokenizer's file methods (load/save), the corpus reader and atomic writes. ESM `import
// { CharTokenizer }` works on the built package: Node reads the names of the compiled CommonJS,
// `export *` included (checked by tools/package-check).
export { CharTokenizer } from './char-tokenizer';
export { readCorpus, findDefaultCorpusPath, DEFAULT_CORPUS_PATH } from './corpus';
export { writeFileAtomic } from './atomic-write';
export type { WriteFileAtomicOptions } from './atomic-write';
export * from './browser';
