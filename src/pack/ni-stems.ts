/**
 * Native Instruments Stems (.stem.mp4): one MP4 holding the mix (track 1, the only enabled track)
 * and four stereo stems (tracks 2–5), with NI's `moov/udta/stem` box of JSON (names, colours,
 * the mastering DSP Traktor applies to the stem sum) and iTunes tags. Facts from NI's Stem File
 * Specification 1.0 and from files NI's tools wrote (../shared/testdata/ni-stems): tkhd flags 7 for
 * the mix and 6 for the stems, TAUT and AUDIOTYPE = "STEM".
 */
import { z } from 'zod';
import { StemkitError } from '../errors.js';
import type { AudioSource } from '../audio/types.js';
import { Mp4AudioWriter, type Mp4TrackSpec } from '../audio/mp4/write.js';
import { box } from '../audio/mp4/boxes.js';
import { itunSmpb, udtaBox } from '../audio/mp4/tags.js';
import { AAC_FRAME, AAC_PRIMING, aacLcConfig, createAacEncoder, resolveAacBackend, type AacBackend, type AacEncoder } from '../audio/aac/encode.js';
import { throwIfAborted, type OnProgress } from '../progress.js';
import { AlacStreamEncoder } from '../audio/alac/encoder.js';
import { WorkerPool } from '../engine/pool.js';
import { aacSegments, alacSegments } from '../engine/encode-jobs.js';
import { aacPacketCount } from '../audio/aac/stream.js';
import { writeAlacCookie } from '../audio/alac/cookie.js';

const colour = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'a colour is #RRGGBB');

/** One of the four stem slots as NI's JSON names it. */
export const NiStemSlotSchema = z.object({ name: z.string().min(1).max(64), color: colour });
/** One of the four stem slots: its name and #RRGGBB colour as Traktor shows them. */
export type NiStemSlot = z.infer<typeof NiStemSlotSchema>;

/** Traktor's mastering chain on the stem sum (NI spec 1.0); stemkit writes it disabled unless given. */
export const MasteringDspSchema = z.object({
  compressor: z.object({
    enabled: z.boolean(),
    ratio: z.number(),
    output_gain: z.number(),
    threshold: z.number(),
    attack: z.number(),
    input_gain: z.number(),
    release: z.number(),
    hp_cutoff: z.number(),
    dry_wet: z.number(),
  }),
  limiter: z.object({ enabled: z.boolean(), release: z.number(), threshold: z.number(), ceiling: z.number() }),
});
/** Traktor's compressor and limiter settings on the stem sum (NI spec 1.0 field names). */
export type MasteringDsp = z.infer<typeof MasteringDspSchema>;

/** The `stem` box's JSON. Readers (Mixxx) require version ≥ 1 and four stems. */
export const NiStemMetadataSchema = z.object({
  version: z.number().int().min(1),
  mastering_dsp: MasteringDspSchema.optional(),
  stems: z.array(NiStemSlotSchema).length(4),
});
/** The parsed `stem` box: version, mastering DSP, the four slots. */
export type NiStemMetadata = z.infer<typeof NiStemMetadataSchema>;

/** NI's default names and colours, as NI's own files carry them. */
export const NI_DEFAULT_SLOTS: readonly NiStemSlot[] = [
  { name: 'Drums', color: '#009E73' },
  { name: 'Bass', color: '#D55E00' },
  { name: 'Other', color: '#CC79A7' },
  { name: 'Vox', color: '#56B4E9' },
];

/** A mastering chain that does nothing, so Traktor's stem sum is the mix as delivered. */
export const MASTERING_OFF: MasteringDsp = {
  compressor: { enabled: false, ratio: 3, output_gain: 0.5, threshold: 0, attack: 0.003, input_gain: 0.5, release: 0.3, hp_cutoff: 300, dry_wet: 50 },
  limiter: { enabled: false, release: 0.05, threshold: 0, ceiling: -0.35 },
};

