/**
 * Deterministic mutation fuzzing of the container readers. Valid seed files (synthesised here,
 * plus the shared corpus when present) are damaged in targeted ways — truncation, byte flips,
 * absurd size and format fields, corrupted/duplicated/reordered chunks, RF64 ds64 sizes — and
 * every mutant is opened and read to the end. The contract under test: hostile input only ever
 * produces a StemkitError with a hint and the file path, never a TypeError/RangeError, a hang,
 * or an allocation out of proportion to the file.
 *
 * Everything is driven by a seeded PRNG, so a failure names its seed and mutation and reproduces.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import type { AudioSource, OpenOptions } from '../src/audio/types.js';
import { StemkitError, type StemkitErrorCode } from '../src/errors.js';
import { corpusPath, HAVE_CORPUS, loadCorpus } from './helpers/corpus.js';
import { prng } from '../src/dsp/random.js';
import { asciiBytes, concatBytes } from '../src/audio/bytes.js';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function hashName(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Byte helpers and seed synthesis

const ascii = asciiBytes;

const concat = concatBytes;

function setU32(bytes: Uint8Array, at: number, value: number, bigEndian: boolean): void {
  if (at + 4 > bytes.length) return;
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value >>> 0, !bigEndian);
}

function setU16(bytes: Uint8Array, at: number, value: number, bigEndian: boolean): void {
  if (at + 2 > bytes.length) return;
  new DataView(bytes.buffer, bytes.byteOffset).setUint16(at, value & 0xffff, !bigEndian);
}

function setU64LE(bytes: Uint8Array, at: number, value: bigint): void {
  if (at + 8 > bytes.length) return;
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(at, BigInt.asUintN(64, value), true);
}

function u32(value: number, bigEndian: boolean): Uint8Array {
  const b = new Uint8Array(4);
  setU32(b, 0, value, bigEndian);
  return b;
}

/** A chunk: id, size, body, pad byte after an odd body. */
function chunk(id: string, body: Uint8Array, bigEndian = false): Uint8Array {
  return concat([ascii(id), u32(body.length, bigEndian), body, body.length % 2 ? new Uint8Array(1) : new Uint8Array(0)]);
}

function container(magic: string, form: string, chunks: Uint8Array[], bigEndian = false): Uint8Array {
  const body = concat(chunks);
  return concat([ascii(magic), u32(body.length + 4, bigEndian), ascii(form), body]);
}

interface FmtSpec {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  bytesPerSample?: number;
  extensible?: { validBits: number; mask: number };
}

function fmtBody(spec: FmtSpec, bigEndian = false): Uint8Array {
  const bytes = spec.bytesPerSample ?? Math.ceil(spec.bits / 8);
  const body = new Uint8Array(spec.extensible ? 40 : 16);
  setU16(body, 0, spec.extensible ? 0xfffe : spec.tag, bigEndian);
  setU16(body, 2, spec.channels, bigEndian);
  setU32(body, 4, spec.rate, bigEndian);
  setU32(body, 8, spec.rate * bytes * spec.channels, bigEndian);
  setU16(body, 12, bytes * spec.channels, bigEndian);
  setU16(body, 14, spec.bits, bigEndian);
  if (spec.extensible) {
    setU16(body, 16, 22, bigEndian);
    setU16(body, 18, spec.extensible.validBits, bigEndian);
    setU32(body, 20, spec.extensible.mask, bigEndian);
    setU32(body, 24, spec.tag, bigEndian);
    body.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 28);
  }
  return body;
}

function noise(rng: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(rng() * 256);
  return out;
}

/** Float samples in ±0.9, stored as 32- or 64-bit IEEE floats. */
function floatData(rng: () => number, count: number, width: 4 | 8, bigEndian: boolean): Uint8Array {
  const out = new Uint8Array(count * width);
  const view = new DataView(out.buffer);
  for (let i = 0; i < count; i++) {
    const v = (rng() * 2 - 1) * 0.9;
    if (width === 4) view.setFloat32(i * 4, v, !bigEndian);
    else view.setFloat64(i * 8, v, !bigEndian);
  }
  return out;
}

/** IEEE 754 80-bit extended for an AIFF sample rate. */
function extended80(rate: number): Uint8Array {
  const out = new Uint8Array(10);
  if (rate === 0) return out;
  const exponent = Math.floor(Math.log2(rate));
  const mantissa = BigInt(rate * 2 ** (63 - exponent));
  setU16(out, 0, 16383 + exponent, true);
  new DataView(out.buffer).setBigUint64(2, mantissa, false);
  return out;
}

function commBody(channels: number, frames: number, bits: number, rate: number, compression?: string): Uint8Array {
  const body = new Uint8Array(compression ? 24 : 18);
  setU16(body, 0, channels, true);
  setU32(body, 2, frames, true);
  setU16(body, 6, bits, true);
  body.set(extended80(rate), 8);
  if (compression) {
    body.set(ascii(compression), 18);
    body[22] = 0; // empty pascal-string compression name, padded
  }
  return body;
}

function ssndBody(data: Uint8Array): Uint8Array {
  return concat([new Uint8Array(8), data]);
}

