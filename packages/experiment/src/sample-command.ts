// `sample`: generate text from a run (or an exported submodel) at one width or at every width.
import { useBackend } from './backend';
import { generate } from '@matryoshka/nested-transformer';
import type { CharTokenizer, EncodeOptions } from '@matryoshka/tokenizer';
import { UserError, mergeFlagSpecs, parseFlags, sampleFlags, type FlagSpec, type SampleFlags } from '@matryoshka/training';
import type { AppDefinition } from './app-definition';
import { checkRunApp, loadRun, type LoadedRun } from './load-run';
import { sideBySide, visiblePrompt } from './side-by-side';

/** What to do with a prompt character outside the vocabulary: the tokenizer's own `unknown` modes. */
export const UNKNOWN_MODES = ['error', 'replace'] as const satisfies readonly NonNullable<EncodeOptions['unknown']>[];
export type UnknownMode = (typeof UNKNOWN_MODES)[number];

export const SAMPLE_DEFAULTS = { prompt: '\n', tokens: 300, temperature: 1, seed: 1337, greedy: false, unknown: 'error', replacement: ' ' } as const;

const unknownFlags: FlagSpec[] = [
  {
    name: 'unknown',
    key: 'unknown',
    type: 'choice',
    choices: UNKNOWN_MODES,
    help: "a --prompt character not in the run's vocabulary: stop with an error naming it, or replace it with --replacement",
  },
  { name: 'replacement', key: 'replacement', type: 'string', metavar: 'CHAR', help: 'the vocabulary character that --unknown replace puts in' },
];

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

/** Generate `tokens` characters after `prompt` at one width; returns only the new text. */
export function sampleText(run: LoadedRun, request: SampleRequest): string {
  const promptIds = encodePrompt(run.tokenizer, request.prompt);
  const greedy = request.greedy || request.temperature === 0; // temperature 0 behaves as greedy (--help)
  const ids = generate(run.model, promptIds, {
    width: request.width,
    maxNewTokens: request.tokens,
    temperature: greedy ? undefined : request.temperature,
    topK: greedy ? undefined : request.topK,
    greedy,
    seed: request.seed,
  });
  return run.tokenizer.decode(ids.slice(promptIds.length));
}

/** The widths `--width` names: one, or all of the model's. */
export function requestedWidths(run: LoadedRun, width: number | 'all' | undefined): number[] {
  const widths = [...run.model.widths];
  if (width === undefined) return [widths[widths.length - 1]];
  if (width === 'all') return widths;
  if (!widths.includes(width)) throw new UserError(`--width ${width} is not a width of this model (${widths.join(', ')}, or all)`);
  return [width];
}

export async function sampleCommand(app: AppDefinition, argv: readonly string[], out: { write(text: string): unknown } = process.stdout): Promise<void> {
  const flags = parseFlags<SampleFlags & { unknown: UnknownMode; replacement: string }>(argv, mergeFlagSpecs(sampleFlags, unknownFlags), {
    defaults: { ...SAMPLE_DEFAULTS },
    command: `npx nx run ${app.name}:sample --`,
    description: 'Generate text from a trained run at one width or at every width.',
  });
  if (flags.temperature === 0 && flags.topK !== undefined) {
    throw new UserError('--temperature 0 and --top-k cannot be given together: temperature 0 always takes the most likely token (as --greedy), so there is no choice among the top k');
  }
  await useBackend({ prefer: flags.backend, workload: 'generation' });
  const run = loadRun(flags.run, flags.replica);
  try {
    checkRunApp(app, 'sample', run);
    const widths = requestedWidths(run, flags.width);
    // With --unknown replace, the prompt as the model sees it (and as it is printed).
    const prompt = run.tokenizer.decode(encodePrompt(run.tokenizer, flags.prompt ?? SAMPLE_DEFAULTS.prompt, flags.unknown, flags.replacement));
    const texts = widths.map((width) =>
      sampleText(run, {
        width,
        prompt,
        tokens: flags.tokens ?? SAMPLE_DEFAULTS.tokens,
        temperature: flags.temperature ?? SAMPLE_DEFAULTS.temperature,
        topK: flags.topK,
        seed: flags.seed ?? SAMPLE_DEFAULTS.seed,
        greedy: flags.greedy ?? false,
      }),
    );
    if (widths.length === 1) {
      out.write(prompt + texts[0] + '\n');
    } else {
      const columnWidth = Math.max(16, Math.floor(((process.stdout.columns || 120) - 3 * (widths.length - 1)) / widths.length));
      out.write(`prompt: ${visiblePrompt(prompt)}\n`);
      out.write(sideBySide(widths.map((w, k) => ({ header: `width ${w}`, text: texts[k] })), columnWidth) + '\n');
    }
  } finally {
    run.model.dispose();
  }
}