/** The `stem` JSON of a file, or a typed error saying what is wrong with it. */
export function parseNiStemMetadata(text: string, path: string): NiStemMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new StemkitError('E_BAD_HEADER', `${path}: the NI 'stem' box is not JSON: ${(err as Error).message}`, { file: path, hint: 'rewrite the file with stemkit ni-stems or NI Stem Creator' });
  }
  const parsed = NiStemMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StemkitError('E_BAD_HEADER', `${path}: the NI 'stem' box: ${issue.path.join('.') || 'top level'}: ${issue.message}`, { file: path, hint: 'NI Stems need version ≥ 1 and exactly 4 stems with name and #RRGGBB colour' });
  }
  return parsed.data;
}

/** Options of `writeNiStems`. */
export interface NiStemsOptions {
  /** 'aac' (what Traktor on every platform loads) or 'alac' (lossless; Traktor on Windows fails on it). */
  codec?: 'aac' | 'alac';
  /** AAC bits per second per stereo track; default 256 000 (NI's recommendation). */
  bitrate?: number;
  /** Which AAC encoder; default 'auto' (stemkit's own). */
  aacEncoder?: AacBackend;
  /** FFmpeg's AAC coder, which implies the ffmpeg encoder: 'twoloop' or 'fast' (about 3× faster, a little less accurate). */
  aacCoder?: 'twoloop' | 'fast';
  /** Worker threads for stemkit's AAC encoder (the five tracks' segments share them); one of its own otherwise. */
  pool?: WorkerPool;
  /** Names and colours of the four slots; NI's defaults otherwise. */
  slots?: readonly NiStemSlot[];
  /** Traktor's mastering chain; written disabled unless given. */
  masteringDsp?: MasteringDsp;
  /** The title tag (©nam). */
  title?: string;
  /** The artist tag (©ART). */
  artist?: string;
  /** JPEG or PNG bytes. */
  cover?: Uint8Array;
  /** Receives the encoding's progress (phase 'write'). */
  onProgress?: OnProgress;
  /** Stops the encoding; nothing is left under the file's name. */
  signal?: AbortSignal;
}

/** What was written. */
export interface NiStemsResult {
  /** The file written. */
  path: string;
  /** The codec of its five tracks. */
  codec: 'aac' | 'alac';
  /** 'stemkit', 'ffmpeg' or 'wasm' for AAC; 'stemkit' for ALAC. */
  encoder: string;
  /** Audio frames of every track (after the priming). */
  frames: number;
  /** Hz. */
  sampleRate: number;
  /** The `stem` box written. */
  metadata: NiStemMetadata;
  /** The file's size. */
  bytes: number;
}

/** Frames per read, and roughly per MP4 chunk: about a second of audio per track between interleaves. */
const BLOCK = 44 * AAC_FRAME;

/**
 * Encodes the mix and four stems (stereo, one rate, equal length) into one .stem.mp4 at `path`,
 * streaming: a block of every track is read, encoded and appended in turn, so memory does not grow
 * with the length. The file appears only when complete.
 */
