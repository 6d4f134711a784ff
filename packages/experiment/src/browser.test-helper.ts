// A headless Chromium for tests, from npm alone: @sparticuz/chromium ships a compressed Chromium
// binary in the package (unpacked into the temp folder on first use, ~2 s), so a fresh clone needs
// no apt, no root and no download at run time. CHROMIUM_PATH points at another build instead.
import chromiumBinary from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? (await chromiumBinary.executablePath());
  // The package's own flags (headless shell, no sandbox, software GL); no background
  // networking, so the only requests a page makes are its own.
  const args = [
    ...chromiumBinary.args,
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ];
  return chromium.launch({ executablePath, args, headless: true });
}
