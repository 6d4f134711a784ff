// What each width costs: parameters used, forward FLOPs per token, measured generation speed.
import type { MatryoshkaGPT, Trunk } from '@matryoshka/nested-transformer';

export interface WidthCost {
  width: number;
  parameters: number;
  flopsPerToken: number;
  /** Greedy KV-cached generation, tokens per second (median of `repeats`). */
  generationTokensPerSecond: number;
}

export function measureWidthCosts(
  model: MatryoshkaGPT,
  trunk: Trunk,
  options: { tokens: number; repeats: number } = { tokens: 100, repeats: 3 },
): WidthCost[] {
  return model.widths.map((m) => {
    const times: number[] = [];
    model.generate([0], { width: m, maxNewTokens: 8, greedy: true, seed: 0, trunk }); // warm-up
    for (let r = 0; r < options.repeats; r++) {
      const start = process.hrtime.bigint();
      model.generate([0], { width: m, maxNewTokens: options.tokens, greedy: true, seed: 0, trunk });
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    // With the full trunk every width runs the whole model; only the head is cut.
    const used = trunk === 'nested' ? m : model.config.width;
    return {
      width: m,
      parameters: model.parameterCount(used),
      flopsPerToken: model.flopsPerToken(used),
      generationTokensPerSecond: options.tokens / median,
    };
  });
}
