// End to end: the built page (dist/, `nx run playground:build`) served from 127.0.0.1 and driven in
// headless Chromium. It loads the demo model, writes 40 greedy tokens at the smallest and the
// largest width and gets exactly what the CLI's `sample --greedy` prints for the same file, prompt
// and width; drafted by the smallest width (speculative decoding), the largest width's greedy text
// is the same, its tokens in three styles with a legend and a live acceptance rate; the heat map
// changes with the slider and has its colour legend; the demo run's loss curves leave step 0 out;
// a corrupt file gives one message on the page; and no request leaves the machine. Screenshots
// and the measured speed go to test-output/.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser.test-helper';
import { serveFolder } from './static-server.test-helper';

jest.setTimeout(240_000);

const app = join(__dirname, '..');
const workspace = join(app, '..', '..');
const dist = join(app, 'dist');
const output = join(app, 'test-output');
const demoFile = join(app, 'public', 'demo', 'demo.safetensors');
const PROMPT = 'KING RICHARD';
const TOKENS = 40;

/** What the CLI prints for `sample --greedy` (prompt + text + newline), without the prompt. */
async function cliSample(width: number): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(workspace, 'apps/nested/bin.js'),
      'sample',
      '--run',
      demoFile,
      '--greedy',
      '--width',
      String(width),
      '--tokens',
      String(TOKENS),
      '--prompt',
      PROMPT,
    ],
    { cwd: workspace, env: { ...process.env, MATRYOSHKA_BACKEND: 'wasm' } },
  );
  expect(stdout.startsWith(PROMPT)).toBe(true);
  return stdout.slice(PROMPT.length).replace(/\n$/, '');
}

async function setWidthIndex(page: Page, index: number): Promise<void> {
  await page.$eval(
    '#width',
    (input, value) => {
      (input as HTMLInputElement).value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    },
    index,
  );
}

async function generateAt(
  page: Page,
  index: number,
  tokens: number,
  button = '#generate',
): Promise<{ texts: string[]; tokensPerSecond: number }> {
  await setWidthIndex(page, index);
  await page.fill('#prompt', PROMPT);
  await page.fill('#tokens', String(tokens));
  await page.check('#greedy');
  await page.click(button);
  await page.waitForFunction(
    () =>
      document.body.dataset.generating === 'no' && !(document.getElementById('speed')?.textContent ?? '').endsWith('…'),
  );
  const texts = await page.$$eval('#output .generated', (nodes) => nodes.map((n) => n.textContent ?? ''));
  const tokensPerSecond = Number(await page.getAttribute('#speed', 'data-tokens-per-second'));
  return { texts, tokensPerSecond };
}

async function heatmapPicture(page: Page, rendersAbove: number): Promise<{ picture: string; renders: number }> {
  await page.waitForFunction((n) => Number(document.getElementById('heatmap')?.dataset.renders ?? 0) > n, rendersAbove);
  return page.$eval('#heatmap', (canvas) => ({
    picture: (canvas as HTMLCanvasElement).toDataURL(),
    renders: Number((canvas as HTMLCanvasElement).dataset.renders),
  }));
}