function infoList(tags: Record<string, string>): Uint8Array {
  return concat([ascii('INFO'), ...Object.entries(tags).map(([id, value]) => chunk(id, ascii(`${value}\0`)))]);
}

function bextBody(description: string, originator: string, timeReference: number): Uint8Array {
  const body = new Uint8Array(602 + 13);
  body.set(ascii(description).subarray(0, 256), 0);
  body.set(ascii(originator).subarray(0, 32), 256);
  body.set(ascii('2024-01-02'), 320);
  body.set(ascii('03:04:05'), 330);
  setU32(body, 338, timeReference % 2 ** 32, false);
  setU32(body, 342, Math.floor(timeReference / 2 ** 32), false);
  setU16(body, 346, 1, false);
  body.set(ascii('A=PCM,F=48000'), 602);
  return body;
}

/** Small valid files covering every container and encoding the PCM readers handle. */
function synthesiseSeeds(): Array<{ name: string; bytes: Uint8Array }> {
  const rng = prng(0x5eed);
  const wav = (name: string, spec: FmtSpec, frames: number, extra: { before?: Uint8Array[]; after?: Uint8Array[] } = {}) => {
    const bytes = spec.bytesPerSample ?? Math.ceil(spec.bits / 8);
    const data =
      spec.tag === 3 ? floatData(rng, frames * spec.channels, bytes as 4 | 8, false) : noise(rng, frames * spec.channels * bytes);
    return { name, bytes: container('RIFF', 'WAVE', [chunk('fmt ', fmtBody(spec)), ...(extra.before ?? []), chunk('data', data), ...(extra.after ?? [])]) };
  };
  const seeds = [
    wav('wav-pcm16-stereo', { tag: 1, channels: 2, rate: 44100, bits: 16 }, 300),
    wav('wav-pcm24-mono-meta', { tag: 1, channels: 1, rate: 48000, bits: 24 }, 201, {
      before: [
        chunk('bext', bextBody('fuzz seed', 'stemkit', 2 ** 33 + 7)),
        chunk('LIST', infoList({ INAM: 'Title', IART: 'Artist' })),
        chunk('iXML', ascii('<BWFXML><PROJECT>x</PROJECT></BWFXML>')),
        chunk('junk', new Uint8Array(7)),
      ],
    }),
    wav('wav-float32-extensible', { tag: 3, channels: 2, rate: 96000, bits: 32, extensible: { validBits: 32, mask: 3 } }, 150),
    wav('wav-float64', { tag: 3, channels: 1, rate: 8000, bits: 64 }, 80),
    wav('wav-pcm8-mono', { tag: 1, channels: 1, rate: 22050, bits: 8 }, 333),
    wav('wav-alaw', { tag: 6, channels: 1, rate: 8000, bits: 8 }, 256),
    wav('wav-mulaw-stereo', { tag: 7, channels: 2, rate: 8000, bits: 8 }, 128),
    wav('wav-24in32-extensible-6ch', { tag: 1, channels: 6, rate: 48000, bits: 32, extensible: { validBits: 24, mask: 0x3f } }, 64),
    wav('wav-pcm12-in16', { tag: 1, channels: 1, rate: 11025, bits: 12 }, 100),
    wav('wav-pcm16-trailing-odd-chunk', { tag: 1, channels: 1, rate: 44100, bits: 16 }, 120, {
      after: [chunk('LIST', infoList({ ICMT: 'after the audio' })), chunk('odd!', new Uint8Array(3))],
    }),
    {
      name: 'rifx-pcm16-stereo',
      bytes: container('RIFX', 'WAVE', [chunk('fmt ', fmtBody({ tag: 1, channels: 2, rate: 44100, bits: 16 }, true), true), chunk('data', noise(rng, 400), true)], true),
    },
  ];
  // RF64: ds64 first, RIFF and data sizes as 0xFFFFFFFF placeholders resolved through ds64.
  {
    const data = noise(rng, 2 * 2 * 150);
    const ds64 = new Uint8Array(28);
    const fmt = chunk('fmt ', fmtBody({ tag: 1, channels: 2, rate: 48000, bits: 16 }));
    const total = 4 + 36 + fmt.length + 8 + data.length;
    setU64LE(ds64, 0, BigInt(total));
    setU64LE(ds64, 8, BigInt(data.length));
    setU64LE(ds64, 16, 150n);
    const dataChunk = chunk('data', data);
    setU32(dataChunk, 4, 0xffffffff, false);
    const bytes = concat([ascii('RF64'), u32(0xffffffff, false), ascii('WAVE'), chunk('ds64', ds64), fmt, dataChunk]);
    seeds.push({ name: 'rf64-pcm16-stereo', bytes });
  }
  const aiff = (name: string, form: 'AIFF' | 'AIFC', channels: number, frames: number, bits: number, rate: number, compression?: string, width?: number) => {
    const w = width ?? Math.ceil(bits / 8);
    const data =
      compression === 'fl32' || compression === 'fl64'
        ? floatData(rng, frames * channels, w as 4 | 8, true)
        : noise(rng, frames * channels * w);
    const chunks = [
      chunk('COMM', commBody(channels, frames, bits, rate, compression), true),
      chunk('NAME', ascii('seed name'), true),
      chunk('ANNO', ascii('odd'), true),
      chunk('SSND', ssndBody(data), true),
    ];
    return { name, bytes: container('FORM', form, chunks, true) };
  };
  seeds.push(
    aiff('aiff-pcm16-stereo', 'AIFF', 2, 200, 16, 44100),
    aiff('aiff-pcm24-mono-5512.5Hz', 'AIFF', 1, 151, 24, 5512.5),
    aiff('aiff-pcm8-mono', 'AIFF', 1, 99, 8, 22050),
    aiff('aifc-sowt-stereo', 'AIFC', 2, 120, 16, 48000, 'sowt'),
    aiff('aifc-fl32-mono', 'AIFC', 1, 90, 32, 96000, 'fl32', 4),
    aiff('aifc-fl64-stereo', 'AIFC', 2, 40, 64, 44100, 'fl64', 8),
    aiff('aifc-ulaw-mono', 'AIFC', 1, 160, 16, 8000, 'ulaw', 1),
    aiff('aifc-alaw-mono', 'AIFC', 1, 161, 16, 8000, 'alaw', 1),
  );
  return seeds;
}

