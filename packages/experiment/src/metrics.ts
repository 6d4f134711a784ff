// A run's metrics.jsonl (written by @matryoshka/training) as loss curves and tables for viz. A
// run of replicas keeps each replica's losses in `replicas` beside their mean: curves then carry
// the min-max band of the replicas, and tables mean ± std.
import type { MetricsRecord, ReplicaLosses } from '@matryoshka/training';
import { differenceExceedsSpread, formatMeanStd, type LossSeries } from '@matryoshka/viz';

type Split = 'train' | 'val';

/** The replicas' own losses of a record (undefined for a run of one model). */
export function replicaLosses(record: Pick<MetricsRecord, 'replicas'> | undefined): ReplicaLosses[] | undefined {
  const each = record?.replicas;
  return Array.isArray(each) && each.length ? each : undefined;
}

/** One loss curve per (width, split), for viz's renderLossCurves; replicas give each point its min-max band. */
export function lossSeries(records: readonly Pick<MetricsRecord, 'step' | 'train' | 'val' | 'replicas'>[]): LossSeries[] {
  const series: LossSeries[] = [];
  for (const split of ['train', 'val'] as const) {
    const widths = [...new Set(records.flatMap((r) => Object.keys(r[split])))].map(Number).sort((a, b) => a - b);
    for (const width of widths) {
      const points = records
        .filter((r) => Number.isFinite(r[split][String(width)]))
        .map((r) => {
          const each = replicaLosses(r)?.map((x) => x[split][String(width)]);
          return each ? { step: r.step, loss: r[split][String(width)], low: Math.min(...each), high: Math.max(...each) } : { step: r.step, loss: r[split][String(width)] };
        });
      if (points.length) series.push({ width, split, points });
    }
  }
  return series;
}

/** A split's loss at a width: the value, or mean ± std (n) over replicas. */
export function lossCell(record: MetricsRecord | undefined, split: Split, width: number, digits = 3): string {
  if (!record) return '-';
  const each = replicaLosses(record);
  if (each) return formatMeanStd(each.map((x) => x[split][String(width)]), digits);
  const value = record[split][String(width)];
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/**
 * The replicas of the last evaluation grouped by `groupOf` (a sweep value, or all one group):
 * one row per group with mean ± std val loss per width, then which groups' differences exceed
 * their spread (|mean a - mean b| > std a + std b) at each width.
 */
export function replicaTable(
  record: MetricsRecord,
  widths: readonly number[],
  groups: readonly { name: string; members: readonly number[] }[],
): { columns: string[]; rows: (string | number)[][]; exceeding: string[] } {
  const each = replicaLosses(record) ?? [];
  const valuesOf = (members: readonly number[], width: number) => members.map((r) => each[r].val[String(width)]);
  const rows = groups.map((g) => [g.name, g.members.length, ...widths.map((w) => formatMeanStd(valuesOf(g.members, w)))]);
  const exceeding: string[] = [];
  for (let a = 0; a < groups.length; a++) {
    for (let b = a + 1; b < groups.length; b++) {
      for (const w of widths) {
        const [x, y] = [valuesOf(groups[a].members, w), valuesOf(groups[b].members, w)];
        const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
        const verdict = differenceExceedsSpread(x, y) ? 'exceeds' : 'within';
        exceeding.push(`width ${w}: ${groups[a].name} vs ${groups[b].name}: ${(mean(x) - mean(y)).toFixed(3)} (${verdict} the spread)`);
      }
    }
  }
  return { columns: ['replicas', 'n', ...widths.map((w) => `val loss w${w}`)], rows, exceeding };
}
