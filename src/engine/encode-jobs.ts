/**
 * Encoding one track as segments on the worker pool: the jobs (each opens the file itself and
 * encodes a range of packets) and, for the calling thread, the queues that run them a few segments
 * ahead of the muxer. AAC segments may start at any packet: a packet depends only on source frames
 * (stream.ts), so segments encoded apart join without a seam. ALAC packets are independent.
 */
import { StemkitError } from '../errors.js';
import { openAudio } from '../audio/open.js';
import type { AudioSource } from '../audio/types.js';
import { AacLcStream, aacPacketCount, endFrameOf } from '../audio/aac/stream.js';
import { AlacStreamEncoder } from '../audio/alac/encoder.js';
import { PacketSegments, packSegment, type PacketSegment } from './packet-segments.js';
import { siblingModule, type WorkerPool } from './pool.js';

const ENCODE_JOBS = siblingModule(import.meta.url, 'encode-jobs');
/** AAC packets per segment: about 24 s at 44.1 kHz, long enough for the rate control to settle. */
const AAC_SEGMENT_PACKETS = 1024;
/** ALAC packets (4096 frames) per segment: about 24 s at 44.1 kHz. */
const ALAC_SEGMENT_PACKETS = 256;
const READ_FRAMES = 32 * 1024;

/** The file a segment job reads, with the format the caller saw: the file must not change meanwhile. */
interface TrackFile {
  path: string;
  sampleRate: number;
  channels: number;
  frames: number;
}

export interface AacSegmentJob extends TrackFile {
  bitrate: number;
  firstPacket: number;
  endPacket: number;
}

export interface AlacSegmentJob extends TrackFile {
  bitDepth: number;
  /** Source frames [start, end) of whole ALAC packets (end may be the file's end). */
  start: number;
  end: number;
}

async function openUnchanged(file: TrackFile): Promise<AudioSource> {
  const source = await openAudio(file.path);
  const { sampleRate, channels, frames } = source.format;
  if (sampleRate !== file.sampleRate || channels !== file.channels || frames !== file.frames) {
    await source.close();
    throw new StemkitError('E_IO', `${file.path} changed while it was being encoded`, { file: file.path, hint: 'leave the files alone until the encoding has finished, then run it again' });
  }
  return source;
}

/** Job: AAC packets [firstPacket, endPacket), reading only the source frames they depend on. */
export async function encodeAacSegment(job: AacSegmentJob): Promise<PacketSegment> {
  const source = await openUnchanged(job);
  try {
    const stream = new AacLcStream({ sampleRate: job.sampleRate, channels: job.channels, bitrate: job.bitrate, firstPacket: job.firstPacket });
    const packets: Uint8Array[] = [];
    const end = Math.min(job.frames, endFrameOf(job.endPacket - 1));
    for (let at = stream.inputStart; at < end; at += READ_FRAMES) {
      const n = Math.min(READ_FRAMES, end - at);
      packets.push(...stream.push(await source.read(at, n), n, job.endPacket));
    }
    packets.push(...stream.finish(job.endPacket));
    return packSegment(packets);
  } finally {
    await source.close();
  }
}

/** Job: ALAC packets of source frames [start, end). */
export async function encodeAlacSegment(job: AlacSegmentJob): Promise<PacketSegment> {
  const source = await openUnchanged(job);
  try {
    const stream = new AlacStreamEncoder({ channels: job.channels, bitDepth: job.bitDepth, sampleRate: job.sampleRate });
    const packets: Uint8Array[] = [];
    for (let at = job.start; at < job.end; at += READ_FRAMES) {
      const n = Math.min(READ_FRAMES, job.end - at);
      packets.push(...stream.push(await source.read(at, n), n));
    }
    packets.push(...stream.flush());
    return packSegment(packets);
  } finally {
    await source.close();
  }
}

/** A track's AAC packets, encoded by stemkit's encoder in segments on `pool`. */
export function aacSegments(pool: WorkerPool, file: TrackFile, bitrate: number): PacketSegments {
  const packets = aacPacketCount(file.frames);
  return new PacketSegments(Math.ceil(packets / AAC_SEGMENT_PACKETS), AAC_SEGMENT_PACKETS, (i) =>
    pool.run<AacSegmentJob, PacketSegment>(ENCODE_JOBS, 'encodeAacSegment', {
      ...file, bitrate, firstPacket: i * AAC_SEGMENT_PACKETS, endPacket: Math.min(packets, (i + 1) * AAC_SEGMENT_PACKETS),
    }));
}

/** A track's ALAC packets of `frameLength` frames, encoded in segments on `pool`. */
export function alacSegments(pool: WorkerPool, file: TrackFile, bitDepth: number, frameLength: number): PacketSegments {
  const segmentFrames = ALAC_SEGMENT_PACKETS * frameLength;
  return new PacketSegments(Math.max(1, Math.ceil(file.frames / segmentFrames)), ALAC_SEGMENT_PACKETS, (i) =>
    pool.run<AlacSegmentJob, PacketSegment>(ENCODE_JOBS, 'encodeAlacSegment', {
      ...file, bitDepth, start: i * segmentFrames, end: Math.min(file.frames, (i + 1) * segmentFrames),
    }));
}
