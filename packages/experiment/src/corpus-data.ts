// Corpus -> tokenizer -> train/val ids (docs/EXPERIMENTS.md, "Data (all experiments)").
import { existsSync } from 'node:fs';
import { CharTokenizer, readCorpus, splitTrainVal } from '@matryoshka/tokenizer';
import { UserError } from '@matryoshka/training';

export interface CorpusData {
  tokenizer: CharTokenizer;
  train: Int32Array;
  val: Int32Array;
}

/**
 * Read and encode a corpus. With `vocabulary` (a resumed run, or a model being evaluated), the
 * corpus must only use those characters; otherwise the vocabulary is the corpus's own.
 */
export function loadCorpusData(file: string, vocabulary?: readonly string[]): CorpusData {
  if (!existsSync(file)) throw new UserError(`--data: ${file} does not exist`);
  const text = readCorpus(file);
  if (text.length < 100) throw new UserError(`--data: ${file} holds only ${text.length} characters; a corpus needs more text`);
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