describe('playground in Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveFolder>>;

  beforeAll(async () => {
    if (!existsSync(join(dist, 'index.html')))
      throw new Error(`${dist} has no index.html: run \`npx nx run playground:build\` first`);
    mkdirSync(output, { recursive: true });
    server = await serveFolder(dist);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('generates what the CLI generates, shows the heat map per width, refuses a corrupt file, stays offline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const outside: string[] = [];
    const local = new URL(server.url).host;
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.host !== local) outside.push(request.url());
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.model !== 'loading', undefined, { timeout: 120_000 });
    expect(await page.textContent('#error')).toBe('');
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    const backend = (await page.getAttribute('body', 'data-backend')) ?? '';
    const backendLine = (await page.textContent('#backend')) ?? '';
    expect(backendLine).toContain(`backend: ${backend}`);

    const widthCount = Number(await page.getAttribute('#width', 'max')) + 1;
    const widths = await page.evaluate(
      () =>
        document
          .getElementById('model-info')
          ?.textContent?.match(/widths ([\d /]+),/)?.[1]
          .split(' / ')
          .map(Number) ?? [],
    );
    expect(widths.length).toBe(widthCount);
    const [smallest, largest] = [widths[0], widths[widths.length - 1]];
    const expected = await Promise.all([cliSample(smallest), cliSample(largest)]);

    const first = await heatmapPicture(page, 0);
    // Every colour has a legend: the heat map's scale, -1 (blue) to 1 (red), beside the canvas.
    expect(await page.$$eval('#heatmap-legend text', (nodes) => nodes.map((n) => n.textContent))).toEqual([
      'cosine',
      '1',
      '0.5',
      '0',
      '−0.5',
      '−1',
    ]);
    // The demo run's curves as the report draws them: step 0 (loss ~ the width) stated, not drawn, on a log axis.
    expect(await page.textContent('#loss-curves svg')).toContain('step 0 (not drawn): w32 30.7, w64 61.9, w128 120');
    expect(await page.textContent('#loss-curves svg')).toContain('log scale');
    const atLargest = await generateAt(page, widths.length - 1, TOKENS);
    expect(atLargest.texts).toEqual([expected[1]]);
    const atSmallest = await generateAt(page, 0, TOKENS);
    expect(atSmallest.texts).toEqual([expected[0]]);
    // The slider moved from the largest to the smallest width: a different picture.
    const second = await heatmapPicture(page, first.renders);
    expect(second.picture).not.toEqual(first.picture);
    // The tooltip names the pair under the pointer and its cosine.
    await page.hover('#heatmap', { position: { x: 200, y: 150 } });
    expect(await page.textContent('#tooltip')).toMatch(/^".+" × ".+": -?\d\.\d{3}$/);

    // Speed at the smallest width (the CLI's figure is measured beside it, see the README).
    const speed = await generateAt(page, 0, 200);
    expect(speed.tokensPerSecond).toBeGreaterThan(0);
    writeFileSync(
      join(output, 'speed.json'),
      JSON.stringify(
        { backend, backendLine, width: smallest, tokens: 200, tokensPerSecond: speed.tokensPerSecond },
        null,
        2,
      ) + '\n',
    );

    // Every doll on the same prompt, side by side.
    const all = await generateAt(page, widths.length - 1, TOKENS, '#all-widths');
    expect(all.texts).toEqual([expected[0], ...all.texts.slice(1, -1), expected[1]]);
    expect(await page.$$eval('#output .column h3', (nodes) => nodes.map((n) => n.textContent))).toEqual(
      widths.map((m) => `width ${m}`),
    );
    await page.screenshot({ path: join(output, 'playground.png'), fullPage: true });

    // Speculative decoding: the draft widths on offer are those below the chosen width; no legend
    // until a drafted text is shown.
    expect(await page.isVisible('#legend')).toBe(false);
    expect(await page.isVisible('#acceptance')).toBe(false);
    const draftChoices = () =>
      page.$$eval('#draft-width option', (nodes) => nodes.map((n) => (n as HTMLOptionElement).value));
    await setWidthIndex(page, 0);
    expect(await draftChoices()).toEqual(['']);
    expect(await page.isDisabled('#draft-width')).toBe(true);
    await setWidthIndex(page, widths.length - 1);
    expect(await draftChoices()).toEqual(['', ...widths.slice(0, -1).map(String)]);
    await page.selectOption('#draft-width', String(smallest));
    await page.fill('#draft-tokens', '4');
    // Greedy, the largest width drafted by the smallest writes the CLI's plain greedy text.
    const drafted = await generateAt(page, widths.length - 1, TOKENS);
    expect(drafted.texts).toEqual([expected[1]]);
    expect(await page.textContent('#output .column h3')).toBe(`width ${largest}, drafted by width ${smallest} (k = 4)`);
    expect(await page.isVisible('#acceptance')).toBe(true);
    expect(await page.textContent('#acceptance')).toMatch(
      /^acceptance rate [01]\.\d\d: \d+ of \d+ tested drafts accepted$/,
    );
    // Sampled (200 tokens at temperature 1): every kind of token shows, each in its own style, and
    // the acceptance rate and tokens/s change while it writes.
    await page.uncheck('#greedy');
    await page.fill('#temperature', '1');
    await page.fill('#top-k', '0');
    await page.fill('#seed', '7');
    await page.fill('#tokens', '200');
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const watch = (id: string) =>
        new MutationObserver(() => seen.push(`${id}: ${document.getElementById(id)?.textContent}`)).observe(
          document.getElementById(id)!,
          { childList: true, characterData: true, subtree: true },
        );
      watch('acceptance');
      watch('speed');
    });
    await page.click('#generate');
    await page.waitForFunction(
      () =>
        document.body.dataset.generating === 'no' &&
        !(document.getElementById('speed')?.textContent ?? '').endsWith('…'),
    );
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(new Set(seen.filter((line) => line.startsWith('acceptance: '))).size).toBeGreaterThan(2);
    expect(seen.filter((line) => line.startsWith('speed: ') && line.endsWith('…')).length).toBeGreaterThan(2);
    const rate = Number(await page.getAttribute('#acceptance', 'data-acceptance-rate'));
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(1);
    const kinds = await page.$$eval('#output .generated .tok', (nodes) =>
      [...new Set(nodes.map((n) => (n as HTMLElement).dataset.kind))].sort(),
    );
    expect(kinds).toEqual(['accepted', 'bonus', 'correction', 'plain']);
    // Three styles (accepted drafts, corrections, the verifier's own), told apart by more than colour.
    const looks = await page.$$eval('#output .generated .tok', (nodes) => {
      const look = (n: Element) => {
        const style = getComputedStyle(n);
        return [n.className, style.backgroundColor, style.color, style.textDecorationLine, style.fontWeight].join(
          ' | ',
        );
      };
      return [...new Set(nodes.map(look))].sort();
    });
    expect(looks).toHaveLength(3);
    expect(new Set(looks.map((look) => look.split(' | ').slice(1).join(' | '))).size).toBe(3);
    expect(await page.isVisible('#legend')).toBe(true);
    expect(await page.$$eval('#legend .tok', (nodes) => nodes.map((n) => n.className))).toEqual([
      'tok tok-accepted',
      'tok tok-correction',
      'tok tok-verifier',
    ]);
    await page.screenshot({ path: join(output, 'playground-speculative.png'), fullPage: true });
    // Every width side by side never drafts: the same texts as before, no legend.
    const allAgain = await generateAt(page, widths.length - 1, TOKENS, '#all-widths');
    expect(allAgain.texts).toEqual(all.texts);
    expect(await page.isVisible('#legend')).toBe(false);
    expect(await page.isVisible('#acceptance')).toBe(false);
    await page.selectOption('#draft-width', '');

    // A corrupt file: one clear message, and the page (with the model it had) keeps working.
    await page.setInputFiles('#file', {
      name: 'broken.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not a model file at all'),
    });
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/^broken\.safetensors is corrupted or truncated: /);
    expect(await page.getAttribute('body', 'data-model')).toBe('ready');
    await page.screenshot({ path: join(output, 'playground-error.png') });

    expect(pageErrors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
