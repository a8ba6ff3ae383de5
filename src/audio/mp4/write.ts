/**
 * A streaming MP4 writer for audio-only files with several tracks (NI Stems: the mix and four
 * stems). Packets go to `mdat` as they are encoded, in the caller's interleave; only the sample
 * tables (a few bytes a packet) stay in memory, and `moov` is written at the end. The file appears
 * under its name only when complete (AtomicFile).
 *
 * The npm muxers stemkit could use write neither ALAC sample entries, nor edit lists, nor
 * per-track enabled flags, which NI Stems need; the boxes are few, so they are written here.
 */
import { StemkitError } from '../../errors.js';
import { AtomicFile } from '../atomic-file.js';
import { concatBytes } from '../bytes.js';
import { Fields, UNITY_MATRIX, box, fullBox, mp4Time } from './boxes.js';

/** One audio track's codec setup. */
export interface Mp4TrackSpec {
  /** 'aac' (AAC-LC, an `mp4a` entry with `esds`) or 'alac' (an `alac` entry with its cookie). */
  codec: 'aac' | 'alac';
  /** Hz; also the track's timescale. */
  sampleRate: number;
  /** Channels per frame. */
  channels: number;
  /** The sample entry's sample size: the source bit depth for ALAC, 16 for AAC. */
  sampleSize: number;
  /** AudioSpecificConfig (AAC) or the 24-byte ALACSpecificConfig (ALAC). */
  decoderConfig: Uint8Array;
  /** Encoder priming frames at the start of the media that are not audio (AAC: 1024); skipped by the edit list. */
  priming: number;
  /** tkhd "enabled": NI Stems enable the mix track only, so ordinary players play the mix. */
  enabled: boolean;
  /** Average bit rate for the esds descriptor, bits/s (AAC). */
  bitrate?: number;
}

interface TrackTables {
  spec: Mp4TrackSpec;
  sizes: number[];
  /** stts runs: [count, delta] pairs. */
  durations: number[];
  mediaFrames: number;
  chunkOffsets: number[];
  /** stsc runs: [firstChunk (1-based), samplesPerChunk] pairs. */
  chunkRuns: number[];
  maxPacket: number;
}

const FTYP = box('ftyp', new Fields().ascii('M4A ').u32(0).ascii('M4A ').ascii('mp42').ascii('isom').done());

export class Mp4AudioWriter {
  private position: number;
  private readonly mdatAt: number;
  private readonly tracks: TrackTables[];

  private constructor(private readonly file: AtomicFile, specs: readonly Mp4TrackSpec[], private readonly created: Date) {
    this.tracks = specs.map((spec) => ({ spec, sizes: [], durations: [], mediaFrames: 0, chunkOffsets: [], chunkRuns: [], maxPacket: 0 }));
    this.mdatAt = FTYP.length;
    // 'free' (8 bytes) then an 8-byte 'mdat' header: if mdat outgrows 32 bits the two become one 16-byte largesize header.
    this.position = this.mdatAt + 16;
  }

  static async create(path: string, specs: readonly Mp4TrackSpec[], options: { created?: Date } = {}): Promise<Mp4AudioWriter> {
    if (specs.length === 0) throw new StemkitError('E_USAGE', `${path}: an MP4 needs at least one track`, { file: path, hint: 'give the tracks to write' });
    const rates = new Set(specs.map((s) => s.sampleRate));
    if (rates.size > 1) throw new StemkitError('E_USAGE', `${path}: tracks at ${[...rates].join(', ')} Hz; one rate for all tracks`, { file: path, hint: 'conform the tracks to one sample rate first' });
    const file = await AtomicFile.create(path);
    try {
      await file.writeAt(concatBytes([FTYP, box('free'), new Fields().u32(8).ascii('mdat').done()]), 0);
    } catch (err) {
      await file.abort();
      throw err;
    }
    return new Mp4AudioWriter(file, specs, options.created ?? new Date());
  }

