// A run's numbers: validation loss per width over the steps (an SVG line chart) and the cost
// table (parameters and forward FLOPs per token of each width's submodel, final val loss).
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer/browser';
import type { MetricsLine } from './model-source';

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02', '#a6761d'];

function element<K extends keyof SVGElementTagNameMap>(name: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Val loss per width against step. The first evaluation (the untrained model) is left out when later ones exist. */
export function lossCurves(metrics: readonly MetricsLine[], widths: readonly number[]): SVGSVGElement {
  const lines = metrics.filter((line) => line.val);
  const shown = lines.length > 2 ? lines.slice(1) : lines;
  const [w, h, left, bottom, top, right] = [640, 300, 52, 36, 16, 110];
  const svg = element('svg', { width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: 'img', 'aria-label': 'validation loss per width' });
  const values = shown.flatMap((line) => widths.map((m) => line.val?.[String(m)]).filter((x): x is number => Number.isFinite(x)));
  if (shown.length === 0 || values.length === 0) {
    svg.append(element('text', { x: 10, y: 20 }, 'no validation losses in metrics.jsonl'));
    return svg;
  }
  const [x0, x1] = [shown[0].step, Math.max(shown[shown.length - 1].step, shown[0].step + 1)];
  const [y0, y1] = [Math.min(...values), Math.max(...values) === Math.min(...values) ? Math.min(...values) + 1 : Math.max(...values)];
  const x = (step: number) => left + ((step - x0) / (x1 - x0)) * (w - left - right);
  const y = (loss: number) => top + (1 - (loss - y0) / (y1 - y0)) * (h - top - bottom);
  svg.append(element('line', { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, stroke: '#999' }));
  svg.append(element('line', { x1: left, y1: top, x2: left, y2: h - bottom, stroke: '#999' }));
  for (const k of [0, 0.5, 1]) {
    const loss = y0 + (y1 - y0) * k;
    svg.append(element('text', { x: left - 6, y: y(loss) + 4, 'text-anchor': 'end', 'font-size': 11 }, loss.toFixed(2)));
    const step = Math.round(x0 + (x1 - x0) * k);
    svg.append(element('text', { x: x(step), y: h - bottom + 16, 'text-anchor': 'middle', 'font-size': 11 }, String(step)));
  }
  svg.append(element('text', { x: (left + w - right) / 2, y: h - 4, 'text-anchor': 'middle', 'font-size': 12 }, 'step'));
  svg.append(element('text', { x: 12, y: top + (h - top - bottom) / 2, 'font-size': 12, transform: `rotate(-90 12 ${top + (h - top - bottom) / 2})`, 'text-anchor': 'middle' }, 'val loss'));
  widths.forEach((m, k) => {
    const points = shown.filter((line) => Number.isFinite(line.val?.[String(m)])).map((line) => `${x(line.step).toFixed(1)},${y(line.val![String(m)]).toFixed(1)}`);
    const colour = COLOURS[k % COLOURS.length];
    svg.append(element('polyline', { points: points.join(' '), fill: 'none', stroke: colour, 'stroke-width': 2 }));
    svg.append(element('text', { x: w - right + 10, y: top + 14 + 16 * k, fill: colour, 'font-size': 12 }, `width ${m}`));
  });
  return svg;
}

/** Rows: width, parameters, FLOPs per token, final val loss (when the metrics have it). */
export function costTable(table: HTMLTableElement, model: MatryoshkaGPT, metrics: readonly MetricsLine[]): void {
  const last = [...metrics].reverse().find((line) => line.val);
  const format = (n: number) => n.toLocaleString('en');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const title of ['width', 'parameters', 'FLOPs/token', `val loss${last ? ` (step ${last.step})` : ''}`]) head.append(Object.assign(document.createElement('th'), { textContent: title }));
  const body = table.createTBody();
  for (const m of model.widths) {
    const row = body.insertRow();
    const loss = last?.val?.[String(m)];
    for (const cell of [String(m), format(model.parameterCount(m)), format(model.flopsPerToken(m)), loss === undefined ? '–' : loss.toFixed(3)]) {
      row.insertCell().textContent = cell;
    }
  }
}
