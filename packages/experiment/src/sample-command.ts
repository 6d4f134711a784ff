// `sample`: generate text from a run (or an exported submodel) at one width or at every width.
import { selectBackend } from '@matryoshka/matryoshka-layers';
import { UserError, parseFlags, sampleFlags, type SampleFlags } from '@matryoshka/training';
import type { AppDefinition } from './app-definition';
import { loadRun, type LoadedRun } from './load-run';
import { sideBySide, visiblePrompt } from './side-by-side';

export const SAMPLE_DEFAULTS = { prompt: '\n', tokens: 300, temperature: 1, seed: 1337, greedy: false } as const;

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
  let promptIds: number[];
  try {
    promptIds = Array.from(run.tokenizer.encode(request.prompt));
  } catch (error) {
    throw new UserError(`--prompt: ${(error as Error).message}`);
  }
  if (promptIds.length === 0) throw new UserError('--prompt: give at least one character');
  const ids = run.model.generate(promptIds, {
    width: request.width,
    maxNewTokens: request.tokens,
    temperature: request.temperature,
    topK: request.topK,
    greedy: request.greedy || request.temperature === 0,
    seed: request.seed,
    trunk: run.config.trunk,
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
  const flags = parseFlags<SampleFlags>(argv, sampleFlags, {
    defaults: { ...SAMPLE_DEFAULTS },
    command: `npx nx run ${app.name}:sample --`,
    description: 'Generate text from a trained run at one width or at every width.',
  });
  await selectBackend({ prefer: flags.backend, workload: 'generation' });
  const run = loadRun(flags.run);
  try {
    const widths = requestedWidths(run, flags.width);
    const prompt = flags.prompt ?? SAMPLE_DEFAULTS.prompt;
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
