import { renderSimilarityHeatmap, similarityHeatmapSpec } from './heatmap';
import { attribute, elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

// Parses "rgb(r, g, b)" or "#rrggbb".
function rgb(fill: string): [number, number, number] {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(fill);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(fill);
  if (!h) throw new Error(`unparsed colour ${fill}`);
  return [parseInt(h[1], 16), parseInt(h[2], 16), parseInt(h[3], 16)];
}

// Cell grid position from a rect path "M<x>,<y>h...": column and row in units of the cell size.
function cellPosition(pathTag: string, cell: number): [number, number] {
  const m = /d="M([\d.]+),([\d.]+)h/.exec(pathTag);
  if (!m) throw new Error(`no rect path in ${pathTag}`);
  return [Math.round(Number(m[1]) / cell), Math.round(Number(m[2]) / cell)];
}

const labels = ['\n', ' ', 'a'];
// Symmetric; +1 on the diagonal, -1 between "\n" and " ".
const matrix = [
  [1, -1, 0.5],
  [-1, 1, 0],
  [0.5, 0, 1],
];
const title = 'Cosine similarity, width 16';

describe('renderSimilarityHeatmap', () => {
  let svg: string;
  beforeAll(async () => {
    svg = await renderSimilarityHeatmap({ labels, matrix, title });
  });

  it('draws exactly the 6 lower-triangle cells of a 3x3 matrix, at row >= column', () => {
    const cells = markGroups(svg, 'cells_marks').flatMap((g) => elements(g, 'path'));
    expect(cells).toHaveLength(6);
    const cell = 18; // the step used for small matrices
    const positions = cells.map((c) => cellPosition(c, cell)).map(([col, row]) => `${row},${col}`);
    expect(positions.sort()).toEqual(['0,0', '1,0', '1,1', '2,0', '2,1', '2,2']);
  });

  it('draws all 9 cells when lowerTriangle is false', async () => {
    const full = await renderSimilarityHeatmap({ labels, matrix, title, lowerTriangle: false });
    expect(markGroups(full, 'cells_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(9);
  });

  it('colours +1 cells alike, and differently (red vs blue) from the -1 cell', () => {
    const fills = markGroups(svg, 'cells_marks')
      .flatMap((g) => elements(g, 'path'))
      .map((p) => attribute(p, 'fill') as string);
    // Data order is row-major over the lower triangle: (0,0)=1, (1,0)=-1, (1,1)=1, ...
    const [plusA, minus, plusB] = fills;
    expect(plusA).toBe(plusB);
    expect(minus).not.toBe(plusA);
    const [rPlus, , bPlus] = rgb(plusA);
    const [rMinus, , bMinus] = rgb(minus);
    expect(rPlus).toBeGreaterThan(bPlus);
    expect(bMinus).toBeGreaterThan(rMinus);
  });

  it('labels both axes with readable tokens in the given order', () => {
    const axisLabels = markTexts(svg, 'role-axis-label');
    expect(axisLabels).toEqual(['\\n', '␣', 'a', '\\n', '␣', 'a']);
  });

  it('has a legend from -1 to 1 and the title', () => {
    const legend = markTexts(svg, 'role-legend-label').map((t) => t.replace('\u2212', '-'));
    expect(legend[0]).toBe('-1');
    expect(legend[legend.length - 1]).toBe('1');
    expect(markTexts(svg, 'role-legend-gradient')).toEqual([]); // gradient present as a rect, no text
    expect(markGroups(svg, 'role-legend-gradient')).toHaveLength(1);
    expect(markTexts(svg, 'role-title-text')).toEqual([title]);
  });

  it('keeps distinct cells for tokens whose labels would collide and escapes markup', async () => {
    const out = await renderSimilarityHeatmap({
      labels: ['<', '&'],
      matrix: [
        [1, 0],
        [0, 1],
      ],
      title: 'w <8>',
    });
    expect(out).toContain('&lt;');
    expect(out).not.toContain('<8>');
    expect(markTexts(out, 'role-axis-label')).toEqual(['<', '&', '<', '&']);
  });
});

describe('similarityHeatmapSpec input checks', () => {
  it('rejects a matrix with the wrong number of rows', () => {
    expect(() => similarityHeatmapSpec({ labels, matrix: matrix.slice(0, 2), title })).toThrow(/3 rows/);
  });
  it('rejects a ragged row, naming it', () => {
    expect(() =>
      similarityHeatmapSpec({
        labels,
        matrix: [
          [1, 0, 0],
          [0, 1],
          [0, 0, 1],
        ],
        title,
      }),
    ).toThrow(/row 1/);
  });
  it('rejects NaN, naming the token pair', () => {
    const bad = [
      [1, 0, 0],
      [NaN, 1, 0],
      [0, 0, 1],
    ];
    expect(() => similarityHeatmapSpec({ labels, matrix: bad, title })).toThrow(/matrix\[1\]\[0\].*" "/);
  });
  it('requires a title', () => {
    expect(() => similarityHeatmapSpec({ labels, matrix, title: '' })).toThrow(/title/);
  });
  it('fixes the colour domain to -1..1', () => {
    const spec = similarityHeatmapSpec({
      labels,
      matrix: [
        [0.2, 0, 0],
        [0, 0.1, 0],
        [0, 0, 0.3],
      ],
      title,
    });
    const { encoding } = (spec.layer as { encoding: { color: { scale: { domain: number[] } } } }[])[0];
    expect(encoding.color.scale.domain).toEqual([-1, 1]);
  });
});

describe('group lines on the heat map', () => {
  const six = ['a', 'b', 'c', 'd', 'e', 'f'];
  const identity = six.map((_, i) => six.map((_, j) => (i === j ? 1 : 0)));
  // Rule marks are <line transform="translate(x,y)" x2=".." y2="..">, in plot pixels.
  const segments = (svg: string) =>
    markGroups(svg, 'groups_marks')
      .flatMap((g) => elements(g, 'line'))
      .map((l) => {
        const [x, y] = (/translate\(([\d.-]+),([\d.-]+)\)/.exec(attribute(l, 'transform') ?? '') ?? [])
          .slice(1)
          .map(Number);
        return [x, y, x + Number(attribute(l, 'x2') ?? 0), y + Number(attribute(l, 'y2') ?? 0)].map((v) =>
          Math.round(v / 18),
        );
      });

  it('draws a line between neighbouring groups and before the ungrouped labels, within the triangle', async () => {
    // Groups a-b and c-e; f ungrouped: boundaries after 2 and after 5 labels.
    const svg = await renderSimilarityHeatmap({ labels: six, matrix: identity, title, groupSizes: [2, 3] });
    expect(markGroups(svg, 'cells_marks').flatMap((g) => elements(g, 'path'))).toHaveLength(21);
    // [x1, y1, x2, y2] in cells: along the top of row b from column 0 to the diagonal, down the left of column b.
    expect(segments(svg)).toEqual([
      [0, 2, 2, 2],
      [2, 2, 2, 6],
      [0, 5, 5, 5],
      [5, 5, 5, 6],
    ]);
    expect(markTexts(svg, 'role-title-subtitle')).toEqual([
      'lines: between the 2 groups and before the ungrouped tokens',
    ]);
  });

  it('draws whole lines on the full matrix, and none after a last group that ends the labels', async () => {
    const svg = await renderSimilarityHeatmap({
      labels: six,
      matrix: identity,
      title,
      groupSizes: [4, 2],
      lowerTriangle: false,
    });
    expect(segments(svg)).toEqual([
      [0, 4, 6, 4],
      [4, 0, 4, 6],
    ]);
    expect(markTexts(svg, 'role-title-subtitle')).toEqual(['lines: between the 2 groups']);
  });

  it('draws no lines without groupSizes', async () => {
    const svg = await renderSimilarityHeatmap({ labels: six, matrix: identity, title });
    expect(markGroups(svg, 'groups_marks')).toEqual([]);
    expect(markTexts(svg, 'role-title-subtitle')).toEqual([]);
  });

  it('rejects group sizes that are not positive whole numbers or add up to more than the labels', () => {
    expect(() => similarityHeatmapSpec({ labels: six, matrix: identity, title, groupSizes: [2, 0] })).toThrow(
      /groupSizes\[1\] must be a positive whole number, got 0/,
    );
    expect(() => similarityHeatmapSpec({ labels: six, matrix: identity, title, groupSizes: [4, 3] })).toThrow(
      /groupSizes add up to more than the 6 labels \(7 by groupSizes\[1\]\)/,
    );
  });
});
