/**
 * ALAC encoder for mono and stereo, 16/20/24/32-bit, after Apple's reference strategy: the
 * adaptive predictor's coefficients carry over from frame to frame (per channel and order), each
 * stereo frame picks its mid/side weight (mixRes 0..4 over mixBits 2) and each channel its
 * predictor order (4 or 8) by coding a slice of the frame, and 24/32-bit input passes its low
 * 1/2 bytes through verbatim ("shifted off") so the predictor sees 16-bit-like data. A frame whose
 * compressed form would not be smaller than the plain samples is written as an escape frame.
 *
 * Packets decode bit-exactly in FFmpeg's and in Apple's decoders: the two corners where those
 * decoders disagree (see golomb.ts and predictor.ts) are detected and such a frame is escaped.
 */
import { StemkitError } from '../../errors.js';
import { BitWriter } from './bits.js';
import { ALAC_KB, ALAC_MB, ALAC_PB, type AlacConfig, defaultAlacConfig, writeAlacCookie } from './cookie.js';
import { ELEMENT } from './decoder.js';
import { encodeResiduals } from './golomb.js';
import { predict } from './predictor.js';

/** What an encoder is set up for. */
export interface AlacEncoderOptions {
  /** 1 (a single channel element) or 2 (a channel pair element). */
  channels: number;
  /** 16, 20, 24 or 32. */
  bitDepth: number;
  /** Hz, for the cookie. */
  sampleRate: number;
  /** Frames per packet (4096, the default, is what every player expects). */
  frameLength?: number;
}

/** Running totals of an encoder. */
export interface AlacEncoderStats {
  packets: number;
  frames: number;
  bytes: number;
  /** Packets written as escape (uncompressed) frames. */
  escapedPackets: number;
  /** Samples encodeFloat clipped to the integer range. */
  clippedSamples: number;
  /** NaN/±Infinity samples encodeFloat wrote as 0. */
  nonFiniteSamples: number;
}

/** The coefficients' fixed-point shift (Apple's DENSHIFT_DEFAULT). */
const COEF_SHIFT = 9;
/** Stereo mixing: weights mixRes/4 ... */
const MIX_BITS = 2;
/** ... for mixRes in 0..MAX_MIX_RES (0 = left/right as they are). */
const MAX_MIX_RES = 4;
/** Predictor orders tried per channel. */
const ORDERS = [4, 8] as const;
/** Rice history multiplier factor written per channel: pb·4/4 = the cookie's pb. */
const PB_FACTOR = 4;
/** Frames longer than this would allow zero runs where Apple's and FFmpeg's decoders disagree. */
const MAX_FRAME_LENGTH = 65534;

/** Apple's starting coefficients (init_coefs) for a table of `order` entries. */
function initialCoefs(order: number): Int16Array {
  const coefs = new Int16Array(order);
  coefs[0] = (38 << COEF_SHIFT) >> 4;
  coefs[1] = (-29 << COEF_SHIFT) >> 4;
  coefs[2] = (-2 << COEF_SHIFT) >> 4;
  return coefs;
}

/** Per channel of an element: its samples, residuals and adaptive state. */
class ChannelState {
  /** Samples after shifting off the low bytes (and, for stereo, after mixing). */
  readonly mixed: Int32Array;
  /** The shifted-off low bits. */
  readonly low: Int32Array;
  readonly residual: Int32Array;
  /** Coefficients per tried order, carried across frames. */
  readonly coefs = new Map<number, Int16Array>(ORDERS.map((order) => [order, initialCoefs(order)]));

  constructor(frameLength: number) {
    this.mixed = new Int32Array(frameLength);
    this.low = new Int32Array(frameLength);
    this.residual = new Int32Array(frameLength);
  }
}

export class AlacEncoder {
  readonly channels: number;
  readonly bitDepth: number;
  readonly sampleRate: number;
  readonly frameLength: number;
  readonly stats: AlacEncoderStats = { packets: 0, frames: 0, bytes: 0, escapedPackets: 0, clippedSamples: 0, nonFiniteSamples: 0 };
  private maxPacketBytes = 0;
  private readonly writer: BitWriter;
  private readonly state: ChannelState[];
  /** Stereo: the shifted (unmixed) left and right channels. */
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** encodeFloat's rounded samples. */
  private readonly rounded: Int32Array[];
  /** Low bytes passed through verbatim, Apple's choice: 2 at 32 bit, 1 at 24, else 0. */
  private readonly defaultBytesShifted: number;
  /** The current frame's choice (see chooseBytesShifted). */
  private bytesShifted = 0;

