import { open, rename, unlink } from 'node:fs/promises';
import { StemkitError } from '../../errors.js';
import { allocateBytes, releaseSamples } from '../../dsp/simd.js';
import { AtomicFile } from '../atomic-file.js';
import { asciiBytes, concatBytes } from '../bytes.js';
import { defaultChannelMask } from '../channels.js';
import { BYTES_PER_SAMPLE, DitherNoise, encodeInterleaved, type EncodeStats, type SumTarget, type WriteSampleFormat } from '../pcm-encode.js';
import { encodeBext, type BextFields } from './metadata.js';
import { MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from './read.js';

/** Options of `createWavWriter`: the format of the file, its dither, and what its headers carry. */
export interface WavWriterOptions {
  /** Frames per second, 1 … 4 000 000. */
  sampleRate: number;
  /** 1 … 1024. More than 2 channels writes WAVE_FORMAT_EXTENSIBLE with a channel mask. */
  channels: number;
  /** Sample format: 16/24/32-bit integer PCM or 32-bit IEEE float. */
  format: WriteSampleFormat;
  /** TPDF dither (±1 LSB) before rounding to 16 or 24 bits. Default 'none'. */
  dither?: 'none' | 'tpdf';
  /** Dither noise seed, so renders are reproducible to the bit. */
  ditherSeed?: number;
  /** Speaker mask for EXTENSIBLE files; default by channel count (5.1 = L R C LFE Ls Rs). */
  channelMask?: number;
  /** Adds a Broadcast Wave `bext` chunk with these fields. */
  bext?: BextFields;
  /** Adds an `iXML` chunk with this document (UTF-8), e.g. the stem's name and role for a delivery. */
  ixml?: string;
  /** 'auto' (default) switches to RF64 when the data passes 4 GiB; 'always' writes RF64 at any size; 'never' fails at 4 GiB. */
  rf64?: 'auto' | 'always' | 'never';
}

/** What a committed WAV holds: where, how much, and what had to be clipped. */
export interface WriteReport {
  /** The file's final path. */
  path: string;
  /** 'rf64' when the file passed 4 GiB (or RF64 was asked for always), else 'wav'. */
  container: 'wav' | 'rf64';
  /** Frames written. */
  frames: number;
  /** Samples beyond full scale that were clipped to fit an integer format. */
  clippedSamples: number;
  /** NaN/Infinity samples (written as 0 in integer formats, as-is in float). */
  nonFiniteSamples: number;
  /** The file's size, bytes. */
  bytes: number;
  /** Present after `commit({ rename: false })`: the file awaiting `finalizeWav`. */
  pending?: PendingWav;
}

/** Where stemkit writes audio: streaming, atomic, and honest about clipping. */
export interface AudioSink {
  /** The file's final path (nothing is there until commit). */
  readonly path: string;
  /**
   * Appends frames (planar, one array per channel; `frames` defaults to the arrays' length). With
   * `sum`, also adds the frames exactly as they were encoded (rounded, clipped) into `sum`.
   */
  write(planar: Float32Array[], frames?: number, sum?: SumTarget): Promise<void>;
  /** Finishes the headers, fsyncs and renames the file into place (see WavSink for `rename: false`). */
  commit(options?: { rename?: boolean }): Promise<WriteReport>;
  /** Discards everything written; no file appears under the final name. */
  abort(): Promise<void>;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** RIFF sizes are 32-bit: past this the file must become RF64 (EBU Tech 3306). */
const RIFF_LIMIT = 0xffffffff;
/** ds64 body: riffSize, dataSize, sampleCount (64-bit each) and an empty table length. */
const DS64_BODY = 28;

function usage(message: string, path: string): StemkitError {
  return new StemkitError('E_USAGE', message, { file: path, hint: 'fix the writer options' });
}

function validate(path: string, o: WavWriterOptions): void {
  if (!Number.isInteger(o.sampleRate) || o.sampleRate < MIN_SAMPLE_RATE || o.sampleRate > MAX_SAMPLE_RATE) {
    throw usage(`sampleRate must be an integer from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE}, got ${o.sampleRate}`, path);
  }
  if (!Number.isInteger(o.channels) || o.channels < 1 || o.channels > MAX_CHANNELS) {
    throw usage(`channels must be an integer from 1 to ${MAX_CHANNELS}, got ${o.channels}`, path);
  }
  if (!(o.format in BYTES_PER_SAMPLE)) throw usage(`format must be one of pcm16, pcm24, pcm32, float32, got ${String(o.format)}`, path);
  if (o.dither !== undefined && o.dither !== 'none' && o.dither !== 'tpdf') throw usage(`dither must be 'none' or 'tpdf', got ${String(o.dither)}`, path);
  if (o.rf64 !== undefined && o.rf64 !== 'auto' && o.rf64 !== 'always' && o.rf64 !== 'never') {
    throw usage(`rf64 must be 'auto', 'always' or 'never', got ${String(o.rf64)}`, path);
  }
  if (o.channelMask !== undefined && (!Number.isInteger(o.channelMask) || o.channelMask < 0 || o.channelMask > 0xffffffff)) {
    throw usage(`channelMask must be a 32-bit unsigned integer, got ${o.channelMask}`, path);
  }
}

/** Microsoft's rule: EXTENSIBLE whenever there are more than 2 channels or more than 16 bits of PCM. */
function needsExtensible(o: WavWriterOptions): boolean {
  return o.channels > 2 || o.format === 'pcm24' || o.format === 'pcm32';
}

function chunkHeader(id: string, size: number): Uint8Array {
  const bytes = new Uint8Array(8);
  bytes.set(asciiBytes(id));
  new DataView(bytes.buffer).setUint32(4, size, true);
  return bytes;
}


function fmtChunk(o: WavWriterOptions): Uint8Array {
  const bytes = BYTES_PER_SAMPLE[o.format];
  const isFloat = o.format === 'float32';
  const extensible = needsExtensible(o);
  const body = new Uint8Array(extensible ? 40 : isFloat ? 18 : 16);
  const v = new DataView(body.buffer);
  const tag = isFloat ? WAVE_FORMAT_IEEE_FLOAT : WAVE_FORMAT_PCM;
  v.setUint16(0, extensible ? WAVE_FORMAT_EXTENSIBLE : tag, true);
  v.setUint16(2, o.channels, true);
  v.setUint32(4, o.sampleRate, true);
  v.setUint32(8, o.sampleRate * o.channels * bytes, true);
  v.setUint16(12, o.channels * bytes, true);
  v.setUint16(14, bytes * 8, true);
  if (body.length >= 18) v.setUint16(16, extensible ? 22 : 0, true);
  if (extensible) {
    v.setUint16(18, bytes * 8, true);
    v.setUint32(20, o.channelMask ?? defaultChannelMask(o.channels) ?? 0, true);
    // KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT: {0000000X-0000-0010-8000-00AA00389B71}
    v.setUint32(24, tag, true);
    body.set([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 28);
  }
  return concatBytes([chunkHeader('fmt ', body.length), body]);
}

/** Where the writer put the fields that depend on the final length. */
/** Where a WAV's size fields are, so they can be written once the length is final. */
export interface WavLayout {
  /** Byte offset of the audio data (just after the data chunk's header). */
  dataStart: number;
  /** Byte offset of the JUNK chunk that becomes ds64 when the file is RF64. */
  junkOffset: number;
  /** Byte offset of the fact chunk (float files); −1 when there is none. */
  factOffset: number;
  /** Bytes per sample × channels. */
  bytesPerFrame: number;
  /** RF64 at any size (the writer's `rf64: 'always'`). */
  forceRf64: boolean;
}

/** A WAV written completely but still under its temporary name (see `commit({ rename: false })`). */
export interface PendingWav {
  /** Where the file is now: a hidden temporary file beside `path`. */
  tempPath: string;
  /** Where finalizeWav renames it to. */
  path: string;
  /** Frames written: the most finalizeWav can keep. */
  frames: number;
  /** Where its size fields are, for finalizeWav to rewrite. */
  layout: WavLayout;
}

const u32le = (value: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
};

/** Writes the RIFF/ds64, data and fact sizes for `frames` frames (and the pad byte position's size). */
async function writeSizes(writeAt: (bytes: Uint8Array, at: number) => Promise<void>, layout: WavLayout, frames: number): Promise<{ total: number; isRf64: boolean }> {
  const dataBytes = frames * layout.bytesPerFrame;
  const pad = dataBytes % 2;
  if (pad) await writeAt(new Uint8Array(1), layout.dataStart + dataBytes);
  const total = layout.dataStart + dataBytes + pad;
  const isRf64 = layout.forceRf64 || total - 8 > RIFF_LIMIT;
  if (isRf64) {
    const ds64 = new Uint8Array(8 + DS64_BODY);
    ds64.set(asciiBytes('ds64'));
    const v = new DataView(ds64.buffer);
    v.setUint32(4, DS64_BODY, true);
    v.setBigUint64(8, BigInt(total - 8), true);
    v.setBigUint64(16, BigInt(dataBytes), true);
    v.setBigUint64(24, BigInt(frames), true);
    await writeAt(asciiBytes('RF64'), 0);
    await writeAt(u32le(RIFF_LIMIT), 4);
    await writeAt(ds64, layout.junkOffset);
    await writeAt(u32le(RIFF_LIMIT), layout.dataStart - 4);
  } else {
    await writeAt(asciiBytes('RIFF'), 0);
    await writeAt(u32le(total - 8), 4);
    await writeAt(asciiBytes('JUNK'), layout.junkOffset);
    await writeAt(u32le(dataBytes), layout.dataStart - 4);
  }
  if (layout.factOffset >= 0) await writeAt(u32le(Math.min(frames, RIFF_LIMIT)), layout.factOffset + 8);
  return { total, isRf64 };
}

/** Shortens a pending WAV to `frames` frames (never longer than written), fsyncs it and renames it into place. */
export async function finalizeWav(pending: PendingWav, frames = pending.frames): Promise<void> {
  if (!Number.isInteger(frames) || frames < 0 || frames > pending.frames) {
    throw new StemkitError('E_USAGE', `${pending.path}: cannot finalize to ${frames} frames (${pending.frames} written)`, { file: pending.path, hint: 'this is a bug in the caller' });
  }
  const handle = await open(pending.tempPath, 'r+');
  try {
    const { total } = await writeSizes(async (bytes, at) => void (await handle.write(bytes, 0, bytes.length, at)), pending.layout, frames);
    await handle.truncate(total);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(pending.tempPath, pending.path);
}

/** Removes a pending WAV. */
export async function discardWav(pending: PendingWav): Promise<void> {
  await unlink(pending.tempPath).catch(() => undefined);
}

class WavSink implements AudioSink {
  private frames = 0;
  private scratch = new Uint8Array(0);
  private readonly stats: EncodeStats = { clippedSamples: 0, nonFiniteSamples: 0 };
  private readonly bytesPerFrame: number;
  private readonly dither: DitherNoise | null;
  private dataStart = 0;
  private junkOffset = 0;
  private factOffset = -1;
  private writing: Promise<void> = Promise.resolve();
  private failed: unknown = null;

  constructor(
    private readonly file: AtomicFile,
    private readonly options: WavWriterOptions,
  ) {
    this.bytesPerFrame = BYTES_PER_SAMPLE[options.format] * options.channels;
    this.dither = options.dither === 'tpdf' && options.format !== 'float32' ? new DitherNoise(options.ditherSeed) : null;
  }

  get path(): string {
    return this.file.path;
  }

  async writeHeader(): Promise<void> {
    const o = this.options;
    // A JUNK chunk the size of a ds64 chunk reserves room to become RF64 in place (EBU Tech 3306).
    const parts: Uint8Array[] = [chunkHeader('RIFF', 0), asciiBytes('WAVE')];
    this.junkOffset = 12;
    parts.push(chunkHeader('JUNK', DS64_BODY), new Uint8Array(DS64_BODY));
    parts.push(fmtChunk(o));
    if (o.format === 'float32') {
      this.factOffset = parts.reduce((n, p) => n + p.length, 0);
      parts.push(chunkHeader('fact', 4), new Uint8Array(4));
    }
    if (o.bext) {
      const bext = encodeBext(o.bext);
      parts.push(chunkHeader('bext', bext.length), bext);
      if (bext.length % 2) parts.push(new Uint8Array(1));
    }
    if (o.ixml !== undefined) {
      const ixml = new TextEncoder().encode(o.ixml);
      parts.push(chunkHeader('iXML', ixml.length), ixml);
      if (ixml.length % 2) parts.push(new Uint8Array(1));
    }
    parts.push(chunkHeader('data', 0));
    const header = concatBytes(parts);
    this.dataStart = header.length;
    await this.file.writeAt(header, 0);
  }

  write(planar: Float32Array[], frames = planar[0]?.length ?? 0, sum?: SumTarget): Promise<void> {
    if (planar.length !== this.options.channels) {
      return Promise.reject(usage(`write() got ${planar.length} channel(s), the file has ${this.options.channels}`, this.path));
    }
    const byteLength = frames * this.bytesPerFrame;
    if (this.options.rf64 === 'never' && this.dataStart + (this.frames + frames) * this.bytesPerFrame > RIFF_LIMIT - 8) {
      return Promise.reject(
        new StemkitError('E_USAGE', `${this.path}: audio passes the 4 GiB WAV limit`, { file: this.path, hint: "allow RF64 (rf64: 'auto') or split the file" }),
      );
    }
    // Encode now (the caller may reuse its arrays), write in order behind any previous write.
    const buffer = this.scratchFor(byteLength);
    encodeInterleaved(planar, frames, this.options.format, buffer, this.stats, this.dither, sum ?? null);
    const position = this.dataStart + this.frames * this.bytesPerFrame;
    this.frames += frames;
    this.pending++;
    this.writing = this.writing.then(() => this.file.writeAt(buffer, position)).finally(() => this.pending--);
    this.writing.catch((err) => (this.failed = err));
    return this.writing;
  }

  /**
   * Alternates two buffers so encoding the next block overlaps the previous write; a caller that
   * queues more writes without awaiting gets fresh buffers rather than overwriting queued bytes.
   */
  private spare = new Uint8Array(0);
  private pending = 0;
  private scratchFor(length: number): Uint8Array {
    if (this.pending >= 2) return new Uint8Array(length);
    [this.scratch, this.spare] = [this.spare, this.scratch];
    if (this.scratch.length < length) {
      // In the SIMD kernels' memory, where the encoder writes in place (released when the file ends).
      releaseSamples(this.scratch);
      this.scratch = allocateBytes(length);
    }
    return this.scratch.subarray(0, length);
  }

  private releaseScratch(): void {
    releaseSamples(this.scratch);
    releaseSamples(this.spare);
    this.scratch = this.spare = new Uint8Array(0);
  }

  /**
   * Finishes the headers, fsyncs and renames into place. With `{ rename: false }` the file stays under
   * its temporary name and the report carries a `pending` handle: `finalizeWav` can then shorten it
   * (e.g. once every stem's true tail is known) and rename it, or `discardWav` remove it.
   */
  async commit(options: { rename?: boolean } = {}): Promise<WriteReport> {
    try {
      await this.writing;
      this.releaseScratch();
      if (this.failed) throw this.failed;
      const layout: WavLayout = {
        dataStart: this.dataStart,
        junkOffset: this.junkOffset,
        factOffset: this.factOffset,
        bytesPerFrame: this.bytesPerFrame,
        forceRf64: this.options.rf64 === 'always',
      };
      const { total, isRf64 } = await writeSizes((bytes, at) => this.file.writeAt(bytes, at), layout, this.frames);
      const report: WriteReport = {
        path: this.path,
        container: isRf64 ? 'rf64' : 'wav',
        frames: this.frames,
        clippedSamples: this.stats.clippedSamples,
        nonFiniteSamples: this.stats.nonFiniteSamples,
        bytes: total,
      };
      if (options.rename === false) {
        await this.file.finish();
        return { ...report, pending: { tempPath: this.file.tempPath, path: this.path, frames: this.frames, layout } };
      }
      await this.file.commit();
      return report;
    } catch (err) {
      this.releaseScratch();
      await this.file.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await this.writing.catch(() => undefined);
    this.releaseScratch();
    await this.file.abort();
  }
}

/** Opens a streaming WAV writer; options are validated before any file is created. */
export async function createWavWriter(path: string, options: WavWriterOptions): Promise<AudioSink> {
  validate(path, options);
  const file = await AtomicFile.create(path);
  const sink = new WavSink(file, options);
  try {
    await sink.writeHeader();
  } catch (err) {
    await file.abort();
    throw err;
  }
  return sink;
}

/**
 * A whole WAV file written by `fill`: committed when it returns, discarded (nothing under `path`)
 * when it throws. For writers that have nothing else to clean up on failure.
 */
export async function writeWavFile(path: string, options: WavWriterOptions, fill: (sink: AudioSink) => Promise<void>): Promise<WriteReport> {
  const sink = await createWavWriter(path, options);
  try {
    await fill(sink);
    return await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  }
}
