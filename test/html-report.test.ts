import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { AudioFormat } from '../src/audio/types.js';
import type { CheckedFile, CheckReport, FileMeasure, Finding } from '../src/check/types.js';
import { prng } from '../src/dsp/random.js';
import { renderHtml } from '../src/report/html.js';
import { HAS_CHROMIUM, launchChromium } from './helpers/browser.js';

const NASTY = 'Keys <b>&"Pads"';
const COLUMNS = 800;
const DURATION = 212.48;
const RATE = 48000;

function format(channels = 2, bitDepth = 24): AudioFormat {
  return {
    container: 'wav',
    encoding: 'pcm',
    bitDepth,
    sampleRate: RATE,
    channels,
    channelMask: channels === 2 ? 3 : null,
    channelLayout: channels === 2 ? ['L', 'R'] : ['C'],
    frames: Math.round(DURATION * RATE),
    containerBits: bitDepth,
    bigEndian: false,
  };
}

function measure(over: Partial<FileMeasure>): FileMeasure {
  return {
    samplePeakDbfs: -6,
    truePeakDbtp: -5.8,
    integratedLufs: -20,
    loudnessRangeLu: 6,
    momentaryMaxLufs: -12,
    shortTermMaxLufs: -14,
    rmsDbfs: -22,
    dcOffset: [0, 0],
    clippedRuns: 0,
    firstSoundSec: 0.5,
    lastSoundSec: 210,
    durationSec: DURATION,
    channelPeakDbfs: [-6, -6.2],
    nonFiniteSamples: 0,
    stereoCorrelation: 0.7,
    dualMono: false,
    tailPeakDbfs: null,
    crestDb: 16,
    nearPeakFraction: 0.0001,
    ...over,
  };
}

function file(name: string, over: Partial<CheckedFile> = {}): CheckedFile {
  return {
    name,
    path: `/deliveries/Song & Co <2024>/${name}.wav`,
    format: format(),
    error: null,
    timeReference: 0,
    measure: measure({}),
    offsetSamples: 0,
    startOffsetSamples: 0,
    ...over,
  };
}

/** Peak envelope with an intro, verses, a louder chorus and a fade, plus per-stem texture. */
function envelope(seed: number, level: number, busy: number): number[] {
  const r = prng(seed); // deterministic noise: the waveforms look like music and the test never flakes
  const out: number[] = [];
  for (let i = 0; i < COLUMNS; i++) {
    const t = (i / COLUMNS) * DURATION;
    let section = t < 2 ? 0 : t < 20 ? 0.45 : t < 60 ? 0.65 : t < 90 ? 0.95 : t < 140 ? 0.7 : t < 190 ? 1 : Math.max(0, 1 - (t - 190) / 20);
    if (t > 210) section = 0;
    const beat = 0.75 + 0.25 * Math.abs(Math.sin(i * busy));
    out.push(Math.round(Math.min(1, section * level * beat * (0.85 + 0.15 * r())) * 1e5) / 1e5);
  }
  return out;
}

/** Residual RMS per column: digital silence (null) in the intro, a low floor, two regions over the threshold. */
function residualCurve(): (number | null)[] {
  const r = prng(99);
  const out: (number | null)[] = [];
  for (let i = 0; i < COLUMNS; i++) {
    const t = (i / COLUMNS) * DURATION;
    if (t < 2 || t > 210) out.push(null);
    else if (t >= 62 && t < 71.3) out.push(Math.round((-48 + 6 * r()) * 100) / 100);
    else if (t >= 150.2 && t < 158.45) out.push(Math.round((-55 + 5 * r()) * 100) / 100);
    else out.push(Math.round((-132 + 8 * r()) * 100) / 100);
  }
  return out;
}

function finding(over: Partial<Finding> & Pick<Finding, 'rule' | 'severity' | 'message' | 'fix'>): Finding {
  return { file: null, stem: null, value: null, limit: null, ranges: [], ...over };
}

