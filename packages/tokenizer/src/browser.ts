// Browser-safe door of @matryoshka/tokenizer (the package's "./browser" export): everything but
// the file system (corpus reading, atomic writes, CharTokenizer.load/save).
export { CharTokenizer } from './char-tokenizer-core';
export type { EncodeOptions } from './char-tokenizer-core';
export { TOKENIZER_FORMAT, TOKENIZER_FORMAT_VERSION } from './tokenizer-format';
export type { CharTokenizerJSON } from './tokenizer-format';
export { minimumCorpusLength, splitTrainVal, TRAIN_FRACTION_DEFAULT } from './split';
export type { TrainValSplit } from './split';
export { DEFAULT_SEED, SeededRandom } from './random';
export type { SeededRandomState } from './random';
export { BatchSampler } from './batch-sampler';
export type { Batch, BatchSamplerOptions, BatchSamplerState } from './batch-sampler';
export { parseJson, JsonParseError, fieldPath } from './parse-json';
export type { JsonErrorPosition } from './parse-json';
export { categoryOrder, categoryRank } from './token-categories';
