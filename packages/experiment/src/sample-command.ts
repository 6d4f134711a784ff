// `sample`: generate text from a run (or an exported submodel) at one width or at every width;
// with --draft-width, by speculative decoding (nested-transformer's speculative.ts): the same text
// at --width, its statistics on stderr.
import { useBackend } from './backend';
import {
  generate,
  speculativeGenerate,
  type SamplingOptions,
  type SpeculativeStats,
} from '@matryoshka/nested-transformer';
import { DEFAULT_SEED, type CharTokenizer, type EncodeOptions } from '@matryoshka/tokenizer';
import { UserError } from './cli/errors';
import { mergeFlagSpecs, parseFlags, type FlagSpec } from './cli/flags';
import { sampleFlags } from './settings';
import type { AppDefinition } from './app-definition';
import { loadRun, type LoadedRun } from './load-run';
import { sideBySide, visiblePrompt } from './side-by-side';

/** What to do with a prompt character outside the vocabulary: the tokenizer's own `unknown` modes. */
export const UNKNOWN_MODES = ['error', 'replace'] as const satisfies readonly NonNullable<EncodeOptions['unknown']>[];
export type UnknownMode = (typeof UNKNOWN_MODES)[number];

export const SAMPLE_DEFAULTS = {
  prompt: '\n',
  tokens: 300,
  temperature: 1,
  seed: DEFAULT_SEED,
  greedy: false,
  unknown: 'error',
  replacement: ' ',
  draftTokens: 4,
} as const;

const unknownFlags = [
  {
    name: 'unknown',
    type: 'choice',
    choices: UNKNOWN_MODES,
    help: "a --prompt character not in the run's vocabulary: stop with an error naming it, or replace it with --replacement",
  },
  {
    name: 'replacement',
    type: 'string',
    metavar: 'CHAR',
    help: 'the vocabulary character that --unknown replace puts in',
  },
] as const satisfies readonly FlagSpec[];

const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The prompt's token ids. A character outside the vocabulary is a UserError naming every such
 * character and the flag that lets it through, unless `unknown` is 'replace'.
 */
export function encodePrompt(
  tokenizer: CharTokenizer,
  prompt: string,
  unknown: UnknownMode = SAMPLE_DEFAULTS.unknown,
  replacement: string = SAMPLE_DEFAULTS.replacement,
): number[] {
  if (unknown === 'replace' && !tokenizer.has(replacement)) {
    throw new UserError(`--replacement ${JSON.stringify(replacement)} must be one character of this run's vocabulary`);
  }
  const missing = [...new Set([...prompt].filter((char) => !tokenizer.has(char)))];
  if (missing.length > 0 && unknown === 'error') {
    const names = missing.map((char) => `${JSON.stringify(char)} (${codePoint(char)})`).join(', ');
    const one = missing.length === 1;
    throw new UserError(
      `--prompt: ${names} ${one ? 'is' : 'are'} not in this run's vocabulary of ${tokenizer.vocabSize} characters; ` +
        `leave ${one ? 'it' : 'them'} out, or pass --unknown replace to put --replacement (default ${JSON.stringify(SAMPLE_DEFAULTS.replacement)}) in ${one ? 'its' : 'their'} place`,
    );
  }
  const ids = Array.from(tokenizer.encode(prompt, unknown === 'replace' ? { unknown, replacement } : {}));
  if (ids.length === 0) throw new UserError('--prompt: give at least one character');
  return ids;
}

export interface SampleRequest {
  width: number;
  prompt: string;
  tokens: number;
  temperature: number;
  topK?: number;
  seed: number;
  greedy: boolean;
}

/** The prompt's ids and the sampling options of a request (temperature 0 is greedy, as --help says). */
function samplingOf(
  run: LoadedRun,
  request: SampleRequest,
): { promptIds: number[]; options: SamplingOptions & { seed: number; maxNewTokens: number } } {
  const greedy = request.greedy || request.temperature === 0;
  const options = {
    maxNewTokens: request.tokens,
    temperature: greedy ? undefined : request.temperature,
    topK: greedy ? undefined : request.topK,
    greedy,
    seed: request.seed,
  };
  return { promptIds: encodePrompt(run.tokenizer, request.prompt), options };
}

