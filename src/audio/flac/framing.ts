import { StemkitError } from '../../errors.js';
import { CRC16_TABLE, crc16 } from './crc.js';
import { MAX_HEADER_BYTES, isSync, parseFrameHeader, type FrameHeader } from './frame-header.js';
import type { JsFrameDecoder } from './js-decoder.js';
import type { StreamInfo } from './metadata.js';
import type { ByteWindow } from './window.js';

export const DATA_HINT = 'the FLAC audio data is damaged; re-encode or re-export the file from its source';

/** A frame whose start was checked (header CRC-8) and whose end was found (CRC-16). */
export interface LocatedFrame {
  byte: number;
  end: number;
  header: FrameHeader;
  sample: number;
}

/** The most bytes a frame with these parameters can take (how far its end is searched for). */
export function frameBound(channels: number, blockSize: number, bits: number): number {
  // A verbatim frame at (bits+1) per sample (the side channel) is the most any encoder writes;
  // 25 % on top tolerates odd encoders.
  return 1024 + Math.ceil((1.25 * channels * blockSize * (bits + 1)) / 8);
}

/**
 * Finding frames in a FLAC stream: a frame starts at a header (sync + CRC-8) consistent with
 * STREAMINFO and the first frame, and ends where the CRC-16 that closes it is 0 and another frame
 * (or the end of the audio) follows, so each frame reaches the decoder whole. Knows where the audio
 * ends (which moves when junk or tags are found after the last frame) and how sample numbers count.
 */
export class Framing {
  /** The first frame's header, once known: the stream's block-size mode and nominal block. */
  first: FrameHeader | null = null;
  nominalBlock = 0;
  /** Sample number of the first frame; positions are counted from it (0 in any normal file). */
  sampleBase = 0;
  audioEnd: number;

  constructor(
    readonly path: string,
    private readonly window: ByteWindow,
    private readonly streamInfo: StreamInfo,
    /** The TypeScript decoder, to measure a last frame followed by junk. */
    private readonly js: JsFrameDecoder,
    /** The source's meta.warnings, where what framing notices is said. */
    private readonly warnings: string[],
    audioEnd: number,
  ) {
    this.audioEnd = audioEnd;
  }

  setAudioEnd(end: number): void {
    this.audioEnd = end;
    this.window.limit = end;
  }

  truncated(what: string): never {
    throw new StemkitError('E_TRUNCATED', `${this.path}: ${what}`, {
      file: this.path,
      hint: 'the file was not fully written or copied; export or copy it again',
    });
  }

  dataError(byte: number, why: string): StemkitError {
    return new StemkitError('E_BAD_DATA', `${this.path}: FLAC frame at byte ${byte}: ${why}`, { file: this.path, hint: DATA_HINT });
  }

  bitsOf(h: FrameHeader): number {
    return h.bitsPerSample || this.streamInfo.bitsPerSample;
  }

  sampleOf(h: FrameHeader): number {
    return (h.variable ? h.number : h.number * this.nominalBlock) - this.sampleBase;
  }

  /** Why a frame cannot belong to this stream, or null. stemkit reads constant-format streams only. */
  inconsistency(h: FrameHeader): string | null {
    const si = this.streamInfo;
    if (h.channels !== si.channels) return `a frame has ${h.channels} channel(s), STREAMINFO says ${si.channels}`;
    if (h.bitsPerSample !== 0 && h.bitsPerSample !== si.bitsPerSample) {
      return `a frame has ${h.bitsPerSample}-bit samples, STREAMINFO says ${si.bitsPerSample}`;
    }
    if (h.sampleRate !== 0 && h.sampleRate !== si.sampleRate) return `a frame is at ${h.sampleRate} Hz, STREAMINFO says ${si.sampleRate}`;
    const first = this.first;
    if (first) {
      if (h.variable !== first.variable) return 'the stream mixes fixed and variable block sizes';
      if (!h.variable && h.blockSize > this.nominalBlock) return `a frame of ${h.blockSize} samples in a stream of ${this.nominalBlock}-sample blocks`;
    }
    return null;
  }

  async headerAt(byte: number): Promise<FrameHeader | null> {
    const n = await this.window.ensure(byte, MAX_HEADER_BYTES);
    if (n < 2) return null;
    return parseFrameHeader(this.window.buf, byte - this.window.start, byte - this.window.start + n);
  }

