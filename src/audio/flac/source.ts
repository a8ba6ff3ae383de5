import { StemkitError } from '../../errors.js';
import { channelLayout } from '../channels.js';
import type { ByteSource } from '../byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource, ChunkInfo, OpenOptions } from '../types.js';
import { crc16 } from './crc.js';
import { isSync, parseFrameHeader } from './frame-header.js';
import { FrameError } from './js-decoder.js';
import { parseFlacHeaders, type FlacHeaders, type SeekPoint, type StreamInfo } from './metadata.js';
import { FrameDecoders, type DecoderChoice } from './frame-decoders.js';
import { DATA_HINT, Framing, frameBound, type LocatedFrame } from './framing.js';
import { SeekIndex, type Point } from './seek-index.js';
import { ByteWindow } from './window.js';

export interface FlacOpenOptions extends OpenOptions {
  /**
   * 'auto' (default): libFLAC (wasm) where it is exact, the TypeScript decoder elsewhere.
   * 'js': the TypeScript decoder for every frame (tests use it to cross-check the two).
   */
  decoder?: DecoderChoice;
}

interface DecodedFrame {
  start: number;
  length: number;
  data: Float32Array[];
}

/** Decoded frames kept for overlapping and slightly-backward reads. */
const CACHE_FRAMES = 4;
/** Below this many bytes between two known boundaries, bisection stops and walks. */
const MIN_BISECT_BYTES = 64 * 1024;
/** The largest window: a 65536-sample 8-channel 33-bit verbatim frame with slack fits. */
const MAX_WINDOW = 4 * 1024 * 1024;

/**
 * Random-access FLAC reader over any ByteSource.
 *
 * Frames are found by Framing (framing.ts: header sync + CRC-8, end by CRC-16), each handed to
 * FrameDecoders (frame-decoders.ts: libFLAC where it is exact, TypeScript elsewhere) whole. A
 * forward cursor (byte, sample) makes sequential reads one pass over the file; the last few decoded
 * frames are kept for overlapping reads. A read far from the cursor (backward, or forward by more
 * than `seqLimit` samples) seeks: from the nearest known boundary (SeekIndex, seek-index.ts: a
 * sparse index recorded while reading; verified SEEKTABLE points; the first frame) it bisects the
 * byte range, probing for the next verified frame and reading its sample number, then walks
 * forward frame by frame (CRC-16 only, no decoding) and decodes just the frame that holds the
 * target. Memory is bounded by the largest frame (window, decoder buffers), CACHE_FRAMES decoded
 * frames and the index's bound, whatever the file length.
 */
export class FlacSource implements AudioSource {
  readonly format: AudioFormat;
  readonly meta: AudioMeta;
  readonly streamInfo: StreamInfo;

  private readonly window: ByteWindow;
  private readonly audioStart: number;
  private readonly framing: Framing;
  private seqLimit = 65536;
  private frames = 0;

  /** Verified frame boundaries (created when the first frame is known). */
  private index = new SeekIndex(0);
  private seekPoints: SeekPoint[];