/** Generate `tokens` characters after `prompt` at one width; returns only the new text. */
export function sampleText(run: LoadedRun, request: SampleRequest): string {
  const { promptIds, options } = samplingOf(run, request);
  const ids = generate(run.model, promptIds, { ...options, width: request.width });
  return run.tokenizer.decode(ids.slice(promptIds.length));
}

/**
 * sampleText by speculative decoding: `draftWidth` drafts `draftTokens` ids per round, `width`
 * verifies; greedy, the same text as sampleText for the same request, sampled, text of the same
 * distribution. Refusals are UserErrors naming the flag: a draft width that is not one of the
 * model's widths (as for --width: a width-nested model would run any multiple of its heads, but
 * only its nested widths were trained), and the library's own (a draft width not below `width`,
 * a run nested by its embedding only).
 */
export function sampleTextSpeculative(
  run: LoadedRun,
  request: SampleRequest & { draftWidth: number; draftTokens: number },
): { text: string; stats: SpeculativeStats } {
  const { width, draftWidth, draftTokens } = request;
  const widths = run.model.widths;
  if (!widths.includes(draftWidth))
    throw new UserError(`--draft-width ${draftWidth} is not a width of this model (${widths.join(', ')})`);
  const { promptIds, options } = samplingOf(run, request);
  let result: ReturnType<typeof speculativeGenerate>;
  try {
    result = speculativeGenerate(run.model, promptIds, { ...options, width, draftWidth, draftTokens });
  } catch (error) {
    throw flagError(error);
  }
  return { text: run.tokenizer.decode(result.tokens.slice(promptIds.length)), stats: result.stats };
}

/** The flag of each option speculativeGenerate names at the start of a refusal. */
const FLAG_OF_OPTION: Readonly<Record<string, string>> = {
  draftWidth: '--draft-width',
  draftTokens: '--draft-tokens',
  width: '--width',
  maxNewTokens: '--tokens',
};

// A refusal of speculativeGenerate ("speculative decoding: draftWidth 16 must be below ...") as
// one UserError naming the flag; a refusal that names no option is about the model, so about
// drafting at all: --draft-width.
function flagError(error: unknown): unknown {
  const prefix = 'speculative decoding: ';
  if (!(error instanceof Error) || !error.message.startsWith(prefix)) return error;
  const reason = error.message.slice(prefix.length);
  const option = reason.match(/^[a-zA-Z]+/)?.[0] ?? '';
  const flag = FLAG_OF_OPTION[option];
  return new UserError(flag ? `${flag}${reason.slice(option.length)}` : `--draft-width: ${reason}`);
}

/** The widths `--width` names: one, or all of the model's. */
export function requestedWidths(run: LoadedRun, width: number | 'all' | undefined): number[] {
  const widths = [...run.model.widths];
  if (width === undefined) return [widths[widths.length - 1]];
  if (width === 'all') return widths;
  if (!widths.includes(width))
    throw new UserError(`--width ${width} is not a width of this model (${widths.join(', ')}, or all)`);
  return [width];
}

/** What speculative decoding did, for stderr: the share of drafts accepted, the counts, the speed. */
function speculativeSummary(
  stats: SpeculativeStats,
  request: { width: number; draftWidth: number; draftTokens: number; tokens: number },
  seconds: number,
): string {
  const rate = Number.isNaN(stats.acceptanceRate) ? 'n/a (no draft was tested)' : stats.acceptanceRate.toFixed(3);
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  return [
    `speculative decoding: width ${request.draftWidth} drafts ${request.draftTokens} per round, width ${request.width} verifies`,
    `acceptance rate ${rate}: ${stats.accepted} of ${count(stats.accepted + stats.rejected, 'tested draft')} accepted ` +
      `(${stats.drafted} drafted, ${count(stats.rounds, 'round')}, ${count(stats.plain, 'token')} by the verifier alone)`,
    `${request.tokens} tokens in ${seconds.toFixed(2)} s: ${(request.tokens / seconds).toFixed(1)} tokens/s`,
  ].join('\n');
}

