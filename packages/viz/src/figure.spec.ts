import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDotChart } from './dot-chart';
import { writeFigure } from './figure';
import { closeRenderer } from './vega-render';

const svg =
  '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="20"><rect width="10" height="20" fill="red"/></svg>';

describe('writeFigure', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'viz-figure-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  afterAll(() => closeRenderer());

  it('writes <base>.svg and <base>.png, creating the directory, leaving no temp files', async () => {
    const base = join(dir, 'sub', 'fig');
    const files = await writeFigure(base, svg, { scale: 1 });
    expect(files).toEqual({ svgFile: `${base}.svg`, pngFile: `${base}.png` });
    expect(await readFile(files.svgFile, 'utf8')).toBe(svg);
    const png = await readFile(files.pngFile);
    expect(png.readUInt32BE(16)).toBe(10);
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual(['fig.png', 'fig.svg']);
  });

  it('writes nothing when the SVG cannot be rasterised', async () => {
    await expect(writeFigure(join(dir, 'bad'), 'not svg')).rejects.toThrow(/<svg>/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('is used by the render functions when outBase is given', async () => {
    const base = join(dir, 'dots');
    const out = await renderDotChart({
      dots: [{ label: 'a', value: 1 }],
      title: 't',
      xTitle: 'x',
      yTitle: 'y',
      outBase: base,
      pngScale: 1,
    });
    expect(await readFile(`${base}.svg`, 'utf8')).toBe(out);
    const width = Number(/<svg[^>]*\swidth="(\d+)"/.exec(out)?.[1]);
    expect((await readFile(`${base}.png`)).readUInt32BE(16)).toBe(width);
  });
});
