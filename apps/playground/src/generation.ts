// Text streaming from one or several widths at once: nested-transformer's generateTokens (the same
// code and numbers as the CLI's `sample`) one token at a time, round robin over the widths, giving
// the page a turn every SLICE_MS so the text appears as it is written and the buttons respond.
import type { CharTokenizer } from '@matryoshka/tokenizer/browser';
import { generateTokens, type MatryoshkaGPT } from '@matryoshka/nested-transformer/browser';

/** Longest stretch of generation between two turns of the page, in milliseconds. */
const SLICE_MS = 30;

export interface StreamRequest {
  widths: readonly number[];
  prompt: string;
  tokens: number;
  temperature: number;
  /** 0 or undefined: no top-k. */
  topK?: number;
  seed: number;
  greedy: boolean;
}

export interface StreamProgress {
  /** The new text of each width so far. */
  texts: string[];
  /** New tokens so far, all widths together. */
  generated: number;
  /** New tokens per second of wall-clock time since the start (the page's turns included). */
  tokensPerSecond: number;
  done: boolean;
}

/** A macrotask turn without setTimeout's clamping (MessageChannel). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The prompt's ids; a character outside the vocabulary is an error naming it (as `sample` does). */
export function encodePrompt(tokenizer: CharTokenizer, prompt: string): number[] {
  const missing = [...new Set([...prompt].filter((char) => !tokenizer.has(char)))];
  if (missing.length > 0) {
    const names = missing.map((char) => `${JSON.stringify(char)} (${codePoint(char)})`).join(', ');
    throw new Error(`prompt: ${names} ${missing.length === 1 ? 'is' : 'are'} not in this model's vocabulary of ${tokenizer.vocabSize} characters`);
  }
  if (prompt.length === 0) throw new Error('prompt: give at least one character');
  return Array.from(tokenizer.encode(prompt));
}

/**
 * Generate at every requested width, calling `onProgress` after each slice; stops early when
 * `signal` aborts. Resolves with the final progress.
 */
export async function streamGeneration(
  model: MatryoshkaGPT,
  tokenizer: CharTokenizer,
  request: StreamRequest,
  onProgress: (progress: StreamProgress) => void,
  signal?: AbortSignal,
): Promise<StreamProgress> {
  const promptIds = encodePrompt(tokenizer, request.prompt);
  const greedy = request.greedy || request.temperature === 0;
  const streams = request.widths.map((width) =>
    generateTokens(model, promptIds, {
      width,
      maxNewTokens: request.tokens,
      temperature: greedy ? 1 : request.temperature,
      topK: request.topK ? request.topK : undefined,
      greedy,
      seed: request.seed,
    }),
  );
  const ids: number[][] = request.widths.map(() => []);
  const progress = (done: boolean, elapsed: number): StreamProgress => {
    const generated = ids.reduce((n, list) => n + list.length, 0);
    return { texts: ids.map((list) => tokenizer.decode(list)), generated, tokensPerSecond: elapsed > 0 ? generated / (elapsed / 1000) : 0, done };
  };
  const start = performance.now();
  try {
    let open = streams.length;
    while (open > 0 && !signal?.aborted) {
      const sliceStart = performance.now();
      while (open > 0 && performance.now() - sliceStart < SLICE_MS) {
        open = 0;
        streams.forEach((stream, k) => {
          if (ids[k].length >= request.tokens) return;
          const next = stream.next();
          if (!next.done) ids[k].push(next.value);
          if (ids[k].length < request.tokens) open++;
        });
      }
      onProgress(progress(false, performance.now() - start));
      await nextTurn();
    }
  } finally {
    streams.forEach((stream) => stream.return());
  }
  const final = progress(true, performance.now() - start);
  onProgress(final);
  return final;
}
