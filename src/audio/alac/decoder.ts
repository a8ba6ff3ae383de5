/**
 * ALAC packet decoder, bit-exact with FFmpeg's (libavcodec/alac.c) on everything Apple's and
 * FFmpeg's encoders write: mono and stereo elements, 16/20/24/32-bit, escape (uncompressed) frames,
 * partial frames, shifted-off low bytes. Channels come out in bitstream order. Where Apple's and
 * FFmpeg's decoders disagree on a stream (prediction modes other than 0 and 15, a history of
 * exactly 0x10000 after a zero run) this one follows FFmpeg.
 *
 * Damaged input never reads outside the packet and never loops unbounded: every failure is a
 * StemkitError E_BAD_DATA (E_BAD_HEADER for a bad cookie).
 */
import { BitReader, corrupt } from './bits.js';
import { type AlacConfig, parseAlacCookie, writeAlacCookie } from './cookie.js';
import { decodeResiduals } from './golomb.js';
import { unpredict } from './predictor.js';

/** Syntax element ids (3 bits) of an ALAC packet (the AAC element ids). */
export const ELEMENT = { SCE: 0, CPE: 1, CCE: 2, LFE: 3, DSE: 4, PCE: 5, FIL: 6, END: 7 } as const;

export class AlacDecoder {
  readonly config: AlacConfig;
  private readonly residual: Int32Array;
  private readonly mixU: Int32Array;
  private readonly mixV: Int32Array;
  private readonly extra: [Int32Array, Int32Array];

  /** `cookie`: the magic cookie's bytes (bare or atom-wrapped) or a config (validated the same way). */
  constructor(cookie: Uint8Array | AlacConfig) {
    this.config = cookie instanceof Uint8Array ? parseAlacCookie(cookie) : parseAlacCookie(writeAlacCookie(cookie));
    const n = this.config.frameLength;
    this.residual = new Int32Array(n);
    this.mixU = new Int32Array(n);
    this.mixV = new Int32Array(n);
    this.extra = [new Int32Array(n), new Int32Array(n)];
  }

  /**
   * One packet → planar samples (one Int32Array per channel, integers of `config.bitDepth` bits,
   * as many frames as the packet holds). Throws E_BAD_DATA for a damaged packet.
   */
  decode(packet: Uint8Array): Int32Array[] {
    const r = new BitReader(packet);
    const channels = this.config.numChannels;
    const out: Int32Array[] = [];
    for (;;) {
      if (r.left < 3) throw corrupt('an ALAC packet without its end tag');
      const tag = r.read(3);
      if (tag === ELEMENT.END) break;
      if (tag === ELEMENT.FIL) {
        let count = r.read(4);
        if (count === 15) count += r.read(8) - 1;
        r.pos += count * 8;
      } else if (tag === ELEMENT.DSE) {
        r.pos += 4;
        const align = r.read(1);
        let count = r.read(8);
        if (count === 255) count += r.read(8);
        if (align) r.pos = (r.pos + 7) & ~7;
        r.pos += count * 8;
      } else if (tag === ELEMENT.SCE || tag === ELEMENT.LFE || tag === ELEMENT.CPE) {
        const n = tag === ELEMENT.CPE ? 2 : 1;
        if (out.length + n > channels) throw corrupt(`an ALAC packet with more than the ${channels} channel(s) its cookie declares`);
        this.decodeElement(r, n, out);
      } else throw corrupt(`an ALAC packet with syntax element ${tag}, which ALAC does not use`);
      r.checkEnd('an element');
    }
    if (out.length !== channels) throw corrupt(`an ALAC packet with ${out.length} of its ${channels} channels`);
    return out;
  }

  /** decode(), scaled to [-1, 1): sample / 2^(bitDepth − 1). */
  decodeFloat(packet: Uint8Array): Float32Array[] {
    const scale = 2 ** (1 - this.config.bitDepth);
    return this.decode(packet).map((ints) => {
      const floats = new Float32Array(ints.length);
      for (let i = 0; i < ints.length; i++) floats[i] = ints[i]! * scale;
      return floats;
    });
  }

