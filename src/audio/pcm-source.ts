import { StemkitError } from '../errors.js';
import { decodeInterleaved, type SampleLayout } from './pcm.js';
import type { ByteSource } from './byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource } from './types.js';

/** Most bytes one source reads and decodes at a time (64 KiB: a few system calls per block, and 1000 sources hold 64 MB at most). */
const SCRATCH_BYTES = 64 * 1024;

/**
 * An AudioSource over uncompressed interleaved frames at a fixed byte offset: what WAV, RF64
 * and AIFF all reduce to once their headers are parsed. Reads go straight from the file into a
 * reused byte buffer, so memory is bounded by the largest block asked for, not the file.
 */
export class PcmSource implements AudioSource {
  private scratch = new Uint8Array(0);
  private scratchBusy = false;
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

    // Read and decoded in pieces of at most SCRATCH_BYTES, so a source's buffer stays small
    // however much one read asks for (a check holds a source per stem: 1000 stems, 1000 buffers).
    const piece = Math.max(1, Math.floor(SCRATCH_BYTES / this.bytesPerFrame));
    // Concurrent reads on one source (read-ahead) must not share the scratch buffer.
    const ownScratch = !this.scratchBusy;
    const capacity = Math.min(count, piece) * this.bytesPerFrame;
    let bytes: Uint8Array;
    if (ownScratch) {
      if (this.scratch.length < capacity) this.scratch = new Uint8Array(capacity);
      bytes = this.scratch;
      this.scratchBusy = true;
    } else {
      bytes = new Uint8Array(capacity);
    }
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
      if (ownScratch) this.scratchBusy = false;
    }
    return out;
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
