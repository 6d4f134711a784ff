// Public door of @matryoshka/tokenizer. Named re-exports (not `export *`) keep the compiled
// CommonJS statically analysable, so ESM `import { CharTokenizer }` works on the built package.
export { CharTokenizer } from './char-tokenizer';
export type { EncodeOptions } from './char-tokenizer';
export { TOKENIZER_FORMAT, TOKENIZER_FORMAT_VERSION } from './tokenizer-format';
export type { CharTokenizerJSON } from './tokenizer-format';
export { splitTrainVal, TRAIN_FRACTION_DEFAULT } from './split';
export type { TrainValSplit } from './split';
export { SeededRandom } from './random';
export type { SeededRandomState } from './random';
export { BatchSampler } from './batch-sampler';
export type { Batch, BatchSamplerOptions, BatchSamplerState } from './batch-sampler';
export { readCorpus, findDefaultCorpusPath, DEFAULT_CORPUS_PATH } from './corpus';
export { writeFileAtomic } from './atomic-write';
export type { WriteFileAtomicOptions } from './atomic-write';
export { parseJson, JsonParseError } from './parse-json';
export type { JsonErrorPosition } from './parse-json';