  private cursor: Point | null = null;
  private cache: DecodedFrame[] = [];
  private readonly decoders: FrameDecoders;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: ByteSource,
    headers: FlacHeaders,
    private readonly options: FlacOpenOptions,
  ) {
    this.streamInfo = headers.streamInfo;
    this.audioStart = headers.audioStart;
    this.seekPoints = headers.seekPoints;
    this.window = new ByteWindow(file, file.size, MAX_WINDOW);
    this.decoders = new FrameDecoders(headers.streamInfo, options.decoder ?? 'auto');
    const si = headers.streamInfo;
    this.format = {
      container: 'flac',
      encoding: 'pcm',
      bitDepth: si.bitsPerSample,
      sampleRate: si.sampleRate,
      channels: si.channels,
      channelMask: headers.channelMask,
      channelLayout: channelLayout(si.channels, headers.channelMask),
      frames: 0,
      containerBits: si.bitsPerSample,
      bigEndian: false,
    };
    this.meta = {
      bext: null,
      ixml: null,
      tags: headers.tags,
      chunks: headers.chunks,
      unknownChunks: headers.unknownChunks,
      warnings: headers.warnings,
    };
    this.framing = new Framing(file.path, this.window, headers.streamInfo, this.decoders.js, this.meta.warnings, file.size);
  }

  /** Opens a FLAC stream from any ByteSource; the source is closed with the FlacSource. */
  static async open(file: ByteSource, options: FlacOpenOptions = {}): Promise<FlacSource> {
    const path = file.path;
    try {
      const source = new FlacSource(file, await parseFlacHeaders(file), options);
      await source.init();
      return source;
    } catch (err) {
      await file.close();
      throw asStemkitError(err, path, 'reading the FLAC stream');
    }
  }

  get path(): string {
    return this.file.path;
  }

  /** Frames decoded by each decoder, and frames libFLAC failed on (then decoded in TypeScript). */
  get decoderStats(): { libflac: number; typescript: number; libflacFailures: number } {
    return { ...this.decoders.stats };
  }

  async read(startFrame: number, frames: number, into?: Float32Array[]): Promise<Float32Array[]> {
    if (!Number.isInteger(startFrame) || !Number.isInteger(frames) || startFrame < 0 || frames < 0) {
      throw this.usage(`read(${startFrame}, ${frames}): frame positions must be non-negative integers`);
    }
    if (this.closed) throw this.usage('read() after close()');
    const channels = this.format.channels;
    const count = Math.max(0, Math.min(frames, this.format.frames - startFrame));
    if (into && (into.length < channels || into.some((a, c) => c < channels && a.length < count))) {
      throw this.usage(`read(): 'into' needs ${channels} arrays of at least ${count} samples`);
    }
    const out = into
      ? into.slice(0, channels).map((a) => a.subarray(0, count))
      : Array.from({ length: channels }, () => new Float32Array(count));
    if (count === 0) return out;
    return this.exclusive(async () => {
      let pos = startFrame;
      const end = startFrame + count;
      try {
        while (pos < end) {
          // Each pass copies at least one sample: the frame found always contains `pos`.
          const f = this.cached(pos) ?? (await this.frameFor(pos));
          const from = pos - f.start;
          const n = Math.min(end, f.start + f.length) - pos;
          for (let c = 0; c < channels; c++) out[c]!.set(f.data[c]!.subarray(from, from + n), pos - startFrame);
          pos += n;
        }
      } catch (err) {
        this.cursor = null;
        throw asStemkitError(err, this.path, `decoding sample ${pos}`);
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.catch(() => undefined);
    this.cache = [];
    await this.decoders.free();
    await this.file.close();
  }

  // ---------------------------------------------------------------- opening

  private async init(): Promise<void> {
    const si = this.streamInfo;
    if (this.audioStart >= this.framing.audioEnd) {
      if (si.totalSamples > 0) {
        this.framing.truncated(`the file ends after the metadata: no audio frames (STREAMINFO declares ${si.totalSamples} samples)`);
      }
      this.setFrames(0);
      return;
    }
    const first = await this.framing.headerAt(this.audioStart);
    if (!first) {
      throw new StemkitError('E_BAD_DATA', `${this.path}: no FLAC frame header where the audio should start (byte ${this.audioStart})`, {
        file: this.path,
        hint: DATA_HINT,
      });
    }
    this.framing.first = first;
    this.framing.nominalBlock = first.blockSize;
    const mismatch = this.framing.inconsistency(first);
    if (mismatch) {
      throw new StemkitError('E_BAD_HEADER', `${this.path}: STREAMINFO does not match the audio frames: ${mismatch}`, {
        file: this.path,
        hint: 'the FLAC header is wrong or the stream changes format mid-file; re-encode the file from its source',
      });
    }
    this.framing.sampleBase = this.framing.sampleOf(first);
    if (this.framing.sampleBase !== 0) {
      this.meta.warnings.push(`the first frame is numbered from sample ${this.framing.sampleBase} (a stream cut out of a longer one); positions count from it`);
    }
    this.seqLimit = Math.max(8 * first.blockSize, 32768);
    this.index = new SeekIndex(Math.max(8 * first.blockSize, 16384));
    this.index.remember({ byte: this.audioStart, sample: 0 });

    const total = si.totalSamples;
    const tail = await this.inspectTail();
    const allow = this.options.allowTruncated === true;
    if (tail.kind === 'complete') {
      if (total === 0 || tail.end === total) this.setFrames(tail.end);
      else if (tail.end > total) {
        this.meta.warnings.push(`STREAMINFO declares ${total} samples but the frames hold ${tail.end}; reading all ${tail.end}`);
        this.setFrames(tail.end);
      } else if (allow) {
        this.meta.warnings.push(`audio is cut short: ${tail.end} of ${total} samples present`);
        this.setFrames(tail.end);
      } else {
        this.framing.truncated(`audio is cut short: the last frame ends at sample ${tail.end} of ${total} declared in STREAMINFO`);
      }
    } else if (tail.kind === 'truncated') {
      if (!allow) this.framing.truncated(`the last frame (byte ${tail.byte}, sample ${tail.sample}) is cut off at the end of the file`);
      this.meta.warnings.push(`audio is cut short: the last frame is incomplete; ${tail.sample}${total ? ` of ${total}` : ''} samples present`);
      this.framing.setAudioEnd(tail.byte);
      this.setFrames(tail.sample);
    } else if (total > 0) {
      this.setFrames(total);
    } else {
      // STREAMINFO does not say and the end of the file did not tell: count by walking every
      // frame once (CRC-16 only, constant memory), which also fills the seek index.
      this.setFrames(await this.scanAll());
    }
  }

  private setFrames(n: number): void {
    this.frames = n;
    this.format.frames = n;
  }

  /**
   * Where the audio may end: the end of the file, or before an ID3v1 and/or APEv2 tag there.
   * Tags are only believed when a frame ends exactly at their start (see inspectTail), so three
   * bytes of audio that happen to read "TAG" cannot cut a file short.
   */
  private async possibleEnds(): Promise<Array<{ end: number; tags: ChunkInfo[] }>> {
    const ends = [{ end: this.framing.audioEnd, tags: [] as ChunkInfo[] }];
    let end = this.framing.audioEnd;
    const tags: ChunkInfo[] = [];
    for (let guard = 0; guard < 4 && end > this.audioStart; guard++) {
      if (end - this.audioStart >= 128) {
        const v1 = await this.file.bytes(end - 128, 3);
        if (v1[0] === 0x54 && v1[1] === 0x41 && v1[2] === 0x47) {
          end -= 128;
          tags.unshift({ id: 'ID3v1', size: 128, offset: end });
          ends.push({ end, tags: [...tags] });
          continue;
        }
      }
      if (end - this.audioStart >= 32) {
        const ape = await this.file.bytes(end - 32, 32);
        if (String.fromCharCode(...ape.subarray(0, 8)) === 'APETAGEX') {
          const view = new DataView(ape.buffer, ape.byteOffset, 32);
          const size = view.getUint32(12, true);
          const hasHeader = (view.getUint32(20, true) & 0x80000000) !== 0;
          const total = size + (hasHeader ? 32 : 0);
          if (total >= 32 && total <= end - this.audioStart) {
            end -= total;
            tags.unshift({ id: 'APEv2', size, offset: end });
            ends.push({ end, tags: [...tags] });
            continue;
          }
        }
      }
      break;
    }
    return ends;
  }

  /**
   * Looks at the end of the audio for the last frame, in a window of a few frames: a frame
   * that ends exactly there gives the stream length at O(1) cost; a last frame that decodes but
   * is followed by junk moves the end; a header whose frame runs past the end means truncation.
   */
  private async inspectTail(): Promise<
    { kind: 'complete'; end: number } | { kind: 'truncated'; byte: number; sample: number } | { kind: 'unknown' }
  > {
    const first = this.framing.first!;
    const si = this.streamInfo;
    const ends = await this.possibleEnds();
    const fileEnd = this.framing.audioEnd;
    const bound = frameBound(si.channels, Math.max(first.blockSize, si.maxBlockSize), si.bitsPerSample);
    const from = Math.max(this.audioStart, fileEnd - Math.min(MAX_WINDOW - 65536, 2 * bound + 65536));
    await this.window.ensure(from, fileEnd - from);
    const buf = this.window.buf;
    const base = this.window.start;
    const candidates: number[] = [];
    for (let q = from; q + 1 < fileEnd; q++) {
      if (buf[q - base] !== 0xff || !isSync(buf, q - base)) continue;
      const h = parseFrameHeader(buf, q - base, fileEnd - base);
      if (h && !this.framing.inconsistency(h) && this.framing.sampleOf(h) >= 0) candidates.push(q);
    }
    for (const { end, tags } of ends) {
      for (let k = candidates.length - 1; k >= 0; k--) {
        const q = candidates[k]!;
        if (q >= end || crc16(buf, q - base, end - base) !== 0) continue;
        const h = parseFrameHeader(buf, q - base, end - base);
        if (!h) continue;
        this.framing.setAudioEnd(end);
        for (const tag of tags) {
          this.meta.chunks.push(tag);
          this.meta.unknownChunks.push(tag.id);
        }
        return { kind: 'complete', end: this.framing.sampleOf(h) + h.blockSize };
      }
    }
    // Nothing ends where the audio may end. A last frame followed by junk still decodes on its own.
    for (let k = candidates.length - 1; k >= 0 && k >= candidates.length - 4; k--) {
      const q = candidates[k]!;
      const h = parseFrameHeader(buf, q - base, fileEnd - base)!;
      try {
        const { length } = this.decoders.js.decode(buf.subarray(q - base, fileEnd - base), h, this.framing.bitsOf(h));
        if (crc16(buf, q - base, q - base + length) === 0) {
          this.meta.warnings.push(`${fileEnd - q - length} bytes after the last frame are not FLAC audio (ignored)`);
          this.framing.setAudioEnd(q + length);
          return { kind: 'complete', end: this.framing.sampleOf(h) + h.blockSize };
        }
      } catch {
        // not a whole frame
      }
    }
    if (candidates.length > 0) {
      const q = candidates[candidates.length - 1]!;
      const h = parseFrameHeader(buf, q - base, fileEnd - base)!;
      return { kind: 'truncated', byte: q, sample: this.framing.sampleOf(h) };
    }
    return { kind: 'unknown' };
  }

  /** Walks every frame (no decoding) to count samples; fills the index on the way. */
  private async scanAll(): Promise<number> {
    let at: Point = { byte: this.audioStart, sample: 0 };
    while (at.byte < this.framing.audioEnd) {
      const f = await this.framing.locate(at.byte);
      if (f.sample !== at.sample) throw this.discontinuity(f, at.sample);
      this.index.remember(f);
      at = { byte: f.end, sample: f.sample + f.header.blockSize };
    }
    return at.sample;
  }

  // ---------------------------------------------------------------- reading

  private cached(pos: number): DecodedFrame | undefined {
    for (const f of this.cache) if (pos >= f.start && pos < f.start + f.length) return f;
    return undefined;
  }

  /** Positions the cursor at the frame holding `pos`, decodes it and caches it. */
  private async frameFor(pos: number): Promise<DecodedFrame> {
    if (!this.cursor || pos < this.cursor.sample || pos - this.cursor.sample > this.seqLimit) {
      this.cursor = await this.seek(pos);
    }
    for (;;) {
      // The cursor only moves forward (end > byte) and stops at the end of the audio.
      const at: Point = this.cursor;
      if (at.byte >= this.framing.audioEnd) {
        this.framing.truncated(`the audio ends at sample ${at.sample} but the stream should hold ${this.frames}`);
      }
      let f: LocatedFrame;
      try {
        f = await this.framing.locate(at.byte);
      } catch (err) {
        this.cursor = await this.skipDamaged(at, pos, err);
        continue;
      }
      if (f.sample !== at.sample) throw this.discontinuity(f, at.sample);
      this.index.remember(f);
      this.cursor = { byte: f.end, sample: f.sample + f.header.blockSize };
      if (pos < this.cursor.sample) return this.decode(f);
    }
  }

  /**
   * Walking towards `pos` hit a frame whose end cannot be found (damaged data). When its header
   * is intact and `pos` lies beyond it, resynchronise on the next verified frame so the healthy
   * rest of the file stays readable; otherwise report the damage.
   */
  private async skipDamaged(at: Point, pos: number, err: unknown): Promise<Point> {
    const h = await this.framing.headerAt(at.byte);
    if (!h || this.framing.inconsistency(h) || this.framing.sampleOf(h) !== at.sample || pos < at.sample + h.blockSize) throw err;
    const next = await this.framing.frameAfter(at.byte + 1, this.framing.audioEnd);
    if (next === null || next === 'gave-up' || next.sample !== at.sample + h.blockSize) throw err;
    return { byte: next.byte, sample: next.sample };
  }

  private async decode(f: LocatedFrame): Promise<DecodedFrame> {
    const h = f.header;
    const bits = this.framing.bitsOf(h);
    const n = h.blockSize;
    await this.window.ensure(f.byte, f.end - f.byte);
    const bytes = this.window.buf.subarray(f.byte - this.window.start, f.end - this.window.start);
    let ints: Float64Array[];
    try {
      ints = await this.decoders.decode(bytes, h, bits, f.sample, this.framing.sampleBase !== 0);
    } catch (err) {
      if (err instanceof FrameError) throw this.framing.dataError(f.byte, err.message);
      throw err;
    }
    const scale = 1 / 2 ** (bits - 1);
    const data: Float32Array[] = [];
    for (let c = 0; c < h.channels; c++) {
      const src = ints[c]!;
      const dst = new Float32Array(n);
      for (let i = 0; i < n; i++) dst[i] = src[i]! * scale;
      data.push(dst);
    }
    const frame = { start: f.sample, length: n, data };
    this.cache.push(frame);
    if (this.cache.length > CACHE_FRAMES) this.cache.shift();
    return frame;
  }

  // ---------------------------------------------------------------- seeking

  /** A verified frame boundary at or before `pos`, close enough to walk from. */
  private async seek(pos: number): Promise<Point> {
    let lo = this.index.before(pos);
    if (this.cursor && this.cursor.sample <= pos && this.cursor.sample > lo.sample) lo = this.cursor;
    lo = await this.useSeekTable(pos, lo);
    let hi: Point = this.index.after(pos) ?? { byte: this.framing.audioEnd, sample: Math.max(this.frames, pos + 1) };
    for (let round = 0; round < 64; round++) {
      if (pos - lo.sample <= this.seqLimit || hi.byte - lo.byte <= MIN_BISECT_BYTES) return lo;
      const span = hi.byte - lo.byte;
      const ratio = round % 2 === 0 ? (pos - lo.sample) / Math.max(1, hi.sample - lo.sample) : 0.5;
      const probe = Math.min(hi.byte - 1, Math.max(lo.byte + 1, lo.byte + Math.floor(span * ratio) - 4096));
      const f = await this.framing.frameAfter(probe, hi.byte);
      if (f === 'gave-up') return lo;
      if (f === null) {
        hi = { byte: probe, sample: hi.sample };
        continue;
      }
      if (f.sample <= lo.sample || f.sample >= hi.sample) return lo; // numbering disagrees: walk and let that report it
      this.index.remember(f);
      if (f.sample <= pos) lo = { byte: f.byte, sample: f.sample };
      else hi = { byte: f.byte, sample: f.sample };
    }
    return lo;
  }

  /** Improves `lo` with the best SEEKTABLE point before `pos`, checking it first (tables can lie). */
  private async useSeekTable(pos: number, lo: Point): Promise<Point> {
    for (let guard = 0; guard < 16; guard++) {
      let best = -1;
      for (let i = 0; i < this.seekPoints.length; i++) {
        const sp = this.seekPoints[i]!;
        if (sp.sample <= pos && sp.sample > lo.sample && (best < 0 || sp.sample > this.seekPoints[best]!.sample)) best = i;
      }
      if (best < 0) return lo;
      const sp = this.seekPoints[best]!;
      const byte = this.audioStart + sp.offset;
      const h = byte < this.framing.audioEnd ? await this.framing.headerAt(byte) : null;
      if (h && !this.framing.inconsistency(h) && this.framing.sampleOf(h) === sp.sample && (await this.framing.frameEnd(byte, h)) !== null) {
        const point = { byte, sample: sp.sample };
        this.index.remember(point);
        return point;
      }
      this.seekPoints.splice(best, 1);
      if (!this.meta.warnings.some((w) => w.startsWith('SEEKTABLE'))) this.meta.warnings.push('SEEKTABLE points to places that are not frames (ignored)');
    }
    return lo;
  }

  // ---------------------------------------------------------------- errors and plumbing

  private discontinuity(f: LocatedFrame, expected: number): StemkitError {
    return this.framing.dataError(f.byte, `starts at sample ${f.sample} where sample ${expected} was expected (frames missing or misnumbered)`);
  }

  private usage(what: string): StemkitError {
    return new StemkitError('E_USAGE', `${this.path}: ${what}`, { file: this.path, hint: 'this is a bug in the caller; report it' });
  }

  /** Runs reads one at a time: they share the cursor, window and decoder. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.queue.then(job, job);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Whatever escapes (a wasm trap, a RangeError on absurd input) still reaches the user typed. */
function asStemkitError(err: unknown, path: string, doing: string): StemkitError {
  if (err instanceof StemkitError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StemkitError('E_BAD_DATA', `${path}: unexpected failure ${doing}: ${message}`, { file: path, hint: DATA_HINT, cause: err });
}
