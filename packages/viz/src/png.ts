import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

/**
 * The fonts text is drawn with: DejaVu from the dejavu-fonts-ttf package, not the system's, so a
 * picture is the same on every machine and a machine without fonts still gets its labels.
 */
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf'].map((file) =>
  join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf', file),
);

export interface PngOptions {
  /** Pixels per SVG unit; default 2 (sharp on slides and high-DPI screens). */
  scale?: number;
}

/**
 * Rasterise an SVG string to PNG bytes with resvg. Generic families map to DejaVu (vega writes
 * `sans-serif`, which resvg would otherwise map to Arial).
 */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const scale = options.scale ?? 2;
  if (!(Number.isFinite(scale) && scale > 0))
    throw new Error(`svgToPng: scale must be a positive number, got ${scale}`);
  if (!/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg))
    throw new Error('svgToPng: input does not start with an <svg> element');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: FONT_FILES,
      loadSystemFonts: false,
      defaultFontFamily: 'DejaVu Sans',
      sansSerifFamily: 'DejaVu Sans',
      monospaceFamily: 'DejaVu Sans Mono',
    },
  });
  return resvg.render().asPng();
}
