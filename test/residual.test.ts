import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { runCheck } from '../src/cli/check.js';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { renderHtml } from '../src/report/html.js';
import { captureOutput } from './helpers/io.js';
import { scratchDir } from './helpers/almost-right.js';
import { readFile } from './helpers/io.js';
import { material, sum, writePackage } from './helpers/package.js';

/** `check --residual FILE`: what does not null, as audio, placed as the null test placed it. */
const root = scratchDir('residual');
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(args: string[], options: Record<string, unknown>): Promise<{ code: number; err: string }> {
  const out = captureOutput();
  const err = captureOutput();
  try {
    return { code: await runCheck(args, options, out.stream, err.stream), err: err.text() };
  } catch (e) {
    // What main.ts does with a thrown StemkitError: print it, exit 2.
    return { code: 2, err: (e as Error).message };
  }
}

describe('check --residual', () => {
  it('writes mix − Σ stems sample for sample, with a stem placed by its BWF start', async () => {
    const drums = material(3, 1, 0.2);
    const bass = material(3, 2, 0.2);
    const shaker = material(3, 5, 0.05);
    const start = 24000;
    // Bass exported from 0.5 s on with its TimeReference; the mix also carries a shaker no stem has.
    const mix = sum([drums, bass, shaker]);
    const dir = await writePackage(
      join(root, 'pkg'),
      [
        { name: 'Drums', audio: drums, options: { bext: { timeReference: 0 } } },
        { name: 'Bass', audio: bass.map((c) => c.slice(start)), options: { bext: { timeReference: start } } },
      ],
      mix,
      { bext: { timeReference: 0 } },
    );
    const out = join(root, 'residual.wav');
    const { code } = await run([dir], { residual: out });
    expect(code).toBe(1);
    const written = await readFile(out);
    const [mixFile, drumsFile, bassFile] = await Promise.all([join(dir, 'mix.wav'), join(dir, 'stems/01_Drums.wav'), join(dir, 'stems/02_Bass.wav')].map(readFile));
    for (let ch = 0; ch < 2; ch++) {
      const expected = new Float32Array(mixFile![ch]!.length);
      for (let i = 0; i < expected.length; i++) {
        const b = i >= start ? bassFile![ch]![i - start]! : 0;
        expected[i] = Math.fround(mixFile![ch]![i]! - Math.fround(drumsFile![ch]![i]! + b));
      }
      expect(written[ch]).toEqual(expected);
    }
    const source = await openAudio(out);
    expect(source.format).toMatchObject({ encoding: 'float', bitDepth: 32, sampleRate: 48000, channels: 2 });
    await source.close();
    // A second run may replace its own residual.
    expect((await run([dir], { residual: out })).code).toBe(1);
  });

  it('refuses to write the residual or a report over an input or over other audio, before any work', async () => {
    const a = material(1, 1, 0.1);
    const dir = await writePackage(join(root, 'guarded'), [{ name: 'A', audio: a }, { name: 'B', audio: a }], sum([a, a]));
    const before = readFileSync(join(dir, 'mix.wav'));
    for (const [option, path] of [
      ['residual', join(dir, 'mix.wav')],
      ['html', join(dir, 'stems', '01_A.wav')],
      ['junit', join(dir, 'mix.wav')],
    ] as const) {
      const { code, err } = await run([dir], { [option]: path });
      expect(code).toBe(2);
      expect(err).toMatch(new RegExp(`--${option} .* is one of the files being checked`));
    }
    const other = join(root, 'somebody-elses.wav');
    copyFileSync(join(dir, 'mix.wav'), other);
    const { code, err } = await run([dir], { html: other });
    expect(code).toBe(2);
    expect(err).toMatch(/is an existing audio file/);
    expect(readFileSync(join(dir, 'mix.wav')).equals(before)).toBe(true);
    expect(readFileSync(other).equals(before)).toBe(true);
  });
});

describe('the HTML report shows the residual', () => {
  it('a package that does not null: peak and RMS over time, the worst moment marked, the spectrum, per channel', async () => {
    const a = material(4, 1, 0.2);
    const b = material(4, 2, 0.2);
    const mix = sum([a, b]);
    // A 2 kHz tone from 1.0 to 1.5 s, in the left channel only, that no stem carries.
    for (let i = 48000; i < 72000; i++) mix[0]![i] = mix[0]![i]! + 0.03 * Math.sin((2 * Math.PI * 2000 * i) / 48000);
    const dir = await writePackage(join(root, 'html-fail'), [{ name: 'A', audio: a }, { name: 'B', audio: b }], mix);
    const report = await checkPackage(await discoverPackage(dir));
    expect(report.null!.residualPeakChannel).toBe('L');
    const html = renderHtml(report);
    expect(html).toMatch(/<svg id="residual"[^]*<path class="peak-line"[^]*<line class="worst"/);
    expect(html).toMatch(/peak -30\.\d dBFS at 0:01\.\d{3} \(L\)/);
    expect(html).toContain('<svg id="residual-spectrum"');
    expect(html).toMatch(/<table id="residual-channels">[^]*<th scope="row">L<\/th><td class="n">-30\.\d<\/td>[^]*<th scope="row">R<\/th><td class="n">—<\/td>/);
    expect(html).not.toContain('digital-silence');
  });

  it('a package that nulls to digital silence says so instead of drawing an empty chart', async () => {
    const a = material(2, 1, 0.2);
    const dir = await writePackage(join(root, 'html-pass'), [{ name: 'A', audio: a }, { name: 'B', audio: a.map((c) => c.map((v) => -v * 0.5)) }], sum([a, a.map((c) => c.map((v) => -v * 0.5))]));
    const html = renderHtml(await checkPackage(await discoverPackage(dir)));
    expect(html).toContain('id="digital-silence"');
    expect(html).not.toContain('<svg id="residual"');
  });
});

