import type { MetricsRecord } from './metrics';

/** 'auto' draws a bar on a terminal and prints plain lines otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressSnapshot {
  step: number;
  totalSteps: number;
  widths: readonly number[];
  /** The last training step's loss per width (same order as widths). */
  losses: readonly number[];
  tokensPerSecond: number;
  /** Seconds left, or undefined when not yet known. */
  etaSeconds?: number;
}

/** 5s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad2(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad2(Math.floor((s % 3600) / 60))}m`;
}

/** 950 tok/s, 12.3k tok/s, 1.20M tok/s. */
export function formatRate(tokensPerSecond: number): string {
  if (!Number.isFinite(tokensPerSecond) || tokensPerSecond < 0) return '? tok/s';
  if (tokensPerSecond < 1000) return `${Math.round(tokensPerSecond)} tok/s`;
  if (tokensPerSecond < 1e6) return `${(tokensPerSecond / 1000).toFixed(1)}k tok/s`;
  return `${(tokensPerSecond / 1e6).toFixed(2)}M tok/s`;
}

/** "8:2.310 16:2.104 32:1.998". */
export function formatLosses(widths: readonly number[], losses: readonly number[], digits = 3): string {
  return widths.map((w, i) => `${w}:${formatNumber(losses[i], digits)}`).join(' ');
}

/** A loss per width keyed by width, as in metrics.jsonl, in width order. */
export function formatLossRecord(losses: Record<string, number>, digits = 3): string {
  const widths = Object.keys(losses)
    .map(Number)
    .sort((a, b) => a - b);
  return formatLosses(
    widths,
    widths.map((w) => losses[String(w)]),
    digits,
  );
}

/** "[########--------]" filled to `fraction` (clamped to [0, 1]). */
export function renderBar(fraction: number, width: number): string {
  const inner = Math.max(0, width - 2);
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.floor(f * inner + 1e-9);
  return `[${'#'.repeat(filled)}${'-'.repeat(inner - filled)}]`;
}

/** Seconds left at the current pace; undefined before the first step. */
export function estimateEta(stepsDone: number, totalSteps: number, secondsSoFar: number): number | undefined {
  if (stepsDone <= 0 || secondsSoFar <= 0) return undefined;
  return (Math.max(0, totalSteps - stepsDone) * secondsSoFar) / stepsDone;
}

/** One line of the in-place bar, cut to `columns` characters. */
export function formatProgressBar(snapshot: ProgressSnapshot, columns = 100): string {
  const { step, totalSteps } = snapshot;
  const percent = totalSteps > 0 ? Math.floor((100 * step) / totalSteps) : 100;
  const counter = `${String(step).padStart(String(totalSteps).length)}/${totalSteps} ${String(percent).padStart(3)}%`;
  const loss = snapshot.losses.length > 0 ? `loss ${formatLosses(snapshot.widths, snapshot.losses)}` : 'loss -';
  const eta = `ETA ${snapshot.etaSeconds === undefined ? '?' : formatDuration(snapshot.etaSeconds)}`;
  const tail = ` ${counter} | ${loss} | ${formatRate(snapshot.tokensPerSecond)} | ${eta}`;
  const barWidth = Math.max(10, Math.min(32, columns - tail.length));
  return truncate(renderBar(step / Math.max(1, totalSteps), barWidth) + tail, columns);
}

/** The plain line printed at each evaluation. */
export function formatEvalLine(record: MetricsRecord, totalSteps: number): string {
  return (
    `step ${record.step}/${totalSteps} | train ${formatLossRecord(record.train)} (total ${formatNumber(record.trainTotal, 3)})` +
    ` | val ${formatLossRecord(record.val)} (total ${formatNumber(record.valTotal, 3)})` +
    ` | lr ${record.lr.toExponential(2)} | ${formatRate(record.tokensPerSecond)} | ${formatDuration(record.elapsedSeconds)}`
  );
}

/** The writable end of a terminal or file (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Draws the bar (throttled) or prints lines; the loop calls `step` every step and `eval` per evaluation. */
export class ProgressReporter {
  readonly mode: Exclude<ProgressMode, 'auto'>;
  private lastDraw = 0;
  private barShown = false;

  constructor(
    mode: ProgressMode,
    private readonly stream: ProgressStream = process.stderr,
    private readonly redrawMilliseconds = 100,
  ) {
    this.mode = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  }

  step(snapshot: ProgressSnapshot, force = false): void {
    if (this.mode !== 'bar') return;
    const now = Date.now();
    if (!force && now - this.lastDraw < this.redrawMilliseconds) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[2K${formatProgressBar(snapshot, Math.max(20, (this.stream.columns || 100) - 1))}`);
    this.barShown = true;
  }

  /** Print a line above the bar (or as a plain line). */
  line(text: string): void {
    if (this.mode === 'none') return;
    this.clearBar();
    this.stream.write(text + '\n');
  }

  eval(record: MetricsRecord, totalSteps: number): void {
    this.line(formatEvalLine(record, totalSteps));
  }

  /** Leave the terminal on a fresh line. */
  finish(): void {
    this.clearBar();
  }

  private clearBar(): void {
    if (this.barShown) {
      this.stream.write('\r\x1b[2K');
      this.barShown = false;
    }
  }
}

function truncate(text: string, columns: number): string {
  return text.length <= columns ? text : text.slice(0, Math.max(0, columns - 1)) + '…';
}

function formatNumber(value: number, digits: number): string {
  if (Number.isNaN(value)) return '-'; // a width not trained yet (the sampled regime)
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
