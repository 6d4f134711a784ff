// What one forward pass runs, for every nesting (docs/EXPERIMENTS.md, "Nesting modes and
// Mix'n'Match"): the one place that says which part of the model a submodel or a mix reads.
// slicing.ts cuts the variables to a Submodel, model.ts runs it, cost-model.ts prices it.
import { checkMix, configWidths, cutsResidualWidth, type ResolvedGPTConfig } from './config';

/** One block as it runs: the width of its attention and of its slice of the residual stream, and its FFN's hidden units. */
export interface LayerShape {
  /** a: the block reads and writes x[:, :a] (attention at a, heads of size a/h). */
  width: number;
  /** The FFN's hidden units: 4a for the width nestings, 4m for 'ffn'. */
  hidden: number;
}

/** A forward pass: the residual stream's width M, each layer's shape (null = skipped) and the head's width. */
export interface Submodel {
  /** M: embeddings E[:, :M] + P[:, :M], the residual stream and the final layer norm. */
  width: number;
  /** One entry per layer of the model, in order; null = the layer is skipped. */
  layers: (LayerShape | null)[];
  /** The tied head reads z[:, :k] and W_k (k = M except for nesting 'embedding', whose head cuts alone). */
  headWidth: number;
}

const full = (a: number): LayerShape => ({ width: a, hidden: 4 * a });

/**
 * Submodel m of the model (m one of its nested widths, or any width 1..d for 'embedding'):
 *   'embedding'   trunk at d, every layer at d, head k = m;
 *   'width'       everything at m;
 *   'width+depth' everything at m, only the first l_k layers (the rest skipped);
 *   'ffn'         everything at d, every FFN cut to 4m hidden units;
 * and for a fixed mix (config.layerWidths), m = d is the mix.
 */
export function submodelAt(config: ResolvedGPTConfig, m: number): Submodel {
  const { nesting, width: d, layers } = config;
  if (config.layerWidths) return mixSubmodel(config, config.layerWidths);
  switch (nesting) {
    case 'embedding':
      return { width: d, layers: Array.from({ length: layers }, () => full(d)), headWidth: m };
    case 'width':
      return { width: m, layers: Array.from({ length: layers }, () => full(m)), headWidth: m };
    case 'width+depth': {
      const depth = layersAtWidth(config, m);
      return { width: m, layers: Array.from({ length: layers }, (_, i) => (i < depth ? full(m) : null)), headWidth: m };
    }
    case 'ffn':
      return { width: d, layers: Array.from({ length: layers }, () => ({ width: d, hidden: 4 * m })), headWidth: d };
  }
}

/** l_k: how many layers submodel m runs (all but 'width+depth': l). */
export function layersAtWidth(config: ResolvedGPTConfig, m: number): number {
  if (!config.layersPerWidth) return config.layers;
  const k = configWidths(config).indexOf(m);
  if (k < 0) throw new Error(`width ${m} is not a nested width of this model (${configWidths(config).join(', ')})`);
  return config.layersPerWidth[k];
}

/**
 * A Mix'n'Match mix, one width m_i per layer, as a forward pass:
 *   'width' / 'width+depth': the stream runs at M = max m_i; layer i reads LN(x[:, :m_i]), runs its
 *       width-m_i block (attention and FFN of submodel m_i) and adds its output to x[:, :m_i],
 *       leaving x[:, m_i:] as it was; m_i = 0 skips the layer ('width+depth' only); head at M;
 *   'ffn': everything at d, layer i's FFN has 4 m_i hidden units; head at d.
 * Every layer at m (and, for 'width+depth', the layers past l_k at 0) is exactly submodel m.
 */
export function mixSubmodel(config: ResolvedGPTConfig, layerWidths: readonly number[]): Submodel {
  const { nesting, width: d } = config;
  if (nesting === 'embedding')
    throw new Error(`Mix'n'Match needs a model nested by width or FFN; this one nests its embedding only`);
  checkMix(config, nesting, layerWidths, 'layer widths');
  if (!cutsResidualWidth(nesting)) {
    return { width: d, layers: layerWidths.map((m) => ({ width: d, hidden: 4 * m })), headWidth: d };
  }
  const widest = Math.max(...layerWidths);
  return { width: widest, layers: layerWidths.map((m) => (m === 0 ? null : full(m))), headWidth: widest };
}

/** The layer widths that are submodel m as a mix ('width+depth': 0 past its depth). */
export function mixOfWidth(config: ResolvedGPTConfig, m: number): number[] {
  const depth = layersAtWidth(config, m);
  return Array.from({ length: config.layers }, (_, i) => (i < depth ? m : 0));
}

/** The shapes the model's variables have: submodel d, every layer whole (for a fixed mix, the mix itself). */
export function storedSubmodel(config: ResolvedGPTConfig): Submodel {
  return submodelAt(config, config.width);
}

/** The layer widths of a mix written compactly, e.g. `32,64,64,128`. */
export function formatMix(layerWidths: readonly number[]): string {
  return layerWidths.join(',');
}

/**
 * `count` distinct random mixes, none equal to a trained width's own, drawn with `uniform()`
 * (a seeded generator's next(), in [0, 1)). Each layer takes a width from the nesting list with
 * equal chance; for 'width+depth' a depth l_k is drawn first and layer i takes a width m_k whose
 * submodel trains it (i < l_k), the layers past the depth 0. Fewer than `count` when the model
 * has fewer distinct mixes.
 */
export function randomMixes(config: ResolvedGPTConfig, count: number, uniform: () => number): number[][] {
  const widths = configWidths(config);
  const pick = <T>(items: readonly T[]): T => items[Math.min(items.length - 1, Math.floor(uniform() * items.length))];
  const drawOne = (): number[] => {
    if (config.nesting !== 'width+depth') return Array.from({ length: config.layers }, () => pick(widths));
    const depth = pick([...new Set(config.layersPerWidth as number[])]);
    return Array.from({ length: config.layers }, (_, i) =>
      i < depth ? pick(widths.filter((m) => layersAtWidth(config, m) > i)) : 0,
    );
  };
  const seen = new Set(widths.map((m) => formatMix(mixOfWidth(config, m))));
  const mixes: number[][] = [];
  for (let attempt = 0; mixes.length < count && attempt < 50 * count; attempt++) {
    const mix = drawOne();
    const key = formatMix(mix);
    if (seen.has(key)) continue;
    seen.add(key);
    mixes.push(mix);
  }
  return mixes;
}