// ---------------------------------------------------------------------------------------------
// Seed structure (parsed independently of the readers under test)

interface SeedChunk {
  id: string;
  offset: number;
  size: number;
  /** Bytes occupied in the file: header, body, pad; clipped to the file. */
  span: number;
}

interface Seed {
  name: string;
  bytes: Uint8Array;
  kind: 'riff' | 'form' | 'flac';
  bigEndian: boolean;
  chunks: SeedChunk[];
  /** Where the audio payload starts: everything before it is "header". */
  headerEnd: number;
  /** Where the declared audio payload ends. */
  dataEnd: number;
  /** Synthesised seeds: structure is known, so truncation must be reported as E_TRUNCATED exactly. */
  strict: boolean;
}

function parseSeed(name: string, bytes: Uint8Array, strict: boolean): Seed {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  const seed: Seed = { name, bytes, kind: 'riff', bigEndian: false, chunks: [], headerEnd: Math.min(bytes.length, 256), dataEnd: bytes.length, strict };
  if (magic === 'fLaC') {
    seed.kind = 'flac';
    seed.bigEndian = true;
    let at = 4;
    for (;;) {
      if (at + 4 > bytes.length) break;
      const type = bytes[at]! & 0x7f;
      const last = (bytes[at]! & 0x80) !== 0;
      const size = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
      seed.chunks.push({ id: `block${type}`, offset: at, size, span: Math.min(4 + size, bytes.length - at) });
      at += 4 + size;
      if (last) break;
    }
    seed.headerEnd = Math.min(at, bytes.length);
    return seed;
  }
  seed.kind = magic === 'FORM' ? 'form' : 'riff';
  seed.bigEndian = magic === 'FORM' || magic === 'RIFX';
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = String.fromCharCode(...bytes.subarray(at, at + 4));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    let size = view.getUint32(at + 4, !seed.bigEndian);
    if (size === 0xffffffff && id === 'data') size = bytes.length - at - 8;
    const span = Math.min(8 + size + (size % 2), bytes.length - at);
    seed.chunks.push({ id, offset: at, size, span });
    if (id === 'data') {
      seed.headerEnd = at + 8;
      seed.dataEnd = Math.min(at + 8 + size, bytes.length);
    }
    if (id === 'SSND') {
      seed.headerEnd = Math.min(at + 16, bytes.length);
      seed.dataEnd = Math.min(at + 8 + size, bytes.length);
    }
    at += 8 + size + (size % 2);
  }
  return seed;
}

// ---------------------------------------------------------------------------------------------
// Mutations

interface Mutant {
  label: string;
  bytes: Uint8Array;
  /** When set, the exact code the reader must fail with. */
  expectCode?: StemkitErrorCode;
  /** Also open with { allowTruncated: true }. */
  lenientToo?: boolean;
}

