import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { loadPackages, type ServedPackage } from '../../src/server/registry.js';
import { startStemServer, type StemServer } from '../../src/server/server.js';
import { buildWeb } from '../../scripts/build-web.js';
import { launchChromium } from './browser.js';

declare const document: { body: { dataset: Record<string, string | undefined> } };

/** A served package and a headless Chromium that may play audio without a gesture. */
export interface MixerFixture {
  pkg: ServedPackage;
  server: StemServer;
  browser: Browser;
  /** Closes the browser and the server and removes `dir`. */
  close(): Promise<void>;
}

/** Builds the app (so the bundle is this checkout's), makes the package in `dir`, serves it, starts Chromium. */
export async function startMixerFixture(dir: string, makePackage: () => Promise<string>): Promise<MixerFixture> {
  await buildWeb();
  const [pkg] = await loadPackages(await makePackage());
  const server = await startStemServer({ packages: [pkg!], peaksDir: `${dir}/peaks` });
  const browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  return {
    pkg: pkg!,
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens the mixer of package `id` and waits until its engine is up; throws the page's error if it failed. */
export async function openMixerPage(browser: Browser, origin: string, id: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 720 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${origin}/#${id}`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true' || document.body.dataset.error, null, { timeout: 30_000 });
  const error = await page.evaluate(() => document.body.dataset.error ?? null);
  if (error) throw new Error(`the mixer page failed: ${error}`);
  return page;
}
