// The report opens in a real headless browser (Chromium from npm, through playwright-core) and
// shows its pictures: every figure is an <svg> with a visible size, the page is self-contained,
// and every figure stays readable where the page puts it (no overlapping labels, no text below
// MIN_FONT_PX once the page has scaled the figure to its width), for a tiny run and for files of
// the sizes the apps' defaults make.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { METRICS_FILE, type MetricsRecord, type ReplicaLosses } from '@matryoshka/training';
import {
  renderDendrogram,
  renderDotChart,
  renderLineChart,
  renderSimilarityHeatmap,
  writeReport,
  type DendrogramMerge,
} from '@matryoshka/viz';
import { analyzeCommand } from './analyze-command';
import { compareCommand } from './compare-command';
import { launchChromium } from './browser.test-helper';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

/** Smallest on-screen font size, in CSS px, that a figure's text may have. */
const MIN_FONT_PX = 9;

describe('report.html and compare.html in Chromium', () => {
  // One browser for the file, its pages left open: @sparticuz/chromium runs it as a single process,
  // which closing a page would end.
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());

  it('shows every figure with a visible size and loads nothing from the network', async () => {
    const runDir = join(tempDir('browser'), 'run');
    await trainCommand(tinyMrlApp, tinyFlags(runDir, 3));
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', runDir]);
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(reportFile).href);
    const sizes = await page.$$eval('svg', (nodes) =>
      nodes.map((n) => n.getBoundingClientRect()).map((r) => [r.width, r.height]),
    );
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const [w, h] of sizes.filter(([w]) => w > 50)) expect(w * h).toBeGreaterThan(100 * 100);
    expect(sizes.filter(([w]) => w > 50).length).toBeGreaterThanOrEqual(5);
    expect(await page.title()).toContain('mrl-embeddings');
    expect(await page.textContent('body')).toContain('cosine similarity, width 16');
    await page.screenshot({ path: join(runDir, 'report-screenshot.png'), fullPage: true });
    expect(await unreadableTexts(page)).toEqual([]);
    expect(await overlappingLabels(page)).toEqual([]);
    expect(await coloursWithoutLegend(page)).toEqual([]);
    expect(requests).toEqual([]);
  });

  // Training at the defaults takes minutes: a tiny run of 8 replicas gets the metrics.jsonl that
  // 5000 steps with an evaluation every 50 would write (mrl-embeddings' defaults).
  it('keeps every figure readable for a run of 8 replicas, 5000 steps evaluated every 50', async () => {
    const runDir = join(tempDir('browser-defaults'), 'run');
    await trainCommand(tinyMrlApp, [...tinyFlags(runDir, 3), '--replicas', '8']);
    writeFileSync(
      join(runDir, METRICS_FILE),
      syntheticMetrics({ widths: [4, 8, 16], replicas: 8, steps: 5000, every: 50 }),
    );
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', runDir]);
    const page = await openFigures(browser, reportFile, join(runDir, 'report-screenshot.png'));
    expect(await page.textContent('body')).toContain('step 5000');
    // The curves leave out step 0 (loss ~ the width), stating it: the rest of training is not squashed.
    expect(await page.textContent('body')).toContain('step 0 (not drawn), train/val: w4 4.');
    expect(await unreadableTexts(page)).toEqual([]);
    expect(await overlappingLabels(page)).toEqual([]);
    expect(await coloursWithoutLegend(page)).toEqual([]);

    // compare.html of two such runs (the second 0.05 worse), run directories as long as real ones.
    const other = join(tempDir('browser-defaults'), 'runs', 'mrl-embeddings', '20261206-101500');
    cpSync(runDir, other, { recursive: true });
    writeFileSync(
      join(other, METRICS_FILE),
      syntheticMetrics({ widths: [4, 8, 16], replicas: 8, steps: 5000, every: 50, shift: 0.05 }),
    );
    const out = join(tempDir('browser-compare'), 'compare');
    await compareCommand(tinyMrlApp, [runDir, other, '--out', out], { write: () => undefined });
    const comparePage = await openFigures(browser, join(out, 'compare.html'), join(out, 'compare-screenshot.png'));
    expect(await comparePage.textContent('body')).toContain('beyond the spread');
    expect(await unreadableTexts(comparePage)).toEqual([]);
    expect(await overlappingLabels(comparePage)).toEqual([]);
    expect(await coloursWithoutLegend(comparePage)).toEqual([]);
  });

  // The emergent app's figures (that app may not be imported here), made by the same viz calls as
  // apps/emergent/src/app.ts from data of its defaults: 40 epochs re-clustered after each (an ARI
  // per epoch and width, 4..32), 8 replicas (28 pairs), the 65 characters of tinyshakespeare.
  it("keeps the emergent app's figures readable at 40 epochs and 8 replicas", async () => {
    const dir = tempDir('browser-emergent');
    const widths = [4, 8, 16, 32];
    const random = lcg(7);
    const points = Array.from({ length: 38 }, (_, k) => k + 1).flatMap((epoch) =>
      widths.map((w) => ({ series: `width ${w}`, x: epoch, y: Number((0.5 + 0.5 * random()).toFixed(3)) })),
    );
    const stability = await renderLineChart({
      points,
      title: 'stability: adjusted Rand index vs the previous clustering',
      subtitle: '1 = the same groups as at the re-clustering before',
      xTitle: 'epoch of the re-clustering',
      yTitle: 'ARI',
      yDomain: [0, 1],
    });
    const dots = widths.map((w) => ({
      label: `width ${w}`,
      value: 0.6,
      low: Number((0.6 - 0.3 * random()).toFixed(3)),
      high: Number((0.6 + 0.3 * random()).toFixed(3)),
    }));
    const agreement = await renderDotChart({
      dots,
      title: "agreement between 8 replicas' groups (1 = identical)",
      subtitle: 'ARI over the 28 pairs of replicas: dot the mean, bar min to max',
      xTitle: 'width',
      yTitle: 'ARI',
      yDomain: [0, 1],
    });
    const vocabulary = [..."\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"];
    const dendrogram = await renderDendrogram({
      labels: vocabulary,
      merges: randomMerges(vocabulary.length, random),
      title: 'agglomerative clustering (average linkage) of width-32 prefixes',
      threshold: 0.5,
      heightTitle: 'cosine distance',
    });
    const matrix = vocabulary.map((_, i) => vocabulary.map((_, j) => (i === j ? 1 : Math.cos(i * j))));
    const heatmap = await renderSimilarityHeatmap({
      labels: vocabulary,
      matrix,
      title: 'cosine similarity, width 32 (layer-norm prefixes, ordered by the last found groups)',
      groupSizes: [21, 7, 6, 4, 3, 3, 3],
    });
    const reportFile = join(dir, 'report.html');
    await writeReport(reportFile, {
      title: 'emergent figures at the defaults',
      sections: [
        { kind: 'figures', title: 'Dendrograms', figures: [{ caption: 'width 32', svg: dendrogram }] },
        { kind: 'figures', title: 'Stability', figures: [{ caption: 'ARI per width', svg: stability }] },
        {
          kind: 'figures',
          title: 'Replicas',
          figures: [{ caption: 'ARI between replicas per width', svg: agreement }],
        },
        { kind: 'figures', title: 'Cosine similarity', figures: [{ caption: 'width 32', svg: heatmap }] },
      ],
    });
    const page = await openFigures(browser, reportFile, join(dir, 'report-screenshot.png'));
    expect(await unreadableTexts(page)).toEqual([]);
    expect(await overlappingLabels(page)).toEqual([]);
    expect(await coloursWithoutLegend(page)).toEqual([]);
  });
});

