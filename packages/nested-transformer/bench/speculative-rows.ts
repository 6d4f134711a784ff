// The speculative-decoding rows of the bench (src/speculative.ts): experiment 4's default model
// (d=128 l=8 h=4 t=64, widths 32/64/128), each verifier width with each draft width below it and
// k = 1..8, greedy and sampled at temperature 1. Acceptance needs trained weights: the model is
// the playground's demo (experiment 4 trained 1500 steps), or `--model FILE` (an exported
// .safetensors with its vocabulary); without one, random weights (speed only: they agree little).
// Prompts are 16-character slices of the corpus' validation part; each generates 48 new ids, so the
// sequence stays within the context, where drafting can pay (past it every id is the verifier's).
// Plain KV-cached generate() at the verifier width runs right beside it, prompt by prompt, with the
// same seeds; the speed-up is the median over repeats of plain time / speculative time. The
// predicted speed-up (Leviathan et al. 2023) is (1 - a^(k+1)) / ((1 - a)(k c + 1)), with a the
// measured acceptance rate and c the measured cost of one cached draft step over one cached
// verifier step (each a median, taken back to back); "predicted with v" replaces the 1 for the
// verifier's forward by its measured cost v (k + 1 ids and the roll-back, in verifier steps).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type BackendChoice } from '@matryoshka/matryoshka-layers';
import { CharTokenizer, readCorpus, SeededRandom, splitTrainVal } from '@matryoshka/tokenizer';
import { closeRenderer, renderLineChart } from '@matryoshka/viz';
import {
  EXP4_DEFAULTS,
  KVCacheRunner,
  MatryoshkaGPT,
  generate,
  loadSafetensors,
  speculativeGenerate,
} from '@matryoshka/nested-transformer';
import { median, msOf } from './replica-rows';

export const DEMO_MODEL = join(__dirname, '../../../apps/playground/public/demo/demo.safetensors');
const PROMPT_LENGTH = 16;
const DRAFT_TOKENS = [1, 2, 3, 4, 5, 6, 7, 8];

const MODES = [
  { name: 'greedy', greedy: true },
  { name: 'T=1', greedy: false },
];

/** The model and prompts: the trained file with its vocabulary and corpus prompts, or random weights and random prompts. */
function loadBench(file: string, promptCount: number): { model: MatryoshkaGPT; prompts: number[][]; source: string } {
  if (existsSync(file)) {
    const { model, metadata } = loadSafetensors(file);
    const vocabulary = (JSON.parse(metadata.matryoshka_run ?? '{}') as { vocabulary?: string[] }).vocabulary;
    if (!vocabulary)
      throw new Error(`${file}: no vocabulary in its matryoshka_run metadata (write it with nested:export)`);
    const { val } = splitTrainVal(new CharTokenizer(vocabulary).encode(readCorpus()));
    const step = Math.floor((val.length - PROMPT_LENGTH) / promptCount);
    const prompts = Array.from({ length: promptCount }, (_, i) =>
      Array.from(val.subarray(i * step, i * step + PROMPT_LENGTH)),
    );
    return { model, prompts, source: file };
  }
  const model = new MatryoshkaGPT({ ...EXP4_DEFAULTS, vocabSize: 65 });
  const random = new SeededRandom(3);
  const prompts = Array.from({ length: promptCount }, () =>
    Array.from({ length: PROMPT_LENGTH }, () => random.nextInt(65)),
  );
  return { model, prompts, source: `random weights (${file} not found: acceptance means nothing)` };
}

/** Median ms of one cached one-id forward at `width`, feeding ids one by one from the prompt's end to the context's (as drafting and plain generation do). */
function stepMs(model: MatryoshkaGPT, width: number, prompt: number[]): number {
  const runner = new KVCacheRunner(() => model.weightsForWidth(width));
  runner.append(prompt);
  const times: number[] = [];
  for (let i = prompt.length; i < model.config.contextLength; i++)
    times.push(msOf(() => runner.append([prompt[i % prompt.length]])));
  runner.dispose();
  return median(times);
}

