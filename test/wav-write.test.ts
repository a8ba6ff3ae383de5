import { mkdtempSync, readdirSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { createWavWriter, discardWav, finalizeWav, type WavWriterOptions } from '../src/audio/wav/write.js';
import { StemkitError } from '../src/errors.js';
import { randomQuantised } from './helpers/signals.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeBlocks(path: string, options: WavWriterOptions, planar: Float32Array[]): Promise<void> {
  const sink = await createWavWriter(path, options);
  const frames = planar[0]!.length;
  // Uneven block sizes exercise the writer's positioning.
  for (let at = 0, n = 1; at < frames; at += n, n = (n * 7 + 3) % 4096 || 1) {
    const count = Math.min(n, frames - at);
    await sink.write(planar.map((c) => c.subarray(at, at + count)), count);
  }
  await sink.commit();
}

const BITS = { pcm16: 16, pcm24: 24, pcm32: 32, float32: 24 } as const;

describe('WAV writer round trip', () => {
  const cases: [WavWriterOptions['format'], number, number][] = [];
  for (const format of ['pcm16', 'pcm24', 'pcm32', 'float32'] as const) {
    for (const channels of [1, 2, 6, 8]) for (const rate of [44100, 48000, 96000]) cases.push([format, channels, rate]);
  }
  it.each(cases)('%s, %i ch, %i Hz reads back sample-exact', async (format, channels, sampleRate) => {
    const path = join(dir, `rt-${format}-${channels}-${sampleRate}.wav`);
    const frames = 5003;
    const planar = randomQuantised(channels, frames, BITS[format], channels * 1000 + sampleRate);
    await writeBlocks(path, { sampleRate, channels, format }, planar);
    const source = await openAudio(path);
    expect(source.format).toMatchObject({
      container: 'wav',
      sampleRate,
      channels,
      frames,
      encoding: format === 'float32' ? 'float' : 'pcm',
      bitDepth: format === 'float32' ? 32 : BITS[format],
    });
    const back = await source.read(0, frames);
    for (let ch = 0; ch < channels; ch++) expect(back[ch]).toEqual(planar[ch]);
    await source.close();
  });

  it('uses WAVE_FORMAT_EXTENSIBLE exactly where Microsoft requires it', async () => {
    const formatTag = async (options: WavWriterOptions) => {
      const path = join(dir, `tag-${options.format}-${options.channels}.wav`);
      await writeBlocks(path, options, randomQuantised(options.channels, 10, 16, 1));
      const bytes = readFileSync(path);
      const fmt = bytes.indexOf('fmt ');
      return bytes.readUInt16LE(fmt + 8);
    };
    expect(await formatTag({ sampleRate: 48000, channels: 2, format: 'pcm16' })).toBe(1);
    expect(await formatTag({ sampleRate: 48000, channels: 2, format: 'float32' })).toBe(3);
    expect(await formatTag({ sampleRate: 48000, channels: 2, format: 'pcm24' })).toBe(0xfffe);
    expect(await formatTag({ sampleRate: 48000, channels: 6, format: 'pcm16' })).toBe(0xfffe);
    const surround = await openAudio(join(dir, 'tag-pcm16-6.wav'));
    expect(surround.format.channelMask).toBe(0x3f);
    expect(surround.format.channelLayout).toEqual(['L', 'R', 'C', 'LFE', 'Ls', 'Rs']);
    await surround.close();
  });

  it('writes a bext chunk that reads back, with a 64-bit time reference', async () => {
    const path = join(dir, 'bext.wav');
    const timeReference = 2 ** 33 + 12345;
    await writeBlocks(
      path,
      { sampleRate: 48000, channels: 2, format: 'pcm24', bext: { description: 'Drums stem', originator: 'stemkit test', timeReference } },
      randomQuantised(2, 100, 24, 2),
    );
    const source = await openAudio(path);
    expect(source.meta.bext).toMatchObject({ description: 'Drums stem', originator: 'stemkit test', timeReference, version: 1 });
    expect(source.meta.chunks.map((c) => c.id)).toEqual(['JUNK', 'fmt ', 'bext', 'data']);
    await source.close();
  });

  it('reports clipped samples for integer formats and keeps overs in float', async () => {
    const planar = [Float32Array.from([0.5, 1.5, -2, 0.999, 1])];
    const sink = await createWavWriter(join(dir, 'clip16.wav'), { sampleRate: 48000, channels: 1, format: 'pcm16' });
    await sink.write(planar);
    const report = await sink.commit();
    // 1.5, -2 and exactly +1.0 (one LSB above the largest positive code) are clipped.
    expect(report.clippedSamples).toBe(3);
    const floatSink = await createWavWriter(join(dir, 'clipf.wav'), { sampleRate: 48000, channels: 1, format: 'float32' });
    await floatSink.write(planar);
    expect((await floatSink.commit()).clippedSamples).toBe(0);
    const source = await openAudio(join(dir, 'clipf.wav'));
    expect(Array.from(await source.read(0, 5).then((p) => p[0]!))).toEqual(Array.from(planar[0]!));
    await source.close();
  });

  it('writes NaN and ±Infinity as 0 in integer formats and counts them', async () => {
    const path = join(dir, 'nonfinite.wav');
    const sink = await createWavWriter(path, { sampleRate: 48000, channels: 1, format: 'pcm24' });
    await sink.write([Float32Array.from([Number.NaN, Infinity, -Infinity, 0.5, -0.25])]);
    const report = await sink.commit();
    expect(report).toMatchObject({ nonFiniteSamples: 3, clippedSamples: 0 });
    const source = await openAudio(path);
    expect(Array.from((await source.read(0, 5))[0]!)).toEqual([0, 0, 0, 0.5, -0.25]);
    await source.close();
  });

  it('TPDF dither decorrelates the error: a 0.3 LSB DC survives on average, without dither it vanishes', async () => {
    const lsb = 1 / 32768;
    const frames = 200_000;
    const planar = [new Float32Array(frames).fill(0.3 * lsb)];
    const mean = async (dither: 'none' | 'tpdf') => {
      const path = join(dir, `dither-${dither}.wav`);
      const sink = await createWavWriter(path, { sampleRate: 48000, channels: 1, format: 'pcm16', dither, ditherSeed: 7 });
      await sink.write(planar);
      await sink.commit();
      const source = await openAudio(path);
      const back = (await source.read(0, frames))[0]!;
      await source.close();
      let sum = 0;
      let max = 0;
      for (const v of back) {
        sum += v;
        max = Math.max(max, Math.abs(v));
      }
      return { mean: sum / frames / lsb, maxLsb: max / lsb };
    };
    const plain = await mean('none');
    expect(plain.mean).toBe(0);
    const dithered = await mean('tpdf');
    expect(dithered.mean).toBeGreaterThan(0.28);
    expect(dithered.mean).toBeLessThan(0.32);
    // TPDF of ±1 LSB plus rounding never moves a sample more than 2 LSB.
    expect(dithered.maxLsb).toBeLessThanOrEqual(2);
  });

  it("rf64: 'always' writes a ds64 header that the reader resolves", async () => {
    const path = join(dir, 'always.wav');
    const planar = randomQuantised(2, 1001, 24, 3);
    await writeBlocks(path, { sampleRate: 48000, channels: 2, format: 'pcm24', rf64: 'always' }, planar);
    expect(readFileSync(path).subarray(0, 4).toString()).toBe('RF64');
    const source = await openAudio(path);
    expect(source.format.container).toBe('rf64');
    expect(source.format.frames).toBe(1001);
    expect((await source.read(0, 1001))[1]).toEqual(planar[1]);
    await source.close();
  });

  it('shows nothing under the final name before commit, and nothing at all after abort', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'stem.wav');
    const sink = await createWavWriter(path, { sampleRate: 48000, channels: 2, format: 'pcm24' });
    await sink.write(randomQuantised(2, 1000, 24, 4));
    expect(existsSync(path)).toBe(false);
    await sink.abort();
    expect(readdirSync(sub)).toEqual([]);
  });

  it('commit({ rename: false }) then finalizeWav shortens the file exactly; discardWav leaves nothing', async () => {
    const sub = mkdtempSync(join(dir, 'pending-'));
    const path = join(sub, 'stem.wav');
    const planar = randomQuantised(1, 1001, 24, 5);
    const sink = await createWavWriter(path, { sampleRate: 48000, channels: 1, format: 'pcm24', bext: { description: 'x' } });
    await sink.write(planar);
    const report = await sink.commit({ rename: false });
    expect(existsSync(path)).toBe(false);
    await finalizeWav(report.pending!, 601);
    const source = await openAudio(path);
    expect(source.format.frames).toBe(601);
    expect(source.meta.warnings).toEqual([]);
    expect((await source.read(0, 601))[0]).toEqual(planar[0]!.subarray(0, 601));
    await source.close();
    // 601 frames × 3 bytes is odd: the pad byte keeps the file size even.
    expect(readFileSync(path).length % 2).toBe(0);
    const again = await createWavWriter(join(sub, 'gone.wav'), { sampleRate: 48000, channels: 1, format: 'pcm16' });
    await again.write(planar);
    const pending = (await again.commit({ rename: false })).pending!;
    await expect(finalizeWav(pending, 2000)).rejects.toMatchObject({ code: 'E_USAGE' });
    await discardWav(pending);
    expect(readdirSync(sub)).toEqual(['stem.wav']);
  });

  it('validates options eagerly with exact messages, creating no file', async () => {
    const sub = mkdtempSync(join(dir, 'opts-'));
    const attempt = (o: Partial<WavWriterOptions>) =>
      createWavWriter(join(sub, 'x.wav'), { sampleRate: 48000, channels: 2, format: 'pcm24', ...o } as WavWriterOptions);
    await expect(attempt({ sampleRate: 0 })).rejects.toThrow('sampleRate must be an integer from 1 to 4000000, got 0');
    await expect(attempt({ channels: 0 })).rejects.toThrow('channels must be an integer from 1 to 1024, got 0');
    await expect(attempt({ format: 'pcm12' as never })).rejects.toThrow('format must be one of pcm16, pcm24, pcm32, float32, got pcm12');
    await expect(attempt({ dither: 'rpdf' as never })).rejects.toBeInstanceOf(StemkitError);
    expect(readdirSync(sub)).toEqual([]);
  });
});
