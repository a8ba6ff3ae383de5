import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); CI's .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether the browser tests can run here: a bare dev box without chromium skips them, but CI
 * (CI=true, as .ci/run sets it) must never pass by skipping, so there a missing browser fails.
 */
export const HAS_CHROMIUM = ((): boolean => {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`CI=true but ${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
  return false;
})();

/** Headless Chromium, quiet: no GPU, no network services of its own; `extraArgs` add switches (e.g. autoplay). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}
