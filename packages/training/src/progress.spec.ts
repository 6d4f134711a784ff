import {
  estimateEta,
  formatDuration,
  formatEvalLine,
  formatLosses,
  formatProgressBar,
  formatRate,
  ProgressReporter,
  renderBar,
} from './progress';
import type { MetricsRecord } from './metrics';

describe('progress formatting', () => {
  it('formats durations, rates and losses', () => {
    expect(formatDuration(5.4)).toBe('5s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(Number.NaN)).toBe('?');
    expect(formatRate(950)).toBe('950 tok/s');
    expect(formatRate(12345)).toBe('12.3k tok/s');
    expect(formatRate(1.2e6)).toBe('1.20M tok/s');
    expect(formatLosses([8, 16], [2.31, 2.1])).toBe('8:2.310 16:2.100');
    // The sampled regime: a width not drawn yet has no loss to show.
    expect(formatLosses([8, 16], [NaN, 2.1])).toBe('8:- 16:2.100');
  });

  it('renders a bar clamped to [0, 1] and an ETA at the current pace', () => {
    expect(renderBar(0.5, 12)).toBe('[#####-----]');
    expect(renderBar(0, 6)).toBe('[----]');
    expect(renderBar(1, 6)).toBe('[####]');
    expect(renderBar(2, 6)).toBe('[####]');
    expect(estimateEta(0, 100, 5)).toBeUndefined();
    expect(estimateEta(25, 100, 10)).toBeCloseTo(30);
  });

  it('fits the bar line into the terminal width with step, losses, rate and ETA', () => {
    const line = formatProgressBar(
      { step: 50, totalSteps: 200, widths: [8, 16], losses: [2.5, 2.25], tokensPerSecond: 4200, etaSeconds: 75 },
      120,
    );
    expect(line).toContain(' 50/200  25%');
    expect(line).toContain('loss 8:2.500 16:2.250');
    expect(line).toContain('4.2k tok/s');
    expect(line).toContain('ETA 1m15s');
    expect(line.length).toBeLessThanOrEqual(120);
    expect(
      formatProgressBar({ step: 1, totalSteps: 2, widths: [8], losses: [1], tokensPerSecond: 1 }, 30).length,
    ).toBeLessThanOrEqual(30);
  });

  it('formats an evaluation line', () => {
    const record: MetricsRecord = {
      step: 100,
      train: { '8': 2.5, '16': 2.25 },
      val: { '8': 2.6, '16': 2.35 },
      trainTotal: 4.75,
      valTotal: 4.95,
      tokensPerSecond: 1500,
      elapsedSeconds: 62,
      lr: 3e-4,
    };
    expect(formatEvalLine(record, 1000)).toBe(
      'step 100/1000 | train 8:2.500 16:2.250 (total 4.750) | val 8:2.600 16:2.350 (total 4.950) | lr 3.00e-4 | 1.5k tok/s | 1m02s',
    );
  });

  it('chooses the bar on a TTY, lines otherwise, and redraws the bar in place', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => written.push(s) };
    expect(new ProgressReporter('auto', tty).mode).toBe('bar');
    expect(new ProgressReporter('auto', { write: () => true }).mode).toBe('lines');
    const reporter = new ProgressReporter('bar', tty, 0);
    reporter.step({ step: 1, totalSteps: 2, widths: [8], losses: [1], tokensPerSecond: 10 }, true);
    reporter.line('hello');
    reporter.finish();
    expect(written[0].startsWith('\r\x1b[2K[')).toBe(true);
    expect(written).toContain('hello\n');
    const silent: string[] = [];
    const none = new ProgressReporter('none', { write: (s: string) => silent.push(s) });
    none.line('x');
    none.step({ step: 1, totalSteps: 2, widths: [8], losses: [1], tokensPerSecond: 10 }, true);
    expect(silent).toEqual([]);
  });
});