  constructor(options: AlacEncoderOptions) {
    const { channels, bitDepth, sampleRate } = options;
    const frameLength = options.frameLength ?? 4096;
    if (channels !== 1 && channels !== 2) throw usage(`ALAC encoding of ${channels} channels (1 or 2 are supported)`);
    if (![16, 20, 24, 32].includes(bitDepth)) throw usage(`ALAC encoding at ${bitDepth} bits (16, 20, 24 or 32)`);
    if (!Number.isInteger(frameLength) || frameLength < 1 || frameLength > MAX_FRAME_LENGTH) throw usage(`an ALAC frame length of ${frameLength}`);
    if (!Number.isInteger(sampleRate) || sampleRate < 1) throw usage(`an ALAC sample rate of ${sampleRate}`);
    this.channels = channels;
    this.bitDepth = bitDepth;
    this.sampleRate = sampleRate;
    this.frameLength = frameLength;
    this.defaultBytesShifted = bitDepth === 32 ? 2 : bitDepth >= 24 ? 1 : 0;
    // Worst case of a compressed attempt: every sample escaped (9 + 33 bits) plus a run code (25).
    this.writer = new BitWriter(Math.ceil((channels * frameLength * 67) / 8) + 64);
    this.state = Array.from({ length: channels }, () => new ChannelState(frameLength));
    this.left = new Int32Array(frameLength);
    this.right = new Int32Array(frameLength);
    this.rounded = Array.from({ length: channels }, () => new Int32Array(frameLength));
  }

  /** The stream's config: maxFrameBytes and avgBitRate reflect the packets encoded so far. */
  config(): AlacConfig {
    const config = defaultAlacConfig({ bitDepth: this.bitDepth, numChannels: this.channels, sampleRate: this.sampleRate, frameLength: this.frameLength });
    config.maxFrameBytes = this.maxPacketBytes;
    config.avgBitRate = this.stats.frames ? Math.round((this.stats.bytes * 8 * this.sampleRate) / this.stats.frames) : 0;
    return config;
  }

  /** The 24-byte magic cookie of config(): write it after the last packet to have the final sizes. */
  cookie(): Uint8Array {
    return writeAlacCookie(this.config());
  }

  /**
   * One packet of `frames` frames (1..frameLength; fewer than frameLength only for the last
   * packet of a stream) from planar integer samples within the bit depth's range.
   */
  encode(planar: Int32Array[], frames = planar[0]?.length ?? 0): Uint8Array {
    if (planar.length !== this.channels) throw usage(`${planar.length} channel(s) given to an ALAC encoder of ${this.channels}`);
    if (!Number.isInteger(frames) || frames < 1 || frames > this.frameLength) throw usage(`an ALAC packet of ${frames} frames (1 to ${this.frameLength})`);
    for (const ch of planar) if (ch.length < frames) throw usage(`a channel of ${ch.length} samples for an ALAC packet of ${frames} frames`);
    this.bytesShifted = this.chooseBytesShifted(planar, frames);
    const w = this.writer;
    w.reset();
    w.write(this.channels === 2 ? ELEMENT.CPE : ELEMENT.SCE, 3);
    w.write(0, 4); // element instance tag
    const escaped = this.channels === 2 ? this.encodePair(planar[0]!, planar[1]!, frames) : this.encodeSingle(planar[0]!, frames);
    w.write(ELEMENT.END, 3);
    w.byteAlign();
    const packet = w.take();
    this.stats.packets++;
    this.stats.frames += frames;
    this.stats.bytes += packet.length;
    if (escaped) this.stats.escapedPackets++;
    if (packet.length > this.maxPacketBytes) this.maxPacketBytes = packet.length;
    return packet;
  }

  /**
   * encode() from planar floats in [-1, 1): each sample × 2^(bitDepth − 1), rounded halves up and
   * clipped (stats count clipped and non-finite samples; the latter are written as 0).
   */
  encodeFloat(planar: Float32Array[], frames = planar[0]?.length ?? 0): Uint8Array {
    if (planar.length !== this.channels) throw usage(`${planar.length} channel(s) given to an ALAC encoder of ${this.channels}`);
    if (!Number.isInteger(frames) || frames < 1 || frames > this.frameLength) throw usage(`an ALAC packet of ${frames} frames (1 to ${this.frameLength})`);
    for (let c = 0; c < this.channels; c++) {
      if (planar[c]!.length < frames) throw usage(`a channel of ${planar[c]!.length} samples for an ALAC packet of ${frames} frames`);
      this.round(planar[c]!, this.rounded[c]!, 0, frames);
    }
    return this.encode(this.rounded, frames);
  }