/** The report in a page of a common laptop's width, with a full-page screenshot beside it. */
async function openFigures(browser: Browser, reportFile: string, screenshot: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(pathToFileURL(reportFile).href);
  await page.screenshot({ path: screenshot, fullPage: true });
  return page;
}

/**
 * Figures with <text> whose font, as the page shows it, is below MIN_FONT_PX: the figure's SVG is
 * scaled to fit the page (max-width: 100%), so the on-screen size is the font size in the figure's
 * units times the scale of the text's screen transformation (its length along the text's own x
 * axis, which holds for rotated labels too). One line per figure: how many, and the smallest.
 */
function unreadableTexts(page: Page): Promise<string[]> {
  return page.$$eval(
    'figure svg',
    (svgs, minPx) =>
      svgs.flatMap((svg, figure) => {
        const title = svg.querySelector('.role-title-text')?.textContent ?? `figure ${figure}`;
        const small = [...svg.querySelectorAll('text')]
          .filter((node) => (node.textContent ?? '').trim() !== '' && node.getScreenCTM())
          .map((node) => {
            const matrix = node.getScreenCTM();
            const fontSize = parseFloat(node.ownerDocument.defaultView.getComputedStyle(node).fontSize);
            return { text: node.textContent, px: fontSize * Math.hypot(matrix.a, matrix.b) };
          })
          .filter(({ px }) => px < minPx)
          .sort((a, b) => a.px - b.px);
        const width = Math.round(svg.getBoundingClientRect().width);
        return small.length
          ? [
              `${title} (${width} px wide on the page): ${small.length} texts below ${minPx} px, e.g. "${small[0].text}" at ${small[0].px.toFixed(1)} px`,
            ]
          : [];
      }),
    MIN_FONT_PX,
  );
}

/**
 * Figures whose marks use more than one colour (greys aside) but have no legend, which would
 * leave a reader to guess what the colours mean (a colour ramp counts: it is a legend too).
 */
