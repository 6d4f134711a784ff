import { writeFileAtomic } from '@matryoshka/tokenizer';
import { svgToPng, PngOptions } from './png';
import { renderVegaLiteToSvg, VegaLiteSpec } from './vega-render';

/** Where (and whether) a render function also writes its figure. */
export interface FigureOutput {
  /** If set, `<outBase>.svg` and `<outBase>.png` are written (atomically). */
  outBase?: string;
  /** PNG scale for `outBase`; see svgToPng. */
  pngScale?: number;
}

export interface FigureFiles {
  svgFile: string;
  pngFile: string;
}

/** Write `<basePath>.svg` and `<basePath>.png`, each atomically. */
export async function writeFigure(basePath: string, svg: string, options: PngOptions = {}): Promise<FigureFiles> {
  if (!basePath) throw new Error('writeFigure: empty base path');
  const svgFile = `${basePath}.svg`;
  const pngFile = `${basePath}.png`;
  const png = svgToPng(svg, options); // rasterise first: a bad SVG must not leave a lone .svg behind
  writeFileAtomic(svgFile, svg);
  writeFileAtomic(pngFile, png);
  return { svgFile, pngFile };
}

/** Render a Vega-Lite spec to SVG and, if asked, write the figure files. */
export async function renderFigure(spec: VegaLiteSpec, output: FigureOutput): Promise<string> {
  const svg = await renderVegaLiteToSvg(spec);
  if (output.outBase !== undefined) await writeFigure(output.outBase, svg, { scale: output.pngScale });
  return svg;
}