  /**
   * src[0, frames) × 2^(bitDepth − 1) into dst[at, at + frames): rounded halves up like the WAV
   * writer, clipped, non-finite samples as 0 (both counted in stats).
   */
  round(src: Float32Array, dst: Int32Array, at: number, frames: number): void {
    const scale = 2 ** (this.bitDepth - 1);
    const max = scale - 1;
    for (let i = 0; i < frames; i++) {
      const v = src[i]! * scale;
      let q = Math.floor(v + 0.5);
      if (v - v !== 0) {
        q = 0;
        this.stats.nonFiniteSamples++;
      } else if (q > max) {
        q = max;
        this.stats.clippedSamples++;
      } else if (q < -scale) {
        q = -scale;
        this.stats.clippedSamples++;
      }
      dst[at + i] = q;
    }
  }

  /**
   * Apple's encoder always shifts off the low byte(s) of 24/32-bit audio, which costs 8 (16) bits
   * a sample even in digital silence. When the frame's low bytes are all zero (silence, 16-bit audio
   * in a 24-bit stream) nothing is shifted off, so silence costs next to nothing and 16-in-24 about
   * as much as shifted. Not for 32-bit stereo: 33-bit elements are beyond FFmpeg's decoder.
   */
  private chooseBytesShifted(planar: Int32Array[], frames: number): number {
    if (this.defaultBytesShifted === 0 || (this.bitDepth === 32 && this.channels === 2)) return this.defaultBytesShifted;
    const mask = (1 << (this.defaultBytesShifted * 8)) - 1;
    let low = 0;
    for (const ch of planar) for (let i = 0; i < frames; i++) low |= ch[i]! & mask;
    return low === 0 ? 0 : this.defaultBytesShifted;
  }

  /** Splits `src` into its top (into `top`) and its shifted-off low bits, checking the range. */
  private split(src: Int32Array, top: Int32Array, low: Int32Array, frames: number): void {
    const outside = splitSamples(src, top, low, frames, this.bytesShifted * 8, this.bitDepth);
    if (outside !== null) throw usage(`sample ${outside} is outside ${this.bitDepth}-bit range`);
  }

  /** Writes the element header (after its tag) up to the per-channel parameters. */
  private writeHeader(frames: number, escaped: boolean): void {
    const w = this.writer;
    const partial = frames !== this.frameLength ? 1 : 0;
    w.write(0, 12);
    // An escaped pair keeps the shift field: FFmpeg refuses a 32-bit pair whose field says 33 bits,
    // and both decoders read escaped pairs at the full depth whatever it says. An escaped single
    // channel must say 0: Apple's decoder would read its samples at the shifted width.
    const shiftField = escaped && this.channels === 1 ? 0 : this.bytesShifted;
    w.write((partial << 3) | (shiftField << 1) | (escaped ? 1 : 0), 4);
    if (partial) w.writeLong(frames, 32);
  }

  /** Bits of an escape frame's element (its samples and header), the size to beat. */
  private escapeBits(frames: number): number {
    return frames * this.bitDepth * this.channels + 16 + (frames !== this.frameLength ? 32 : 0);
  }

  private writeEscape(planar: Int32Array[], frames: number): void {
    const w = this.writer;
    this.writeHeader(frames, true);
    const bits = this.bitDepth;
    if (planar.length === 2) {
      const a = planar[0]!, b = planar[1]!;
      for (let i = 0; i < frames; i++) {
        w.writeLong(a[i]!, bits);
        w.writeLong(b[i]!, bits);
      }
    } else {
      const a = planar[0]!;
      for (let i = 0; i < frames; i++) w.writeLong(a[i]!, bits);
    }
  }

