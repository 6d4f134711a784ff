import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { layerNormVector, prefixVectors, similarityAtWidth } from './embedding-similarity';
import { categoryOrder, categoryRank } from '@matryoshka/tokenizer';
import { groupBlocks, reorder } from './token-order';
import { readMetrics } from '@matryoshka/training';
import { lossPerWidthChart } from './analyze-command';
import { lossCell, lossSeries } from './metrics';
import { tempDir } from './tiny-run.test-helper';

describe('prefix similarity', () => {
  const E = [
    [1, 2, 10, -3],
    [2, 4, -10, 3],
    [-1, 0, 0, 1],
  ];
  it('raw prefixes: cosine of the first m coordinates, by hand', () => {
    const s = similarityAtWidth(E, 2, 'raw');
    expect(s[0][1]).toBeCloseTo(1, 6); // (1,2) and (2,4) are parallel
    expect(s[0][2]).toBeCloseTo(-1 / Math.sqrt(5), 6);
    const full = similarityAtWidth(E, 4, 'raw');
    const dot = 2 + 8 - 100 - 9;
    expect(full[0][1]).toBeCloseTo(dot / (Math.sqrt(114) * Math.sqrt(129)), 6);
  });
  it('layer-normed prefixes: LN then cosine; a 2-vector normalises to +-(1,-1)', () => {
    expect(layerNormVector([1, 3])[0]).toBeCloseTo(-1 / Math.sqrt(1 + 1e-5), 6);
    const s = similarityAtWidth(E, 2, 'layer-norm');
    // (1,2), (2,4) and (-1,0) all increase from first to second coordinate: LN maps each to (-1, 1).
    expect(s[0][1]).toBeCloseTo(1, 5);
    expect(s[0][2]).toBeCloseTo(1, 5);
    expect(
      similarityAtWidth(
        [
          [2, 1],
          [1, 2],
        ],
        2,
      )[0][1],
    ).toBeCloseTo(-1, 5);
    expect(() => prefixVectors(E, 5, 'raw')).toThrow('width 5 is not in 1..4');
  });
});

describe('token orders', () => {
  it('puts newline, then ! . ?, symbols, upper vowels, upper consonants, lower vowels, lower consonants', () => {
    const vocab = ['\n', ' ', '!', '3', 'A', 'B', 'E', 'a', 'b', '.', 'e'];
    const order = categoryOrder(vocab).map((i) => vocab[i]);
    expect(order).toEqual(['\n', '!', '.', ' ', '3', 'A', 'E', 'B', 'a', 'e', 'b']);
    expect(categoryRank('z')).toBe(6);
  });
  it('shows groups as blocks, ungrouped tokens last, and names unknown tokens', () => {
    const vocab = ['\n', ' ', 'A', 'a', 'b'];
    const blocks = groupBlocks(vocab, [['b', 'a'], ['A']]);
    expect(blocks.order.map((i) => vocab[i])).toEqual(['a', 'b', 'A', '\n', ' ']);
    expect(blocks.sizes).toEqual([2, 1]);
    // A token already shown in an earlier group is not repeated, and adds no empty block.
    expect(groupBlocks(vocab, [['a', 'b'], ['b'], ['A', 'a']]).sizes).toEqual([2, 1]);
    expect(() => groupBlocks(vocab, [['Z']])).toThrow(new Error('groupBlocks: token "Z" is not in the vocabulary'));
    expect(
      reorder(
        [
          [1, 2],
          [3, 4],
        ],
        [1, 0],
      ),
    ).toEqual([
      [4, 3],
      [2, 1],
    ]);
  });
});

