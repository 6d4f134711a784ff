// Speculative decoding inside one nested model: the small doll drafts, the big one verifies
// (Leviathan et al. 2023, arXiv 2211.17192; Chen et al. 2023, arXiv 2302.01318).
//
// Each round, the draft width proposes k ids with its own KV cache (k cheap forwards), and the
// verifier width scores the k + 1 positions after the current sequence in one forward. Draft id
// x_i, drawn from the draft's q_i, is accepted with probability min(1, p_i(x_i) / q_i(x_i)); at
// the first rejection the round's last id is drawn from norm(max(0, p_i - q_i)) (a correction);
// if all k are accepted, one more id is drawn from p_k (a bonus). Temperature and top-k shape p
// and q before the test, so the ids follow exactly the distribution generate() samples at the
// verifier width. Greedy: drafts are accepted while they equal the verifier's argmax, so the
// ids are exactly greedy generate()'s at the verifier width. Both caches then roll back to the
// accepted length.
//
// Positions are absolute (kv-cache.ts): once the sequence would pass the context length t, a
// cached key goes stale with every new id, so nothing can be drafted cheaply. A round therefore
// drafts at most t - (sequence length) ids, and from length t on every id is the verifier's own,
// made exactly as generate() makes it (cached at length t, then the last t ids recomputed per
// id): a 'plain' id. So is the last id of a request: with one id left, a round would cost a draft
// forward more than the verifier's own step and still give one id.
import { SeededRandom } from '@matryoshka/tokenizer';
import type { Width } from '@matryoshka/matryoshka-layers';
import { KVCacheRunner } from './kv-cache';
import type { MatryoshkaGPT } from './model';
import { checkGenerationRequest } from './generate';
import { argmax, drawFrom, sampleToken, samplingDistribution, type SamplingOptions } from './sampling';

/**
 * How an id was made: an accepted draft, the verifier's correction after a rejection, the
 * verifier's bonus after k accepted drafts, or the verifier alone (past the context, or the last id).
 */
export type SpeculativeKind = 'accepted' | 'correction' | 'bonus' | 'plain';

export interface SpeculativeToken {
  id: number;
  kind: SpeculativeKind;
}

/** One draft-and-verify round. */
export interface SpeculativeRound {
  /** The ids the draft width proposed (at most draftTokens). */
  drafted: number[];
  /** How many of them were accepted (a prefix of `drafted`). */
  accepted: number;
  /** The verifier's id that ends the round. */
  next: number;
  kind: 'correction' | 'bonus';
}

export interface SpeculativeStats {
  /** Draft-and-verify rounds (each one verifier forward). */
  rounds: number;
  /** Ids proposed by the draft width. */
  drafted: number;
  /** Drafted ids accepted. */
  accepted: number;
  /** Rounds that ended with a rejection (drafts after a rejected one are never tested). */
  rejected: number;
  /** Ids made by the verifier alone (past the context length, or the last id of the request). */
  plain: number;
  /**
   * accepted / (accepted + rejected): the share of tested drafts that were accepted, the estimate
   * of Leviathan et al.'s alpha; NaN when nothing was tested.
   */
  acceptanceRate: number;
}

export interface SpeculativeOptions extends SamplingOptions {
  /** The verifier's width: the ids follow its sampling distribution (greedy: its greedy ids). */
  width: Width;
  /** The cheaper width that drafts, below `width`. */
  draftWidth: Width;
  /** k: ids drafted per round (>= 1). */
  draftTokens: number;
  maxNewTokens: number;
  /** Seed of the random numbers (drafts, tests, corrections, bonuses); unused when greedy. */
  seed: number;
  /** Called with each new id as soon as it is final, and how it was made. */
  onToken?: (id: number, kind: SpeculativeKind) => void;
  /** Called after each draft-and-verify round. */
  onRound?: (round: SpeculativeRound) => void;
}

export interface SpeculativeResult {
  /** The prompt followed by `maxNewTokens` new ids (as generate() returns). */
  tokens: number[];
  /** How each new id was made, in order. */
  kinds: SpeculativeKind[];
  stats: SpeculativeStats;
}

