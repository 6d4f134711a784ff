// A run's metrics.jsonl (written by @matryoshka/training) as loss curves for viz.
import type { MetricsRecord } from '@matryoshka/training';
import type { LossSeries } from '@matryoshka/viz';

/** One loss curve per (width, split), for viz's renderLossCurves. */
export function lossSeries(records: readonly Pick<MetricsRecord, 'step' | 'train' | 'val'>[]): LossSeries[] {
  const series: LossSeries[] = [];
  for (const split of ['train', 'val'] as const) {
    const widths = [...new Set(records.flatMap((r) => Object.keys(r[split])))].map(Number).sort((a, b) => a - b);
    for (const width of widths) {
      const points = records
        .filter((r) => Number.isFinite(r[split][String(width)]))
        .map((r) => ({ step: r.step, loss: r[split][String(width)] }));
      if (points.length) series.push({ width, split, points });
    }
  }
  return series;
}