describe('the validation loss per width chart', () => {
  const costs = [8, 16].map((width) => ({
    width,
    parameters: 1000,
    flopsPerToken: 13_700 * width,
    generationTokensPerSecond: 1,
  }));
  const val = { '8': [2.5274], '16': [2.494] };
  it('nesting width: each width is a smaller model, labelled with its forward FLOPs', () => {
    const chart = lossPerWidthChart('nested', costs, val, 500, 'width', 65);
    expect(chart.dots).toEqual([
      { label: 'w8 (110K FLOP/tok)', value: 2.5274 },
      { label: 'w16 (219K FLOP/tok)', value: 2.494 },
    ]);
    expect(chart.title).toBe('nested: validation loss per width vs compute (step 500)');
    expect(chart.subtitle).toBeUndefined();
  });
  it('nesting embedding: the widths share the trunk, so the labels name what differs, the head (2 v m FLOPs)', () => {
    const chart = lossPerWidthChart('mrl-embeddings', costs, val, 500, 'embedding', 65);
    expect(chart.dots.map((b) => b.label)).toEqual(['w8 (head 1.04K FLOP/tok)', 'w16 (head 2.08K FLOP/tok)']);
    expect(chart.xTitle).toContain('every width runs the full trunk');
  });
  it('replicas: a dot at their mean with a bar from the lowest to the highest', () => {
    const chart = lossPerWidthChart(
      'nested',
      costs,
      { '8': [2.5, 2.7, 2.6], '16': [2.4, 2.45, 2.35] },
      500,
      'width',
      65,
    );
    expect(chart.dots[0]).toMatchObject({ low: 2.5, high: 2.7 });
    expect(chart.dots[0].value).toBeCloseTo(2.6, 12);
    expect(chart.dots[1]).toMatchObject({ low: 2.35, high: 2.45 });
    expect(chart.subtitle).toBe('dot: mean of 3 replicas; bar: their min to max');
  });
});

describe('metrics.jsonl', () => {
  const dir = tempDir('metrics');
  it('reads records into per-width train/val series', () => {
    const file = join(dir, 'metrics.jsonl');
    writeFileSync(
      file,
      [
        { step: 0, train: { 8: 4.2, 16: 4.1 }, val: { 8: 4.3, 16: 4.2 } },
        { step: 50, train: { 8: 3.0, 16: 2.5 }, val: { 8: 3.1, 16: 2.6 } },
        { step: 60, train: { 8: 2.9 }, val: {} },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const series = lossSeries(readMetrics(file));
    expect(series.map((s) => `${s.split}:${s.width}`)).toEqual(['train:8', 'train:16', 'val:8', 'val:16']);
    expect(series[0].points.map((p) => p.step)).toEqual([0, 50, 60]);
    expect(series[3].points).toEqual([
      { step: 0, loss: 4.2 },
      { step: 50, loss: 2.6 },
    ]);
  });
  it("gives replicas' points their mean and min-max, of the members asked, inside the band even when the mean rounds", () => {
    const replica = (v: number) => ({ train: { 8: v }, val: { 8: v }, trainTotal: v, valTotal: v, lr: 1e-3 });
    // 3.3 three times: (3.3 + 3.3 + 3.3) / 3 = 3.2999999999999994, below the band's low 3.3.
    const records = [
      {
        step: 0,
        train: { 8: 3.3 },
        val: { 8: 3.3 },
        trainTotal: 3.3,
        valTotal: 3.3,
        tokensPerSecond: 0,
        elapsedSeconds: 0,
        lr: 1e-3,
        replicas: [replica(3.3), replica(3.3), replica(3.3)],
      },
      {
        step: 10,
        train: { 8: 2 },
        val: { 8: 2 },
        trainTotal: 2,
        valTotal: 2,
        tokensPerSecond: 0,
        elapsedSeconds: 0,
        lr: 1e-3,
        replicas: [replica(1), replica(2), replica(4)],
      },
    ];
    const [, val] = lossSeries(records);
    expect(val.points[0]).toEqual({ step: 0, loss: 3.2999999999999994, low: 3.2999999999999994, high: 3.3 });
    expect(val.points[1]).toEqual({ step: 10, loss: 7 / 3, low: 1, high: 4 });
    // Members 0 and 2 (one sweep value's replicas) only.
    expect(lossSeries(records, [0, 2])[1].points[1]).toEqual({ step: 10, loss: 2.5, low: 1, high: 4 });
    expect(lossCell(records[1], 'val', 8, [0, 1])).toBe('1.500 ± 0.707 (n=2)');
  });
  it('names the file and line of a malformed record', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, '{"step":0,"train":{},"val":{}}\n{oops\n');
    expect(() => readMetrics(file)).toThrow(`${file}:2: not a JSON line`);
  });
});
