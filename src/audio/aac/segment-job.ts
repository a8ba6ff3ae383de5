/**
 * A worker job: encodes packets [firstPacket, endPacket) of one audio file with stemkit's AAC-LC
 * encoder, reading only the source frames those packets depend on. Segments of several tracks run
 * side by side on the worker pool, which keeps every core busy however the tracks differ.
 */
import { StemkitError } from '../../errors.js';
import { openAudio } from '../open.js';
import { AacLcStream, endFrameOf } from './stream.js';

export interface AacSegmentJob {
  path: string;
  firstPacket: number;
  endPacket: number;
  bitrate: number;
  /** The format the caller saw, checked again here: the file must not have changed since. */
  sampleRate: number;
  channels: number;
  frames: number;
}

/** The segment's packets, back to back, and the size of each. */
export interface AacSegment {
  data: Uint8Array;
  sizes: Int32Array;
}

const READ_FRAMES = 32 * 1024;

export async function encodeAacSegment(job: AacSegmentJob): Promise<AacSegment> {
  const source = await openAudio(job.path);
  try {
    const { sampleRate, channels, frames } = source.format;
    if (sampleRate !== job.sampleRate || channels !== job.channels || frames !== job.frames) {
      throw new StemkitError('E_IO', `${job.path} changed while it was being encoded`, { file: job.path, hint: 'leave the files alone until the encoding has finished, then run it again' });
    }
    const stream = new AacLcStream({ sampleRate, channels, bitrate: job.bitrate, firstPacket: job.firstPacket });
    const packets: Uint8Array[] = [];
    const end = Math.min(frames, endFrameOf(job.endPacket - 1));
    for (let at = stream.inputStart; at < end; at += READ_FRAMES) {
      const n = Math.min(READ_FRAMES, end - at);
      packets.push(...stream.push(await source.read(at, n), n, job.endPacket));
    }
    packets.push(...stream.finish(job.endPacket));
    const sizes = Int32Array.from(packets, (p) => p.length);
    const data = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
    let offset = 0;
    for (const p of packets) {
      data.set(p, offset);
      offset += p.length;
    }
    return { data, sizes };
  } finally {
    await source.close();
  }
}
