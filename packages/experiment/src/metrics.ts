// A run's metrics.jsonl (written by @matryoshka/training) as loss curves and tables for viz. A
// run of replicas keeps each replica's losses in `replicas` beside their mean: curves then carry
// the min-max band of the replicas, and tables mean ± std. In a sweep, replicas of different
// settings are never pooled: curves and cells take one group (the replicas of one value).
import type { MetricsRecord, ReplicaLosses } from '@matryoshka/training';
import { differenceExceedsSpread, formatMeanStd, meanStd, type LossSeries } from '@matryoshka/viz';

type Split = 'train' | 'val';

/** The replicas' own losses of a record (undefined for a run of one model). */
export function replicaLosses(record: Pick<MetricsRecord, 'replicas'> | undefined): ReplicaLosses[] | undefined {
  const each = record?.replicas;
  return Array.isArray(each) && each.length ? each : undefined;
}

/** A split's losses at a width: one per replica of `members` (default all), or the one model's. */
export function lossesAt(record: MetricsRecord, split: Split, width: number, members?: readonly number[]): number[] {
  const each = replicaLosses(record);
  if (!each) return [record[split][String(width)]];
  return (members ?? each.map((_, r) => r)).map((r) => each[r][split][String(width)]);
}

/**
 * One loss curve per (width, split), for viz's renderLossCurves. With replicas, each point is the
 * mean of `members` (default all) with their min-max band.
 */
export function lossSeries(records: readonly MetricsRecord[], members?: readonly number[]): LossSeries[] {
  const series: LossSeries[] = [];
  for (const split of ['train', 'val'] as const) {
    const widths = [...new Set(records.flatMap((r) => Object.keys(r[split])))].map(Number).sort((a, b) => a - b);
    for (const width of widths) {
      const points = records
        .filter((r) => Number.isFinite(r[split][String(width)]))
        .map((r) => {
          const values = lossesAt(r, split, width, members);
          if (!replicaLosses(r)) return { step: r.step, loss: values[0] };
          const { mean, min, max } = meanStd(values);
          // Rounding can put the mean of equal values an ulp outside them.
          return { step: r.step, loss: mean, low: Math.min(min, mean), high: Math.max(max, mean) };
        });
      if (points.length) series.push({ width, split, points });
    }
  }
  return series;
}

/** A split's loss at a width: the value, or mean ± std (n) over the replicas of `members` (default all). */
export function lossCell(
  record: MetricsRecord | undefined,
  split: Split,
  width: number,
  members?: readonly number[],
): string {
  if (!record || !Number.isFinite(record[split][String(width)])) return '-';
  return formatMeanStd(lossesAt(record, split, width, members));
}

/**
 * The replicas of the last evaluation grouped (a sweep value each, or all one group): one row
 * per group with mean ± std val loss per width, then, for each pair of groups and width, whether
 * their difference exceeds the spread (|mean a - mean b| > std a + std b).
 */
export function replicaTable(
  record: MetricsRecord,
  widths: readonly number[],
  groups: readonly { name: string; members: readonly number[] }[],
): { columns: string[]; rows: (string | number)[][]; exceeding: string[] } {
  const valuesOf = (members: readonly number[], width: number) => lossesAt(record, 'val', width, members);
  const rows = groups.map((g) => [
    g.name,
    g.members.length,
    ...widths.map((w) => formatMeanStd(valuesOf(g.members, w))),
  ]);
  const exceeding: string[] = [];
  for (let a = 0; a < groups.length; a++) {
    for (let b = a + 1; b < groups.length; b++) {
      for (const w of widths) {
        const [x, y] = [valuesOf(groups[a].members, w), valuesOf(groups[b].members, w)];
        const verdict =
          x.length < 2 || y.length < 2
            ? 'one replica each: no spread to compare with'
            : differenceExceedsSpread(x, y)
              ? 'exceeds the spread'
              : 'within the spread';
        exceeding.push(
          `width ${w}: ${groups[a].name} vs ${groups[b].name}: ${(meanStd(x).mean - meanStd(y).mean).toFixed(3)} (${verdict})`,
        );
      }
    }
  }
  return { columns: ['replicas', 'n', ...widths.map((w) => `val loss w${w}`)], rows, exceeding };
}