/** Median ms of scoring n ids in one forward after the prompt and rolling them back, as a verifier round does (n = k + 1). */
function verifyMs(model: MatryoshkaGPT, width: number, prompt: number[], n: number): number {
  const runner = new KVCacheRunner(() => model.weightsForWidth(width));
  runner.append(prompt);
  const times: number[] = [];
  for (let r = 0; r < 24; r++) {
    const start = performance.now();
    runner.score(prompt.slice(0, n), n);
    runner.truncate(prompt.length);
    times.push(performance.now() - start);
  }
  runner.dispose();
  return median(times);
}

/** Median over repeats of the ratio of two timings taken back to back (so that both see the same load). */
function pairedRatio(repeats: number, numerator: () => number, denominator: () => number): number {
  return median(Array.from({ length: repeats }, () => numerator() / denominator()));
}

interface Row {
  mode: string;
  width: number;
  draftWidth: number;
  k: number;
  acceptance: number;
  tokensPerRound: number;
  tokensPerSecond: number;
  plainTokensPerSecond: number;
  speedUp: number;
  costRatio: number;
  /** Leviathan et al.'s (1 - a^(k+1)) / ((1 - a)(k c + 1)): verifying k + 1 ids costs one step. */
  predicted: number;
  /** The same with verifying k + 1 ids (and rolling back) at its measured cost. */
  predictedMeasuredVerify: number;
  /** v: one verifier forward of k + 1 ids and its roll-back, over one verifier step. */
  verifyCost: number;
}

/**
 * The figure of the rows: speed-up over plain generation against k when sampling (T = 1), a line
 * per verifier<-draft pair as measured and one as its acceptance and costs predict (`predicted
 * with v`); greedy rows are left out (greedy text loops, so its acceptance says little).
 */
async function renderSpeedUpFigure(rows: readonly Row[], source: string, outBase: string): Promise<void> {
  const points = rows
    .filter((r) => r.mode !== 'greedy')
    .flatMap((r) => [
      { series: `${r.width}<-${r.draftWidth} measured`, x: r.k, y: r.speedUp },
      { series: `${r.width}<-${r.draftWidth} predicted`, x: r.k, y: r.predictedMeasuredVerify },
    ]);
  await renderLineChart({
    points,
    title: 'speculative decoding (T = 1): speed-up over plain KV-cached generation',
    subtitle: `${source}; verifier<-draft width; 1 = as fast as the verifier alone`,
    xTitle: 'k, draft tokens per round',
    yTitle: 'speed-up',
    outBase,
  });
  await closeRenderer();
}