export async function writeNiStems(path: string, mix: AudioSource, stems: readonly AudioSource[], options: NiStemsOptions = {}): Promise<NiStemsResult> {
  const sources = [mix, ...stems];
  validateTracks(path, sources);
  const codec = options.codec ?? 'aac';
  const slots = options.slots ?? NI_DEFAULT_SLOTS;
  const metadata = NiStemMetadataSchema.parse({ version: 1, mastering_dsp: options.masteringDsp ?? MASTERING_OFF, stems: slots });
  const { sampleRate, frames } = mix.format;
  const tracks: TrackEncoder[] = [];
  let writer: Mp4AudioWriter | null = null;
  // stemkit's encoders (ALAC, and AAC by default) run in segments on a worker pool.
  const encoder = codec === 'alac' ? 'stemkit' : resolveAacBackend(options.aacEncoder, options.aacCoder);
  const ownPool = encoder === 'stemkit' && !options.pool ? new WorkerPool() : null;
  const pool = options.pool ?? ownPool;
  try {
    for (const source of sources) {
      // A plain PCM file on disk is read by the encoder itself (FFmpeg, or stemkit's segment jobs on the pool).
      const file = (await readableFile(source)) ? source.path : null;
      const segmentsOn = file !== null && encoder === 'stemkit' ? pool : null;
      tracks.push(codec === 'alac' ? alacTrack(source, segmentsOn) : await aacTrack(options, source, file, segmentsOn));
    }
    writer = await Mp4AudioWriter.create(path, tracks.map((t, i) => ({ ...t.spec, enabled: i === 0 })));
    const flush = async () => {
      for (const [i, t] of tracks.entries()) {
        const { packets, durations } = t.take();
        await writer!.writeChunk(i, packets, durations);
      }
    };
    for (let start = 0; start < frames; start += BLOCK) {
      throwIfAborted(options.signal, 'writing the NI Stems file');
      const n = Math.min(BLOCK, frames - start);
      const blocks = await Promise.all(sources.map((s, i) => (tracks[i]!.needsSamples ? s.read(start, n) : [])));
      await Promise.all(tracks.map((t, i) => t.push(blocks[i]!, n)));
      await flush();
      options.onProgress?.({ phase: 'write', fraction: (start + n) / frames, file: path });
    }
    for (const t of tracks) await t.finish();
    await flush();
    tracks.forEach((t, i) => writer!.setDecoderConfig(i, t.decoderConfig()));
    const priming = tracks[0]!.spec.priming;
    const mediaFrames = priming > 0 ? Math.ceil((frames + priming) / AAC_FRAME) * AAC_FRAME : frames;
    const udta = udtaBox({
      text: { ...(options.title ? { '©nam': options.title } : {}), ...(options.artist ? { '©ART': options.artist } : {}), '©too': 'stemkit', TAUT: 'STEM' },
      freeform: { ...(priming > 0 ? { iTunSMPB: itunSmpb(priming, frames, mediaFrames) } : {}), AUDIOTYPE: 'STEM' },
      ...(options.cover ? { cover: options.cover } : {}),
    }, [box('stem', new TextEncoder().encode(JSON.stringify(metadata)))]);
    await writer.finish(sources.map(() => frames), udta);
  } catch (err) {
    await writer?.abort();
    throw err;
  } finally {
    await Promise.all(tracks.map((t) => t.close()));
    await ownPool?.close();
  }
  const { stat } = await import('node:fs/promises');
  return { path, codec, encoder, frames, sampleRate, metadata, bytes: (await stat(path)).size };
}

/** One track's encoder behind one shape, whatever the codec: push blocks, take packets with their durations. */
interface TrackEncoder {
  spec: Omit<Mp4TrackSpec, 'enabled'>;
  /** False when the encoder reads the source file itself (native FFmpeg on a PCM file). */
  needsSamples: boolean;
  push(planar: readonly Float32Array[], frames: number): Promise<void>;
  take(): { packets: Uint8Array[]; durations: number[] };
  finish(): Promise<void>;
  decoderConfig(): Uint8Array;
  close(): Promise<void>;
}

/** AAC: in segments on `pool` when given (stemkit's encoder, the source a file), else one encoder for the track. */
async function aacTrack(options: NiStemsOptions, source: AudioSource, file: string | null, pool: WorkerPool | null): Promise<TrackEncoder> {
  const bitrate = options.bitrate ?? 256_000;
  const { sampleRate, channels, frames } = source.format;
  const config = aacLcConfig(sampleRate, 2);
  const spec = { codec: 'aac', sampleRate, channels: 2, sampleSize: 16, decoderConfig: config, priming: AAC_PRIMING, bitrate } as const;
  const withDurations = (packets: Uint8Array[]) => ({ packets, durations: packets.map(() => AAC_FRAME) });
  if (pool) {
    const segments = aacSegments(pool, { path: source.path, sampleRate, channels, frames }, bitrate);
    let pushed = 0;
    return {
      spec,
      needsSamples: false,
      push: async (_planar, n) => segments.advance(Math.ceil(((pushed += n) + AAC_PRIMING) / AAC_FRAME)),
      take: () => withDurations(segments.take()),
      finish: () => segments.advance(aacPacketCount(frames)),
      decoderConfig: () => config,
      close: async () => undefined,
    };
  }
  const encoder: AacEncoder = await createAacEncoder({
    sampleRate, channels: 2, bitrate,
    backend: options.aacEncoder ?? 'auto',
    ...(options.aacCoder ? { coder: options.aacCoder } : {}),
    ...(file ? { input: file } : {}),
  });
  return {
    spec,
    needsSamples: encoder.needsSamples,
    push: (planar, n) => encoder.push(planar, n),
    take: () => withDurations(encoder.take()),
    finish: () => encoder.finish(),
    decoderConfig: () => config,
    close: () => encoder.close(),
  };
}

