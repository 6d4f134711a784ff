import { svgToPng } from './png';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// IHDR is the first chunk: 8-byte signature, 4-byte length, "IHDR", then width and height.
function ihdrSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const svgWithText = (text: string) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><rect width="120" height="40" fill="white"/>` +
  `<text x="4" y="28" font-family="sans-serif" font-size="20px">${text}</text></svg>`;

describe('svgToPng', () => {
  it('writes a PNG of the SVG size times the scale', () => {
    const png = svgToPng(svgWithText('Ab'), { scale: 1 });
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(ihdrSize(png)).toEqual({ width: 120, height: 40 });
    expect(ihdrSize(svgToPng(svgWithText('Ab'), { scale: 3 }))).toEqual({ width: 360, height: 120 });
  });

  it('defaults to scale 2', () => {
    expect(ihdrSize(svgToPng(svgWithText('Ab')))).toEqual({ width: 240, height: 80 });
  });

  it('renders text with its bundled font, whatever the system has: text changes the pixels', () => {
    // Without a usable font resvg drops the text and both images come out identical; system
    // fonts are not loaded, so this passes on a machine without any.
    expect(svgToPng(svgWithText('Width 32'), { scale: 1 }).equals(svgToPng(svgWithText(''), { scale: 1 }))).toBe(false);
  });

  it('rejects input that is not SVG and a bad scale', () => {
    expect(() => svgToPng('<html></html>')).toThrow(/<svg>/);
    expect(() => svgToPng(svgWithText('a'), { scale: 0 })).toThrow(/scale/);
  });
});