// --draft-tokens has no default when parsed, so that giving it without --draft-width is refused;
// --help states the default k all the same.
const { draftTokens: DEFAULT_DRAFT_TOKENS, ...PARSE_DEFAULTS } = SAMPLE_DEFAULTS;
const SAMPLE_SPECS = mergeFlagSpecs(sampleFlags, unknownFlags).map((spec) =>
  spec.name === 'draft-tokens' ? { ...spec, defaultHelp: String(DEFAULT_DRAFT_TOKENS) } : spec,
);

export async function sampleCommand(
  app: AppDefinition,
  argv: readonly string[],
  out: { write(text: string): unknown } = process.stdout,
  log: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Promise<void> {
  const flags = parseFlags(argv, SAMPLE_SPECS, {
    defaults: { ...PARSE_DEFAULTS },
    command: `npx nx run ${app.name}:sample --`,
    description:
      'Generate text from a trained run at one width or at every width (with --draft-width: by speculative decoding).',
  });
  if (flags.temperature === 0 && flags.topK !== undefined) {
    throw new UserError(
      '--temperature 0 and --top-k cannot be given together: temperature 0 always takes the most likely token (as --greedy), so there is no choice among the top k',
    );
  }
  if (flags.draftWidth !== undefined && flags.width === 'all') {
    throw new UserError(
      '--draft-width and --width all cannot be given together: speculative decoding verifies at one width (give --width N, or leave it out for the widest)',
    );
  }
  if (flags.draftTokens !== undefined && flags.draftWidth === undefined) {
    throw new UserError('--draft-tokens is the number of ids --draft-width drafts per round: give --draft-width too');
  }
  await useBackend({ prefer: flags.backend, workload: 'generation' }, log);
  const run = loadRun(flags.run, flags.replica, { app, target: 'sample' });
  try {
    const widths = requestedWidths(run, flags.width);
    // With --unknown replace, the prompt as the model sees it (and as it is printed).
    const prompt = run.tokenizer.decode(
      encodePrompt(run.tokenizer, flags.prompt ?? SAMPLE_DEFAULTS.prompt, flags.unknown, flags.replacement),
    );
    const request = (width: number): SampleRequest => ({
      width,
      prompt,
      tokens: flags.tokens ?? SAMPLE_DEFAULTS.tokens,
      temperature: flags.temperature ?? SAMPLE_DEFAULTS.temperature,
      topK: flags.topK,
      seed: flags.seed ?? SAMPLE_DEFAULTS.seed,
      greedy: flags.greedy ?? false,
    });
    if (flags.draftWidth !== undefined) {
      const speculative = {
        ...request(widths[0]),
        draftWidth: flags.draftWidth,
        draftTokens: flags.draftTokens ?? DEFAULT_DRAFT_TOKENS,
      };
      const start = performance.now();
      const { text, stats } = sampleTextSpeculative(run, speculative);
      const seconds = (performance.now() - start) / 1000;
      out.write(prompt + text + '\n');
      log(speculativeSummary(stats, speculative, seconds));
    } else if (widths.length === 1) {
      out.write(prompt + sampleText(run, request(widths[0])) + '\n');
    } else {
      const texts = widths.map((width) => sampleText(run, request(width)));
      const columnWidth = Math.max(
        16,
        Math.floor(((process.stdout.columns || 120) - 3 * (widths.length - 1)) / widths.length),
      );
      out.write(`prompt: ${visiblePrompt(prompt)}\n`);
      out.write(
        sideBySide(
          widths.map((w, k) => ({ header: `width ${w}`, text: texts[k] })),
          columnWidth,
        ) + '\n',
      );
    }
  } finally {
    run.model.dispose();
  }
}
