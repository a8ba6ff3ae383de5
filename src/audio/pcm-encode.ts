/**
 * Planar Float32 → interleaved little-endian bytes for the WAV writer: integer formats are
 * rounded (optionally with TPDF dither) and clipped, and every clipped sample is counted so the
 * writer can report it instead of hiding it.
 */
export type WriteSampleFormat = 'pcm16' | 'pcm24' | 'pcm32' | 'float32';

export const BYTES_PER_SAMPLE: Record<WriteSampleFormat, number> = { pcm16: 2, pcm24: 3, pcm32: 4, float32: 4 };

export interface EncodeStats {
  clippedSamples: number;
  nonFiniteSamples: number;
}

/** xorshift32: fast, deterministic, and plenty for dither noise. */
export class DitherNoise {
  private state: number;
  constructor(seed = 0x9e3779b9) {
    this.state = seed >>> 0 || 1;
  }
  /** Triangular noise in (−1, 1) LSB: the sum of two uniform variables of ±0.5 LSB. */
  tpdf(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const a = (x >>> 0) / 4294967296;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return a + this.state / 4294967296 - 1;
  }
}

/**
 * Encodes `frames` frames of `planar` into `out` (interleaved). `dither` adds TPDF noise of one
 * LSB before rounding (16/24-bit only: 32-bit integer noise would sit below Float32 precision).
 */
export function encodeInterleaved(
  planar: Float32Array[],
  frames: number,
  format: WriteSampleFormat,
  out: Uint8Array,
  stats: EncodeStats,
  dither: DitherNoise | null,
): void {
  const channels = planar.length;
  if (format === 'float32') {
    const view = new DataView(out.buffer, out.byteOffset, frames * channels * 4);
    for (let ch = 0; ch < channels; ch++) {
      const src = planar[ch]!;
      for (let i = 0, p = ch * 4; i < frames; i++, p += channels * 4) {
        const v = src[i]!;
        if (!Number.isFinite(v)) stats.nonFiniteSamples++;
        view.setFloat32(p, v, true);
      }
    }
    return;
  }
  const bytes = BYTES_PER_SAMPLE[format];
  if (dither === null && bytes < 4) return encodeShortInt(planar, frames, bytes, out, stats);
  const bits = bytes * 8;
  const scale = 2 ** (bits - 1);
  const max = scale - 1;
  const min = -scale;
  const useDither = dither !== null && bits < 32;
  const stride = channels * bytes;
  for (let ch = 0; ch < channels; ch++) {
    const src = planar[ch]!;
    for (let i = 0, p = ch * bytes; i < frames; i++, p += stride) {
      const v = src[i]!;
      let q: number;
      if (!Number.isFinite(v)) {
        stats.nonFiniteSamples++;
        q = 0;
      } else {
        // floor(x + 0.5) rounds exactly like Math.round (halves up) and is several times faster in V8.
        q = Math.floor(v * scale + (useDither ? dither!.tpdf() : 0) + 0.5);
        if (q > max) {
          q = max;
          stats.clippedSamples++;
        } else if (q < min) {
          q = min;
          stats.clippedSamples++;
        }
      }
      out[p] = q & 0xff;
      out[p + 1] = (q >> 8) & 0xff;
      if (bytes >= 3) out[p + 2] = (q >> 16) & 0xff;
      if (bytes === 4) out[p + 3] = (q >> 24) & 0xff;
    }
  }
}

/**
 * 16/24-bit without dither, the renderer's hot path: rounding by truncation plus a correction
 * (exactly floor(x + 0.5), i.e. Math.round) in 32-bit integer arithmetic.
 */
function encodeShortInt(planar: Float32Array[], frames: number, bytes: number, out: Uint8Array, stats: EncodeStats): void {
  const channels = planar.length;
  const scale = 2 ** (bytes * 8 - 1);
  const max = scale - 1;
  const min = -scale;
  const stride = channels * bytes;
  for (let ch = 0; ch < channels; ch++) {
    const src = planar[ch]!;
    for (let i = 0, p = ch * bytes; i < frames; i++, p += stride) {
      const x = src[i]! * scale + 0.5;
      let q: number;
      if (x >= min && x < max + 1) {
        q = x | 0;
        if (q > x) q--;
      } else if (x > 0 && x < Infinity) {
        q = max;
        stats.clippedSamples++;
      } else if (x < 0 && x > -Infinity) {
        q = min;
        stats.clippedSamples++;
      } else {
        q = 0;
        stats.nonFiniteSamples++;
      }
      out[p] = q & 0xff;
      out[p + 1] = (q >> 8) & 0xff;
      if (bytes === 3) out[p + 2] = (q >> 16) & 0xff;
    }
  }
}