  /** One SCE/LFE (n = 1) or CPE (n = 2): appends its n channels to `out`. */
  private decodeElement(r: BitReader, n: number, out: Int32Array[]): void {
    const { bitDepth, frameLength, pb, mb, kb } = this.config;
    r.pos += 4 + 12; // element instance tag, unused header bits
    const hasSize = r.read(1);
    const extraBits = r.read(2) * 8;
    const escaped = r.read(1);
    const bps = bitDepth - extraBits + n - 1;
    if (bps < 1 || bps > 32) throw corrupt(`an ALAC element of ${bps} bits per sample`);
    const frames = hasSize ? r.read(32) : frameLength;
    if (frames < 1 || frames > frameLength) throw corrupt(`an ALAC packet of ${frames} frames (at most ${frameLength})`);
    if (out.length > 0 && out[0]!.length !== frames) throw corrupt(`ALAC elements of ${out[0]!.length} and ${frames} frames in one packet`);
    const target = n === 2 ? [this.mixU, this.mixV] : [new Int32Array(frames)];
    let mixShift = 0;
    let mixWeight = 0;
    let shiftedBits = extraBits;
    if (!escaped) {
      if (kb === 0) throw corrupt('a compressed ALAC packet under a cookie with kb = 0');
      mixShift = r.read(8);
      mixWeight = r.read(8);
      if (n === 2 && mixWeight !== 0 && mixShift > 31) throw corrupt(`an ALAC stereo mix shift of ${mixShift}`);
      const modes: number[] = [];
      const shifts: number[] = [];
      const multipliers: number[] = [];
      const coefs: Int16Array[] = [];
      for (let c = 0; c < n; c++) {
        modes.push(r.read(4));
        shifts.push(r.read(4));
        multipliers.push(r.read(3));
        const order = r.read(5);
        if (order >= frameLength || shifts[c] === 0) throw corrupt(`an ALAC predictor of order ${order}, shift ${shifts[c]}`);
        const table = new Int16Array(order);
        for (let k = 0; k < order; k++) table[k] = r.readSigned(16);
        coefs.push(table);
      }
      if (extraBits) {
        if (r.left < frames * n * extraBits) throw corrupt('the ALAC packet ends inside its shifted-off bits');
        for (let i = 0; i < frames; i++) for (let c = 0; c < n; c++) this.extra[c]![i] = r.read(extraBits);
      }
      for (let c = 0; c < n; c++) {
        decodeResiduals(r, this.residual, frames, bps, (pb * multipliers[c]!) >> 2, mb, kb);
        if (modes[c] === 15) unpredict(this.residual, this.residual, frames, null, 31, bps, 0);
        unpredict(this.residual, target[c]!, frames, coefs[c]!, coefs[c]!.length, bps, shifts[c]!);
      }
    } else {
      if (r.left < frames * n * bitDepth) throw corrupt('the ALAC packet ends inside its uncompressed samples');
      for (let i = 0; i < frames; i++) for (let c = 0; c < n; c++) target[c]![i] = r.readSigned(bitDepth);
      shiftedBits = 0;
    }
    const cs = 32 - bitDepth;
    if (n === 1) {
      const x = target[0]!;
      if (shiftedBits) appendShifted(x, this.extra[0], frames, shiftedBits);
      for (let i = 0; i < frames; i++) x[i] = (x[i]! << cs) >> cs;
      out.push(x);
      return;
    }
    const left = new Int32Array(frames);
    const right = new Int32Array(frames);
    const u = this.mixU;
    const v = this.mixV;
    if (mixWeight !== 0) {
      for (let i = 0; i < frames; i++) {
        const b = v[i]!;
        const a = (u[i]! - (Math.imul(b, mixWeight) >> mixShift)) | 0;
        left[i] = (a + b) | 0;
        right[i] = a;
      }
    } else {
      left.set(u.subarray(0, frames));
      right.set(v.subarray(0, frames));
    }
    if (shiftedBits) {
      appendShifted(left, this.extra[0], frames, shiftedBits);
      appendShifted(right, this.extra[1], frames, shiftedBits);
    }
    for (let i = 0; i < frames; i++) {
      left[i] = (left[i]! << cs) >> cs;
      right[i] = (right[i]! << cs) >> cs;
    }
    out.push(left, right);
  }
}

/** x[i] = x[i] << bits | low[i]: the shifted-off low bytes back in place. */
function appendShifted(x: Int32Array, low: Int32Array, frames: number, bits: number): void {
  for (let i = 0; i < frames; i++) x[i] = (x[i]! << bits) | low[i]!;
}
