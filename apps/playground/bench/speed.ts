// Browser vs CLI generation speed on the demo model, back to back on this machine:
// `npx nx run playground:bench` (builds first). Greedy, 200 new tokens after "KING RICHARD" at the
// smallest width (32 for the demo), 6 runs each, the median of the last 5 (the first warms up):
// the page's own tokens/s (the built folder on 127.0.0.1 in headless Chromium, the backend the page
// picks), then the same generate() call the CLI's `sample` makes, in Node on the CLI's backend.
import { join } from 'node:path';
import { loadRun } from '@matryoshka/experiment';
import { describeBackend, selectBackend } from '@matryoshka/matryoshka-layers';
import { generate } from '@matryoshka/nested-transformer';
import { DEFAULT_SEED } from '@matryoshka/tokenizer';
import { launchChromium } from '../src/browser.test-helper';
import { serveFolder } from '../src/static-server.test-helper';

const app = join(__dirname, '..');
const PROMPT = 'KING RICHARD';
const TOKENS = 200;
const RUNS = 6;
const median = (values: number[]) => [...values.slice(1)].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

async function browserRates(): Promise<{ backend: string; rates: number[] }> {
  const server = await serveFolder(join(app, 'dist'));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.model === 'ready', undefined, { timeout: 120_000 });
    await page.$eval('#width', (input) => {
      (input as HTMLInputElement).value = '0';
      input.dispatchEvent(new Event('input'));
    });
    await page.fill('#tokens', String(TOKENS));
    await page.fill('#prompt', PROMPT);
    await page.check('#greedy');
    const rates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      await page.click('#generate');
      await page.waitForFunction(
        () =>
          document.body.dataset.generating === 'no' &&
          !(document.getElementById('speed')?.textContent ?? '').endsWith('…'),
      );
      rates.push(Number(await page.getAttribute('#speed', 'data-tokens-per-second')));
    }
    return { backend: (await page.textContent('#backend')) ?? '', rates };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function nodeRates(): Promise<{ backend: string; width: number; rates: number[] }> {
  await selectBackend({ workload: 'generation' });
  const run = loadRun(join(app, 'public/demo/demo.safetensors'));
  const width = run.model.widths[0];
  const ids = Array.from(run.tokenizer.encode(PROMPT));
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    generate(run.model, ids, { width, maxNewTokens: TOKENS, greedy: true, seed: DEFAULT_SEED });
    rates.push(TOKENS / ((performance.now() - start) / 1000));
  }
  run.model.dispose();
  return { backend: describeBackend(), width, rates };
}

(async () => {
  const page = await browserRates();
  const node = await nodeRates();
  const show = (rates: number[]) =>
    `${median(rates).toFixed(1)} tokens/s (runs: ${rates.map((r) => r.toFixed(1)).join(', ')})`;
  console.log(`width ${node.width}, ${TOKENS} greedy tokens`);
  console.log(`browser  ${page.backend}: ${show(page.rates)}`);
  console.log(`node CLI backend ${node.backend}: ${show(node.rates)}`);
})().catch((error) => {
  console.error(`error: ${(error as Error).message}`);
  process.exit(1);
});
