/**
 * The 'stemkit' AAC backend: stemkit's own AAC-LC encoder behind the AacEncoder contract.
 * Given its input file and a worker pool, it encodes the track as segments of SEGMENT_PACKETS
 * packets on the pool's threads (segments of all tracks share the cores), a few segments ahead of
 * what the muxer has taken, so memory stays bounded however long the track. Without a file it
 * encodes the pushed samples on the calling thread.
 */
import type { WorkerPool } from '../../engine/pool.js';
import { siblingModule } from '../../engine/pool.js';
import type { AacEncoder } from './encode.js';
import type { AacSegment, AacSegmentJob } from './segment-job.js';
import { AacLcStream, aacPacketCount } from './stream.js';
import { FRAME } from './windows.js';

/** About 24 s at 44.1 kHz: long enough that the rate control settles, short enough to spread over the cores. */
const SEGMENT_PACKETS = 1024;
/** Segments of one track queued beyond the one the muxer waits for. */
const SEGMENTS_AHEAD = 2;
const SEGMENT_JOB = siblingModule(import.meta.url, 'segment-job');

export interface StemkitAacOptions {
  sampleRate: number;
  channels: number;
  bitrate: number;
  /** A PCM file holding exactly the audio, with its frame count: encoded in segments on `pool`. */
  input?: { path: string; frames: number; pool: WorkerPool };
}

export function createStemkitAacEncoder(options: StemkitAacOptions): AacEncoder {
  return options.input ? new SegmentedEncoder(options, options.input) : new InlineEncoder(options);
}

class InlineEncoder implements AacEncoder {
  readonly needsSamples = true;
  private readonly stream: AacLcStream;
  private packets: Uint8Array[] = [];
  private frames = 0;

  constructor(options: StemkitAacOptions) {
    this.stream = new AacLcStream(options);
  }

  async push(planar: readonly Float32Array[], frames: number): Promise<void> {
    this.packets.push(...this.stream.push(planar, frames));
    this.frames += frames;
  }

  take(): Uint8Array[] {
    const out = this.packets;
    this.packets = [];
    return out;
  }

  async finish(): Promise<void> {
    this.packets.push(...this.stream.finish(aacPacketCount(this.frames)));
  }

  async close(): Promise<void> {}
}

class SegmentedEncoder implements AacEncoder {
  readonly needsSamples = false;
  private readonly total: number;
  private readonly segments: Promise<AacSegment>[] = [];
  private taken = 0;
  private pushed = 0;
  private packets: Uint8Array[] = [];

  constructor(
    private readonly options: StemkitAacOptions,
    private readonly input: { path: string; frames: number; pool: WorkerPool },
  ) {
    this.total = Math.ceil(aacPacketCount(input.frames) / SEGMENT_PACKETS);
  }

  private schedule(upTo: number): void {
    const { sampleRate, channels, bitrate } = this.options;
    const packets = aacPacketCount(this.input.frames);
    while (this.segments.length < Math.min(upTo, this.total)) {
      const first = this.segments.length * SEGMENT_PACKETS;
      const job: AacSegmentJob = { path: this.input.path, firstPacket: first, endPacket: Math.min(packets, first + SEGMENT_PACKETS), bitrate, sampleRate, channels, frames: this.input.frames };
      const result = this.input.pool.run<AacSegmentJob, AacSegment>(SEGMENT_JOB, 'encodeAacSegment', job);
      // Awaited in order later; until then a failure must not count as unhandled.
      result.catch(() => undefined);
      this.segments.push(result);
    }
  }

  /** Waits for the segments holding the packets up to `packets`, and queues the ones after. */
  private async advance(packets: number): Promise<void> {
    const needed = Math.min(this.total, Math.ceil(packets / SEGMENT_PACKETS));
    this.schedule(needed + SEGMENTS_AHEAD);
    while (this.taken < needed) {
      const { data, sizes } = await this.segments[this.taken]!;
      delete this.segments[this.taken];
      this.taken++;
      let offset = 0;
      for (const size of sizes) {
        this.packets.push(data.subarray(offset, offset + size));
        offset += size;
      }
    }
  }

  async push(_planar: readonly Float32Array[], frames: number): Promise<void> {
    this.pushed += frames;
    await this.advance(Math.ceil((this.pushed + FRAME) / FRAME));
  }

  take(): Uint8Array[] {
    const out = this.packets;
    this.packets = [];
    return out;
  }

  async finish(): Promise<void> {
    await this.advance(aacPacketCount(this.input.frames));
  }

  async close(): Promise<void> {}
}
