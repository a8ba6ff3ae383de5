import { StemkitError } from '../errors.js';
import { decodeInterleaved, type SampleLayout } from './pcm.js';
import type { ByteSource } from './byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource } from './types.js';

/** Most bytes read and decoded at a time: large reads stay one system call per MiB. */
const PIECE_BYTES = 1024 * 1024;
/** Byte buffers kept for the next reads of this thread (any source): memory follows the reads in flight, not the number of sources. */
const KEPT_BUFFERS = 16;
const spare: Uint8Array[] = [];

/** A buffer of at least `bytes` for one read: a kept one when it fits, else a new one. */
function takeBuffer(bytes: number): Uint8Array {
  const i = spare.findIndex((b) => b.length >= bytes);
  return i >= 0 ? spare.splice(i, 1)[0]! : new Uint8Array(bytes);
}

function giveBack(buffer: Uint8Array): void {
  if (spare.length < KEPT_BUFFERS) spare.push(buffer);
}

/**
 * An AudioSource over uncompressed interleaved frames at a fixed byte offset: what WAV, RF64
 * and AIFF all reduce to once their headers are parsed. Reads go straight from the file into a
 * reused byte buffer, so memory is bounded by the largest block asked for, not the file.
 */
export class PcmSource implements AudioSource {
  private readonly bytesPerFrame: number;

  constructor(
    private readonly file: ByteSource,
    readonly format: AudioFormat,
    readonly meta: AudioMeta,
    private readonly dataOffset: number,
    private readonly layout: SampleLayout,
  ) {
    this.bytesPerFrame = layout.bytes * format.channels;
  }

  get path(): string {
    return this.file.path;
  }

  async read(startFrame: number, frames: number, into?: Float32Array[]): Promise<Float32Array[]> {
    if (!Number.isInteger(startFrame) || !Number.isInteger(frames) || startFrame < 0 || frames < 0) {
      throw new StemkitError('E_USAGE', `read(${startFrame}, ${frames}): frame positions must be non-negative integers`, {
        file: this.path,
        hint: 'this is a bug in the caller; report it',
      });
    }
    const count = Math.max(0, Math.min(frames, this.format.frames - startFrame));
    const out = into
      ? into.map((channel) => channel.subarray(0, count))
      : Array.from({ length: this.format.channels }, () => new Float32Array(count));
    if (count === 0) return out;

    // Read and decoded in pieces of at most PIECE_BYTES through a buffer borrowed for this read
    // only: a source holds no buffer between reads (a check opens one source per stem, 1000 stems).
    const piece = Math.max(1, Math.floor(PIECE_BYTES / this.bytesPerFrame));
    const bytes = takeBuffer(Math.min(count, piece) * this.bytesPerFrame);
    try {
      for (let done = 0; done < count; done += piece) {
        const frames = Math.min(piece, count - done);
        const byteLength = frames * this.bytesPerFrame;
        const got = await this.file.readInto(bytes.subarray(0, byteLength), this.dataOffset + (startFrame + done) * this.bytesPerFrame);
        if (got < byteLength) {
          throw new StemkitError(
            'E_TRUNCATED',
            `${this.path}: audio ends at frame ${startFrame + done + Math.floor(got / this.bytesPerFrame)} of ${this.format.frames} (the file shrank or is still being written)`,
            { file: this.path, hint: 'wait for the export or copy to finish, then run again' },
          );
        }
        decodeInterleaved(bytes.subarray(0, byteLength), frames, this.format.channels, this.layout, out, done);
      }
    } finally {
      giveBack(bytes);
    }
    return out;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