  /** Replaces a track's decoder config before `finish` (ALAC: the cookie carries sizes known only at the end). */
  setDecoderConfig(track: number, config: Uint8Array): void {
    this.tracks[track]!.spec = { ...this.tracks[track]!.spec, decoderConfig: config };
  }

  /** Appends one chunk of packets to a track; `duration` is the frames each packet decodes to (one number when all are equal). */
  async writeChunk(track: number, packets: readonly Uint8Array[], duration: number | readonly number[]): Promise<void> {
    if (packets.length === 0) return;
    const t = this.tracks[track]!;
    t.chunkOffsets.push(this.position);
    const runs = t.chunkRuns;
    if (runs.length === 0 || runs[runs.length - 1] !== packets.length) runs.push(t.chunkOffsets.length, packets.length);
    const bytes = concatBytes(packets);
    for (let i = 0; i < packets.length; i++) {
      const size = packets[i]!.length;
      t.sizes.push(size);
      if (size > t.maxPacket) t.maxPacket = size;
      const d = typeof duration === 'number' ? duration : duration[i]!;
      const last = t.durations.length - 2;
      if (last >= 0 && t.durations[last + 1] === d) t.durations[last]! += 1;
      else t.durations.push(1, d);
      t.mediaFrames += d;
    }
    await this.file.writeAt(bytes, this.position);
    this.position += bytes.length;
  }

  /** Writes `moov` (with `udta` when given) and commits. `frames[i]`: track i's audio frames after its priming. */
  async finish(frames: readonly number[], udta: Uint8Array | null): Promise<void> {
    try {
      for (const [i, t] of this.tracks.entries()) {
        if (t.spec.priming + frames[i]! > t.mediaFrames) {
          throw new StemkitError('E_INTERNAL', `${this.file.path}: track ${i + 1} holds ${t.mediaFrames} frames, fewer than its priming plus ${frames[i]} frames`, { file: this.file.path, hint: 'this is a bug in stemkit; please report it' });
        }
      }
      const mdatSize = this.position - this.mdatAt - 8;
      const header = mdatSize <= 0xffffffff
        ? new Fields().u32(mdatSize).ascii('mdat').done()
        : new Fields().u32(1).ascii('mdat').u64(this.position - this.mdatAt).done();
      await this.file.writeAt(header, mdatSize <= 0xffffffff ? this.mdatAt + 8 : this.mdatAt);
      await this.file.writeAt(this.moov(frames, udta), this.position);
      await this.file.commit();
    } catch (err) {
      await this.file.abort();
      throw err;
    }
  }

  async abort(): Promise<void> {
    await this.file.abort();
  }

  private moov(frames: readonly number[], udta: Uint8Array | null): Uint8Array {
    const time = mp4Time(this.created);
    const timescale = this.tracks[0]!.spec.sampleRate;
    const duration = Math.max(...frames);
    const mvhd = fullBox('mvhd', 0, 0, new Fields()
      .u32(time).u32(time).u32(timescale).u32(duration)
      .u32(0x10000).u16(0x100).zeros(10).raw(UNITY_MATRIX).zeros(24).u32(this.tracks.length + 1).done());
    const traks = this.tracks.map((t, i) => this.trak(t, i + 1, frames[i]!, time));
    return box('moov', mvhd, ...traks, ...(udta ? [udta] : []));
  }

  private trak(t: TrackTables, id: number, frames: number, time: number): Uint8Array {
    const { spec } = t;
    // tkhd flags: enabled (1) | in movie (2) | in preview (4), as NI's own files write them.
    const tkhd = fullBox('tkhd', 0, spec.enabled ? 7 : 6, new Fields()
      .u32(time).u32(time).u32(id).u32(0).u32(frames).zeros(8).u16(0).u16(0).u16(0x100).u16(0).raw(UNITY_MATRIX).u32(0).u32(0).done());
    // One edit: play `frames` frames starting after the priming, at normal rate.
    const elst = fullBox('elst', 0, 0, new Fields().u32(1).u32(frames).u32(spec.priming).u16(1).u16(0).done());
    const mdhd = fullBox('mdhd', 0, 0, new Fields().u32(time).u32(time).u32(spec.sampleRate).u32(t.mediaFrames).u16(0x55c4).u16(0).done());
    const hdlr = fullBox('hdlr', 0, 0, new Fields().u32(0).ascii('soun').zeros(12).ascii('SoundHandler').u8(0).done());
    const dinf = box('dinf', fullBox('dref', 0, 0, new Fields().u32(1).done(), fullBox('url ', 0, 1)));
    const smhd = fullBox('smhd', 0, 0, new Fields().u16(0).u16(0).done());
    const minf = box('minf', smhd, dinf, this.stbl(t));
    return box('trak', tkhd, box('edts', elst), box('mdia', mdhd, hdlr, minf));
  }

