import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { runDemo } from '../src/cli/demo.js';
import { loadPackages, mixerUrlFor, type ServedPackage } from '../src/server/registry.js';
import { checkPackage } from '../src/check/check.js';
import { renderHtml } from '../src/report/html.js';
import { startStemServer, type StemServer } from '../src/server/server.js';
import type { StripState } from '../src/web/mixer-math.js';
import type { TapReading, WorkletStatus } from '../src/web/protocol.js';
import { HAS_CHROMIUM } from './helpers/browser.js';
import { material, sum, writePackage } from './helpers/package.js';
import { openMixerPage, startMixerFixture, type MixerFixture } from './helpers/mixer-page.js';

const MINUS_120_DB = 1e-6;
const dir = mkdtempSync(join(tmpdir(), 'stemkit-serve-browser-'));
let fixture: MixerFixture;
let pkg: ServedPackage;
let server: StemServer;
let browser: Browser;

/** The page's window.stemkit, as far as the tests use it. */
interface PageApi {
  engine: {
    status: WorkletStatus | null;
    isolated: boolean;
    play(): Promise<void>;
    pause(): void;
    seek(frame: number): Promise<number>;
    setLoop(range: [number, number] | null): Promise<number>;
    resetTap(frames?: number): number;
  };
  mixer: { state: { strips: StripState[]; loop: [number, number] | null; monitor: string; focused: number }; setStrips(s: StripState[]): void; setLoop(range: [number, number] | null): Promise<number> };
}
type Win = { stemkit: PageApi };
// Names of the page's world, used inside page.evaluate callbacks (which run in Chromium, not here).
declare const window: Win;
declare const document: { body: { dataset: Record<string, string | undefined> }; querySelectorAll<T>(selector: string): ArrayLike<T> & Iterable<T> };
declare const crossOriginIsolated: boolean;
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
declare const OffscreenCanvas: new (w: number, h: number) => { getContext(kind: '2d'): Canvas2d | null };
interface Canvas2d {
  drawImage(img: unknown, x: number, y: number): void;
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface HTMLCanvasElement {
  width: number;
  height: number;
  getContext(kind: '2d'): Canvas2d | null;
}

const openMixer = (origin: string) => openMixerPage(fixture.browser, origin, pkg.id);

const status = (page: Page) => page.evaluate(() => window.stemkit.engine.status!);

async function waitStatus(page: Page, test: (s: WorkletStatus) => boolean, what: string, timeout = 15_000): Promise<WorkletStatus> {
  const until = Date.now() + timeout;
  for (;;) {
    const s = await status(page);
    if (s && test(s)) return s;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s && { ...s, stems: undefined })}`);
    await page.waitForTimeout(25);
  }
}

/** Seeks (or sets a loop) and waits until that epoch is playing. */
async function settle(page: Page, epoch: number): Promise<WorkletStatus> {
  const first = await waitStatus(page, (s) => s.epoch === epoch && s.ready && s.playing, `epoch ${epoch} playing`);
  return waitStatus(page, (s) => s.played > first.played, 'frames to play');
}

/** The tap over the next `frames` frames (all of them, or over a loop of that length, each frame once). */
async function tap(page: Page, frames: number): Promise<TapReading> {
  const id = await page.evaluate((n) => window.stemkit.engine.resetTap(n), frames);
  const s = await waitStatus(page, (x) => x.tap.id === id && x.tap.frames >= frames, `tap of ${frames} frames`);
  return s.tap;
}

const db = (meanSquare: number) => 10 * Math.log10(meanSquare);

/** Starts playback and checks a second of steady playback through the tap: locked, and real signal. */
async function playLocked(page: Page): Promise<void> {
  const rate = pkg.sampleRate;
  await page.evaluate(() => window.stemkit.engine.play());
  await waitStatus(page, (s) => s.ready && s.played > rate / 4, 'playback');
  const steady = await tap(page, rate);
  expect(steady.residualPeak).toBeLessThan(MINUS_120_DB);
  expect(db(steady.sumMeanSquare)).toBeGreaterThan(-40);
}

/** Seeks to each time (seconds), then loops [start, end) frames: the lock holds from the first frame after each, and across the seams. */
async function lockedThroughSeeksAndLoop(page: Page, seeks: number[], loop: [number, number]): Promise<void> {
  const rate = pkg.sampleRate;
  for (const seconds of seeks) {
    const target = Math.round(seconds * rate);
    const asked = Date.now();
    const at = await settle(page, await page.evaluate((f) => window.stemkit.engine.seek(f), target));
    console.log(`seek to ${seconds} s: playing again after ${Date.now() - asked} ms (as the test polls)`);
    expect(at.position).toBeGreaterThanOrEqual(target);
    expect(at.position).toBeLessThan(target + rate);
    const reading = await tap(page, rate / 2);
    expect([seconds, reading.residualPeak < MINUS_120_DB]).toEqual([seconds, true]);
    expect(db(reading.sumMeanSquare)).toBeGreaterThan(-50);
  }
  await settle(page, await page.evaluate((l) => window.stemkit.engine.setLoop(l), loop));
  // A second through the tap crosses the seam several times.
  expect((await tap(page, rate)).residualPeak).toBeLessThan(MINUS_120_DB);
  for (let k = 0; k < 10; k++) {
    const { position } = await status(page);
    expect(position >= loop[0] && position <= loop[1]).toBe(true);
    await page.waitForTimeout(40);
  }
  expect((await status(page)).underruns).toBe(0);
}

/** Mean square over [start, start + frames) of a combination of the package's tracks, both channels. */
async function meanSquare(start: number, frames: number, weights: Record<string, number>): Promise<number> {
  let acc: Float32Array[] | null = null;
  for (const track of pkg.tracks) {
    const w = weights[track.name] ?? 0;
    if (w === 0) continue;
    const source = await openAudio(pkg.files.get(track.file)!);
    const planar = await source.read(start, frames);
    await source.close();
    acc ??= planar.map(() => new Float32Array(frames));
    planar.forEach((ch, c) => ch.forEach((v, i) => (acc![c]![i]! += w * v)));
  }
  let e = 0;
  for (const ch of acc!) for (const v of ch) e += v * v;
  return e / (acc!.length * frames);
}

beforeAll(async () => {
  if (!HAS_CHROMIUM) return;
  fixture = await startMixerFixture(dir, async () => {
    expect(await runDemo(join(dir, 'demo'), { write: () => true })).toBe(0);
    return join(dir, 'demo', 'package');
  });
  ({ pkg, server, browser } = fixture);
}, 120_000);

afterAll(() => fixture?.close());

describe.skipIf(!HAS_CHROMIUM)('stemkit serve in Chromium: the locked engine', () => {
  it('plays the demo sample-locked: Σ stems − mix below −120 dBFS while playing, after seeks and across loop seams; no underrun; frames at the rate', async () => {
    const page = await openMixer(server.origin);
    expect(await page.evaluate(() => [crossOriginIsolated, window.stemkit.engine.isolated])).toEqual([true, true]);
    const rate = pkg.sampleRate;
    await playLocked(page);

    // The played-frame counter advances at the sample rate, by the page's clock and by the context's.
    const a = await status(page);
    await page.waitForTimeout(3000);
    const b = await status(page);
    const perSecond = (b.played - a.played) / ((b.receivedAt! - a.receivedAt!) / 1000);
    console.log(`played ${(perSecond / 1000).toFixed(2)} kframes per second of the page's clock (rate ${rate / 1000} kHz)`);
    expect(Math.abs(perSecond / rate - 1)).toBeLessThan(0.05);
    expect(b.played - a.played).toBe(b.contextFrame - a.contextFrame);
    expect(b.underruns).toBe(0);

