// A run's numbers: validation loss per width over the steps (an SVG line chart) and the cost
// table (parameters and forward FLOPs per token of each width's submodel, final val loss).
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer/browser';
import type { MetricsLine } from './model-source';

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d'];

export function element<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Ticks of a log loss axis over [low, high] whose pixel position is `px`: above a factor of 2,
 * mantissas 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8 of each decade kept from the bottom up at least
 * 20 px apart (the report's loss curves, viz's loss-curves.ts, use the same); narrower, 1-2-5 steps.
 */
function lossTicks(low: number, high: number, px: (loss: number) => number): number[] {
  const ticks: number[] = [];
  if (high > 2 * low) {
    for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
      for (const m of [1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8]) {
        const v = Number((m * 10 ** decade).toPrecision(3));
        if (v >= low && v <= high && (ticks.length === 0 || Math.abs(px(v) - px(ticks[ticks.length - 1])) >= 20))
          ticks.push(v);
      }
    }
    return ticks;
  }
  const rough = (high - low) / 5;
  const unit = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((k) => k * unit).find((s) => s >= rough) ?? 10 * unit;
  for (let v = Math.ceil(low / step) * step; v <= high + 1e-9; v += step) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

/**
 * Val loss per width against step, as the report draws it: step 0 is stated above the plot, not
 * drawn (the untrained model's loss is about its width, 10x the rest), and the loss axis is
 * logarithmic (the first evaluations after it can still be 4x the final loss).
 */
export function lossCurves(metrics: readonly MetricsLine[], widths: readonly number[]): SVGSVGElement {
  const lines = metrics.filter((line) => line.val);
  const later = lines.filter((line) => line.step !== 0);
  const shown = later.length ? later : lines;
  const start = later.length ? lines.find((line) => line.step === 0) : undefined;
  const [w, h, left, bottom, top, right] = [640, 330, 52, 36, 46, 110];
  const svg = element('svg', {
    width: w,
    height: h,
    viewBox: `0 0 ${w} ${h}`,
    role: 'img',
    'aria-label': 'validation loss per width',
  });
  const values = shown.flatMap((line) =>
    widths
      .map((m) => line.val?.[String(m)])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0),
  );
  if (shown.length === 0 || values.length === 0) {
    svg.append(element('text', { x: 10, y: 20 }, 'no validation losses in metrics.jsonl'));
    return svg;
  }
  const [x0, x1] = [shown[0].step, Math.max(shown[shown.length - 1].step, shown[0].step + 1)];
  const low = Math.min(...values);
  const high = Math.max(...values) > low ? Math.max(...values) : low * 1.1;
  const x = (step: number) => left + ((step - x0) / (x1 - x0)) * (w - left - right);
  const pad = 6; // no line runs along the plot's edges
  const y = (loss: number) =>
    top + pad + (1 - Math.log(loss / low) / Math.log(high / low)) * (h - top - bottom - 2 * pad);
  svg.append(element('text', { x: left, y: 14, 'font-size': 12, fill: '#444' }, 'val loss per width (log scale)'));
  if (start?.val) {
    const losses = widths.map((m) => `w${m} ${start.val?.[String(m)]?.toPrecision(3) ?? '–'}`).join(', ');
    svg.append(element('text', { x: left, y: 30, 'font-size': 11, fill: '#444' }, `step 0 (not drawn): ${losses}`));
  }
  svg.append(element('line', { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: '#999' }));
  svg.append(element('line', { x1: left, y1: top, x2: left, y2: h - bottom, stroke: '#999' }));
  for (const loss of lossTicks(low, high, y)) {
    svg.append(element('line', { x1: left, y1: y(loss), x2: w - right, y2: y(loss), stroke: '#eee' }));
    svg.append(element('text', { x: left - 6, y: y(loss) + 4, 'text-anchor': 'end', 'font-size': 11 }, String(loss)));
  }
  for (const k of [0, 0.5, 1]) {
    const step = Math.round(x0 + (x1 - x0) * k);
    svg.append(
      element('text', { x: x(step), y: h - bottom + 16, 'text-anchor': 'middle', 'font-size': 11 }, String(step)),
    );
  }
  svg.append(
    element('text', { x: (left + w - right) / 2, y: h - 4, 'text-anchor': 'middle', 'font-size': 12 }, 'step'),
  );
  svg.append(
    element(
      'text',
      {
        x: 12,
        y: top + (h - top - bottom) / 2,
        'font-size': 12,
        transform: `rotate(-90 12 ${top + (h - top - bottom) / 2})`,
        'text-anchor': 'middle',
      },
      'val loss',
    ),
  );
  widths.forEach((m, k) => {
    const points = shown
      .filter((line) => (line.val?.[String(m)] ?? 0) > 0)
      .map((line) => [x(line.step), y(line.val![String(m)])]);
    const colour = COLOURS[k % COLOURS.length];
    svg.append(
      element('polyline', {
        points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '),
        fill: 'none',
        stroke: colour,
        'stroke-width': 2,
      }),
    );
    // Few evaluations: each one marked (a single one would otherwise not show at all).
    if (shown.length <= 30)
      for (const [px, py] of points)
        svg.append(element('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 2.5, fill: colour }));
    svg.append(
      element('text', { x: w - right + 10, y: top + 14 + 16 * k, fill: colour, 'font-size': 12 }, `width ${m}`),
    );
  });
  return svg;
}

/** Rows: width, parameters, FLOPs per token, final val loss (when the metrics have it). */
export function costTable(table: HTMLTableElement, model: MatryoshkaGPT, metrics: readonly MetricsLine[]): void {
  const last = [...metrics].reverse().find((line) => line.val);
  const format = (n: number) => n.toLocaleString('en');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of ['width', 'parameters', 'FLOPs/token', `val loss${last ? ` (step ${last.step})` : ''}`])
    head.append(Object.assign(document.createElement('th'), { textContent: title }));
  const body = table.createTBody();
  for (const m of model.widths) {
    const row = body.insertRow();
    const loss = last?.val?.[String(m)];
    for (const cell of [
      String(m),
      format(model.parameterCount(m)),
      format(model.flopsPerToken(m)),
      loss === undefined ? '–' : loss.toFixed(3),
    ]) {
      row.insertCell().textContent = cell;
    }
  }
}
