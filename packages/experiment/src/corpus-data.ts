// Corpus -> tokenizer -> train/val ids (docs/EXPERIMENTS.md, "Data (all experiments)").
import { existsSync } from 'node:fs';
import {
  CharTokenizer,
  TRAIN_FRACTION_DEFAULT,
  minimumCorpusLength,
  readCorpus,
  splitTrainVal,
} from '@matryoshka/tokenizer';
import { UserError } from './cli/errors';

export interface CorpusData {
  tokenizer: CharTokenizer;
  train: Int32Array;
  val: Int32Array;
}

/** Characters a corpus needs when the context length is not given (the exact need: minimumCorpusLength). */
const MIN_CORPUS_CHARACTERS = 100;

/**
 * Read and encode a corpus. With `vocabulary` (a resumed run, or a model being evaluated), the
 * corpus must only use those characters; otherwise the vocabulary is the corpus's own. With
 * `contextLength`, a corpus too short for the train/val split to hold a window of it in each part
 * is refused, saying how long it must be.
 */
export function loadCorpusData(file: string, vocabulary?: readonly string[], contextLength?: number): CorpusData {
  if (!existsSync(file)) throw new UserError(`--data: ${file} does not exist`);
  const text = readCorpus(file);
  const characters = [...text].length;
  const needed = contextLength === undefined ? MIN_CORPUS_CHARACTERS : minimumCorpusLength(contextLength);
  if (characters < needed) {
    const split = `${Math.round(TRAIN_FRACTION_DEFAULT * 100)}/${Math.round((1 - TRAIN_FRACTION_DEFAULT) * 100)} train/val split`;
    const why =
      contextLength === undefined
        ? ''
        : ` for context length ${contextLength} and the ${split} (each part a window of ${contextLength} and the character after it)`;
    throw new UserError(`--data: a corpus needs at least ${needed} characters${why}; ${file} has ${characters}`);
  }
  const tokenizer = vocabulary ? new CharTokenizer(vocabulary) : CharTokenizer.fromCorpus(text);
  let ids: Int32Array;
  try {
    ids = tokenizer.encode(text);
  } catch (error) {
    throw new UserError(`--data: ${file} does not fit the run's vocabulary: ${(error as Error).message}`);
  }
  const { train, val } = splitTrainVal(ids);
  return { tokenizer, train, val };
}
