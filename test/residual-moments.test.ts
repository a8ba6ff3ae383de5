import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { mergePasses, PassMerger, runPass, type PassResult } from '../src/check/pass.js';
import { worstMoments } from '../src/dsp/residual-moments.js';
import { material, RATE, sum, writePackage } from './helpers/package.js';

/**
 * Where the residual is: a mix carrying (a) a quiet element no stem has, everywhere, (b) a 20 ms burst
 * at 5.25 s in the left channel only, the residual's peak, and (c) a loud one-second tone from 9 s on.
 * The worst moment is the burst; the tone may take two of the five moments (0.5 s apart), not all.
 */
const root = mkdtempSync(join(tmpdir(), 'stemkit-residual-moments-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SECONDS = 12;
const BURST_AT = 5.25;
const PASSAGE = [9, 10] as const;
let dir = '';

beforeAll(async () => {
  const drums = material(SECONDS, 1, 0.2);
  const bass = material(SECONDS, 2, 0.2);
  const mix = sum([drums, bass, material(SECONDS, 7, 0.01)]);
  const burst = Math.round(BURST_AT * RATE);
  for (let i = burst; i < burst + Math.round(0.02 * RATE); i++) mix[0]![i] = mix[0]![i]! + 0.5 * Math.sin((2 * Math.PI * 3000 * i) / RATE);
  for (let ch = 0; ch < 2; ch++) {
    for (let i = PASSAGE[0] * RATE; i < PASSAGE[1] * RATE; i++) mix[ch]![i] = mix[ch]![i]! + 0.1 * Math.sin((2 * Math.PI * 700 * i) / RATE);
  }
  dir = await writePackage(join(root, 'pkg'), [{ name: 'Drums', audio: drums }, { name: 'Bass', audio: bass }], mix, { format: 'float32' });
});

function pass(start: number, end: number): Promise<PassResult> {
  const paths = [join(dir, 'stems/01_Drums.wav'), join(dir, 'stems/02_Bass.wav'), join(dir, 'mix.wav')];
  return runPass({ paths, hasMix: true, summable: true, start, end, totalFrames: SECONDS * RATE, residualThreshold: 0.001, columns: 50 });
}

describe('the residual\'s worst moments', () => {
  it('names the burst as the peak and the worst moment, then four more places at least 0.5 s apart', async () => {
    const report = await checkPackage(await discoverPackage(dir));
    const summary = report.null!;
    expect(summary.passed).toBe(false);
    expect(summary.residualPeakChannel).toBe('L');
    expect(summary.residualPeakSec!).toBeGreaterThanOrEqual(BURST_AT);
    expect(summary.residualPeakSec!).toBeLessThan(BURST_AT + 0.02);
    const moments = summary.worstMoments;
    expect(moments).toHaveLength(5);
    expect(moments[0]!.startSec).toBeGreaterThanOrEqual(BURST_AT - 0.01);
    expect(moments[0]!.endSec).toBeLessThanOrEqual(BURST_AT + 0.03);
    expect(moments[0]!.peakDbfs).toBeCloseTo(summary.residualPeakDbfs!, 1);
    // The loud passage is the next place to listen, but not every other one.
    expect(moments[1]!.startSec).toBeGreaterThanOrEqual(PASSAGE[0]);
    expect(moments[1]!.startSec).toBeLessThan(PASSAGE[1]);
    expect(moments.filter((m) => m.startSec >= PASSAGE[0] && m.startSec < PASSAGE[1]).length).toBeLessThanOrEqual(2);
    for (const [i, m] of moments.entries()) for (const other of moments.slice(i + 1)) expect(Math.abs(m.startSec - other.startSec)).toBeGreaterThanOrEqual(0.5);
    expect(moments.map((m) => m.peakDbfs)).toEqual([...moments.map((m) => m.peakDbfs)].sort((a, b) => b - a));
    // The finding says where the peak is and lists the worst moments, worst first, not one range over the song.
    const finding = report.findings.find((f) => f.rule === 'null.residual')!;
    expect(finding.message).toMatch(/residual peak -\d+\.\d dBFS at 0:05\.2\d\d \(L\)/);
    expect(finding.message).toContain('the worst moments (worst first)');
    expect(finding.ranges).toEqual(moments.map((m) => [m.startSec, m.endSec]));
    // Regions over most of the song are not worth naming.
    expect(finding.message).toMatch(/ region\(s\); the worst moments/);
  });

  it('names a long region (an element missing from 4 s to 9 s) in the message, and lists the worst moments', async () => {
    const a = material(SECONDS, 1, 0.2);
    const b = material(SECONDS, 2, 0.2);
    const missing = material(SECONDS, 3, 0.1).map((c) => c.map((v, i) => (i >= 4 * RATE && i < 9 * RATE ? v : 0)));
    const pkg = await writePackage(join(root, 'verse'), [{ name: 'A', audio: a }, { name: 'B', audio: b }], sum([a, b, missing]), { format: 'float32' });
    const report = await checkPackage(await discoverPackage(pkg));
    const finding = report.findings.find((f) => f.rule === 'null.residual')!;
    expect(finding.message).toMatch(/in 1 region\(s\) \(0:04\.0\d\d – 0:0[89]\.\d{3}\); the worst moments \(worst first\)/);
    expect(finding.ranges).toHaveLength(5);
    for (const [start] of finding.ranges) expect(start >= 4 && start < 9).toBe(true);
  });

  it('are the same whether the pass runs whole or in segments cut anywhere, incrementally merged or not', async () => {
    const whole = await pass(0, SECONDS * RATE);
    // Cuts inside the burst's cell and inside the loud passage.
    const cuts = [0, Math.round(2.1 * RATE), Math.round((BURST_AT + 0.01) * RATE), Math.round(9.3 * RATE), SECONDS * RATE];
    const parts = await Promise.all(cuts.slice(0, -1).map((start, k) => pass(start, cuts[k + 1]!)));
    const merger = new PassMerger();
    for (const part of parts) merger.add(part);
    for (const merged of [mergePasses(parts), merger.result()]) {
      const { spectrum: _s, spectra: _n, ...located } = merged.residual!.moments;
      const { spectrum: _ws, spectra: _wn, ...wholeLocated } = whole.residual!.moments;
      expect(located).toEqual(wholeLocated);
    }
    expect(worstMoments(whole.residual!.moments, 5)).toHaveLength(5);
  });
});
