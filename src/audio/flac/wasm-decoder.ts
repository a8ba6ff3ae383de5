import { FLACDecoder } from '@wasm-audio-decoders/flac';
import type { FrameHeader } from './frame-header.js';
import { FrameError } from './js-decoder.js';

/**
 * libFLAC (via @wasm-audio-decoders/flac) fed one frame at a time.
 *
 * What the wrapper really does (checked against its C source and the corpus MD5s):
 * - Channels come out in FLAC order, which is WAVE order (L R C LFE Ls Rs ...). The README's
 *   "Vorbis order" list only describes speaker positions; nothing is reordered. The STREAMINFO
 *   MD5 of the 3-, 6- and 8-channel corpus files matches, which it could not if it were.
 * - Samples are int / (2^(bits-1) - 1) as float32, and only for 8, 16, 24 and 32 bits; other
 *   depths divide by an uninitialised 0 (all ±Infinity/NaN). For 8/16/24 bits the integer is
 *   recovered exactly by rounding (the float32 error is below 0.25 LSB); 32-bit samples are
 *   rounded to float before the division, so they are not exact. The caller sends everything
 *   else to the TypeScript decoder.
 * - Each `decodeFrames` element is handed to one FLAC__stream_decoder_process_single() call, so
 *   elements must be whole frames (or the 'fLaC'+STREAMINFO header), and inputs longer than
 *   65535*8 bytes are split, which breaks a frame: such frames go to the TypeScript decoder too.
 * - Errors are also written with console.error, which would corrupt a CLI's JSON output; it is
 *   silenced for the duration of the (synchronous) call.
 * - Blocks of 65536 samples (codable in a frame header) are beyond libFLAC's 65535 limit.
 * - libFLAC only behaves when it sees the stream from its first frame on, in order. Fed a later
 *   frame first, this build traps ("memory access out of bounds") on some frames (27 of the 426
 *   in the corpus file "14 - wasted bits.flac") and corrupts its heap; fed a frame after a gap
 *   it reports MISSING_FRAME. So this decoder is only offered frames that continue its run
 *   from frame 0 (`accepts`); after a seek the caller decodes with the TypeScript decoder, and
 *   reading from frame 0 again starts a fresh libFLAC run.
 * - After an error libFLAC's state may be anywhere (e.g. END_OF_STREAM after a short read) and a
 *   trap may have damaged its heap, so the instance is discarded and the run ends.
 */
export class WasmFrameDecoder {
  /** The wrapper splits inputs at this length, which would break a frame in two. */
  static readonly MAX_FRAME_BYTES = 65535 * 8;
  private decoder: FLACDecoder | null = null;
  private needsReset = false;
  /** The first sample of the frame that continues libFLAC's run; -1 once the run is broken. */
  private nextSample = 0;

  constructor(private readonly streamHeader: Uint8Array) {}

  static canDecode(bits: number, frameBytes: number, blockSize: number): boolean {
    // libFLAC rejects 65536-sample blocks (its limit is 65535) that the frame header can express.
    return (bits === 8 || bits === 16 || bits === 24) && frameBytes <= WasmFrameDecoder.MAX_FRAME_BYTES && blockSize <= 65535;
  }

  /** True for the frame that continues the run (or frame 0, which starts a new one). */
  accepts(sample: number): boolean {
    return sample === 0 || sample === this.nextSample;
  }

  /**
   * Decodes one frame into integer samples per channel (written into `out`). `sample` is the
   * frame's first sample, which `accepts` must have approved.
   */
  async decode(frame: Uint8Array, header: FrameHeader, bits: number, out: Float64Array[], sample: number): Promise<void> {
    if (!this.accepts(sample)) throw new Error('internal: libFLAC fed a frame out of order');
    if (sample === 0 && this.nextSample !== 0) this.needsReset = true;
    this.nextSample = -1;
    await this.prime();
    const result = await this.call([frame]);
    const n = header.blockSize;
    if (result.errors.length > 0 || result.samplesDecoded !== n || result.channelData.length !== header.channels) {
      this.needsReset = true;
      const why = result.errors[0]?.message ?? `decoded ${result.samplesDecoded} samples x ${result.channelData.length} channels instead of ${n} x ${header.channels}`;
      throw new FrameError(why.replace(/^Error: /, '').replace(/\s+/g, ' '));
    }
    const divisor = 2 ** (bits - 1) - 1;
    for (let c = 0; c < header.channels; c++) {
      const src = result.channelData[c]!;
      const dst = out[c]!;
      for (let i = 0; i < n; i++) {
        const v = Math.round(src[i]! * divisor);
        if (!(v >= -divisor - 1 && v <= divisor)) {
          this.needsReset = true;
          throw new FrameError(`decoder returned an out-of-range sample (${src[i]})`);
        }
        dst[i] = v;
      }
    }
    this.nextSample = sample + n;
  }

  async free(): Promise<void> {
    const d = this.decoder;
    this.decoder = null;
    if (d) {
      try {
        await d.ready;
        d.free();
      } catch {
        // a decoder that failed to build has nothing to free
      }
    }
  }

  private async prime(): Promise<void> {
    if (this.decoder && !this.needsReset) return;
    if (this.decoder) {
      // Rebuild on the same wrapper: reset() frees the wasm instance and makes a new one.
      await this.free();
    }
    this.needsReset = true;
    const d = new FLACDecoder();
    this.decoder = d;
    await d.ready;
    const primed = await this.call([this.streamHeader]);
    if (primed.errors.length > 0) throw new FrameError(`libFLAC rejected STREAMINFO: ${primed.errors[0]!.message}`);
    this.needsReset = false;
  }

  private async call(frames: Uint8Array[]) {
    const d = this.decoder!;
    const saved = console.error;
    let pending;
    console.error = () => undefined;
    try {
      // decodeFrames runs synchronously (it is async only in signature), so the console is
      // restored before any other code can run.
      pending = d.decodeFrames(frames);
    } catch (err) {
      this.needsReset = true;
      throw new FrameError(`libFLAC failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      console.error = saved;
    }
    try {
      return await pending;
    } catch (err) {
      this.needsReset = true;
      throw new FrameError(`libFLAC failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
