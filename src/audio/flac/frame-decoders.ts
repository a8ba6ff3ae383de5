import type { FrameHeader } from './frame-header.js';
import { FrameError, JsFrameDecoder } from './js-decoder.js';
import type { StreamInfo } from './metadata.js';
import { WasmFrameDecoder } from './wasm-decoder.js';

/** Which decoder a FLAC reader uses: 'auto' (libFLAC where it is exact, TypeScript elsewhere) or 'js' only. */
export type DecoderChoice = 'auto' | 'js';

/**
 * The choice of decoder per frame. libFLAC (wasm) decodes the run of frames from frame 0 on, in
 * order, at 8/16/24 bits (see WasmFrameDecoder); every other frame, and any frame libFLAC fails
 * on, goes to the TypeScript decoder. Both are exact: the corpus MD5s are checked through each.
 */
export class FrameDecoders {
  /** Frames decoded by each decoder, and frames libFLAC failed on (then decoded in TypeScript). */
  readonly stats = { libflac: 0, typescript: 0, libflacFailures: 0 };
  /** The TypeScript decoder (framing also uses it to measure a frame's length). */
  readonly js = new JsFrameDecoder();
  private wasm: WasmFrameDecoder | null = null;
  private ints: Float64Array[] = [];

  constructor(
    private readonly streamInfo: StreamInfo,
    private readonly choice: DecoderChoice,
  ) {}

  /**
   * The integer samples of one whole frame (`bytes`, its `sample` number counted from the stream's
   * first, `offsetStream`: whether the stream starts at a sample other than 0). Valid until the
   * next call. Throws FrameError for a frame neither decoder can read.
   */
  async decode(bytes: Uint8Array, h: FrameHeader, bits: number, sample: number, offsetStream: boolean): Promise<Float64Array[]> {
    const n = h.blockSize;
    if (this.choice !== 'js' && !offsetStream && WasmFrameDecoder.canDecode(bits, bytes.length, n)) {
      this.wasm ??= new WasmFrameDecoder(this.streamHeader());
      if (this.wasm.accepts(sample)) {
        while (this.ints.length < h.channels) this.ints.push(new Float64Array(0));
        for (let c = 0; c < h.channels; c++) if (this.ints[c]!.length < n) this.ints[c] = new Float64Array(n);
        try {
          await this.wasm.decode(bytes, h, bits, this.ints, sample);
          this.stats.libflac++;
          return this.ints;
        } catch {
          // Whatever went wrong in libFLAC (a frame error, a trap, a wasm that will not build),
          // the TypeScript decoder below decides whether the frame is good.
          this.stats.libflacFailures++;
        }
      }
    }
    const r = this.js.decode(bytes, h, bits);
    if (r.length !== bytes.length) throw new FrameError(`the subframes end at byte ${r.length} of a ${bytes.length}-byte frame`);
    this.stats.typescript++;
    return r.samples;
  }

  async free(): Promise<void> {
    await this.wasm?.free();
    this.wasm = null;
  }

  /** 'fLaC' + STREAMINFO marked as the last metadata block: what libFLAC needs before frames. */
  private streamHeader(): Uint8Array {
    const h = new Uint8Array(4 + 4 + 34);
    h.set([0x66, 0x4c, 0x61, 0x43, 0x80, 0, 0, 34]);
    h.set(this.streamInfo.raw, 8);
    return h;
  }
}