  /**
   * The end of the frame starting at `byte`: the first position after which the running CRC-16
   * is 0 and a valid frame header (or the end of the audio) follows. Null when there is none
   * within the largest size such a frame can have.
   */
  async frameEnd(byte: number, h: FrameHeader): Promise<number | null> {
    const limit = Math.min(this.audioEnd, byte + frameBound(h.channels, h.blockSize, this.bitsOf(h)));
    const minEnd = byte + h.length + 3;
    const w = this.window;
    let crc = 0;
    let p = byte;
    while (p < limit) {
      const avail = await w.ensure(byte, Math.min(limit - byte, p - byte + 65536));
      const buf = w.buf;
      const base = w.start;
      const stop = byte + avail;
      let zero = false;
      while (p < stop) {
        crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[(crc >>> 8) ^ buf[p - base]!]!;
        p++;
        if (crc === 0 && p >= minEnd) {
          zero = true;
          break;
        }
      }
      if (!zero) continue;
      if (p === this.audioEnd) return p;
      const got = await w.ensure(byte, p - byte + MAX_HEADER_BYTES);
      if (parseFrameHeader(w.buf, p - w.start, byte + got - w.start)) return p;
    }
    return null;
  }

  /** The frame at a boundary the caller believes in; anything else is corrupt data. */
  async locate(byte: number): Promise<LocatedFrame> {
    const h = await this.headerAt(byte);
    if (!h) throw this.dataError(byte, 'no valid frame header (lost sync)');
    const mismatch = this.inconsistency(h);
    if (mismatch) throw this.dataError(byte, `${mismatch}; stemkit reads constant-format FLAC only`);
    const end = (await this.frameEnd(byte, h)) ?? (await this.endBeforeJunk(byte, h));
    if (end === null) {
      if (byte + frameBound(h.channels, h.blockSize, this.bitsOf(h)) >= this.audioEnd) {
        this.truncated(`the frame at byte ${byte} runs past the end of the file`);
      }
      throw this.dataError(byte, 'damaged: no end where the CRC-16 matches and another frame follows');
    }
    return { byte, end, header: h, sample: this.sampleOf(h) };
  }

  /**
   * A frame whose end has no frame header after it may be the last frame, followed by bytes
   * that are not FLAC (a tag stemkit does not know, padding, garbage). It is, when it decodes
   * to a length at which its CRC-16 matches and no frame starts anywhere after it; the audio
   * then ends there. Returns that end, or null.
   */
  async endBeforeJunk(byte: number, h: FrameHeader): Promise<number | null> {
    const limit = Math.min(this.audioEnd, byte + frameBound(h.channels, h.blockSize, this.bitsOf(h)));
    await this.window.ensure(byte, limit - byte);
    const view = this.window.buf.subarray(byte - this.window.start, limit - this.window.start);
    let length: number;
    try {
      length = this.js.decode(view, h, this.bitsOf(h)).length;
    } catch {
      return null;
    }
    if (crc16(view, 0, length) !== 0) return null;
    const end = byte + length;
    if ((await this.frameAfter(end, this.audioEnd, true)) !== null) return null;
    this.warnings.push(`${this.audioEnd - end} bytes after the last frame are not FLAC audio (ignored)`);
    this.setAudioEnd(end);
    return end;
  }

  /**
   * The first verified frame starting in [from, limit), or null. Unless `unbounded`, the search
   * stops after a few frames' worth of bytes and answers 'gave-up' if it did not reach `limit`.
   */
  async frameAfter(from: number, limit: number, unbounded = false): Promise<LocatedFrame | null | 'gave-up'> {
    const first = this.first!;
    const reach = unbounded ? limit : from + 2 * frameBound(first.channels, Math.max(first.blockSize, this.streamInfo.maxBlockSize), this.bitsOf(first)) + 65536;
    const stopAt = Math.min(limit, reach);
    let q = from;
    while (q < stopAt) {
      const avail = await this.window.ensure(q, Math.min(stopAt - q, 65536) + MAX_HEADER_BYTES);
      if (avail <= 0) break;
      const buf = this.window.buf;
      const base = this.window.start;
      const scanEnd = Math.min(q + avail, stopAt);
      const dataEnd = q + avail;
      let hit: FrameHeader | null = null;
      for (; q < scanEnd; q++) {
        if (buf[q - base] !== 0xff || !isSync(buf, q - base)) continue;
        const h = parseFrameHeader(buf, q - base, dataEnd - base);
        if (h && !this.inconsistency(h)) {
          hit = h;
          break;
        }
      }
      if (!hit) continue;
      const end = await this.frameEnd(q, hit);
      if (end !== null) return { byte: q, end, header: hit, sample: this.sampleOf(hit) };
      q++;
    }
    return stopAt < limit ? 'gave-up' : null;
  }
}