function buildReport(extraStems = 0): CheckReport {
  const drums = file('Drums', { measure: measure({ samplePeakDbfs: -0.3, truePeakDbtp: 0.42, integratedLufs: -17.8, loudnessRangeLu: 5.1 }) });
  const bass = file('Bass', {
    format: format(1, 24),
    offsetSamples: 512,
    measure: measure({ samplePeakDbfs: -4.12, truePeakDbtp: -4.05, integratedLufs: -21.34, loudnessRangeLu: 3.2, channelPeakDbfs: [-4.12] }),
  });
  const keys = file(NASTY, {
    format: { ...format(2, 32), encoding: 'float' },
    measure: measure({ samplePeakDbfs: -9.87, truePeakDbtp: -9.5, integratedLufs: -26.2, loudnessRangeLu: null, dualMono: true }),
  });
  const more = Array.from({ length: extraStems }, (_, k) => file(`Extra ${k + 1}`));
  const stems = [drums, bass, keys, ...more];
  const mix = file('Mix', {
    path: '/deliveries/Song & Co <2024>/Song_Mix.wav',
    offsetSamples: null,
    measure: measure({ samplePeakDbfs: -0.1, truePeakDbtp: 0.8, integratedLufs: -14.02, loudnessRangeLu: 7.4 }),
  });
  const findings: Finding[] = [
    finding({
      rule: 'null.residual',
      severity: 'error',
      file: mix.path,
      stem: 'Mix',
      message: 'mix − Σ stems does not null: residual peak -41.7 dBFS, RMS -88.3 dBFS, -61.2 dB relative to the mix in 2 region(s)',
      value: -41.73,
      limit: -90,
      ranges: [
        [62.04, 71.3],
        [150.2, 158.45],
      ],
      fix: 'listen to the regions listed: something in the mix is missing from the stems (or vice versa), or the master bus processes the mix',
    }),
    finding({
      rule: 'timing.offset',
      severity: 'error',
      file: bass.path,
      stem: 'Bass',
      message: 'Bass is 512 samples (10.7 ms) late against the mix',
      value: 512,
      limit: 0,
      fix: 'shift Bass 512 samples earlier',
    }),
    finding({
      rule: 'level.headroom',
      severity: 'warning',
      file: drums.path,
      stem: 'Drums',
      message: 'Drums peaks at -0.3 dBFS, above the profile limit of -1.0 dBFS',
      value: -0.3,
      limit: -1,
      ranges: [[95.104, 95.61]],
      fix: 'lower Drums by at least 0.7 dB before export',
    }),
    finding({
      rule: 'package.naming',
      severity: 'warning',
      file: keys.path,
      stem: NASTY,
      message: `stem name ${NASTY} contains characters that break some DAWs`,
      fix: 'rename it with letters, digits, spaces, "-" and "_" only',
    }),
    finding({
      rule: 'stem.dual-mono',
      severity: 'info',
      file: keys.path,
      stem: NASTY,
      message: `${NASTY} is stereo with identical channels`,
      value: 'dual mono',
      fix: 'deliver it as mono if the recipient prefers',
    }),
    finding({
      rule: 'level.sum-headroom',
      severity: 'info',
      message: 'the unity sum of the stems reaches +0.8 dBTP',
      value: 0.8,
      limit: 0,
      fix: 'none needed if the mix is limited; note it for the recipient',
    }),
  ];
  const files = [...stems, mix];
  return {
    schema: 'stemkit.check/1',
    ok: false,
    profile: 'broadcast-r128',
    package: { dir: '/deliveries/Song & Co <2024>', mix: mix.path, stems: stems.map((s) => s.path), alternates: [] },
    stems,
    mix,
    sum: { samplePeakDbfs: 0.4, truePeakDbtp: 0.8 },
    nullSkipped: null,
    null: {
      residualPeakDbfs: -41.73,
      residualRmsDbfs: -88.31,
      residualRelativeDb: -61.2,
      bestLagSamples: -512,
      bestGainDb: 0.02,
      polarityInverted: false,
      passed: false,
      thresholdDbfs: -90,
      residualPeakSec: 12.345,
      residualPeakChannel: 'L',
      worstMoments: [{ startSec: 12.34, endSec: 12.35, peakDbfs: -41.73 }],
      channels: [{ channel: 'L', peakDbfs: -41.73, rmsDbfs: -88 }, { channel: 'R', peakDbfs: -50, rmsDbfs: -91 }],
    },
    findings,
    notes: ['EBU R 128: integrated loudness -23 LUFS ±0.5 applies to the mix, not to stems & <sub-mixes>.'],
    plots: {
      columns: COLUMNS,
      durationSec: DURATION,
      waveforms: files.map((f, k) => ({
        name: f.name,
        peak: envelope(k + 1, f === mix ? 0.98 : [0.95, 0.6, 0.3][k] ?? 0.5, [0.9, 0.23, 0.05][k] ?? 0.4),
      })),
      residualDb: residualCurve(),
    },
    elapsedMs: 3821,
  };
}

