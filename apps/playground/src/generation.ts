// Text streaming from one or several widths at once: nested-transformer's generateTokens (the same
// code and numbers as the CLI's `sample`) one token at a time, round robin over the widths, giving
// the page a turn every SLICE_MS so the text appears as it is written and the buttons respond.
// With a draft width, one width streams by speculative decoding (speculativeTokens, the code of
// the CLI's `sample --draft-width`), each token with how it was made.
import type { CharTokenizer } from '@matryoshka/tokenizer/browser';
import {
  generateTokens,
  speculativeTokens,
  type MatryoshkaGPT,
  type SpeculativeKind,
} from '@matryoshka/nested-transformer/browser';

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
    throw new Error(
      `prompt: ${names} ${missing.length === 1 ? 'is' : 'are'} not in this model's vocabulary of ${tokenizer.vocabSize} characters`,
    );
  }
  if (prompt.length === 0) throw new Error('prompt: give at least one character');
  return Array.from(tokenizer.encode(prompt));
}

/** The sampling part of generate()'s options for a request: temperature 0 is greedy, top-k 0 is none. */
function samplingOf(request: Omit<StreamRequest, 'widths'>) {
  const greedy = request.greedy || request.temperature === 0;
  return {
    maxNewTokens: request.tokens,
    temperature: greedy ? 1 : request.temperature,
    topK: request.topK ? request.topK : undefined,
    greedy,
    seed: request.seed,
  };
}

/**
 * Runs `step` (one token's work; it returns false when nothing is left) for SLICE_MS at a time,
 * calling `onSlice` with the milliseconds since the start after each slice and giving the page a
 * turn; stops early when `signal` aborts. Resolves with the milliseconds it took.
 */
async function inSlices(
  step: () => boolean,
  onSlice: (elapsed: number) => void,
  signal?: AbortSignal,
): Promise<number> {
  const start = performance.now();
  let open = true;
  while (open && !signal?.aborted) {
    const sliceStart = performance.now();
    while (open && performance.now() - sliceStart < SLICE_MS) open = step();
    onSlice(performance.now() - start);
    await nextTurn();
  }
  return performance.now() - start;
}

const perSecond = (count: number, elapsed: number) => (elapsed > 0 ? count / (elapsed / 1000) : 0);

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
  const streams = request.widths.map((width) => generateTokens(model, promptIds, { ...samplingOf(request), width }));
  const ids: number[][] = request.widths.map(() => []);
  const progress = (done: boolean, elapsed: number): StreamProgress => {
    const generated = ids.reduce((n, list) => n + list.length, 0);
    return {
      texts: ids.map((list) => tokenizer.decode(list)),
      generated,
      tokensPerSecond: perSecond(generated, elapsed),
      done,
    };
  };
  // One token of each width still writing, round robin.
  const step = (): boolean => {
    let open = 0;
    streams.forEach((stream, k) => {
      if (ids[k].length >= request.tokens) return;
      const next = stream.next();
      if (!next.done) ids[k].push(next.value);
      if (ids[k].length < request.tokens) open++;
    });
    return open > 0;
  };
  const elapsed = await inSlices(step, (ms) => onProgress(progress(false, ms)), signal).finally(() =>
    streams.forEach((stream) => stream.return()),
  );
  const final = progress(true, elapsed);
  onProgress(final);
  return final;
}

export interface SpeculativeStreamRequest extends Omit<StreamRequest, 'widths'> {
  /** The verifier: the text follows its distribution (greedy: its greedy text). */
  width: number;
  /** The smaller width that drafts. */
  draftWidth: number;
  /** k: ids drafted per round. */
  draftTokens: number;
}

/** One new character and how it was made. */
export interface SpeculativePiece {
  text: string;
  kind: SpeculativeKind;
}

export interface SpeculativeProgress {
  /** Every new character so far, in order. */
  pieces: SpeculativePiece[];
  /**
   * Accepted drafts / tested drafts (accepted + corrections) so far: speculativeTokens' own
   * acceptanceRate, counted as the tokens arrive; NaN before the first test.
   */
  acceptanceRate: number;
  accepted: number;
  tested: number;
  tokensPerSecond: number;
  done: boolean;
}

/** Speculative decoding at one width, one token per step, with how each token was made. */
export async function streamSpeculative(
  model: MatryoshkaGPT,
  tokenizer: CharTokenizer,
  request: SpeculativeStreamRequest,
  onProgress: (progress: SpeculativeProgress) => void,
  signal?: AbortSignal,
): Promise<SpeculativeProgress> {
  const promptIds = encodePrompt(tokenizer, request.prompt);
  const { width, draftWidth, draftTokens } = request;
  const ids = speculativeTokens(model, promptIds, { ...samplingOf(request), width, draftWidth, draftTokens });
  const pieces: SpeculativePiece[] = [];
  const counts = { accepted: 0, correction: 0, bonus: 0, plain: 0 };
  const progress = (done: boolean, elapsed: number): SpeculativeProgress => {
    const tested = counts.accepted + counts.correction;
    return {
      pieces,
      acceptanceRate: tested > 0 ? counts.accepted / tested : NaN,
      accepted: counts.accepted,
      tested,
      tokensPerSecond: perSecond(pieces.length, elapsed),
      done,
    };
  };
  const step = (): boolean => {
    const next = ids.next();
    if (next.done) return false;
    pieces.push({ text: tokenizer.decode([next.value.id]), kind: next.value.kind });
    counts[next.value.kind]++;
    return pieces.length < request.tokens;
  };
  // Stopped early or not, the generator frees both caches.
  const elapsed = await inSlices(step, (ms) => onProgress(progress(false, ms)), signal).finally(() =>
    ids.return(undefined as never),
  );
  const final = progress(true, elapsed);
  onProgress(final);
  return final;
}
