import { Resvg } from '@resvg/resvg-js';

export interface PngOptions {
  /** Pixels per SVG unit; default 2 (sharp on slides and high-DPI screens). */
  scale?: number;
}

/**
 * Rasterise an SVG string to PNG bytes with resvg. Text needs system fonts (DejaVu Sans is
 * asked for by name because vega writes the generic `sans-serif`, which resvg would otherwise
 * map to Arial).
 */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`svgToPng: scale must be a positive number, got ${scale}`);
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg)) throw new Error('svgToPng: input does not start with an <svg> element');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      loadSystemFonts: true,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans Mono',
    },
  });
  return resvg.render().asPng();
}
