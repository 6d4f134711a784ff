// The cosine-similarity heat map of token embeddings at one prefix width, on a canvas: tokens in
// category order on both axes, a blue-white-red scale from -1 to 1 with its legend beside the
// canvas, a tooltip naming the pair and the value. Switching width or mode blends from the old
// picture to the new one.
import { categoryOrder } from '@matryoshka/tokenizer/browser';
import { prefix, prefixLayerNorm } from '@matryoshka/matryoshka-layers/browser';
import type { MatryoshkaGPT } from '@matryoshka/nested-transformer/browser';
import * as tf from '@tensorflow/tfjs-core';
import { element } from './run-view';

export type PrefixMode = 'layer-norm' | 'raw';

/** v x v cosine similarities of E[:, :m] (layer-normed over the prefix first, by default), row-major. */
export function similarityAtWidth(model: MatryoshkaGPT, m: number, mode: PrefixMode): Float32Array {
  return tf.tidy(() => {
    const embedding = tf.squeeze(model.tokenEmbedding, [0]); // (v, d): the page runs a model of one replica
    const x = mode === 'layer-norm' ? prefixLayerNorm(embedding, m) : prefix(embedding, m);
    const unit = tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12));
    return tf.matMul(unit, unit, false, true).dataSync() as Float32Array;
  });
}

/** A token as a label: visible names for whitespace. */
export function tokenLabel(token: string): string {
  if (token === '\n') return '\\n';
  if (token === ' ') return '␣';
  if (token === '\t') return '\\t';
  return token;
}

const RED = [178, 24, 43];
const BLUE = [33, 102, 172];

/** Diverging colour for a cosine in [-1, 1]: blue (-1), white (0), red (1), linear in RGB between them. */
function colour(value: number): [number, number, number] {
  const t = Math.max(-1, Math.min(1, value));
  const toward = t >= 0 ? RED : BLUE;
  const a = Math.abs(t);
  return [0, 1, 2].map((i) => Math.round(255 + (toward[i] - 255) * a)) as [number, number, number];
}

/**
 * The colour scale's legend: a bar from 1 (red, top) through 0 (white) to -1 (blue), the same
 * linear RGB ramps as `colour` (a three-stop SVG gradient interpolates exactly so), with ticks.
 */
function legend(): SVGSVGElement {
  const [barTop, barHeight, barWidth] = [26, 240, 14];
  const svg = element('svg', {
    id: 'heatmap-legend',
    width: 70,
    height: barTop + barHeight + 10,
    role: 'img',
    'aria-label': 'colour scale: cosine from -1 (blue) to 1 (red)',
  });
  const gradient = element('linearGradient', { id: 'heatmap-legend-ramp', x1: 0, y1: 0, x2: 0, y2: 1 });
  for (const [offset, rgb] of [
    [0, RED],
    [0.5, [255, 255, 255]],
    [1, BLUE],
  ] as const) {
    gradient.append(element('stop', { offset, 'stop-color': `rgb(${rgb.join(',')})` }));
  }
  const defs = element('defs', {});
  defs.append(gradient);
  svg.append(defs, element('text', { x: 0, y: 14, 'font-size': 12, 'font-weight': 'bold' }, 'cosine'));
  svg.append(
    element('rect', {
      x: 0,
      y: barTop,
      width: barWidth,
      height: barHeight,
      fill: 'url(#heatmap-legend-ramp)',
      stroke: '#999',
      'stroke-width': 0.5,
    }),
  );
  for (const value of [1, 0.5, 0, -0.5, -1]) {
    const y = barTop + ((1 - value) / 2) * barHeight;
    svg.append(element('line', { x1: barWidth, y1: y, x2: barWidth + 4, y2: y, stroke: '#555' }));
    svg.append(
      element(
        'text',
        { x: barWidth + 7, y: y + 4, 'font-size': 11 },
        value > 0 ? String(value) : value === 0 ? '0' : `−${-value}`,
      ),
    );
  }
  return svg;
}

const LABEL_SPACE = 22;
const BLEND_MS = 180;

export class Heatmap {
  private shown: Float32Array | null = null;
  private order: number[] = [];
  private vocabulary: readonly string[] = [];
  private animation = 0;
  /** Increases with every finished picture (the test waits on it). */
  renders = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
  ) {
    canvas.addEventListener('mousemove', (event) => this.hover(event));
    canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
    canvas.after(legend());
  }

  /** Show `matrix` (v x v, vocabulary order); blends from the previous picture of the same vocabulary. */
  show(matrix: Float32Array, vocabulary: readonly string[]): void {
    const from = this.shown && this.vocabulary === vocabulary ? this.shown : null;
    this.vocabulary = vocabulary;
    this.order = categoryOrder(vocabulary);
    cancelAnimationFrame(this.animation);
    const start = performance.now();
    const frame = (now: number) => {
      const t = from ? Math.min(1, (now - start) / BLEND_MS) : 1;
      const blended = t >= 1 || !from ? matrix : matrix.map((value, i) => from[i] + (value - from[i]) * t);
      this.shown = blended;
      this.draw(blended);
      if (t < 1) this.animation = requestAnimationFrame(frame);
      else {
        this.shown = matrix;
        this.renders++;
        this.canvas.dataset.renders = String(this.renders);
      }
    };
    this.animation = requestAnimationFrame(frame);
  }

  private cell(): number {
    return Math.max(4, Math.floor((this.canvas.width - LABEL_SPACE) / Math.max(1, this.vocabulary.length)));
  }

  private draw(matrix: Float32Array): void {
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const v = this.vocabulary.length;
    const size = this.cell();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const image = ctx.createImageData(v * size, v * size);
    this.order.forEach((row, r) => {
      this.order.forEach((col, c) => {
        const [red, green, blue] = colour(matrix[row * v + col]);
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const at = ((r * size + y) * v * size + c * size + x) * 4;
            image.data[at] = red;
            image.data[at + 1] = green;
            image.data[at + 2] = blue;
            image.data[at + 3] = 255;
          }
        }
      });
    });
    ctx.putImageData(image, LABEL_SPACE, LABEL_SPACE);
    ctx.fillStyle = '#333';
    ctx.font = `${Math.min(11, size)}px ui-monospace, monospace`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    this.order.forEach((id, k) => {
      const label = tokenLabel(this.vocabulary[id]);
      const at = LABEL_SPACE + k * size + size / 2;
      ctx.fillText(label, at, LABEL_SPACE / 2);
      ctx.fillText(label, LABEL_SPACE / 2, at);
    });
  }

  private hover(event: MouseEvent): void {
    if (!this.shown) return;
    const rect = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / rect.width;
    const size = this.cell();
    const c = Math.floor(((event.clientX - rect.left) * scale - LABEL_SPACE) / size);
    const r = Math.floor(((event.clientY - rect.top) * scale - LABEL_SPACE) / size);
    const v = this.vocabulary.length;
    if (r < 0 || c < 0 || r >= v || c >= v) {
      this.tooltip.hidden = true;
      return;
    }
    const [a, b] = [this.order[r], this.order[c]];
    const value = this.shown[a * v + b];
    this.tooltip.textContent = `${JSON.stringify(this.vocabulary[a])} × ${JSON.stringify(this.vocabulary[b])}: ${value.toFixed(3)}`;
    this.tooltip.style.left = `${event.clientX - rect.left + 12}px`;
    this.tooltip.style.top = `${event.clientY - rect.top + 12}px`;
    this.tooltip.hidden = false;
  }
}