  /**
   * The order (4 or 8) that codes channel `s` best, judged on a slice after letting each order's
   * coefficients converge on it, as Apple's encoder does. Returns [order, estimated bits].
   */
  private chooseOrder(s: ChannelState, frames: number, chanBits: number): [number, number] {
    const converge = frames >> 5;
    const judged = frames >> 3;
    let best: [number, number] = [ORDERS[0], Infinity];
    for (const order of ORDERS) {
      const coefs = s.coefs.get(order)!;
      for (let pass = 0; pass < 7; pass++) predict(s.mixed, s.residual, converge, coefs, order, chanBits, COEF_SHIFT);
      predict(s.mixed, s.residual, judged, coefs, order, chanBits, COEF_SHIFT);
      const bits = encodeResiduals(null, s.residual, judged, chanBits, ALAC_PB, ALAC_MB, ALAC_KB) * 8 + 16 * order;
      if (bits < best[1]) best = [order, bits];
    }
    return best;
  }

  /** Writes one channel's parameters: mode 0, shift, pb factor, order, coefficients. */
  private writeChannelParams(order: number, coefs: Int16Array): void {
    const w = this.writer;
    w.write(COEF_SHIFT, 8);
    w.write((PB_FACTOR << 5) | order, 8);
    for (let k = 0; k < order; k++) w.write(coefs[k]!, 16);
  }

  /** Predicts and codes one channel; false when the result is ambiguous between decoders. */
  private writeChannel(s: ChannelState, frames: number, order: number, chanBits: number): boolean {
    const overflow = predict(s.mixed, s.residual, frames, s.coefs.get(order)!, order, chanBits, COEF_SHIFT);
    return encodeResiduals(this.writer, s.residual, frames, chanBits, ALAC_PB, ALAC_MB, ALAC_KB) >= 0 && !overflow;
  }

  /** A single channel element; returns whether it was escaped. */
  private encodeSingle(src: Int32Array, frames: number): boolean {
    const w = this.writer;
    const s = this.state[0]!;
    const shift = this.bytesShifted * 8;
    const chanBits = this.bitDepth - shift;
    this.split(src, s.mixed, s.low, frames);
    const [order, bits] = this.chooseOrder(s, frames, chanBits);
    const escapeBits = this.escapeBits(frames);
    const estimate = bits + 32 + (frames !== this.frameLength ? 32 : 0) + frames * shift;
    const start = w.mark();
    if (estimate < escapeBits) {
      this.writeHeader(frames, false);
      w.write(0, 16); // no stereo mixing
      this.writeChannelParams(order, s.coefs.get(order)!);
      if (shift) for (let i = 0; i < frames; i++) w.write(s.low[i]!, shift);
      const exact = this.writeChannel(s, frames, order, chanBits);
      if (exact && w.position - start[0] * 8 - start[2] < escapeBits) return false;
      w.restore(start);
    }
    this.writeEscape([src], frames);
    return true;
  }

  /** A channel pair element; returns whether it was escaped. */
  private encodePair(srcL: Int32Array, srcR: Int32Array, frames: number): boolean {
    const w = this.writer;
    const [u, v] = this.state as [ChannelState, ChannelState];
    const shift = this.bytesShifted * 8;
    const chanBits = this.bitDepth - shift + 1;
    this.split(srcL, this.left, u.low, frames);
    this.split(srcR, this.right, v.low, frames);

    // mixRes search on the first eighth of the frame, with the order-8 coefficients.
    const slice = frames >> 3;
    const coefsU8 = u.coefs.get(8)!;
    const coefsV8 = v.coefs.get(8)!;
    let mixRes = 0;
    let fewest = Infinity;
    // v = r for res 0 and l − r for every other res: its cost is measured once for each.
    let bitsV = 0;
    for (let res = 0; res <= MAX_MIX_RES; res++) {
      mix(this.left, this.right, u.mixed, v.mixed, slice, res);
      predict(u.mixed, u.residual, slice, coefsU8, 8, chanBits, COEF_SHIFT);
      if (res <= 1) {
        predict(v.mixed, v.residual, slice, coefsV8, 8, chanBits, COEF_SHIFT);
        bitsV = encodeResiduals(null, v.residual, slice, chanBits, ALAC_PB, ALAC_MB, ALAC_KB);
      }
      const bits = encodeResiduals(null, u.residual, slice, chanBits, ALAC_PB, ALAC_MB, ALAC_KB) + bitsV;
      if (bits < fewest) {
        fewest = bits;
        mixRes = res;
      }
    }
    mix(this.left, this.right, u.mixed, v.mixed, frames, mixRes);
    const [orderU, estimateU] = this.chooseOrder(u, frames, chanBits);
    const [orderV, estimateV] = this.chooseOrder(v, frames, chanBits);

    const escapeBits = this.escapeBits(frames);
    const estimate = estimateU + estimateV + 64 + (frames !== this.frameLength ? 32 : 0) + 2 * frames * shift;
    const start = w.mark();
    if (estimate < escapeBits) {
      this.writeHeader(frames, false);
      w.write(MIX_BITS, 8);
      w.write(mixRes, 8);
      this.writeChannelParams(orderU, u.coefs.get(orderU)!);
      this.writeChannelParams(orderV, v.coefs.get(orderV)!);
      if (shift) {
        const lowU = u.low, lowV = v.low;
        for (let i = 0; i < frames; i++) w.writeLong((lowU[i]! << shift) | lowV[i]!, 2 * shift);
      }
      const exactU = this.writeChannel(u, frames, orderU, chanBits);
      const exactV = this.writeChannel(v, frames, orderV, chanBits);
      if (exactU && exactV && w.position - start[0] * 8 - start[2] < escapeBits) return false;
      w.restore(start);
    }
    this.writeEscape([srcL, srcR], frames);
    return true;
  }
}

