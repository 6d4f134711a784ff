// The report opens in a real headless browser (Debian's chromium through playwright-core) and
// shows its pictures: every figure is an <svg> with a visible size, and the page is self-contained.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { analyzeCommand } from './analyze-command';
import { trainCommand } from './train-command';
import { tempDir, tinyFlags, tinyMrlApp } from './tiny-run.test-helper';

jest.setTimeout(120_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('report.html in Chromium', () => {
  it('shows every figure with a visible size and loads nothing from the network', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`);
    }
    const runDir = join(tempDir('browser'), 'run');
    await trainCommand(tinyMrlApp, tinyFlags(runDir, 3));
    const { reportFile } = await analyzeCommand(tinyMrlApp, ['--run', runDir]);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
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
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