function coloursWithoutLegend(page: Page): Promise<string[]> {
  return page.$$eval('figure svg', (svgs) =>
    svgs.flatMap((svg, figure) => {
      const title = svg.querySelector('.role-title-text')?.textContent ?? `figure ${figure}`;
      const colours = new Set<string>();
      for (const node of svg.querySelectorAll('.role-mark > *')) {
        for (const attribute of ['fill', 'stroke']) {
          const value = node.getAttribute(attribute);
          if (!value || value === 'none' || value === 'transparent') continue;
          // The browser's own parse of the colour (names, #hex, rgb()), as "rgb(r, g, b)".
          const probe = svg.ownerDocument.createElement('span');
          probe.style.color = value;
          svg.ownerDocument.body.append(probe);
          const [r, g, b] = (svg.ownerDocument.defaultView.getComputedStyle(probe).color.match(/\d+/g) ?? []).map(
            Number,
          );
          probe.remove();
          if (!(r === g && g === b)) colours.add(`${r},${g},${b}`);
        }
      }
      return colours.size > 1 && !svg.querySelector('.role-legend')
        ? [`${title}: ${colours.size} colours, no legend`]
        : [];
    }),
  );
}

/**
 * Pairs of <text> elements inside one figure's <svg> whose boxes overlap (touching is allowed:
 * boxes must share more than half a pixel in both directions), described for the failure message.
 */
function overlappingLabels(page: Page): Promise<string[]> {
  return page.$$eval('svg', (svgs) =>
    svgs.flatMap((svg, figure) => {
      const title = svg.querySelector('.role-title-text')?.textContent ?? `figure ${figure}`;
      const boxes = [...svg.querySelectorAll('text')]
        .map((node) => ({ text: node.textContent ?? '', box: node.getBoundingClientRect() }))
        .filter(({ box }) => box.width > 0 && box.height > 0);
      const found: string[] = [];
      const shared = (a0: number, a1: number, b0: number, b1: number) => Math.min(a1, b1) - Math.max(a0, b0) > 0.5;
      boxes.forEach((a, i) =>
        boxes.slice(i + 1).forEach((b) => {
          if (
            shared(a.box.left, a.box.right, b.box.left, b.box.right) &&
            shared(a.box.top, a.box.bottom, b.box.top, b.box.bottom)
          ) {
            found.push(`${title}: "${a.text}" overlaps "${b.text}"`);
          }
        }),
      );
      return found;
    }),
  );
}

/** A seeded uniform generator in [0, 1) (a linear congruential one: plenty for test data). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A SciPy-style merge list over n leaves: neighbours merged pairwise, at rising heights. */
function randomMerges(n: number, random: () => number): DendrogramMerge[] {
  const merges: DendrogramMerge[] = [];
  let level = Array.from({ length: n }, (_, i) => i);
  let height = 0;
  while (level.length > 1) {
    const next: number[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      height += 0.01 + 0.02 * random();
      merges.push({ left: level[i], right: level[i + 1], height });
      next.push(n + merges.length - 1);
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return merges;
}

/**
 * metrics.jsonl as a run of `replicas` replicas writes it, evaluated every `every` steps up to `steps`:
 * at step 0 the loss is about the width (the tied head reads the layer-normed embedding of the input
 * token), then it falls, the widest width last, towards ~2.5; each replica a little apart.
 */
function syntheticMetrics(o: {
  widths: number[];
  replicas: number;
  steps: number;
  every: number;
  shift?: number;
}): string {
  const random = lcg(1);
  const lines: string[] = [];
  for (let step = 0; step <= o.steps; step += o.every) {
    const losses = (r: number, split: 'train' | 'val'): Record<string, number> =>
      Object.fromEntries(
        o.widths.map((w) => {
          const floor = 2.4 + 0.4 / w + (split === 'val' ? 0.05 : 0);
          return [
            String(w),
            floor +
              (w - floor) * Math.exp(-step / (20 * w)) +
              0.3 * Math.exp(-step / 1500) +
              0.02 * (random() - 0.5) +
              0.01 * r +
              (o.shift ?? 0),
          ];
        }),
      );
    const each: ReplicaLosses[] = Array.from({ length: o.replicas }, (_, r) => {
      const [train, val] = [losses(r, 'train'), losses(r, 'val')];
      const total = (x: Record<string, number>) => Object.values(x).reduce((a, b) => a + b, 0);
      return { train, val, trainTotal: total(train), valTotal: total(val), lr: 3e-4 };
    });
    const mean = (pick: (x: ReplicaLosses) => number) => each.reduce((a, x) => a + pick(x), 0) / each.length;
    const meanOf = (split: 'train' | 'val') =>
      Object.fromEntries(o.widths.map((w) => [String(w), mean((x) => x[split][String(w)])]));
    const record: MetricsRecord = {
      step,
      train: meanOf('train'),
      val: meanOf('val'),
      trainTotal: mean((x) => x.trainTotal),
      valTotal: mean((x) => x.valTotal),
      tokensPerSecond: step === 0 ? 0 : 4000,
      elapsedSeconds: step / 40,
      lr: 3e-4,
      replicas: each,
    };
    lines.push(JSON.stringify(record));
  }
  return lines.join('\n') + '\n';
}