/** top = src >> shift, low = the shifted-off bits; returns the first sample outside `bits`, else null. */
function splitSamples(src: Int32Array, top: Int32Array, low: Int32Array, frames: number, shift: number, bits: number): number | null {
  const mask = (1 << shift) - 1;
  const cs = 32 - bits;
  let bad = 0;
  for (let i = 0; i < frames; i++) {
    const v = src[i]!;
    bad |= ((v << cs) >> cs) ^ v;
    top[i] = v >> shift;
    low[i] = v & mask;
  }
  return bad === 0 ? null : src.subarray(0, frames).find((v) => ((v << cs) >> cs) !== v)!;
}

/**
 * Packets from blocks of any length: frames are gathered to full packets (frameLength frames);
 * `flush()` after the last block writes the rest as the stream's one partial packet.
 */
export class AlacStreamEncoder {
  readonly encoder: AlacEncoder;
  private readonly pending: Int32Array[];
  private filled = 0;

  constructor(options: AlacEncoderOptions) {
    this.encoder = new AlacEncoder(options);
    this.pending = Array.from({ length: this.encoder.channels }, () => new Int32Array(this.encoder.frameLength));
  }

  /** Adds `frames` frames of planar integers (Int32Array) or floats (Float32Array, as encodeFloat); returns the packets completed. */
  push(planar: Int32Array[] | Float32Array[], frames = planar[0]?.length ?? 0): Uint8Array[] {
    const { channels, frameLength } = this.encoder;
    if (planar.length !== channels) throw usage(`${planar.length} channel(s) given to an ALAC encoder of ${channels}`);
    if (planar.some((ch) => ch.length < frames)) throw usage(`a block shorter than its ${frames} frames`);
    const packets: Uint8Array[] = [];
    for (let done = 0; done < frames; ) {
      const n = Math.min(frames - done, frameLength - this.filled);
      for (let c = 0; c < channels; c++) {
        const src = planar[c]!;
        if (src instanceof Float32Array) this.encoder.round(src.subarray(done, done + n), this.pending[c]!, this.filled, n);
        else this.pending[c]!.set(src.subarray(done, done + n), this.filled);
      }
      this.filled += n;
      done += n;
      if (this.filled === frameLength) {
        packets.push(this.encoder.encode(this.pending, frameLength));
        this.filled = 0;
      }
    }
    return packets;
  }

  /** The last, partial packet (none when the frames filled whole packets). */
  flush(): Uint8Array[] {
    if (this.filled === 0) return [];
    const packet = this.encoder.encode(this.pending, this.filled);
    this.filled = 0;
    return [packet];
  }
}

/** Apple's generalized mid/side: u = (res·l + (4 − res)·r) >> 2, v = l − r; res 0 keeps l/r. */
function mix(l: Int32Array, r: Int32Array, u: Int32Array, v: Int32Array, n: number, res: number): void {
  if (res === 0) {
    u.set(l.subarray(0, n));
    v.set(r.subarray(0, n));
    return;
  }
  const other = (1 << MIX_BITS) - res;
  for (let i = 0; i < n; i++) {
    const a = l[i]!, b = r[i]!;
    u[i] = (res * a + other * b) >> MIX_BITS;
    v[i] = a - b;
  }
}

function usage(message: string): StemkitError {
  return new StemkitError('E_USAGE', message, { hint: 'give the ALAC encoder 1 or 2 channels of integer samples within its bit depth, at most frameLength frames a packet' });
}