/**
 * The accept/reject test of one drafted id, on plain arrays: `draft` was drawn from q; it is
 * accepted when uAccept < p[draft] / q[draft] (probability min(1, p/q)); otherwise the id is
 * drawn with uResample from norm(max(0, p - q)) (from p itself in the measure-zero case where
 * rounding leaves that residual empty). Over draft ~ q and uniform u's, the id follows p.
 */
export function speculativeStep(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  draft: number,
  uAccept: number,
  uResample: number,
): { accepted: boolean; id: number } {
  if (uAccept * q[draft] < p[draft]) return { accepted: true, id: draft };
  const residual = Array.from(p, (pi, i) => Math.max(0, pi - q[i]));
  const total = residual.reduce((a, b) => a + b, 0);
  return { accepted: false, id: drawFrom(total > 0 ? residual.map((r) => r / total) : p, uResample) };
}

/**
 * One round's verdict on plain arrays: p holds the verifier's k + 1 distributions (after the
 * sequence, then after each draft), q the draft's k, `drafted` the k ids drawn from them. Tests the
 * drafts in order with speculativeStep (two uniforms each) until one is rejected, whose
 * replacement ends the round; if all are accepted, one more id is drawn from p[k] (one uniform).
 */
export function verifyDrafts(
  p: readonly ArrayLike<number>[],
  q: readonly ArrayLike<number>[],
  drafted: readonly number[],
  uniform: () => number,
): { accepted: number; next: number } {
  const k = drafted.length;
  if (q.length !== k || p.length !== k + 1)
    throw new Error(
      `verifyDrafts: ${k} drafts need ${k} draft and ${k + 1} verifier distributions (got ${q.length} and ${p.length})`,
    );
  for (let i = 0; i < k; i++) {
    const step = speculativeStep(p[i], q[i], drafted[i], uniform(), uniform());
    if (!step.accepted) return { accepted: i, next: step.id };
  }
  return { accepted: k, next: drawFrom(p[k], uniform()) };
}

/** Every refusal, each with its own message, before anything runs (generate()'s own checks last). */
function checkRequest(model: MatryoshkaGPT, promptIds: readonly number[], options: SpeculativeOptions): void {
  const { vocabSize, nesting } = model.config;
  const fail = (why: string): never => {
    throw new Error(`speculative decoding: ${why}`);
  };
  if (nesting === 'embedding') {
    fail(
      "this model is nested by its embedding only (nesting 'embedding'): every width runs the same full-width trunk and " +
        "only the head is cut, so a draft costs as much as the verifier; it needs a model nested by 'width', 'ffn' or 'width+depth'",
    );
  }
  for (const key of ['width', 'draftWidth'] as const) {
    try {
      model.checkWidth(options[key]);
    } catch (error) {
      fail(`${key}: ${(error as Error).message}`);
    }
  }
  if (options.draftWidth >= options.width) {
    fail(
      `draftWidth ${options.draftWidth} must be below the verifier's width ${options.width}: the draft is the smaller, cheaper doll`,
    );
  }
  if (!Number.isInteger(options.draftTokens) || options.draftTokens < 1)
    fail(`draftTokens must be an integer >= 1 (got ${options.draftTokens})`);
  checkGenerationRequest('speculative decoding', vocabSize, promptIds, options);
}

/**
 * The new ids one at a time with how each was made (for a page that shows drafts, corrections
 * and bonuses apart); the generator's return value is the statistics. Refusals are thrown by
 * this call, before the first id. Stopping early (return/break) frees both caches.
 */
export function speculativeTokens(
  model: MatryoshkaGPT,
  promptIds: readonly number[],
  options: SpeculativeOptions,
): Generator<SpeculativeToken, SpeculativeStats, undefined> {
  checkRequest(model, promptIds, options);
  return run(model, promptIds, options);
}

