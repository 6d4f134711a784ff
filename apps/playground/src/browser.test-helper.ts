// A headless Chromium for the end-to-end test, from npm alone (the same as experiment's
// browser.test-helper.ts): @sparticuz/chromium's binary through playwright-core, no system browser,
// no download. CHROMIUM_PATH points at another build instead.
import chromiumBinary from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await chromiumBinary.executablePath());
  const args = [
    ...chromiumBinary.args,
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ];
  return chromium.launch({ executablePath, args, headless: true });
}
