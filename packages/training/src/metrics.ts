import * as fs from 'node:fs';
import { writeFileAtomic } from '@matryoshka/tokenizer';

export const METRICS_FILE = 'metrics.jsonl';

/**
 * One evaluation, one line of metrics.jsonl (docs/ARCHITECTURE.md, "Runs are files"):
 * mean loss per width (keys are the widths as strings) over evalIters batches of each split.
 */
export interface MetricsRecord {
  step: number;
  train: Record<string, number>;
  val: Record<string, number>;
  /** Mean of the task's total loss (the weighted sum over widths). */
  trainTotal: number;
  valTotal: number;
  /** Training throughput since the previous evaluation (evaluation time excluded). */
  tokensPerSecond: number;
  /** Wall-clock seconds since the run started (continued across resumes). */
  elapsedSeconds: number;
  /** Learning rate of the next update. */
  lr: number;
  /** A run of replicas: each replica's own losses and learning rate (the fields above are their means; lr is replica 0's). */
  replicas?: ReplicaLosses[];
  /** Whatever hooks.onEval added. */
  [extra: string]: unknown;
}

/** One replica's part of an evaluation (see MetricsRecord.replicas). */
export type ReplicaLosses = Pick<MetricsRecord, 'train' | 'val' | 'trainTotal' | 'valTotal' | 'lr'>;

export function appendMetrics(file: string, record: MetricsRecord): void {
  fs.appendFileSync(file, JSON.stringify(record) + '\n', 'utf8');
}

/**
 * Parse metrics.jsonl; a bad line is an error naming the file and line number. A last line
 * without its newline is one a running trainer is still appending: it is left out.
 */
export function readMetrics(file: string): MetricsRecord[] {
  const text = fs.readFileSync(file, 'utf8');
  const records: MetricsRecord[] = [];
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  complete.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      records.push(JSON.parse(line) as MetricsRecord);
    } catch (error) {
      throw new Error(`${file}:${index + 1}: not a JSON line (${(error as Error).message})`, { cause: error });
    }
  });
  return records;
}

/**
 * Drop the lines of evaluations at or after `step` (atomically), so that a resumed run does
 * not repeat lines written after its checkpoint by the run that stopped.
 */
export function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const kept = readMetrics(file).filter((record) => record.step < step);
  writeFileAtomic(file, kept.map((record) => JSON.stringify(record) + '\n').join(''));
}