export async function printSpeculativeRows(
  prefer: BackendChoice | undefined,
  quick: boolean,
  file: string,
  figure?: string,
): Promise<void> {
  const backend = await selectBackend({ prefer, workload: 'generation' });
  const [promptCount, repeats] = quick ? [2, 1] : [4, 5];
  const { model, prompts, source } = loadBench(file, promptCount);
  const t = model.config.contextLength;
  const newTokens = t - PROMPT_LENGTH;
  console.log(`\n== speculative decoding\nbackend: ${backend}${quick ? ' (quick)' : ''}\nmodel: ${source}`);
  console.log(
    `${promptCount} prompts of ${PROMPT_LENGTH} ids, ${newTokens} new ids each (within the context t=${t}); medians of ${repeats} repeat(s)`,
  );
  const ks = quick ? [1, 4] : DRAFT_TOKENS;
  // Warm-up: V8 optimises tfjs' JavaScript on every width and path.
  for (const width of model.widths) {
    generate(model, prompts[0], { width, maxNewTokens: newTokens, seed: 0, greedy: true });
    if (width > model.widths[0])
      speculativeGenerate(model, prompts[0], {
        width,
        draftWidth: model.widths[0],
        draftTokens: 4,
        maxNewTokens: newTokens,
        seed: 0,
      });
  }
  const rows: Row[] = [];
  const costRepeats = quick ? 3 : 9;
  for (const width of model.widths) {
    const verifierStep = () => stepMs(model, width, prompts[0]);
    const verifyCosts = Object.fromEntries(
      ks.map((k) => [k, pairedRatio(costRepeats, () => verifyMs(model, width, prompts[0], k + 1), verifierStep)]),
    );
    for (const draftWidth of model.widths.filter((m) => m < width)) {
      const costRatio = pairedRatio(costRepeats, () => stepMs(model, draftWidth, prompts[0]), verifierStep);
      for (const mode of MODES) {
        for (const k of ks) {
          const verifyCost = verifyCosts[k];
          const ratios: number[] = [];
          const rates: number[] = [];
          const plainRates: number[] = [];
          let accepted = 0;
          let rejected = 0;
          let rounds = 0;
          for (let repeat = 0; repeat < repeats; repeat++) {
            // Plain and speculative alternate prompt by prompt, so that both see the same load.
            let plainMs = 0;
            let speculativeMs = 0;
            prompts.forEach((prompt, i) => {
              const options = { width, maxNewTokens: newTokens, seed: 1000 * repeat + i, greedy: mode.greedy };
              plainMs += msOf(() => generate(model, prompt, options));
              const start = performance.now();
              const { stats } = speculativeGenerate(model, prompt, { ...options, draftWidth, draftTokens: k });
              speculativeMs += performance.now() - start;
              accepted += stats.accepted;
              rejected += stats.rejected;
              rounds += stats.rounds;
            });
            const made = prompts.length * newTokens;
            rates.push((made / speculativeMs) * 1000);
            plainRates.push((made / plainMs) * 1000);
            ratios.push(plainMs / speculativeMs);
          }
          const a = accepted / (accepted + rejected);
          // Expected ids per round over the cost of a round, in verifier steps.
          const idsPerRound = a === 1 ? k + 1 : (1 - a ** (k + 1)) / (1 - a);
          rows.push({
            mode: mode.name,
            width,
            draftWidth,
            k,
            acceptance: a,
            tokensPerRound: (accepted + rounds) / rounds,
            tokensPerSecond: median(rates),
            plainTokensPerSecond: median(plainRates),
            speedUp: median(ratios),
            costRatio,
            predicted: idsPerRound / (k * costRatio + 1),
            predictedMeasuredVerify: idsPerRound / (k * costRatio + verifyCost),
            verifyCost,
          });
        }
      }
    }
  }
  model.dispose();
  console.log(
    '\n| mode | verifier | draft | k | acceptance a | ids / round | tokens/s | plain tokens/s | speed-up | predicted | c | v | predicted with v |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.mode} | ${r.width} | ${r.draftWidth} | ${r.k} | ${r.acceptance.toFixed(3)} | ${r.tokensPerRound.toFixed(2)} | ${r.tokensPerSecond.toFixed(0)} | ` +
        `${r.plainTokensPerSecond.toFixed(0)} | **${r.speedUp.toFixed(2)}** | ${r.predicted.toFixed(2)} | ${r.costRatio.toFixed(2)} | ${r.verifyCost.toFixed(2)} | ${r.predictedMeasuredVerify.toFixed(2)} |`,
    );
  }
  console.log(
    'c: one cached draft step over one cached verifier step; v: one verifier forward of k + 1 ids and its roll-back over one verifier step; ' +
      'predicted = (1 - a^(k+1)) / ((1 - a)(k c + 1)), predicted with v = the same over (k c + v).',
  );
  printCostRatios(quick);
  if (figure) {
    await renderSpeedUpFigure(rows, source, figure);
    console.log(`figure: ${figure}.svg and ${figure}.png`);
  }
}

/**
 * c for every nesting at experiment 4's shape (random weights: cost only): a width+depth draft
 * also skips layers, so on a backend where a forward's cost is mostly per operation, not per FLOP,
 * its c is far below a width draft's.
 */
function printCostRatios(quick: boolean): void {
  const repeats = quick ? 3 : 9;
  const random = new SeededRandom(5);
  const prompt = Array.from({ length: PROMPT_LENGTH }, () => random.nextInt(65));
  console.log('\n| nesting (random weights) | c, draft 64 / verifier 128 | c, draft 32 / verifier 128 |');
  console.log('| --- | ---: | ---: |');
  for (const nesting of ['width', 'ffn', 'width+depth'] as const) {
    const model = new MatryoshkaGPT({ ...EXP4_DEFAULTS, vocabSize: 65, nesting });
    const verifierStep = () => stepMs(model, 128, prompt);
    const c = (m: number) => pairedRatio(repeats, () => stepMs(model, m, prompt), verifierStep).toFixed(2);
    console.log(`| ${nesting} | ${c(64)} | ${c(32)} |`);
    model.dispose();
  }
}