describe('renderHtml', () => {
  const report = buildReport();
  const html = renderHtml(report);

  it('is one self-contained document', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(/https?:\/\//i.test(html)).toBe(false);
    expect(/<script\b[^>]*\bsrc/i.test(html)).toBe(false);
    expect(/<link\b/i.test(html)).toBe(false);
    expect(/<img\b/i.test(html)).toBe(false);
    expect(/@import|@font-face|url\((?!#)/i.test(html)).toBe(false);
    expect(html).toContain("default-src 'none'");
  });

  it('escapes every text from the report', () => {
    expect(html.includes(NASTY)).toBe(false);
    expect(html.includes('<b>')).toBe(false);
    expect(html.includes('<sub-mixes>')).toBe(false);
    expect(html.includes('<2024>')).toBe(false);
    expect(html).toContain('Keys &lt;b&gt;&amp;&quot;Pads&quot;');
    expect(html).toContain('data-stem="Keys &lt;b&gt;&amp;&quot;Pads&quot;"');
    expect(html).toContain('Song &amp; Co &lt;2024&gt;');
    expect(html).toContain('stems &amp; &lt;sub-mixes&gt;');
  });

  it('has the verdict, the table and the plots', () => {
    expect(html).toMatch(/<div class="word">FAIL<\/div>/);
    expect(html.indexOf('id="verdict"')).toBeLessThan(html.indexOf('id="stems"'));
    expect(html.match(/<svg class="waveform/g)).toHaveLength(4);
    for (const name of ['Drums', 'Bass', 'Mix']) expect(html).toContain(`data-stem="${name}"`);
    expect(html.match(/<svg id="residual"/g)).toHaveLength(1);
    expect(html).toMatch(/<line class="threshold"/);
    expect(html).toContain('48 kHz · 24-bit · 2 ch');
    expect(html).toContain('48 kHz · 24-bit · 1 ch');
    expect(html).toContain('48 kHz · 32-bit float · 2 ch');
    expect(html).toContain('1:02.040 – 1:11.300');
    expect(html).toContain('2:30.200 – 2:38.450');
    expect(html).toContain('2 errors');
    expect(html).toContain('2 warnings');
    expect(html).toContain('2 notes');
    expect(html).toContain('3.82 s');
    expect(html).toContain('shift Bass 512 samples earlier');
    // Keys has no LRA: a dash, never -Infinity or NaN.
    expect(html).toContain('—');
    expect(/Infinity|NaN|undefined/.test(html)).toBe(false);
  });

  it('stays small: a 10-stem report is well under 1 MB', () => {
    const big = renderHtml(buildReport(7));
    expect(big.match(/<svg class="waveform/g)).toHaveLength(11);
    expect(big.length).toBeLessThan(400_000);
  });

  it('renders a passing package without mix or plots', () => {
    const r = buildReport();
    const minimal: CheckReport = {
      ...r,
      ok: true,
      mix: null,
      null: null,
      sum: null,
      findings: [],
      notes: [],
      stems: [file('Solo', { format: null, measure: null, offsetSamples: null, error: { code: 'E_TRUNCATED', message: 'data ends early', hint: 're-export' } })],
      package: { dir: 'pkg', mix: null, stems: ['pkg/Solo.wav'], alternates: [] },
      plots: { columns: 800, durationSec: 0, waveforms: [], residualDb: null },
    };
    const out = renderHtml(minimal);
    expect(out).toMatch(/<div class="word">PASS<\/div>/);
    expect(out).toContain('unreadable (E_TRUNCATED)');
    expect(out.includes('<svg')).toBe(false);
    expect(/Infinity|NaN|undefined/.test(out)).toBe(false);
  });
});

// The browser half needs Debian's chromium (`apt-get install -y chromium`); CI's .ci/run installs it.
// Without it (a bare dev box) the string assertions above still run and this block is skipped.
describe.skipIf(!HAS_CHROMIUM)('renderHtml in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'stemkit-html-'));
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders the plots offline and makes no request', async () => {
    const path = join(dir, 'report.html');
    const html = renderHtml(buildReport());
    await writeFile(path, html);
    const url = pathToFileURL(path).href;
    // bypassCSP: the report's own CSP would hide a stray reference; without it any fetch is attempted and counted.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    const attempted: string[] = [];
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      attempted.push(u);
      return route.abort();
    });
    page.on('request', (req) => {
      if (req.url() !== url && !attempted.includes(req.url())) attempted.push(req.url());
    });
    await page.goto(url, { waitUntil: 'load' });

    expect((await page.locator('#verdict .word').textContent())?.trim()).toBe('FAIL');

    const waves = await page.$$eval('svg.waveform', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const path = svg.querySelector('path.wave');
        return {
          stem: svg.getAttribute('data-stem'),
          width: box.width,
          height: box.height,
          d: path?.getAttribute('d') ?? '',
          pathWidth: path ? path.getBoundingClientRect().width : 0,
          ranges: [...svg.querySelectorAll('rect.range')].map((r) => ({
            rule: r.getAttribute('data-rule'),
            width: r.getBoundingClientRect().width,
          })),
        };
      }),
    );
    expect(waves.map((w) => w.stem)).toEqual(['Drums', 'Bass', NASTY, 'Mix']);
    for (const w of waves) {
      expect(w.width).toBeGreaterThan(0);
      expect(w.height).toBeGreaterThan(0);
      expect(w.d.length).toBeGreaterThan(100);
      expect(w.pathWidth).toBeGreaterThan(0);
      for (const r of w.ranges) expect(r.width).toBeGreaterThan(0);
    }
    const byStem = new Map(waves.map((w) => [w.stem, w]));
    expect(byStem.get('Mix')!.ranges.filter((r) => r.rule === 'null.residual')).toHaveLength(2);
    expect(byStem.get('Drums')!.ranges).toEqual([{ rule: 'level.headroom', width: expect.any(Number) }]);
    expect(byStem.get('Bass')!.ranges).toHaveLength(0);

    const residual = await page.$eval('svg#residual', (svg) => {
      const line = svg.querySelector('line.threshold');
      const curve = svg.querySelector('path.line');
      return {
        width: svg.getBoundingClientRect().width,
        threshold: line ? line.getBoundingClientRect().width : 0,
        dash: line ? line.ownerDocument.defaultView!.getComputedStyle(line).strokeDasharray : '',
        d: curve?.getAttribute('d') ?? '',
      };
    });
    expect(residual.width).toBeGreaterThan(0);
    expect(residual.threshold).toBeGreaterThan(0);
    expect(residual.dash).not.toBe('none');
    expect(residual.d.length).toBeGreaterThan(100);

    // The nasty name reaches the page as text, not markup.
    expect(await page.locator('table#stems tbody th', { hasText: NASTY }).count()).toBe(1);
    expect(await page.locator('table#stems b').count()).toBe(0);

    // Kept for a human to look at when STEMKIT_ARTIFACTS names a folder (else with the test's temp files).
    await page.screenshot({ path: join(process.env.STEMKIT_ARTIFACTS ?? dir, 'stemkit-report.png'), fullPage: true });
    expect(attempted).toEqual([]);
    await context.close();
  });
});