    // Seeks land where asked, locked from the first frame; a 0.3 s loop at an odd frame crosses its seam three times a second.
    await lockedThroughSeeksAndLoop(page, [12.3456, 0.5, 7.77, 15.01], [Math.round(4.2 * rate) + 37, Math.round(4.5 * rate) + 37]);
    await page.close();
  }, 120_000);

  it('mute, solo, fader and polarity change what the tap measures by the expected dB; keyboard shortcuts work', async () => {
    const page = await openMixer(server.origin);
    const rate = pkg.sampleRate;
    const names = pkg.tracks.filter((t) => t.role === 'stem').map((t) => t.name);
    expect(names).toEqual(['Drums', 'Bass', 'Music', 'Vocals', 'FX']);
    await page.evaluate(() => window.stemkit.engine.play());
    // A half-second loop: a tap of exactly its length measures each of its frames once, whatever the phase.
    const start = Math.round(6 * rate);
    const frames = rate / 2;
    await settle(page, await page.evaluate((l) => window.stemkit.mixer.setLoop(l), [start, start + frames] as [number, number]));
    const measure = () => tap(page, frames);
    const unity = await measure();
    expect(unity.residualPeak).toBeLessThan(MINUS_120_DB);
    expect(db(unity.sumMeanSquare)).toBeCloseTo(db(await meanSquare(start, frames, { Mix: 1 })), 2);

    // Mute Drums with its M button: the residual is the drums.
    await page.click('.strip[data-stem="Drums"] [data-action="mute"]');
    expect(db((await measure()).residualMeanSquare)).toBeCloseTo(db(await meanSquare(start, frames, { Drums: 1 })), 2);
    await page.click('.strip[data-stem="Drums"] [data-action="mute"]');
    expect((await measure()).residualPeak).toBeLessThan(MINUS_120_DB);

    // Solo Vocals with the "4" key: the sum is the vocals, the residual everything else.
    await page.keyboard.press('4');
    const solo = await measure();
    expect(db(solo.sumMeanSquare)).toBeCloseTo(db(await meanSquare(start, frames, { Vocals: 1 })), 2);
    expect(db(solo.residualMeanSquare)).toBeCloseTo(db(await meanSquare(start, frames, { Mix: 1, Vocals: -1 })), 2);
    await page.keyboard.press('4');

    // Bass fader to −6 dB (the range input, as a user drags it): the residual is (1 − 10^(−6/20)) × bass.
    const fader = page.locator('.strip[data-stem="Bass"] [data-action="fader"]');
    await fader.fill('-6');
    const bass = db(await meanSquare(start, frames, { Bass: 1 }));
    expect(db((await measure()).residualMeanSquare)).toBeCloseTo(bass + 20 * Math.log10(1 - 10 ** (-6 / 20)), 2);
    await fader.dblclick();
    // Polarity of Music inverted: the residual is twice the music (+6.02 dB).
    await page.click('.strip[data-stem="Music"] [data-action="invert"]');
    expect(db((await measure()).residualMeanSquare)).toBeCloseTo(db(await meanSquare(start, frames, { Music: 1 })) + 20 * Math.log10(2), 2);
    await page.click('.strip[data-stem="Music"] [data-action="invert"]');
    expect((await measure()).residualPeak).toBeLessThan(MINUS_120_DB);

    // Keyboard: M and S act on the focused strip, 1–9 solo, A/B/C pick the monitor, L the loop, space the transport.
    const state = () => page.evaluate(() => window.stemkit.mixer.state);
    await page.focus('.strip[data-stem="FX"]');
    await page.keyboard.press('m');
    expect((await state()).strips.map((s) => s.mute)).toEqual([false, false, false, false, true]);
    await page.keyboard.press('s');
    expect((await state()).strips[4]!.solo).toBe(true);
    await page.keyboard.press('s');
    await page.keyboard.press('m');
    await page.keyboard.press('1');
    expect((await state()).strips.map((s) => s.solo)).toEqual([true, false, false, false, false]);
    await page.keyboard.press('1');
    expect((await state()).monitor).toBe('B');
    await page.keyboard.press('c');
    expect((await state()).monitor).toBe('C');
    await page.keyboard.press('a');
    expect((await state()).monitor).toBe('A');
    expect((await state()).loop).toEqual([start, start + frames]);
    await page.keyboard.press('l');
    expect((await state()).loop).toBeNull();
    await page.keyboard.press('l');
    expect((await state()).loop).toEqual([start, start + frames]);
    await page.keyboard.press(' ');
    await waitStatus(page, (s) => !s.playing, 'pause by space');
    await page.keyboard.press(' ');
    await waitStatus(page, (s) => s.playing, 'play by space');
    expect((await state()).strips.every((s) => !s.mute && !s.solo && s.gainDb === 0 && !s.invert)).toBe(true);
    await page.close();
  }, 120_000);

  it('draws the mixer with waveforms (a non-blank screenshot)', async () => {
    const page = await openMixer(server.origin);
    await page.waitForFunction(() => document.body.dataset.peaks === 'loaded' && document.body.dataset.report === 'loaded', null, { timeout: 60_000 });
    await page.evaluate(() => window.stemkit.engine.play());
    await waitStatus(page, (s) => s.played > pkg.sampleRate, 'a second of playback');
    const png = await page.screenshot();
    if (process.env.STEMKIT_SCREENSHOT) (await import('node:fs')).writeFileSync(process.env.STEMKIT_SCREENSHOT, png);
    // Decode the screenshot in a plain page and count what is on it: many colours, waveform pixels in every lane.
    const blank = await browser.newPage();
    const seen = await blank.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = new OffscreenCanvas(img.width, img.height);
      const g = canvas.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const data = g.getImageData(0, 0, img.width, img.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < data.length; i += 4) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
      return { width: img.width, colours: colours.size };
    }, png.toString('base64'));
    await blank.close();
    expect(seen.width).toBe(1300);
    expect(seen.colours).toBeGreaterThan(200);
    // Every lane has a drawn waveform: a good share of its columns carry the waveform colour.
    const lanes = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('canvas.wave')].map((c) => {
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let lit = 0;
        for (let x = 0; x < c.width; x++) {
          for (let y = 0; y < c.height; y++) {
            const i = (y * c.width + x) * 4;
            if (d[i + 1]! > 140) {
              lit++;
              break;
            }
          }
        }
        return lit / c.width;
      }),
    );
    expect(lanes).toHaveLength(6);
    for (const share of lanes) expect(share).toBeGreaterThan(0.3);
    await page.close();
  }, 120_000);

  it('stays locked without cross-origin isolation (the postMessage fallback)', async () => {
    const plain = await startStemServer({ packages: [pkg], peaksDir: join(dir, 'peaks'), isolate: false });
    try {
      const page = await openMixer(plain.origin);
      expect(await page.evaluate(() => [crossOriginIsolated, window.stemkit.engine.isolated])).toEqual([false, false]);
      const rate = pkg.sampleRate;
      await playLocked(page);
      await lockedThroughSeeksAndLoop(page, [9.0002], [Math.round(2 * rate) + 5, Math.round(2.25 * rate) + 5]);
      await page.close();
    } finally {
      await plain.close();
    }
  }, 120_000);

  it('lists the packages of a folder of packages, opens one, and follows a report link to loop a finding', async () => {
    // The demo folder holds two packages: the rendered package and the multitrack folder.
    const intake = await startStemServer({ packages: await loadPackages(join(dir, 'demo')), peaksDir: join(dir, 'peaks') });
    try {
      const page = await browser.newPage();
      await page.goto(`${intake.origin}/`);
      await page.waitForSelector('ul.packages a');
      expect(await page.locator('ul.packages a').allTextContents()).toEqual(['stemkit demo song', 'tracks']);
      await page.click('ul.packages a >> text=stemkit demo song');
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000 });
      expect(await page.locator('.strip').count()).toBe(5);
      await page.close();

      // What the HTML report links to, for a finding at 2.5–3 s.
      const report = await checkPackage(pkg.discovered);
      report.findings.push({ ...report.findings[0]!, rule: 'null.residual', severity: 'error', ranges: [[2.5, 3]] });
      const html = renderHtml(report, { mixerUrl: mixerUrlFor(pkg.dir).replace('http://127.0.0.1:8377', intake.origin) });
      const href = /<a class="range" href="([^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&');
      expect(href).toBe(`${intake.origin}/#package&t=2.500&loop=2.500-3.000`);
      const linked = await browser.newPage();
      await linked.goto(href);
      await linked.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30_000 });
      const rate = pkg.sampleRate;
      expect(await linked.evaluate(() => window.stemkit.mixer.state.loop)).toEqual([2.5 * rate, 3 * rate]);
      await linked.evaluate(() => window.stemkit.engine.play());
      const at = await waitStatus(linked, (s) => s.ready && s.played > rate / 2, 'the looped finding to play');
      expect(at.position >= 2.5 * rate && at.position <= 3 * rate).toBe(true);
      await linked.close();
    } finally {
      await intake.close();
    }
  }, 120_000);

  it('draws check findings above the timeline; clicking one loops its range', async () => {
    // A stem that clips for 20 samples at 1 s: level.clipping and null.residual around 0.975–1.03 s.
    const drums = material(4, 1);
    const bass = material(4, 2);
    drums[0].fill(1, 48000, 48020);
    const clipDir = await writePackage(join(dir, 'clip'), [{ name: 'Drums', audio: drums }, { name: 'Bass', audio: bass }], sum([drums, bass]));
    const clip = await startStemServer({ packages: await loadPackages(clipDir), peaksDir: join(dir, 'peaks') });
    try {
      const page = await openMixerPage(browser, clip.origin, 'clip');
      await page.waitForFunction(() => document.body.dataset.report === 'loaded', null, { timeout: 60_000 });
      const box = (await page.locator('.findings-bar').boundingBox())!;
      const seconds = 4;
      // Beside the marks: nothing happens.
      await page.mouse.click(box.x + box.width * (3 / seconds), box.y + box.height / 2);
      expect(await page.evaluate(() => window.stemkit.mixer.state.loop)).toBeNull();
      await page.mouse.click(box.x + box.width * (1 / seconds), box.y + box.height / 2);
      const loop = await page.evaluate(() => window.stemkit.mixer.state.loop);
      expect(loop).not.toBeNull();
      expect(loop![0]).toBeGreaterThanOrEqual(0.97 * 48000);
      expect(loop![0]).toBeLessThanOrEqual(48000);
      expect(loop![1]).toBeGreaterThan(48020);
      expect(loop![1] - loop![0]).toBeLessThanOrEqual(0.1 * 48000);
      await page.close();
    } finally {
      await clip.close();
    }
  }, 120_000);
});
