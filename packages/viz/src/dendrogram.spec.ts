import { dendrogramSpec, renderDendrogram } from './dendrogram';
import { DendrogramTree, layoutDendrogram, mergesToTree } from './dendrogram-layout';
import { elements, markGroups, markTexts } from './svg-inspect.test-helper';
import { closeRenderer } from './vega-render';

afterAll(() => closeRenderer());

// ((c, a) at 1, (d, b) at 2) at 3 -- leaves deliberately not in label order.
const labels = ['a', 'b', 'c', '\n'];
const tree: DendrogramTree = {
  height: 3,
  children: [
    { height: 1, children: [{ index: 2 }, { index: 0 }] },
    { height: 2, children: [{ index: 3 }, { index: 1 }] },
  ],
};
// Worked by hand: leaves at x = 0..3; inner nodes at x = 0.5 and 2.5; root joins them at 3.
const expectedSegments = [
  { x: 0, y: 0, x2: 0, y2: 1 },
  { x: 1, y: 0, x2: 1, y2: 1 },
  { x: 0, y: 1, x2: 1, y2: 1 },
  { x: 2, y: 0, x2: 2, y2: 2 },
  { x: 3, y: 0, x2: 3, y2: 2 },
  { x: 2, y: 2, x2: 3, y2: 2 },
  { x: 0.5, y: 1, x2: 0.5, y2: 3 },
  { x: 2.5, y: 2, x2: 2.5, y2: 3 },
  { x: 0.5, y: 3, x2: 2.5, y2: 3 },
];

describe('layoutDendrogram', () => {
  it('gives 3 segments per binary merge at the hand-computed coordinates', () => {
    const layout = layoutDendrogram(tree, 4);
    expect(layout.leaves).toEqual([
      { index: 2, x: 0 },
      { index: 0, x: 1 },
      { index: 3, x: 2 },
      { index: 1, x: 3 },
    ]);
    expect(layout.segments).toEqual(expectedSegments);
    expect(layout.maxHeight).toBe(3);
  });

  it('draws a 3-way merge as 3 verticals and one bar', () => {
    const layout = layoutDendrogram({ height: 1, children: [{ index: 0 }, { index: 1 }, { index: 2 }] }, 3);
    expect(layout.segments).toHaveLength(4);
    expect(layout.segments[3]).toEqual({ x: 0, y: 1, x2: 2, y2: 1 });
  });

  it('rejects duplicate, missing and out-of-range leaves', () => {
    const dup = { height: 1, children: [{ index: 0 }, { index: 0 }] };
    expect(() => layoutDendrogram(dup, 2)).toThrow(/leaf index 0 appears twice/);
    expect(() => layoutDendrogram({ height: 1, children: [{ index: 0 }, { index: 1 }] }, 3)).toThrow(
      /no leaf for label index\(es\) 2/,
    );
    expect(() => layoutDendrogram({ height: 1, children: [{ index: 0 }, { index: 5 }] }, 2)).toThrow(
      /root\.children\[1\] has index 5/,
    );
  });
});

describe('mergesToTree', () => {
  it('reads SciPy-style merges (ids >= n are earlier merges) into the same layout', () => {
    const merged = mergesToTree(
      [
        { left: 2, right: 0, height: 1 },
        { left: 3, right: 1, height: 2 },
        { left: 4, right: 5, height: 3 },
      ],
      4,
    );
    expect(layoutDendrogram(merged, 4).segments).toEqual(expectedSegments);
  });

  it('rejects reuse of a cluster and a wrong merge count', () => {
    expect(() =>
      mergesToTree(
        [
          { left: 0, right: 1, height: 1 },
          { left: 0, right: 2, height: 2 },
        ],
        3,
      ),
    ).toThrow(/merges\[1\]\.left = 0/);
    expect(() => mergesToTree([{ left: 0, right: 1, height: 1 }], 3)).toThrow(/3 leaves need 2 merges/);
  });
});

describe('renderDendrogram', () => {
  it('draws one rule per segment, leaf labels in tree order and the cut line', async () => {
    const svg = await renderDendrogram({ labels, merges: tree, title: 'Tokens, width 16', threshold: 1.5 });
    const rules = markGroups(svg, 'branches_marks').flatMap((g) => elements(g, 'line'));
    expect(rules).toHaveLength(3 * 3); // 3 merges x 3 segments
    expect(markTexts(svg, 'leaves_marks')).toEqual(['c', 'a', '\\n', 'b']);
    expect(markGroups(svg, 'threshold_marks').flatMap((g) => elements(g, 'line'))).toHaveLength(1);
    expect(markTexts(svg, 'thresholdLabel_marks')).toEqual(['cut at 1.5']); // the red line's legend
    expect(markTexts(svg, 'role-title-text')).toEqual(['Tokens, width 16']);
  });

  it('omits the cut line without a threshold', async () => {
    const svg = await renderDendrogram({ labels, merges: tree, title: 't' });
    expect(markGroups(svg, 'threshold_marks')).toEqual([]);
    expect(markGroups(svg, 'thresholdLabel_marks')).toEqual([]);
  });

  it('accepts an ml-hclust Cluster-shaped tree (index -1 and empty children arrays)', async () => {
    // The shape ml-hclust's agnes returns: every node has children, height, size, index, isLeaf.
    const leaf = (index: number) => ({ children: [], height: 0, size: 1, index, isLeaf: true });
    const node = (height: number, children: object[]) => ({ children, height, size: 2, index: -1, isLeaf: false });
    const cluster = node(9, [node(1, [leaf(0), leaf(2)]), node(2, [leaf(1), leaf(3)])]);
    const svg = await renderDendrogram({ labels: ['p0', 'p10', 'p1', 'p12'], merges: cluster, title: 'hclust' });
    expect(markGroups(svg, 'branches_marks').flatMap((g) => elements(g, 'line'))).toHaveLength(9);
    expect(markTexts(svg, 'leaves_marks')).toEqual(['p0', 'p1', 'p10', 'p12']);
  });

  it('rejects a non-finite threshold', () => {
    expect(() => dendrogramSpec({ labels, merges: tree, title: 't', threshold: NaN })).toThrow(/threshold/);
  });
});
