import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { crc16, crc8 } from '../src/audio/flac/crc.js';
import { FlacSource, openFlac as openFlacBytes, type FlacOpenOptions } from '../src/audio/flac/index.js';
import { RangeFile } from '../src/audio/range-file.js';
import type { AudioSource } from '../src/audio/types.js';
import { StemkitError } from '../src/errors.js';
import { hash01, prng } from '../src/dsp/random.js';
import { readSource } from './helpers/io.js';
import { CORPUS_DIR, HAVE_CORPUS } from './helpers/corpus.js';

/** The FLAC reader over a file by path (the reader itself takes any ByteSource). */
async function openFlac(file: string, options: FlacOpenOptions = {}): Promise<AudioSource> {
  return openFlacBytes(await RangeFile.open(file), options);
}

async function openFlacFile(file: string): Promise<FlacSource> {
  return FlacSource.open(await RangeFile.open(file));
}

const here = path.dirname(fileURLToPath(import.meta.url));
// The shared third-party corpus (see helpers/corpus.ts: skipped on a dev box without it, a failure under CI).
const CORPUS = CORPUS_DIR;

interface Entry {
  file: string;
  category: string;
  expect: {
    sampleRate?: number | string;
    channels?: number | string;
    frames?: number | null;
    bitsPerSample?: number | string;
    streaminfoMd5?: string;
    error?: boolean | 'allowed';
  };
}

const entries: Entry[] = HAVE_CORPUS
  ? (JSON.parse(readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Entry[]).filter((e) => e.file.toLowerCase().endsWith('.flac'))
  : [];
const corpusFile = (name: string) => path.join(CORPUS, 'files', name);
const UNSET_MD5 = '0'.repeat(32);

// ------------------------------------------------------------------ helpers

/** The FLAC MD5: interleaved signed little-endian integers of ceil(bits/8) bytes (RFC 9639 §8.2). */
async function flacMd5(source: AudioSource, block = 4096): Promise<string> {
  const { channels, frames, bitDepth } = source.format;
  const bytes = Math.ceil(bitDepth / 8);
  const scale = 2 ** (bitDepth - 1);
  const md5 = createHash('md5');
  for (let at = 0; at < frames; at += block) {
    const part = await source.read(at, block);
    const n = part[0]!.length;
    expect(n).toBe(Math.min(block, frames - at));
    const buf = Buffer.alloc(n * channels * bytes);
    let o = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < channels; c++) {
        buf.writeIntLE(Math.round(part[c]![i]! * scale), o, bytes);
        o += bytes;
      }
    }
    md5.update(buf);
  }
  return md5.digest('hex');
}


type Outcome = { ok: true; frames: number; md5: string } | { ok: false; code: string; message: string };

/** Opens and reads a whole file; anything but success or a StemkitError fails the test. */
async function outcome(file: string, options: FlacOpenOptions = {}): Promise<Outcome> {
  let source: FlacSource | undefined;
  try {
    source = await FlacSource.open(await RangeFile.open(file), options);
    const md5 = await flacMd5(source);
    return { ok: true, frames: source.format.frames, md5 };
  } catch (err) {
    if (!(err instanceof StemkitError)) throw err;
    expect(err.file).toBe(file);
    expect(err.hint.length).toBeGreaterThan(0);
    expect(err.hint).not.toContain('\n');
    return { ok: false, code: err.code, message: err.message };
  } finally {
    await source?.close();
  }
}

// ------------------------------------------------------------------ a tiny FLAC writer (verbatim subframes)

