import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StemServer } from '../src/server/server.js';
import type { WorkletStatus } from '../src/web/protocol.js';
import { HAS_CHROMIUM } from './helpers/browser.js';
import { openMixerPage, startMixerFixture, type MixerFixture } from './helpers/mixer-page.js';
import { writeLongSparsePackage } from './helpers/long-package.js';

interface PageEngine {
  status: WorkletStatus | null;
  play(): Promise<void>;
  seek(frame: number): Promise<number>;
  resetTap(frames?: number): number;
}
declare const window: { stemkit: { engine: PageEngine } };
declare const performance: { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> };

const dir = mkdtempSync(join(tmpdir(), 'stemkit-serve-long-'));
let fixture: MixerFixture;
let server: StemServer;
let browser: Browser;
let frames = 0;

/**
 * Memory of the page's renderer process (the page, its worker and its worklet all live there; the
 * renderer that has used the most CPU is the one playing): its private resident memory (anonymous
 * and shared-memory pages: the rings, the heaps, the audio buffers; not the file-backed pages of
 * Chromium's own libraries, which every renderer maps) and its whole resident set, bytes.
 */
async function playingRendererMemory(): Promise<{ privateBytes: number; residentBytes: number }> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number; cpuTime: number }[] };
  await cdp.detach();
  const renderer = processInfo.filter((x) => x.type === 'renderer').sort((a, b) => b.cpuTime - a.cpuTime)[0]!;
  const status = readFileSync(`/proc/${renderer.id}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  return { privateBytes: kb('RssAnon') + kb('RssShmem'), residentBytes: kb('VmRSS') };
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  fixture = await startMixerFixture(dir, async () => {
    ({ frames } = await writeLongSparsePackage(join(dir, 'long'), { burstsAt: [0, 3600, 7190] }));
    return join(dir, 'long');
  });
  ({ server, browser } = fixture);
}, 120_000);

afterAll(() => fixture?.close());

describe.skipIf(!HAS_CHROMIUM)('stemkit serve: a 2-hour 5.1 package', () => {
  it('plays locked at its start, middle and end with the page under 300 MB', async () => {
    const page = await openMixerPage(browser, server.origin, 'long');
    const status = () => page.evaluate(() => window.stemkit.engine.status!);
    const until = async (test: (s: WorkletStatus) => boolean) => {
      for (let k = 0; k < 600 && !test(await status()); k++) await page.waitForTimeout(25);
      return status();
    };
    expect(frames).toBe(2 * 3600 * 48000);
    await page.evaluate(() => window.stemkit.engine.play());
    for (const seconds of [1, 3601, 7191]) {
      const epoch = await page.evaluate((f) => window.stemkit.engine.seek(f), seconds * 48000);
      const at = await until((s) => s.epoch === epoch && s.ready && s.played > 0 && s.position > seconds * 48000);
      expect(at.position).toBeGreaterThan(seconds * 48000);
      const id = await page.evaluate(() => window.stemkit.engine.resetTap(48000));
      const { tap } = await until((s) => s.tap.id === id && s.tap.frames >= 48000);
      expect([seconds, tap.residualPeak < 1e-6]).toEqual([seconds, true]);
      // Tones in every channel: the residual's silence is not the silence of nothing playing.
      expect(10 * Math.log10(tap.sumMeanSquare)).toBeGreaterThan(-30);
    }
    await page.waitForTimeout(3000);
    // The web platform's own measure of the page (window, worker; it waits for a garbage collection).
    const measured = await page.evaluate(async () => ((await performance.measureUserAgentSpecificMemory()).bytes));
    const { privateBytes, residentBytes } = await playingRendererMemory();
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(`2-hour 5.1 package playing: page ${mib(measured)} (measureUserAgentSpecificMemory); renderer private ${mib(privateBytes)}, resident ${mib(residentBytes)}`);
    expect(measured).toBeLessThan(300 * 2 ** 20);
    expect(privateBytes).toBeLessThan(300 * 2 ** 20);
    expect((await status()).underruns).toBe(0);
    await page.close();
  }, 180_000);
});
