// Autoregressive generation at one width (docs/EXPERIMENTS.md, "Generation" and
// "Generation at one width": any prompt length >= 1, the same block as in training).
// Reference semantics are nanoGPT's: crop the context to the last t ids, run, take the width-m
// logits at the last position, sample. The KV cache (kv-cache.ts) gives the same numbers faster.
import { SeededRandom } from '@matryoshka/tokenizer';
import type { Width } from '@matryoshka/matryoshka-layers';
import { KVCacheRunner } from './kv-cache';
import type { MatryoshkaGPT } from './model';
import { sampleToken, validateSampling, type SamplingOptions } from './sampling';

export interface GenerateOptions extends SamplingOptions {
  /** The width m whose logits are sampled (the head's width, or the submodel's for nesting 'width'). */
  width: Width;
  maxNewTokens: number;
  /** Seed of the sampling random numbers (unused when greedy). */
  seed: number;
  /** Use the key/value cache while the sequence fits in the context (default true). */
  useCache?: boolean;
  /** Called with each new id as soon as it is chosen (for streaming output). */
  onToken?: (id: number) => void;
}

/**
 * The refusals every generation shares (generate() and speculative decoding), each a message that
 * starts with `caller`: a prompt of at least one id, every id in the vocabulary, a non-negative
 * integer count of new ids; then the sampling options (validateSampling's own messages).
 */
export function checkGenerationRequest(
  caller: string,
  vocabSize: number,
  promptIds: readonly number[],
  options: SamplingOptions & { maxNewTokens: number },
): void {
  if (promptIds.length === 0) throw new Error(`${caller}: the prompt must hold at least one token id`);
  promptIds.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new Error(`${caller}: prompt id ${id} at index ${i} is outside the vocabulary [0, ${vocabSize})`);
  });
  if (!Number.isInteger(options.maxNewTokens) || options.maxNewTokens < 0) {
    throw new Error(`${caller}: maxNewTokens must be a non-negative integer (got ${options.maxNewTokens})`);
  }
  validateSampling(options, vocabSize);
}

/**
 * The new ids one at a time, as a generator (for callers that stream or yield between tokens, such
 * as a browser page): the same numbers as generate(). Stopping early (return/break) frees the cache.
 */
export function* generateTokens(
  model: MatryoshkaGPT,
  promptIds: readonly number[],
  options: GenerateOptions,
): Generator<number, void, undefined> {
  checkGenerationRequest('generate', model.config.vocabSize, promptIds, options);
  const t = model.config.contextLength;
  const random = new SeededRandom(options.seed);
  const useCache = options.useCache ?? true;
  const tokens = [...promptIds];
  const decoder = new KVCacheRunner(() => model.weightsForWidth(options.width));
  try {
    for (let n = 0; n < options.maxNewTokens; n++) {
      const logits =
        useCache && tokens.length <= t
          ? decoder.append(tokens.slice(decoder.length))
          : decoder.recompute(tokens.slice(-t));
      const next = sampleToken(logits, options, random);
      tokens.push(next);
      options.onToken?.(next);
      yield next;
    }
  } finally {
    decoder.dispose();
  }
}

/** Returns the prompt followed by `maxNewTokens` new ids (nanoGPT's convention). */
export function generate(model: MatryoshkaGPT, promptIds: readonly number[], options: GenerateOptions): number[] {
  const tokens = [...promptIds];
  for (const id of generateTokens(model, promptIds, options)) tokens.push(id);
  return tokens;
}
