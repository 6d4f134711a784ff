// The report opens in a real headless browser (Chromium from npm, through playwright-core) and
// shows its pictures: every figure is an <svg> with a visible size, and the page is self-contained.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { analyzeCommand } from './analyze-command';
import { launchChromium } from './browser.test-helper';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

describe('report.html in Chromium', () => {
  it('shows every figure with a visible size and loads nothing from the network', async () => {
    const runDir = join(tempDir('browser'), 'run');
    await trainCommand(tinyMrlApp, tinyFlags(runDir, 3));
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', runDir]);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(reportFile).href);
      const sizes = await page.$$eval('svg', (nodes) => nodes.map((n) => n.getBoundingClientRect()).map((r) => [r.width, r.height]));
      expect(sizes.length).toBeGreaterThanOrEqual(5);
      for (const [w, h] of sizes.filter(([w]) => w > 50)) expect(w * h).toBeGreaterThan(100 * 100);
      expect(sizes.filter(([w]) => w > 50).length).toBeGreaterThanOrEqual(5);
      expect(await page.title()).toContain('mrl-embeddings');
      expect(await page.textContent('body')).toContain('cosine similarity, width 16');
      await page.screenshot({ path: join(runDir, 'report-screenshot.png'), fullPage: true });
      expect(await overlappingLabels(page)).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

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
          if (shared(a.box.left, a.box.right, b.box.left, b.box.right) && shared(a.box.top, a.box.bottom, b.box.top, b.box.bottom)) {
            found.push(`${title}: "${a.text}" overlaps "${b.text}"`);
          }
        }),
      );
      return found;
    }),
  );
}