/** Returns the prompt followed by `maxNewTokens` new ids, how each was made, and the statistics. */
export function speculativeGenerate(
  model: MatryoshkaGPT,
  promptIds: readonly number[],
  options: SpeculativeOptions,
): SpeculativeResult {
  const tokens = [...promptIds];
  const kinds: SpeculativeKind[] = [];
  const ids = speculativeTokens(model, promptIds, options);
  for (let next = ids.next(); ; next = ids.next()) {
    if (next.done) return { tokens, kinds, stats: next.value };
    tokens.push(next.value.id);
    kinds.push(next.value.kind);
  }
}

function* run(
  model: MatryoshkaGPT,
  promptIds: readonly number[],
  options: SpeculativeOptions,
): Generator<SpeculativeToken, SpeculativeStats, undefined> {
  const t = model.config.contextLength;
  const random = new SeededRandom(options.seed);
  const tokens = [...promptIds];
  const stats = { rounds: 0, drafted: 0, accepted: 0, rejected: 0, plain: 0 };
  const verifier = new KVCacheRunner(() => model.weightsForWidth(options.width));
  let drafter: KVCacheRunner | undefined;

  /** What generate() does for one id at the verifier width. */
  const plainStep = (): SpeculativeToken => {
    const logits =
      tokens.length <= t ? verifier.append(tokens.slice(verifier.length)) : verifier.recompute(tokens.slice(-t));
    stats.plain++;
    return { id: sampleToken(logits, options, random), kind: 'plain' };
  };

  /** One round: k drafts, one verifier forward over the k + 1 positions, roll back both caches. */
  const draftAndVerify = (k: number): SpeculativeToken[] => {
    const draft = drafter as KVCacheRunner;
    const length = tokens.length;
    const drafted: number[] = [];
    const q: Float64Array[] = [];
    for (let i = 0; i < k; i++) {
      const logits = draft.append(i === 0 ? tokens.slice(draft.length) : [drafted[i - 1]]);
      if (options.greedy) {
        drafted.push(argmax(logits));
      } else {
        q.push(samplingDistribution(logits, options));
        drafted.push(drawFrom(q[i], random.next()));
      }
    }
    const scores = verifier.score([...tokens.slice(verifier.length), ...drafted], k + 1);
    let accepted = 0;
    let next: number;
    if (options.greedy) {
      while (accepted < k && argmax(scores[accepted]) === drafted[accepted]) accepted++;
      next = argmax(scores[accepted]);
    } else {
      const p = scores.map((logits) => samplingDistribution(logits, options));
      ({ accepted, next } = verifyDrafts(p, q, drafted, () => random.next()));
    }
    const kind = accepted === k ? 'bonus' : 'correction';
    verifier.truncate(length + accepted);
    draft.truncate(Math.min(draft.length, length + accepted));
    stats.rounds++;
    stats.drafted += k;
    stats.accepted += accepted;
    if (kind === 'correction') stats.rejected++;
    options.onRound?.({ drafted, accepted, next, kind });
    return [
      ...drafted.slice(0, accepted).map((id): SpeculativeToken => ({ id, kind: 'accepted' })),
      { id: next, kind },
    ];
  };

  try {
    drafter = new KVCacheRunner(() => model.weightsForWidth(options.draftWidth));
    while (tokens.length - promptIds.length < options.maxNewTokens) {
      const remaining = options.maxNewTokens - (tokens.length - promptIds.length);
      // Drafts must fit in the context (the verifier scores positions up to length + k - 1 < t)
      // and leave room for the round's own last id.
      const k = Math.min(options.draftTokens, remaining - 1, t - tokens.length);
      const made = k >= 1 ? draftAndVerify(k) : [plainStep()];
      for (const token of made) {
        tokens.push(token.id);
        options.onToken?.(token.id, token.kind);
        yield token;
      }
    }
  } finally {
    verifier.dispose();
    drafter?.dispose();
  }
  const tested = stats.accepted + stats.rejected;
  return { ...stats, acceptanceRate: tested === 0 ? NaN : stats.accepted / tested };
}