/** Whether the source is a PCM file on disk that an encoder may read by path. */
async function readableFile(source: AudioSource): Promise<boolean> {
  if (!['wav', 'rf64', 'bw64', 'aiff', 'aifc', 'flac'].includes(source.format.container)) return false;
  const { stat } = await import('node:fs/promises');
  return stat(source.path).then((s) => s.isFile(), () => false);
}

/**
 * ALAC at the source's bit depth (float sources at 24 bits), 4096-frame packets, no priming: in
 * segments on `pool` when the source is a file (packets are independent), else on this thread.
 */
function alacTrack(source: AudioSource, pool: WorkerPool | null): TrackEncoder {
  const { sampleRate, bitDepth, encoding, channels, frames } = source.format;
  const bits = encoding === 'float' || bitDepth > 24 ? 24 : bitDepth <= 16 ? 16 : bitDepth <= 20 ? 20 : 24;
  const stream = new AlacStreamEncoder({ channels: 2, bitDepth: bits, sampleRate });
  const frameLength = stream.encoder.frameLength;
  let packets: Uint8Array[] = [];
  let durations: number[] = [];
  let collected = 0;
  let pushed = 0;
  // The cookie's maxFrameBytes and avgBitRate come from the packets themselves, wherever they were encoded.
  let largest = 0;
  let bytes = 0;
  const collect = (list: readonly Uint8Array[]) => {
    for (const packet of list) {
      packets.push(packet);
      durations.push(Math.min(frameLength, frames - collected));
      collected += frameLength;
      largest = Math.max(largest, packet.length);
      bytes += packet.length;
    }
  };
  const segments = pool ? alacSegments(pool, { path: source.path, sampleRate, channels, frames }, bits, frameLength) : null;
  return {
    spec: { codec: 'alac', sampleRate, channels: 2, sampleSize: bits, decoderConfig: stream.encoder.cookie(), priming: 0 },
    needsSamples: segments === null,
    push: async (planar, n) => {
      pushed += n;
      if (!segments) return collect(stream.push(planar as Float32Array[], n));
      await segments.advance(Math.floor(pushed / frameLength));
      collect(segments.take());
    },
    take: () => {
      const out = { packets, durations };
      packets = [];
      durations = [];
      return out;
    },
    finish: async () => {
      if (!segments) return collect(stream.flush());
      await segments.advance(Math.ceil(frames / frameLength));
      collect(segments.take());
    },
    decoderConfig: () => writeAlacCookie({ ...stream.encoder.config(), maxFrameBytes: largest, avgBitRate: frames ? Math.round((bytes * 8 * sampleRate) / frames) : 0 }),
    close: async () => undefined,
  };
}

function validateTracks(path: string, sources: readonly AudioSource[]): void {
  if (sources.length !== 5) throw new StemkitError('E_USAGE', `${path}: NI Stems hold the mix and exactly 4 stems, got ${sources.length - 1} stems`, { file: path, hint: 'group the stems into drums, bass, melody and vocals first (stemkit pack --for ni-stems)' });
  const [mix] = sources;
  for (const s of sources) {
    if (s.format.channels !== 2) throw new StemkitError('E_USAGE', `${s.path}: ${s.format.channels} channels; NI Stems are stereo`, { file: s.path, hint: 'conform to stereo first (stemkit pack --for ni-stems does)' });
    if (s.format.sampleRate !== mix!.format.sampleRate || s.format.frames !== mix!.format.frames) {
      throw new StemkitError('E_USAGE', `${s.path}: ${s.format.frames} frames at ${s.format.sampleRate} Hz, the mix ${mix!.format.frames} at ${mix!.format.sampleRate} Hz`, { file: s.path, hint: 'every track of an NI Stems file has the mix\'s rate and length; run stemkit fix first' });
    }
  }
}