  private stbl(t: TrackTables): Uint8Array {
    const stsd = fullBox('stsd', 0, 0, new Fields().u32(1).done(), sampleEntry(t.spec, t.maxPacket));
    const stts = fullBox('stts', 0, 0, table(t.durations.length / 2, t.durations, (f, v) => f.u32(v)));
    const stscEntries: number[] = [];
    for (let i = 0; i < t.chunkRuns.length; i += 2) stscEntries.push(t.chunkRuns[i]!, t.chunkRuns[i + 1]!, 1);
    const stsc = fullBox('stsc', 0, 0, table(t.chunkRuns.length / 2, stscEntries, (f, v) => f.u32(v)));
    const stsz = fullBox('stsz', 0, 0, new Fields().u32(0).done(), table(t.sizes.length, t.sizes, (f, v) => f.u32(v)));
    const wide = t.chunkOffsets.some((o) => o > 0xffffffff);
    const stco = fullBox(wide ? 'co64' : 'stco', 0, 0, table(t.chunkOffsets.length, t.chunkOffsets, (f, v) => (wide ? f.u64(v) : f.u32(v))));
    return box('stbl', stsd, stts, stsc, stsz, stco);
  }
}

function table(count: number, values: readonly number[], write: (f: Fields, v: number) => void): Uint8Array {
  const f = new Fields().u32(count);
  for (const v of values) write(f, v);
  return f.done();
}

/** The audio sample entry (ISO 14496-12 AudioSampleEntry) and its codec box. */
function sampleEntry(spec: Mp4TrackSpec, maxPacket: number): Uint8Array {
  const audio = new Fields().zeros(6).u16(1).zeros(8).u16(spec.channels).u16(spec.sampleSize).u16(0).u16(0)
    .u32(spec.sampleRate <= 0xffff ? spec.sampleRate * 0x10000 : 0).done();
  if (spec.codec === 'alac') return box('alac', audio, fullBox('alac', 0, 0, spec.decoderConfig));
  const bitrate = spec.bitrate ?? 0;
  const decoderSpecific = descriptor(5, spec.decoderConfig);
  const decoderConfig = descriptor(4, concatBytes([
    // objectTypeIndication 0x40 (MPEG-4 audio), streamType 5 (audio) << 2 | reserved 1, buffer size, max and average bit rate.
    new Fields().u8(0x40).u8(0x15).u24(maxPacket).u32(Math.max(bitrate, Math.ceil((maxPacket * 8 * spec.sampleRate) / 1024))).u32(bitrate).done(),
    decoderSpecific,
  ]));
  const es = descriptor(3, concatBytes([new Fields().u16(0).u8(0).done(), decoderConfig, descriptor(6, Uint8Array.of(2))]));
  return box('mp4a', audio, fullBox('esds', 0, 0, es));
}

/** An MPEG-4 descriptor: tag, a size in 7-bit groups, the payload. */
function descriptor(tag: number, payload: Uint8Array): Uint8Array {
  const size: number[] = [];
  let n = payload.length;
  do {
    size.unshift(n & 0x7f);
    n >>>= 7;
  } while (n > 0);
  for (let i = 0; i < size.length - 1; i++) size[i]! |= 0x80;
  return concatBytes([Uint8Array.of(tag, ...size), payload]);
}
