import libsamplerate from '@alexanderolsen/libsamplerate-js';

// A CommonJS package: its named exports are only reachable through the default import under Node's ESM.
const { create, ConverterType } = libsamplerate;

/**
 * Streaming band-limited sample-rate conversion with libsamplerate (SRC_SINC_BEST_QUALITY:
 * 97 dB SNR, 97 % bandwidth) compiled to wasm. libsamplerate keeps its output aligned with its
 * input; what it holds back at the end is flushed by feeding silence, and the output is cut to
 * exactly round(inputFrames · ratio) frames.
 */
export class Resampler {
  private constructor(
    private readonly src: Awaited<ReturnType<typeof create>>,
    /** Channels of every chunk in and out. */
    readonly channels: number,
    /** Output rate ÷ input rate: output frames per input frame. */
    readonly ratio: number,
  ) {}

  /** A converter from `inputRate` to `outputRate` (Hz); async because libsamplerate's wasm loads first. */
  static async create(channels: number, inputRate: number, outputRate: number): Promise<Resampler> {
    const src = await create(channels, inputRate, outputRate, { converterType: ConverterType.SRC_SINC_BEST_QUALITY });
    return new Resampler(src, channels, outputRate / inputRate);
  }

  /** Converts one chunk (planar in, planar out); the output length varies around frames·ratio. */
  process(planar: Float32Array[], frames: number): Float32Array[] {
    const channels = this.channels;
    const interleaved = new Float32Array(frames * channels);
    for (let ch = 0; ch < channels; ch++) {
      const x = planar[ch]!;
      for (let i = 0, p = ch; i < frames; i++, p += channels) interleaved[p] = x[i]!;
    }
    const out = this.src.full(interleaved);
    const outFrames = Math.floor(out.length / channels);
    const result = Array.from({ length: channels }, () => new Float32Array(outFrames));
    for (let ch = 0; ch < channels; ch++) {
      const y = result[ch]!;
      for (let i = 0, p = ch; i < outFrames; i++, p += channels) y[i] = out[p]!;
    }
    return result;
  }

  /** Frees libsamplerate's wasm memory; the resampler cannot be used afterwards. */
  destroy(): void {
    this.src.destroy();
  }
}
