import { describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import type { AudioSource } from '../src/audio/types.js';
import { StemkitError } from '../src/errors.js';
import { corpusPath, HAVE_CORPUS, loadCorpus, type CorpusEntry } from './helpers/corpus.js';
import { readSource } from './helpers/io.js';

// WAV and AIFF files of the shared corpus (FLAC has its own suite in flac.test.ts).
const entries = loadCorpus().filter((e) => !e.file.toLowerCase().endsWith('.flac'));
const CONTAINERS: Record<string, string> = { RIFF: 'wav', RIFX: 'rifx', RF64: 'rf64', AIFF: 'aiff', AIFC: 'aifc' };


/** Stated integers as a Float32 reader can hold them (32-bit and wider PCM lose low bits in Float32). */
function atFloat32(source: AudioSource, values: number[]): number[] {
  const { encoding, bitDepth } = source.format;
  const scale = encoding === 'float' ? 1 : encoding === 'pcm' ? 2 ** (bitDepth - 1) : 32768;
  return values.map((v) => Math.round(Math.fround(v / scale) * scale));
}

/** Integer sample values as the source projects' tests state them ("native" ints at the valid depth). */
function nativeInterleaved(source: AudioSource, planar: Float32Array[], count: number): number[] {
  const { encoding, bitDepth, channels } = source.format;
  const scale = encoding === 'float' ? 1 : encoding === 'pcm' ? 2 ** (bitDepth - 1) : 32768;
  const out: number[] = [];
  for (let i = 0; out.length < count && i < planar[0]!.length; i++) {
    for (let ch = 0; ch < channels && out.length < count; ch++) out.push(Math.round(planar[ch]![i]! * scale));
  }
  return out;
}

async function expectTypedFailure(entry: CorpusEntry): Promise<StemkitError> {
  try {
    const source = await openAudio(corpusPath(entry));
    await readSource(source);
    await source.close();
  } catch (err) {
    expect(err).toBeInstanceOf(StemkitError);
    return err as StemkitError;
  }
  throw new Error(`${entry.file} opened and read without error`);
}

describe.skipIf(!HAVE_CORPUS)('third-party corpus: WAV and AIFF', () => {
  const valid = entries.filter((e) => e.category === 'valid' || e.category === 'valid-but-source-rejects');
  it.each(valid.map((e) => [e.file, e] as const))('reads %s as stated', async (_name, entry) => {
    const x = entry.expect;
    const source = await openAudio(corpusPath(entry));
    const f = source.format;
    expect(f.container).toBe(CONTAINERS[x.container!]);
    expect(f.sampleRate).toBe(x.sampleRate);
    expect(f.channels).toBe(x.channels);
    if (x.frames != null) expect(f.frames).toBe(x.frames);
    expect(f.encoding).toBe(x.encoding);
    if (x.validBitsPerSample !== undefined) {
      expect(f.containerBits).toBe(x.bitsPerSample);
      expect(f.bitDepth).toBe(x.validBitsPerSample || x.bitsPerSample);
    } else {
      expect(f.bitDepth).toBe(x.bitsPerSample);
    }
    if (x.containerBytes !== undefined) expect(f.containerBits).toBe(x.containerBytes * 8);
    if (typeof x.bigEndian === 'boolean' && f.encoding !== 'alaw' && f.encoding !== 'mulaw') expect(f.bigEndian).toBe(x.bigEndian);

    const planar = await readSource(source, 777);
    const s = entry.samples ?? {};
    const stated = (s.all ?? s.first ?? s.first48FramesInterleaved) as number[] | undefined;
    if (stated) expect(nativeInterleaved(source, planar, stated.length)).toEqual(atFloat32(source, stated));
    if (s.native24) expect(nativeInterleaved(source, planar, f.channels * f.frames)).toEqual((s.native24 as number[][]).flat());
    if (typeof s.sumOfAllSamples === 'number') {
      expect(nativeInterleaved(source, planar, f.channels * f.frames).reduce((a, b) => a + b, 0)).toBe(s.sumOfAllSamples);
    }
    await source.close();
  });

  const errors = entries.filter((e) => e.category === 'error');
  it.each(errors.map((e) => [e.file, e] as const))('rejects %s with a typed error', async (_name, entry) => {
    const err = await expectTypedFailure(entry);
    expect(err.file).toBe(corpusPath(entry));
    expect(err.hint.length).toBeGreaterThan(0);
  });

  const truncated = entries.filter((e) => e.category === 'truncated-recoverable');
  it.each(truncated.map((e) => [e.file, e] as const))('%s: E_TRUNCATED by default, partial data on request', async (_name, entry) => {
    const err = await expectTypedFailure(entry);
    expect(err.code).toBe('E_TRUNCATED');
    const source = await openAudio(corpusPath(entry), { allowTruncated: true });
    expect(source.format.frames).toBe(entry.expect.framesAvailable);
    expect(source.meta.warnings.join(' ')).toMatch(/cut short/);
    await readSource(source);
    await source.close();
  });

  const lenient = entries.filter((e) => !['valid', 'valid-but-source-rejects', 'error', 'truncated-recoverable'].includes(e.category));
  it.each(lenient.map((e) => [`${e.category} ${e.file}`, e] as const))('%s: reads or fails with a typed error', async (_name, entry) => {
    try {
      const source = await openAudio(corpusPath(entry));
      const planar = await readSource(source);
      expect(planar.length).toBe(source.format.channels);
      if (typeof entry.expect.channels === 'number') expect(source.format.channels).toBe(entry.expect.channels);
      await source.close();
    } catch (err) {
      expect(err).toBeInstanceOf(StemkitError);
    }
  });
});