function* mutate(seed: Seed): Generator<Mutant> {
  const rng = prng(hashName(seed.name));
  const src = seed.bytes;
  const L = src.length;
  const be = seed.bigEndian;
  const copy = () => src.slice();
  const randInt = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

  // 1. Truncation at every header byte, then at random points.
  const headerStop = Math.min(seed.headerEnd + 8, L - 1, 600);
  const cuts = new Set<number>();
  for (let p = 1; p <= headerStop; p++) cuts.add(p);
  for (let i = 0; i < 24 && L > 2; i++) cuts.add(randInt(1, L - 1));
  for (const p of cuts) {
    const strictCut = seed.strict && seed.kind !== 'flac' && p < seed.dataEnd;
    yield { label: `truncate@${p}`, bytes: src.slice(0, p), lenientToo: true, ...(strictCut ? { expectCode: 'E_TRUNCATED' as const } : {}) };
  }

  // 2. Random byte flips in the first 128 bytes: single, then bursts.
  const flipSpan = Math.min(128, L);
  for (let i = 0; i < 48; i++) {
    const b = copy();
    const at = randInt(0, flipSpan - 1);
    const x = randInt(1, 255);
    b[at]! ^= x;
    yield { label: `flip@${at}^${x}`, bytes: b };
  }
  for (let i = 0; i < 16; i++) {
    const b = copy();
    const n = randInt(2, 8);
    const where: number[] = [];
    for (let k = 0; k < n; k++) {
      const at = randInt(0, flipSpan - 1);
      b[at] = randInt(0, 255);
      where.push(at);
    }
    yield { label: `scramble@${where.join(',')}`, bytes: b, lenientToo: true };
  }

  if (seed.kind === 'flac') {
    yield* mutateFlac(seed, rng);
    return;
  }

  // 3. Size fields: the container's and every chunk's.
  const sizeValues = (size: number) => [0, 0xffffffff, 0x7fffffff, 0x80000000, L + 1, L * 3 + 12345, size + 1, Math.max(0, size - 1), size + 2];
  for (const value of sizeValues(L - 8)) {
    const b = copy();
    setU32(b, 4, value, be);
    yield { label: `container-size=${value}`, bytes: b, lenientToo: true };
  }
  for (const [index, c] of seed.chunks.entries()) {
    for (const value of sizeValues(c.size)) {
      const b = copy();
      setU32(b, c.offset + 4, value, be);
      yield { label: `chunk${index}(${c.id})-size=${value}`, bytes: b, lenientToo: true };
    }
  }

  // 4. Format fields.
  const fmt = seed.chunks.find((c) => c.id === 'fmt ');
  if (fmt) {
    const at = fmt.offset + 8;
    const fields: Array<[string, number, 2 | 4, number[]]> = [
      ['formatTag', 0, 2, [0, 2, 0x11, 0x55, 0xfffe, 3, 6, 7, 1, 0x1234, 0xffff]],
      ['channels', 2, 2, [0, 65535, 1025, 1024, 3, 7]],
      ['sampleRate', 4, 4, [0, 0xffffffff, 4_000_001, 1, 0x7fffffff]],
      ['blockAlign', 12, 2, [0, 1, 3, 65535, 9]],
      ['bits', 14, 2, [0, 1, 33, 65, 255, 7, 12, 20, 64, 65535]],
    ];
    if (fmt.size >= 40) {
      fields.push(['cbSize', 16, 2, [0, 0xffff]], ['validBits', 18, 2, [0, 1, 255, 65535]], ['channelMask', 20, 4, [0, 0xffffffff]], [
        'subFormat',
        24,
        4,
        [0, 2, 0x11, 0xfffe, 0xffffffff, 3, 1],
      ]);
    }
    for (const [field, off, width, values] of fields) {
      for (const value of values) {
        const b = copy();
        if (width === 2) setU16(b, at + off, value, be);
        else setU32(b, at + off, value, be);
        yield { label: `fmt.${field}=${value}`, bytes: b };
      }
    }
    // Bits and blockAlign changed together (so blockAlign stays consistent and the sample width really changes).
    for (const bits of [1, 4, 8, 16, 24, 32, 33, 40, 48, 56, 64]) {
      const b = copy();
      const channels = new DataView(b.buffer).getUint16(at + 2, !be);
      setU16(b, at + 14, bits, be);
      setU16(b, at + 12, Math.ceil(bits / 8) * channels, be);
      yield { label: `fmt.bits+blockAlign=${bits}`, bytes: b };
    }
    // Channels and blockAlign changed together, so the header stays self-consistent and decoding runs.
    for (const channels of [1, 2, 3, 5, 8, 24, 255, 1024]) {
      const b = copy();
      const view = new DataView(b.buffer);
      const bytesPerSample = Math.max(1, view.getUint16(at + 12, !be) / Math.max(1, view.getUint16(at + 2, !be)));
      setU16(b, at + 2, channels, be);
      setU16(b, at + 12, bytesPerSample * channels, be);
      yield { label: `fmt.channels+blockAlign=${channels}`, bytes: b };
    }
    if (fmt.size >= 40) {
      const b = copy();
      b[at + 28 + 5] ^= 0xff;
      yield { label: 'fmt.guidTail-corrupt', bytes: b };
    }
  }
  const comm = seed.chunks.find((c) => c.id === 'COMM');
  if (comm) {
    const at = comm.offset + 8;
    const fields: Array<[string, number, 2 | 4, number[]]> = [
      ['channels', 0, 2, [0, 0xffff, 0x8000, 1025, 3]],
      ['frames', 2, 4, [0, 0xffffffff, 0x7fffffff, 1]],
      ['sampleSize', 6, 2, [0, 1, 33, 65, 255, 0xffff, 12, 20]],
    ];
    for (const [field, off, width, values] of fields) {
      for (const value of values) {
        const b = copy();
        if (width === 2) setU16(b, at + off, value, true);
        else setU32(b, at + off, value, true);
        yield { label: `COMM.${field}=${value}`, bytes: b, lenientToo: true };
      }
    }
    const rates: Array<[string, number[]]> = [
      ['zero', [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
      ['inf/nan', [0x7f, 0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0]],
      ['negative', [0xc0, 0x0e, 0xac, 0x44, 0, 0, 0, 0, 0, 0]],
      ['denormal', [0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 1]],
      ['huge', [0x7f, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
      ['4e9', [...extended80(0xffffffff)]],
      ['unnormalised', [0x40, 0x0e, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0]],
      ['0.5Hz', [...extended80(0.5)]],
    ];
    for (const [name, bytes] of rates) {
      const b = copy();
      b.set(bytes, at + 8);
      yield { label: `COMM.rate=${name}`, bytes: b };
    }
    if (comm.size >= 22) {
      for (const compression of ['ima4', '\0\0\0\0', 'NONE', 'twos', 'sowt', 'in24', 'in32', 'fl32', 'fl64', 'ulaw', 'alaw', 'MAC3', 'GSM ']) {
        const b = copy();
        b.set(ascii(compression), at + 18);
        yield { label: `COMM.compression=${JSON.stringify(compression)}`, bytes: b, lenientToo: true };
      }
    }
  }
  const ssnd = seed.chunks.find((c) => c.id === 'SSND');
  if (ssnd) {
    for (const value of [0xffffffff, 0x7fffffff, L, 1, 3]) {
      const b = copy();
      setU32(b, ssnd.offset + 8, value, true);
      yield { label: `SSND.offset=${value}`, bytes: b, lenientToo: true };
    }
  }

  // 5. Chunk ids corrupted.
  const ids = ['\0\0\0\0', '\xff\xff\xff\xff', 'XXXX', 'data', 'fmt ', 'ds64', 'LIST', 'bext', 'iXML', 'COMM', 'SSND', 'FORM', 'RIFF'];
  for (const [index, c] of seed.chunks.entries()) {
    for (const id of [...ids, String.fromCharCode(randInt(0, 255), randInt(0, 255), randInt(0, 255), randInt(0, 255))]) {
      if (id === c.id) continue;
      const b = copy();
      b.set(ascii(id), c.offset);
      yield { label: `chunk${index}(${c.id})-id=${JSON.stringify(id)}`, bytes: b };
    }
  }

  // 6. Chunks duplicated, removed, moved to the front, and the whole list reversed.
  const head = src.subarray(0, 12);
  const slices = seed.chunks.map((c) => src.subarray(c.offset, c.offset + c.span));
  const tail = src.subarray(seed.chunks.length ? seed.chunks.at(-1)!.offset + seed.chunks.at(-1)!.span : 12);
  const rebuild = (parts: Uint8Array[]) => {
    const b = concat([head, ...parts, tail]);
    setU32(b, 4, b.length - 8, be);
    return b;
  };
  for (let i = 0; i < slices.length; i++) {
    const id = seed.chunks[i]!.id;
    yield { label: `duplicate-chunk${i}(${id})`, bytes: rebuild([...slices.slice(0, i + 1), ...slices.slice(i)]) };
    yield { label: `remove-chunk${i}(${id})`, bytes: rebuild([...slices.slice(0, i), ...slices.slice(i + 1)]) };
    if (i > 0) yield { label: `front-chunk${i}(${id})`, bytes: rebuild([slices[i]!, ...slices.slice(0, i), ...slices.slice(i + 1)]) };
    yield { label: `append-copy-chunk${i}(${id})`, bytes: rebuild([...slices, slices[i]!]) };
  }
  yield { label: 'reverse-chunks', bytes: rebuild([...slices].reverse()) };
  // Many empty chunks in front of the real ones.
  yield { label: 'ten-thousand-empty-chunks', bytes: rebuild([...Array.from({ length: 10_000 }, () => chunk('fill', new Uint8Array(0), be)), ...slices]) };

  // 7. Container magic swapped.
  for (const magic of seed.kind === 'form' ? ['FORM', 'RIFF'] : ['RIFF', 'RIFX', 'RF64', 'BW64', 'FORM']) {
    const b = copy();
    b.set(ascii(magic), 0);
    yield { label: `magic=${magic}`, bytes: b };
  }
  for (const form of seed.kind === 'form' ? ['AIFF', 'AIFC', '8SVX', 'ILBM'] : ['WAVE', 'AVI ', 'ACON', 'wave']) {
    const b = copy();
    b.set(ascii(form), 8);
    yield { label: `form=${form}`, bytes: b };
  }

  // 8. RF64: ds64 sizes huge, small, inconsistent; ds64 table huge; ds64 cut short.
  if (seed.kind === 'riff' && !be) {
    const data = seed.chunks.find((c) => c.id === 'data');
    const existing = seed.chunks.find((c) => c.id === 'ds64');
    if (data) {
      const actual = data.size;
      const others = seed.chunks.filter((c) => c.id !== 'ds64').map((c) => src.subarray(c.offset, c.offset + c.span));
      const build = (dataSize: bigint, tableLength = 0, ds64Length = 28, entries: Array<[string, bigint]> = []) => {
        const ds64 = new Uint8Array(Math.max(ds64Length, 28 + entries.length * 12));
        setU64LE(ds64, 0, BigInt(L + 36));
        setU64LE(ds64, 8, dataSize);
        setU64LE(ds64, 16, BigInt(Math.floor(actual / 2)));
        setU32(ds64, 24, tableLength, false);
        entries.forEach(([id, size], k) => {
          ds64.set(ascii(id), 28 + k * 12);
          setU64LE(ds64, 32 + k * 12, size);
        });
        const body = ds64.subarray(0, ds64Length < 28 ? ds64Length : ds64.length);
        const parts = others.map((p) => {
          const q = p.slice();
          if (String.fromCharCode(...q.subarray(0, 4)) === 'data') setU32(q, 4, 0xffffffff, false);
          return q;
        });
        const b = concat([ascii('RF64'), u32(0xffffffff, false), ascii('WAVE'), chunk('ds64', body), ...parts, tail]);
        return b;
      };
      const sizes: bigint[] = [BigInt(actual), 0n, 1n, BigInt(actual + 1), 2n ** 32n, 2n ** 40n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n, BigInt(L * 10)];
      for (const size of sizes) yield { label: `rf64-ds64.data=${size}`, bytes: build(size), lenientToo: true };
      yield { label: 'rf64-ds64.table=0xffffffff', bytes: build(BigInt(actual), 0xffffffff) };
      yield { label: 'rf64-ds64.table-entries-huge', bytes: build(BigInt(actual), 3, 28, [['fmt ', 2n ** 62n], ['data', 2n ** 64n - 1n], ['LIST', 0n]]), lenientToo: true };
      yield {
        label: 'rf64-all-sizes-placeholders-resolved-by-table',
        bytes: (() => {
          const b = build(BigInt(actual), 2, 28, [['fmt ', 2n ** 40n], ['LIST', 2n ** 33n]]);
          // Every chunk after ds64 gets a placeholder size: the table (not the file) decides where the walk goes.
          const ds64Length = 28 + 24;
          for (let at = 12 + 8 + ds64Length; at + 8 <= b.length; ) {
            const size = new DataView(b.buffer).getUint32(at + 4, true);
            setU32(b, at + 4, 0xffffffff, false);
            if (size === 0xffffffff) break;
            at += 8 + size + (size % 2);
          }
          return b;
        })(),
        lenientToo: true,
      };
      for (const length of [0, 8, 16, 23, 24]) yield { label: `rf64-ds64-length=${length}`, bytes: build(BigInt(actual), 0, length), lenientToo: true };
      if (!existing) {
        // An RF64 header with placeholder sizes but no ds64 at all.
        const parts = others.map((p) => {
          const q = p.slice();
          if (String.fromCharCode(...q.subarray(0, 4)) === 'data') setU32(q, 4, 0xffffffff, false);
          return q;
        });
        yield { label: 'rf64-without-ds64', bytes: concat([ascii('RF64'), u32(0xffffffff, false), ascii('WAVE'), ...parts, tail]) };
      }
    }
  }
}

function* mutateFlac(seed: Seed, rng: () => number): Generator<Mutant> {
  const src = seed.bytes;
  const L = src.length;
  const copy = () => src.slice();
  for (const [index, c] of seed.chunks.entries()) {
    for (const value of [0, 0xffffff, L + 1, c.size + 1, Math.max(0, c.size - 1)]) {
      const b = copy();
      b[c.offset + 1] = (value >> 16) & 0xff;
      b[c.offset + 2] = (value >> 8) & 0xff;
      b[c.offset + 3] = value & 0xff;
      yield { label: `block${index}-length=${value}`, bytes: b };
    }
    for (const type of [0, 1, 4, 6, 7, 126, 127]) {
      const b = copy();
      b[c.offset] = (b[c.offset]! & 0x80) | type;
      yield { label: `block${index}-type=${type}`, bytes: b };
    }
    const b = copy();
    b[c.offset]! ^= 0x80;
    yield { label: `block${index}-last-flag-toggled`, bytes: b };
  }
  const info = seed.chunks[0];
  if (info && info.id === 'block0' && info.size >= 34) {
    const at = info.offset + 4;
    // STREAMINFO: min/max block (16+16), min/max frame (24+24), rate 20, channels-1 3, bps-1 5, total 36, md5 128.
    const patches: Array<[string, number, number[]]> = [
      ['minBlock=0', 0, [0, 0]],
      ['maxBlock=0', 2, [0, 0]],
      ['maxBlock=65535', 2, [0xff, 0xff]],
      ['rate=0', 10, [0x00, 0x00, src[at + 12]! & 0x0f]],
      ['rate=max', 10, [0xff, 0xff, (src[at + 12]! & 0x0f) | 0xf0]],
      ['channels=8', 12, [(src[at + 12]! & 0xf1) | 0x0e]],
      ['bps=32', 12, [src[at + 12]! | 0x01, (src[at + 13]! & 0x0f) | 0xf0]],
      ['bps=1', 12, [src[at + 12]! & 0xfe, src[at + 13]! & 0x0f]],
      ['total=0', 13, [src[at + 13]! & 0xf0, 0, 0, 0, 0]],
      ['total=2^36-1', 13, [src[at + 13]! | 0x0f, 0xff, 0xff, 0xff, 0xff]],
    ];
    for (const [name, off, bytes] of patches) {
      const b = copy();
      b.set(bytes, at + off);
      yield { label: `streaminfo.${name}`, bytes: b };
    }
  }
  if (seed.chunks.length > 0) {
    const first = seed.chunks[0]!;
    const block = src.subarray(first.offset, first.offset + first.span).slice();
    block[0]! &= 0x7f;
    yield { label: 'streaminfo-duplicated', bytes: concat([src.subarray(0, 4), block, src.subarray(4)]) };
  }
  for (const size of [0x7f7f7f7f, 0, 100]) {
    const id3 = concat([ascii('ID3'), Uint8Array.of(4, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f)]);
    yield { label: `id3-prefix-size=${size}`, bytes: concat([id3, new Uint8Array(Math.min(size, 100)), src]) };
  }
  // Random damage to the audio frames after the metadata.
  for (let i = 0; i < 16 && seed.headerEnd < L; i++) {
    const b = copy();
    const at = seed.headerEnd + Math.floor(rng() * (L - seed.headerEnd));
    b[at]! ^= 1 + Math.floor(rng() * 255);
    yield { label: `frame-flip@${at}`, bytes: b };
  }
}

// ---------------------------------------------------------------------------------------------
// Running one case

const PCM_CONTAINERS = new Set(['wav', 'rifx', 'rf64', 'bw64', 'aiff', 'aifc']);
const ALLOWED_CODES = new Set<StemkitErrorCode>(['E_IO', 'E_EMPTY', 'E_NOT_AUDIO', 'E_UNSUPPORTED', 'E_TRUNCATED', 'E_BAD_HEADER', 'E_BAD_DATA']);
/** Generous: the slowest legitimate case (a 100 KB corpus seed read in blocks) takes milliseconds. */
const CASE_TIME_LIMIT_MS = 5000;
const READ_BLOCK = 4096;

class CaseTimeout extends Error {}

async function readEverything(source: AudioSource, fileSize: number, signal: { aborted: boolean }): Promise<void> {
  const { format } = source;
  expect(Number.isInteger(format.channels) && format.channels >= 1, `channels ${format.channels}`).toBe(true);
  expect(Number.isFinite(format.sampleRate) && format.sampleRate > 0, `sampleRate ${format.sampleRate}`).toBe(true);
  expect(Number.isSafeInteger(format.frames) && format.frames >= 0, `frames ${format.frames}`).toBe(true);
  expect(format.channelLayout.length).toBe(format.channels);
  if (PCM_CONTAINERS.has(format.container)) {
    // An uncompressed reader can never promise more audio than the file holds.
    const payload = format.frames * format.channels * (format.containerBits / 8);
    expect(payload, `frames × channels × bytes (${payload}) exceeds the file size (${fileSize})`).toBeLessThanOrEqual(fileSize);
  }
  let at = 0;
  while (at < format.frames) {
    if (signal.aborted) return;
    const want = Math.min(READ_BLOCK, format.frames - at);
    const block = await source.read(at, want);
    expect(block.length).toBe(format.channels);
    for (const channel of block) expect(channel.length).toBe(want);
    at += want;
  }
  const past = await source.read(format.frames, 16);
  for (const channel of past) expect(channel.length).toBe(0);
}

interface Outcome {
  ok: boolean;
  code?: StemkitErrorCode;
}

async function runOne(path: string, fileSize: number, options: OpenOptions): Promise<Outcome> {
  const signal = { aborted: false };
  let timer: NodeJS.Timeout | undefined;
  const work = (async (): Promise<Outcome> => {
    let source: AudioSource | undefined;
    try {
      source = await openAudio(path, options);
      await readEverything(source, fileSize, signal);
      return { ok: true };
    } catch (err) {
      if (err instanceof StemkitError) {
        if (!ALLOWED_CODES.has(err.code)) throw new Error(`unexpected code ${err.code}: ${err.message}`);
        if (typeof err.hint !== 'string' || err.hint.trim() === '') throw new Error(`${err.code} without a hint: ${err.message}`);
        if (err.file !== path) throw new Error(`${err.code} names file ${String(err.file)}, not ${path}: ${err.message}`);
        if (!err.message) throw new Error(`${err.code} without a message`);
        return { ok: false, code: err.code };
      }
      throw err;
    } finally {
      await source?.close();
    }
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      signal.aborted = true;
      reject(new CaseTimeout(`no result after ${CASE_TIME_LIMIT_MS} ms`));
    }, CASE_TIME_LIMIT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// The suites

let dir = '';
let totalCases = 0;
const casesByGroup = new Map<string, number>();
const outcomes = new Map<string, number>();
let caseCounter = 0;
const started = Date.now();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stemkit-fuzz-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

const MB = 1024 * 1024;

/**
 * Runs the mutants of a seed (every `stride`-th one: the corpus seeds are many and similar, so they
 * are sampled to keep the suite fast); returns readable descriptions of the failures.
 */
async function fuzzSeed(seed: Seed, group: string, stride = 1): Promise<string[]> {
  const failures: string[] = [];
  const fdsBefore = openFds();
  const baseline = process.memoryUsage();
  let cases = 0;
  let index = 0;
  const phase = hashName(seed.name) % stride;
  for (const mutant of mutate(seed)) {
    if (index++ % stride !== phase) continue;
    const path = join(dir, `case-${caseCounter++}.bin`);
    writeFileSync(path, mutant.bytes);
    const variants: OpenOptions[] = mutant.lenientToo ? [{}, { allowTruncated: true }] : [{}];
    for (const options of variants) {
      cases++;
      const where = `${seed.name} ${mutant.label}${options.allowTruncated ? ' (allowTruncated)' : ''}`;
      try {
        const outcome = await runOne(path, mutant.bytes.length, options);
        const key = outcome.ok ? 'read' : outcome.code!;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        if (mutant.expectCode && !options.allowTruncated && outcome.code !== mutant.expectCode) {
          failures.push(`${where}: expected ${mutant.expectCode}, got ${outcome.ok ? 'success' : outcome.code}`);
        }
      } catch (err) {
        const e = err as Error;
        failures.push(`${where}: ${e?.name ?? 'thrown'}: ${e?.message ?? String(err)}${e?.stack ? `\n    ${e.stack.split('\n').slice(1, 4).join('\n    ')}` : ''}`);
      }
      const now = process.memoryUsage();
      if (now.arrayBuffers - baseline.arrayBuffers > 256 * MB || now.rss - baseline.rss > 768 * MB) {
        failures.push(`${where}: memory grew to rss ${Math.round(now.rss / MB)} MB, arrayBuffers ${Math.round(now.arrayBuffers / MB)} MB`);
      }
    }
    unlinkSync(path);
    if (failures.length >= 25) {
      failures.push('… stopping this seed after 25 failures');
      break;
    }
  }
  totalCases += cases;
  casesByGroup.set(group, (casesByGroup.get(group) ?? 0) + cases);
  const fdsAfter = openFds();
  if (fdsBefore !== null && fdsAfter !== null && fdsAfter > fdsBefore + 4) {
    failures.push(`${seed.name}: ${fdsAfter - fdsBefore} file descriptors leaked over ${cases} cases`);
  }
  return failures;
}

describe('fuzz: synthesised WAV/RF64/RIFX/AIFF/AIFC seeds', () => {
  const seeds = synthesiseSeeds().map((s) => parseSeed(s.name, s.bytes, true));

  it.each(seeds.map((s) => [s.name, s] as const))('seed %s is valid before mutation', async (_name, seed) => {
    const path = join(dir, `seed-${seed.name}.bin`);
    writeFileSync(path, seed.bytes);
    const source = await openAudio(path);
    await readEverything(source, seed.bytes.length, { aborted: false });
    await source.close();
  });

  it.each(seeds.map((s) => [s.name, s] as const))('mutants of %s fail only with typed errors', async (_name, seed) => {
    expect(await fuzzSeed(seed, 'synthesised')).toEqual([]);
  });
});

const corpus = loadCorpus();
const MAX_CORPUS_SEED_BYTES = 128 * 1024;
const corpusSeeds = (extensions: RegExp) =>
  corpus
    .filter((e) => e.category === 'valid' && extensions.test(e.file) && statSync(corpusPath(e)).size <= MAX_CORPUS_SEED_BYTES)
    .map((e) => parseSeed(`corpus:${e.file}`, new Uint8Array(readFileSync(corpusPath(e))), false));

// Skipped when the shared corpus (../shared/testdata/corpus) is not checked out beside this repository;
// the synthesised seeds above still run.
describe.skipIf(!HAVE_CORPUS)('fuzz: corpus WAV/AIFF seeds', () => {
  const seeds = corpusSeeds(/\.(wav|aif|aiff|aifc)$/i);
  it.each(seeds.map((s) => [s.name, s] as const))('mutants of %s fail only with typed errors', async (_name, seed) => {
    expect(await fuzzSeed(seed, 'corpus WAV/AIFF', 4)).toEqual([]);
  });
});

// FLAC mutants need both the corpus (there is no FLAC encoder here to synthesise seeds) and the
// FLAC reader, which is developed separately; skipped when either is absent.
const HAVE_FLAC_READER = existsSync(new URL('../src/audio/flac/index.ts', import.meta.url));
describe.skipIf(!HAVE_CORPUS || !HAVE_FLAC_READER)('fuzz: corpus FLAC seeds', () => {
  const seeds = HAVE_FLAC_READER ? corpusSeeds(/\.flac$/i).filter((s) => s.bytes.length <= 64 * 1024) : [];
  it.each(seeds.map((s) => [s.name, s] as const))('mutants of %s fail only with typed errors', async (_name, seed) => {
    expect(await fuzzSeed(seed, 'corpus FLAC', 2)).toEqual([]);
  });
});

describe('fuzz: totals', () => {
  it('ran at least 3000 cases', () => {
    const groups = [...casesByGroup].map(([group, n]) => `${group} ${n}`).join(', ');
    const results = [...outcomes].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ${n}`).join(', ');
    console.log(`fuzz: ${totalCases} cases (${groups}) in ${((Date.now() - started) / 1000).toFixed(1)} s; outcomes: ${results}`);
    expect(totalCases).toBeGreaterThanOrEqual(3000);
  });
});