class BitWriter {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  bits(value: number, count: number): void {
    if (this.n === 0 && count % 8 === 0) {
      for (let k = count - 8; k >= 0; k -= 8) this.bytes.push(Math.floor(value / 2 ** k) & 0xff);
      return;
    }
    for (let k = count - 1; k >= 0; k--) {
      this.acc = (this.acc << 1) | (Math.floor(value / 2 ** k) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  align(): void {
    while (this.n !== 0) this.bits(0, 1);
  }
  done(): Uint8Array {
    this.align();
    return Uint8Array.from(this.bytes);
  }
}

interface Synth {
  rate?: number;
  channels?: number;
  bits?: number;
  blocks: number[];
  variable?: boolean;
  declareTotal?: boolean;
  tags?: string[];
  /** 'real' writes a SEEKTABLE pointing at every 10th frame; an array writes those points as given. */
  seekTable?: 'real' | Array<{ sample: number; offset: number }>;
  sample: (c: number, i: number) => number;
}

function hashSample(bits: number): (c: number, i: number) => number {
  return (c, i) => Math.floor(hash01(i + 1, c + 7) * 2 ** bits) - 2 ** (bits - 1);
}

/** The UTF-8-like coding of frame/sample numbers: k continuation bytes carry 5k+6 bits. */
function utf8Number(n: number): number[] {
  if (n < 0x80) return [n];
  let k = 1;
  while (n >= 2 ** (5 * k + 6)) k++;
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    out.unshift(0x80 | (n % 64));
    n = Math.floor(n / 64);
  }
  out.unshift(((0xff << (7 - k)) & 0xff) | n);
  return out;
}

/** Writes a FLAC stream with verbatim subframes: every sample value is known exactly. */
function synthFlac(o: Synth): { bytes: Uint8Array; total: number; md5: string; frameOffsets: number[]; audioStart: number } {
  const rate = o.rate ?? 44100;
  const channels = o.channels ?? 2;
  const bits = o.bits ?? 16;
  const total = o.blocks.reduce((a, b) => a + b, 0);
  const bitsCode = ({ 8: 1, 12: 2, 16: 4, 20: 5, 24: 6, 32: 7 } as Record<number, number>)[bits] ?? 0;
  const md5 = createHash('md5');
  const frames: Uint8Array[] = [];
  const frameOffsets: number[] = [];
  let offset = 0;
  let start = 0;
  o.blocks.forEach((bs, index) => {
    const head = [0xff, 0xf8 | (o.variable ? 1 : 0), (7 << 4) | 0, ((channels - 1) << 4) | (bitsCode << 1)];
    head.push(...utf8Number(o.variable ? start : index), (bs - 1) >> 8, (bs - 1) & 0xff);
    head.push(crc8(Uint8Array.from(head), 0, head.length));
    const w = new BitWriter();
    for (const b of head) w.bits(b, 8);
    const pcm = Buffer.alloc(bs * channels * Math.ceil(bits / 8));
    let p = 0;
    for (let c = 0; c < channels; c++) {
      w.bits(0x02, 8); // padding 0, type 000001 (verbatim), no wasted bits
      for (let i = 0; i < bs; i++) {
        const v = o.sample(c, start + i);
        w.bits(v < 0 ? v + 2 ** bits : v, bits);
      }
    }
    for (let i = 0; i < bs; i++) {
      for (let c = 0; c < channels; c++) {
        pcm.writeIntLE(o.sample(c, start + i), p, Math.ceil(bits / 8));
        p += Math.ceil(bits / 8);
      }
    }
    md5.update(pcm);
    const body = w.done();
    const crc = crc16(body, 0, body.length);
    const frame = new Uint8Array(body.length + 2);
    frame.set(body);
    frame[body.length] = crc >> 8;
    frame[body.length + 1] = crc & 0xff;
    frames.push(frame);
    frameOffsets.push(offset);
    offset += frame.length;
    start += bs;
  });
  const digest = md5.digest();

  const blocks: Array<[number, Uint8Array]> = [];
  const si = new Uint8Array(34);
  const maxBs = Math.max(...o.blocks);
  const minBs = Math.min(...o.blocks);
  si.set([minBs >> 8, minBs & 255, maxBs >> 8, maxBs & 255], 0);
  const declared = o.declareTotal === false ? 0 : total;
  si[10] = (rate >> 12) & 0xff;
  si[11] = (rate >> 4) & 0xff;
  si[12] = ((rate & 15) << 4) | ((channels - 1) << 1) | ((bits - 1) >> 4);
  si[13] = (((bits - 1) & 15) << 4) | Math.floor(declared / 2 ** 32);
  new DataView(si.buffer).setUint32(14, declared >>> 0);
  si.set(digest, 18);
  blocks.push([0, si]);
  if (o.seekTable) {
    const points =
      o.seekTable === 'real'
        ? frameOffsets.flatMap((off, i) => (i % 10 === 0 ? [{ sample: o.blocks.slice(0, i).reduce((a, b) => a + b, 0), offset: off }] : []))
        : o.seekTable;
    const st = new Uint8Array(points.length * 18);
    const view = new DataView(st.buffer);
    points.forEach((pt, i) => {
      view.setUint32(i * 18, Math.floor(pt.sample / 2 ** 32));
      view.setUint32(i * 18 + 4, pt.sample >>> 0);
      view.setUint32(i * 18 + 12, pt.offset >>> 0);
      view.setUint16(i * 18 + 16, 4096);
    });
    blocks.push([3, st]);
  }
  if (o.tags) {
    const enc = new TextEncoder();
    const parts: number[] = [];
    const u32 = (n: number) => parts.push(n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24);
    const vendor = enc.encode('stemkit test');
    u32(vendor.length);
    parts.push(...vendor);
    u32(o.tags.length);
    for (const t of o.tags) {
      const b = enc.encode(t);
      u32(b.length);
      parts.push(...b);
    }
    blocks.push([4, Uint8Array.from(parts)]);
  }
  const chunks: Uint8Array[] = [Uint8Array.from([0x66, 0x4c, 0x61, 0x43])];
  blocks.forEach(([type, body], i) => {
    const last = i === blocks.length - 1 ? 0x80 : 0;
    chunks.push(Uint8Array.from([last | type, body.length >> 16, (body.length >> 8) & 255, body.length & 255]), body);
  });
  const audioStart = chunks.reduce((a, c) => a + c.length, 0);
  chunks.push(...frames);
  return { bytes: Buffer.concat(chunks), total, md5: digest.toString('hex'), frameOffsets, audioStart };
}

const TMP = mkdtempSync(path.join(tmpdir(), 'stemkit-flac-'));
afterAll(() => { if (!process.env.KEEP_TMP) rmSync(TMP, { recursive: true, force: true }); });
let tmpCount = 0;
function tmpFile(bytes: Uint8Array): string {
  const file = path.join(TMP, `t${tmpCount++}.flac`);
  writeFileSync(file, bytes);
  return file;
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<StemkitError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(StemkitError);
    expect((err as StemkitError).code).toBe(code);
    return err as StemkitError;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** Expected Float32 values of a synthetic stream in [start, start+n). */
function expected(o: Synth, channel: number, start: number, n: number): Float32Array {
  const bits = o.bits ?? 16;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = o.sample(channel, start + i) / 2 ** (bits - 1);
  return out;
}

// ------------------------------------------------------------------ corpus

/** Per category: files that passed (read in full, or rejected with which code) and that failed. */
const tally: Record<string, { read: number; rejected: Record<string, number>; failed: string[] }> = {};
function count(category: string, file: string, result: Outcome | 'failed'): void {
  const t = (tally[category] ??= { read: 0, rejected: {}, failed: [] });
  if (result === 'failed') t.failed.push(file);
  else if (result.ok) t.read++;
  else t.rejected[result.code] = (t.rejected[result.code] ?? 0) + 1;
}

describe.skipIf(!HAVE_CORPUS)('FLAC corpus', () => {
  afterAll(() => {
    // One line per category, for the summary of a run (e.g. `npx vitest run test/flac.test.ts`).
    for (const [category, t] of Object.entries(tally)) {
      const rejected = Object.entries(t.rejected).map(([code, n]) => `${code} x${n}`);
      const passed = t.read + Object.values(t.rejected).reduce((a, b) => a + b, 0);
      console.log(
        `flac corpus ${category}: ${passed} passed (${t.read} read in full${rejected.length ? `, rejected: ${rejected.join(', ')}` : ''})` +
          (t.failed.length ? `; FAILED: ${t.failed.join(', ')}` : ''),
      );
    }
  });

  const valid = entries.filter((e) => e.category === 'valid' || e.category === 'valid-compressed');
  it.each(valid.map((e) => [e.file, e] as const))('reads valid %s exactly', async (name, entry) => {
    let result: Outcome | 'failed' = 'failed';
    try {
      const x = entry.expect;
      const source = await openFlac(corpusFile(name));
      try {
        const f = source.format;
        expect(f.container).toBe('flac');
        expect(f.encoding).toBe('pcm');
        expect(f.bigEndian).toBe(false);
        expect(f.sampleRate).toBe(x.sampleRate);
        expect(f.channels).toBe(x.channels);
        expect(f.bitDepth).toBe(x.bitsPerSample);
        expect(f.containerBits).toBe(x.bitsPerSample);
        expect(f.channelLayout).toHaveLength(f.channels);
        if (x.frames != null) expect(f.frames).toBe(x.frames);
        expect(source.meta.chunks[0]!.id).toBe('STREAMINFO');
        expect(source.meta.bext).toBeNull();
        expect(source.meta.ixml).toBeNull();
        if (x.streaminfoMd5 && x.streaminfoMd5 !== UNSET_MD5) {
          expect((source as FlacSource).streamInfo.md5).toBe(x.streaminfoMd5);
          expect(await flacMd5(source)).toBe(x.streaminfoMd5);
        } else {
          await readSource(source);
        }
        // Read from the start in order, every frame libFLAC can take goes to libFLAC, without failures.
        const stats = (source as FlacSource).decoderStats;
        expect(stats.libflacFailures).toBe(0);
        if ([8, 16, 24].includes(f.bitDepth) && !source.meta.warnings.some((w) => w.includes('numbered from'))) {
          expect(stats.typescript).toBe(0);
          expect(stats.libflac).toBeGreaterThan(0);
        } else {
          expect(stats.libflac).toBe(0);
        }
        result = { ok: true, frames: f.frames, md5: '' };
      } finally {
        await source.close();
      }
    } finally {
      count(entry.category, name, result);
    }
  });

  it.each(valid.map((e) => [e.file, e] as const))('TypeScript decoder agrees with libFLAC on %s', async (name) => {
    const wasm = await outcome(corpusFile(name));
    const js = await outcome(corpusFile(name), { decoder: 'js' });
    expect(js).toEqual(wasm);
    expect(wasm.ok).toBe(true);
  });

  const errors = entries.filter((e) => e.category === 'error');
  it.each(errors.map((e) => [e.file, e] as const))('rejects %s with a StemkitError', async (name, entry) => {
    const result = await outcome(corpusFile(name));
    count(entry.category, name, result.ok ? 'failed' : result);
    expect(result.ok).toBe(false);
  });

  const others = entries.filter((e) => !['valid', 'valid-compressed', 'error'].includes(e.category));
  it.each(others.map((e) => [`${e.category} ${e.file}`, e] as const))(
    'reads or cleanly rejects %s, the same way twice',
    async (_label, entry) => {
      // Either outcome is allowed for faulty, uncommon and fuzz files; a raw exception, a hang
      // (the test timeout) or a different answer on the second try is not.
      let first: Outcome | 'failed' = 'failed';
      try {
        first = await outcome(corpusFile(entry.file));
      } finally {
        count(entry.category, entry.file, first);
      }
      const second = await outcome(corpusFile(entry.file));
      expect(second).toEqual(first);
      if (first.ok && typeof entry.expect.channels === 'number' && typeof entry.expect.sampleRate === 'number') {
        const source = await openFlac(corpusFile(entry.file));
        expect(source.format.channels).toBe(entry.expect.channels);
        expect(source.format.sampleRate).toBe(entry.expect.sampleRate);
        await source.close();
      }
      if (first.ok && entry.expect.streaminfoMd5 && entry.expect.streaminfoMd5 !== UNSET_MD5) {
        expect(first.md5).toBe(entry.expect.streaminfoMd5);
      }
    },
    20_000,
  );

  it('survives truncated and bit-flipped copies of real files', async () => {
    // A small fuzz run: every variant must read in full or fail with a StemkitError, quickly.
    const rand = prng(2024);
    for (const name of ['60 - mono audio.flac', '41 - 6 channels (5.1).flac', '22 - 12 bit per sample.flac']) {
      const original = readFileSync(corpusFile(name));
      const variants: Uint8Array[] = [];
      for (let k = 1; k < 12; k++) variants.push(original.subarray(0, Math.floor((original.length * k) / 12)));
      for (const cut of [3, 9, 30, 42, 60, 200]) variants.push(original.subarray(0, cut));
      for (let k = 0; k < 24; k++) {
        const copy = Uint8Array.from(original);
        const flips = 1 + Math.floor(rand() * 6);
        // Half the flips land in the first 8 KB, where the headers are.
        for (let j = 0; j < flips; j++) copy[Math.floor(rand() * (k % 2 ? 8192 : copy.length))] ^= 1 + Math.floor(rand() * 255);
        variants.push(copy);
      }
      for (const bytes of variants) {
        const file = tmpFile(bytes);
        const started = Date.now();
        const first = await outcome(file);
        expect(await outcome(file)).toEqual(first);
        expect(Date.now() - started).toBeLessThan(10_000);
      }
    }
  }, 120_000);

  it('faulty files the audio of which is fine are read in full', async () => {
    // STREAMINFO total too small: the frames hold 109487 samples (ffmpeg's MD5 over all of them matches).
    const wrongTotal = await openFlacFile(corpusFile('05 - wrong total number of samples.flac'));
    expect(wrongTotal.format.frames).toBe(109487);
    expect(wrongTotal.meta.warnings.join(' ')).toMatch(/39842/);
    await wrongTotal.close();
    const badComment = await openFlacFile(corpusFile('10 - invalid vorbis comment metadata block.flac'));
    expect(badComment.format.frames).toBe(119279);
    expect(badComment.meta.tags).toEqual({ SET: 'faulty' });
    expect(badComment.meta.warnings.join(' ')).toMatch(/VORBIS_COMMENT/);
    await badComment.close();
  });

  it('parses Vorbis comments, the channel mask and the block list', async () => {
    const repeated = await openFlac(corpusFile('repeated_vorbis_comment.flac'));
    expect(repeated.meta.tags).toEqual({ FOO: 'bar; baz' });
    await repeated.close();
    const masked = await openFlac(corpusFile('wasted_bits.flac'));
    expect(masked.format.channelMask).toBe(1);
    expect(masked.format.channelLayout).toEqual(['L']);
    expect(masked.meta.chunks.map((c) => c.id)).toEqual(['STREAMINFO', 'SEEKTABLE', 'VORBIS_COMMENT']);
    expect(masked.meta.chunks[0]).toEqual({ id: 'STREAMINFO', size: 34, offset: 4 });
    await masked.close();
    const picture = await openFlac(corpusFile('59 - AVIF PICTURE.flac'));
    expect(picture.meta.unknownChunks).toEqual(['PICTURE']);
    await picture.close();
    const surround = await openFlac(corpusFile('41 - 6 channels (5.1).flac'));
    expect(surround.format.channelMask).toBeNull();
    expect(surround.format.channelLayout).toEqual(['L', 'R', 'C', 'LFE', 'Ls', 'Rs']);
    await surround.close();
  });

  describe('random access matches a sequential read', () => {
    const files = [
      '41 - 6 channels (5.1).flac', // libFLAC path, SEEKTABLE-less
      '14 - wasted bits.flac', // libFLAC path with a SEEKTABLE
      '45 - no total number of samples set.flac',
      '07 - 15 bit per sample.flac', // TypeScript decoder path
      '17 - all fixed orders.flac', // 1152-sample blocks
    ];
    it.each(files)('%s', async (name) => {
      const file = corpusFile(name);
      const seq = await openFlac(file);
      const all = await readSource(seq, 4096);
      const frames = seq.format.frames;
      await seq.close();

      const src = await openFlac(file);
      const check = async (start: number, n: number, into?: Float32Array[]) => {
        const got = await src.read(start, n, into);
        const want = Math.max(0, Math.min(n, frames - start));
        expect(got[0]!.length).toBe(want);
        for (let c = 0; c < src.format.channels; c++) {
          expect(got[c]!.length).toBe(want);
          const ref = all[c]!.subarray(start, start + want);
          if (!Buffer.from(got[c]!.buffer, got[c]!.byteOffset, got[c]!.byteLength).equals(Buffer.from(ref.buffer, ref.byteOffset, ref.byteLength))) {
            throw new Error(`${name}: channel ${c} differs in [${start}, ${start + want})`);
          }
        }
      };
      const mid = Math.floor(frames * 0.6);
      await check(mid, 10000); // a far forward seek from a fresh source
      await check(mid + 5000, 10000); // overlapping the previous read
      await check(Math.floor(frames * 0.2), 5000); // backward seek
      await check(Math.floor(frames * 0.2) - 3, 7); // slightly backward again
      await check(frames - 100, 4096); // short read at the end
      await check(frames, 10); // nothing past the end
      await check(0, 1);
      const into = Array.from({ length: src.format.channels }, () => new Float32Array(3000));
      await check(Math.floor(frames * 0.9), 3000, into);
      const rand = prng(frames);
      for (let k = 0; k < 40; k++) await check(Math.floor(rand() * frames), 1 + Math.floor(rand() * 9000));
      // Reads issued together are served one after the other, each correct.
      await Promise.all([check(1000, 5000), check(frames - 20000, 8000), check(50, 10)]);
      // libFLAC only continues runs from frame 0; frames reached by seeking are decoded in TypeScript.
      expect((src as FlacSource).decoderStats.libflacFailures).toBe(0);
      expect((src as FlacSource).decoderStats.typescript).toBeGreaterThan(0);
      await src.close();
    });
  });
});

// ------------------------------------------------------------------ synthetic streams

describe('synthetic FLAC streams', () => {
  it('seeks exactly in a long file, keeping memory bounded', async () => {
    const o: Synth = { channels: 2, bits: 16, blocks: Array(700).fill(4096), sample: hashSample(16) };
    const { bytes, total, md5 } = synthFlac(o);
    expect(bytes.length).toBeGreaterThan(10_000_000);
    const file = tmpFile(bytes);
    const src = (await openFlac(file)) as FlacSource;
    expect(src.format.frames).toBe(total);
    const rand = prng(7);
    const positions = [total - 1, 0, Math.floor(total / 2), 12345, total - 5000];
    for (let k = 0; k < 30; k++) positions.push(Math.floor(rand() * total));
    for (const at of positions) {
      const n = Math.min(2000, total - at);
      const got = await src.read(at, n);
      expect(got[0]).toEqual(expected(o, 0, at, n));
      expect(got[1]).toEqual(expected(o, 1, at, n));
    }
    expect(await flacMd5(src, 4096)).toBe(md5);
    // Internals: the byte window and the seek index do not grow with the file.
    const internals = src as unknown as { window: { buf: Uint8Array }; index: { size: number }; cache: unknown[] };
    expect(internals.window.buf.length).toBeLessThanOrEqual(1024 * 1024);
    expect(internals.index.size).toBeLessThanOrEqual(4096);
    expect(internals.cache.length).toBeLessThanOrEqual(4);
    await src.close();
  });

  it('uses a SEEKTABLE and survives one that lies', async () => {
    const o: Synth = { channels: 1, bits: 24, blocks: Array(200).fill(4608), sample: hashSample(24), seekTable: 'real' };
    const real = synthFlac(o);
    const good = (await openFlac(tmpFile(real.bytes))) as FlacSource;
    const at = 150 * 4608 + 17;
    expect((await good.read(at, 100))[0]).toEqual(expected(o, 0, at, 100));
    expect(good.meta.warnings).toEqual([]);
    await good.close();

    const lying = synthFlac({ ...o, seekTable: [{ sample: 100 * 4608, offset: 12345 }, { sample: 150 * 4608, offset: 99 }] });
    const bad = (await openFlac(tmpFile(lying.bytes))) as FlacSource;
    expect((await bad.read(at, 100))[0]).toEqual(expected(o, 0, at, 100));
    expect(bad.meta.warnings.join(' ')).toMatch(/SEEKTABLE/);
    expect(await flacMd5(bad)).toBe(lying.md5);
    await bad.close();
  });

  it('reads variable block sizes, with and without a declared length', async () => {
    const rand = prng(3);
    const blocks = Array.from({ length: 300 }, () => 16 + Math.floor(rand() * 8000));
    for (const declareTotal of [true, false]) {
      const o: Synth = { channels: 3, bits: 16, blocks, variable: true, declareTotal, sample: hashSample(16) };
      const { bytes, total, md5 } = synthFlac(o);
      const src = await openFlac(tmpFile(bytes));
      expect(src.format.frames).toBe(total);
      for (const at of [total - 10, 5, Math.floor(total / 3), Math.floor(total / 7)]) {
        const n = Math.min(9000, total - at);
        const got = await src.read(at, n);
        for (let c = 0; c < 3; c++) expect(got[c]).toEqual(expected(o, c, at, n));
      }
      expect(await flacMd5(src, 1000)).toBe(md5);
      await src.close();
    }
  });

  it.each([4, 8, 12, 20, 24, 32])('reads %i-bit samples at full scale', async (bits) => {
    const o: Synth = { channels: 2, bits, blocks: [4096, 4096, 1000], sample: hashSample(bits) };
    const { bytes, total, md5 } = synthFlac(o);
    const src = await openFlac(tmpFile(bytes));
    expect(src.format.bitDepth).toBe(bits);
    const got = await src.read(0, total);
    for (let c = 0; c < 2; c++) expect(got[c]).toEqual(expected(o, c, 0, total));
    const peak = Math.max(...got[0]!.map(Math.abs));
    expect(peak).toBeLessThanOrEqual(1);
    expect(peak).toBeGreaterThan(0.99);
    // Float32 holds 24 bits of mantissa: 32-bit samples cannot round-trip, so no MD5 there.
    if (bits <= 24) expect(await flacMd5(src)).toBe(md5);
    await src.close();
  });

  it('takes the channel mask and tags from Vorbis comments', async () => {
    const o: Synth = {
      channels: 4,
      blocks: [256],
      sample: hashSample(16),
      tags: ['WAVEFORMATEXTENSIBLE_CHANNEL_MASK=0x0107', 'title=Bass stem', 'Artist=A', 'ARTIST=B', 'no equals sign'],
    };
    const src = await openFlac(tmpFile(synthFlac(o).bytes));
    expect(src.format.channelMask).toBe(0x107);
    expect(src.format.channelLayout).toEqual(['L', 'R', 'C', 'Cs']);
    expect(src.meta.tags).toMatchObject({ TITLE: 'Bass stem', ARTIST: 'A; B' });
    expect(src.meta.chunks.map((c) => c.id)).toEqual(['STREAMINFO', 'VORBIS_COMMENT']);
    await src.close();
  });

  it('looks past an ID3v2 tag in front and ID3v1/APE tags or junk behind', async () => {
    const o: Synth = { channels: 1, blocks: [4096, 4096, 333], sample: hashSample(16), declareTotal: false };
    const { bytes, total, md5 } = synthFlac(o);
    const id3v2 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x14', 'latin1'), Buffer.alloc(20, 0x41)]);
    const id3v1 = Buffer.concat([Buffer.from('TAG'), Buffer.alloc(125, 0x20)]);
    const ape = Buffer.alloc(32);
    ape.write('APETAGEX', 0, 'latin1');
    ape.writeUInt32LE(2000, 8);
    ape.writeUInt32LE(32, 12); // tag size: items (none) + this footer
    for (const [label, file, unknown] of [
      ['ID3v2 + ID3v1', Buffer.concat([id3v2, bytes, id3v1]), ['ID3v2', 'ID3v1']],
      ['APEv2 + ID3v1', Buffer.concat([bytes, ape, id3v1]), ['APEv2', 'ID3v1']],
      ['junk', Buffer.concat([bytes, Buffer.from('this is not audio, just text at the end')]), []],
    ] as const) {
      const src = await openFlac(tmpFile(file));
      expect(src.format.frames, label).toBe(total);
      expect(await flacMd5(src), label).toBe(md5);
      expect(src.meta.unknownChunks, label).toEqual(unknown);
      if (label === 'junk') expect(src.meta.warnings.join(' ')).toMatch(/not FLAC audio/);
      await src.close();
    }
  });

  it('ends the audio before long trailing garbage, declared length or not', async () => {
    const rand = prng(11);
    const garbage = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(rand() * 256)));
    for (const declareTotal of [true, false]) {
      const o: Synth = { channels: 2, blocks: Array(30).fill(4096), sample: hashSample(16), declareTotal };
      const { bytes, total, md5 } = synthFlac(o);
      const src = await openFlac(tmpFile(Buffer.concat([bytes, garbage])));
      expect(src.format.frames).toBe(total);
      expect(await flacMd5(src)).toBe(md5);
      expect(src.meta.warnings.join(' ')).toMatch(/300000 bytes after the last frame/);
      await src.close();
    }
  });

  it('reports truncation, or reads what is there when allowed', async () => {
    const o: Synth = { channels: 2, blocks: [4096, 4096, 4096, 4096], sample: hashSample(16) };
    const { bytes, frameOffsets, audioStart } = synthFlac(o);
    const cutMidFrame = tmpFile(bytes.subarray(0, bytes.length - 5000));
    await expectCode(openFlac(cutMidFrame), 'E_TRUNCATED');
    const lenient = await openFlac(cutMidFrame, { allowTruncated: true });
    expect(lenient.format.frames).toBe(3 * 4096);
    expect(lenient.meta.warnings.join(' ')).toMatch(/cut short/);
    expect((await lenient.read(3 * 4096 - 10, 100))[1]).toEqual(expected(o, 1, 3 * 4096 - 10, 10));
    await lenient.close();

    // Cut exactly at a frame boundary: every frame is whole, but STREAMINFO promises more.
    const cutAtFrame = tmpFile(bytes.subarray(0, audioStart + frameOffsets[3]!));
    await expectCode(openFlac(cutAtFrame), 'E_TRUNCATED');
    const lenient2 = await openFlac(cutAtFrame, { allowTruncated: true });
    expect(lenient2.format.frames).toBe(3 * 4096);
    await lenient2.close();
  });

  it('rejects broken headers with typed errors', async () => {
    const { bytes } = synthFlac({ channels: 1, blocks: [4096, 100], sample: hashSample(16) });
    const patch = (at: number, values: number[]) => {
      const copy = Uint8Array.from(bytes);
      copy.set(values, at);
      return tmpFile(copy);
    };
    // STREAMINFO body starts at byte 8: rate/channels/bits live in bytes 18..21.
    await expectCode(openFlac(patch(18, [0, 0, 0x00])), 'E_BAD_HEADER'); // rate 0
    await expectCode(openFlac(patch(20, [0x00, 0x20])), 'E_BAD_HEADER'); // 3-bit samples
    await expectCode(openFlac(patch(5, [0xff, 0xff, 0xff])), 'E_BAD_HEADER'); // STREAMINFO length past EOF
    await expectCode(openFlac(patch(4, [0x81])), 'E_BAD_HEADER'); // no STREAMINFO (a PADDING block instead)
    await expectCode(openFlac(patch(0, [0x66, 0x4c, 0x61, 0x44])), 'E_BAD_HEADER'); // not fLaC
    await expectCode(openFlac(tmpFile(bytes.subarray(0, 20))), 'E_TRUNCATED'); // ends inside STREAMINFO
    await expectCode(openFlac(tmpFile(bytes.subarray(0, 6))), 'E_TRUNCATED'); // ends inside a block header
    await expectCode(openFlac(tmpFile(bytes.subarray(0, 42))), 'E_TRUNCATED'); // metadata only, samples declared
    await expectCode(openFlac(path.join(TMP, 'missing.flac')), 'E_IO');
  });

  it('reports corrupt audio as E_BAD_DATA after reading what precedes it', async () => {
    const o: Synth = { channels: 2, blocks: Array(20).fill(4096), sample: hashSample(16) };
    const { bytes, frameOffsets, audioStart } = synthFlac(o);
    const copy = Uint8Array.from(bytes);
    copy[audioStart + frameOffsets[10]! + 500] ^= 0x55; // inside frame 10
    const src = await openFlac(tmpFile(copy));
    expect((await src.read(0, 10 * 4096))[0]).toEqual(expected(o, 0, 0, 10 * 4096));
    await expectCode(src.read(10 * 4096, 10), 'E_BAD_DATA');
    await expectCode(src.read(0, src.format.frames), 'E_BAD_DATA');
    // The source stays usable for the healthy part.
    expect((await src.read(15 * 4096, 10))[1]).toEqual(expected(o, 1, 15 * 4096, 10));
    await src.close();
  });

  it('reports a frame that is intact (CRC-16 matches) but undecodable as E_BAD_DATA', async () => {
    const o: Synth = { channels: 2, blocks: Array(6).fill(4096), sample: hashSample(16) };
    const { bytes, frameOffsets, audioStart } = synthFlac(o);
    const copy = Uint8Array.from(bytes);
    const start = audioStart + frameOffsets[3]!;
    const end = audioStart + frameOffsets[4]!;
    copy[start + 8] = 0x04; // first subframe: reserved type 000010
    const crc = crc16(copy, start, end - 2);
    copy[end - 2] = crc >> 8;
    copy[end - 1] = crc & 0xff;
    const src = (await openFlac(tmpFile(copy))) as FlacSource;
    const err = await expectCode(src.read(0, src.format.frames), 'E_BAD_DATA');
    expect(err.message).toMatch(/reserved subframe type/);
    // libFLAC failed on it first; the TypeScript decoder confirmed the damage.
    expect(src.decoderStats.libflacFailures).toBe(1);
    expect((await src.read(4 * 4096, 10))[0]).toEqual(expected(o, 0, 4 * 4096, 10));
    await src.close();
  });

  it('validates read() arguments', async () => {
    const src = await openFlac(tmpFile(synthFlac({ channels: 2, blocks: [1000], sample: hashSample(16) }).bytes));
    await expectCode(src.read(-1, 10), 'E_USAGE');
    await expectCode(src.read(0.5, 10), 'E_USAGE');
    await expectCode(src.read(0, 10, [new Float32Array(10)]), 'E_USAGE');
    expect((await src.read(990, 100))[0]).toHaveLength(10);
    await src.close();
    await expectCode(src.read(0, 10), 'E_USAGE');
  });
});
