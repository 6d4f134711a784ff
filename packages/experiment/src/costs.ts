// What each width costs: parameters used, forward FLOPs per token, measured generation speed.
import { generate, type MatryoshkaGPT } from '@matryoshka/nested-transformer';

export interface WidthCost {
  width: number;
  parameters: number;
  flopsPerToken: number;
  /** Greedy KV-cached generation, tokens per second (median of `repeats`). */
  generationTokensPerSecond: number;
}

export function measureWidthCosts(
  model: MatryoshkaGPT,
  options: { tokens: number; repeats: number } = { tokens: 100, repeats: 3 },
): WidthCost[] {
  return model.widths.map((m) => {
    const times: number[] = [];
    generate(model, [0], { width: m, maxNewTokens: 8, greedy: true, seed: 0 }); // warm-up
    for (let r = 0; r < options.repeats; r++) {
      const start = process.hrtime.bigint();
      generate(model, [0], { width: m, maxNewTokens: options.tokens, greedy: true, seed: 0 });
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    // What submodel m reads (nested by embedding only: the whole trunk and a head cut to m).
    return {
      width: m,
      parameters: model.parameterCount(m),
      flopsPerToken: model.flopsPerToken(m),
      generationTokensPerSecond: options.tokens / median,
    };
  });
}
