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

const colour = z.string().regex(/^#[0-9A-Fa-f]{6}$/, 'a colour is #RRGGBB');

/** One of the four stem slots as NI's JSON names it. */
export const NiStemSlotSchema = z.object({ name: z.string().min(1).max(64), color: colour });
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
export type MasteringDsp = z.infer<typeof MasteringDspSchema>;

/** The `stem` box's JSON. Readers (Mixxx) require version ≥ 1 and four stems. */
export const NiStemMetadataSchema = z.object({
  version: z.number().int().min(1),
  mastering_dsp: MasteringDspSchema.optional(),
  stems: z.array(NiStemSlotSchema).length(4),
});
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
  /** Which AAC encoder; default 'auto' (native ffmpeg when present, else wasm). */
  aacEncoder?: AacBackend;
  /** Names and colours of the four slots; NI's defaults otherwise. */
  slots?: readonly NiStemSlot[];
  /** Traktor's mastering chain; written disabled unless given. */
  masteringDsp?: MasteringDsp;
  title?: string;
  artist?: string;
  /** JPEG or PNG bytes. */
  cover?: Uint8Array;
  onProgress?: OnProgress;
  signal?: AbortSignal;
}

/** What was written. */
export interface NiStemsResult {
  path: string;
  codec: 'aac' | 'alac';
  /** 'ffmpeg' or 'wasm' for AAC; 'stemkit' for ALAC. */
  encoder: string;
  frames: number;
  sampleRate: number;
  metadata: NiStemMetadata;
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
  if (codec === 'alac') throw new StemkitError('E_UNSUPPORTED', `${path}: ALAC encoding is not built into this version`, { file: path, hint: 'use --codec aac' });
  const slots = options.slots ?? NI_DEFAULT_SLOTS;
  const metadata = NiStemMetadataSchema.parse({ version: 1, mastering_dsp: options.masteringDsp ?? MASTERING_OFF, stems: slots });
  const { sampleRate, frames } = mix.format;
  const bitrate = options.bitrate ?? 256_000;
  const backend = resolveAacBackend(options.aacEncoder);
  const specs: Mp4TrackSpec[] = sources.map((_, i) => ({ codec: 'aac', sampleRate, channels: 2, sampleSize: 16, decoderConfig: aacLcConfig(sampleRate, 2), priming: AAC_PRIMING, enabled: i === 0, bitrate }));
  const encoders: AacEncoder[] = [];
  const writer = await Mp4AudioWriter.create(path, specs);
  try {
    for (let i = 0; i < sources.length; i++) encoders.push(await createAacEncoder({ sampleRate, channels: 2, bitrate, backend }));
    const flushPackets = async () => {
      for (const [i, encoder] of encoders.entries()) await writer.writeChunk(i, encoder.take(), AAC_FRAME);
    };
    for (let start = 0; start < frames; start += BLOCK) {
      throwIfAborted(options.signal, 'writing the NI Stems file');
      const n = Math.min(BLOCK, frames - start);
      const blocks = await Promise.all(sources.map((s) => s.read(start, n)));
      await Promise.all(encoders.map((e, i) => e.push(blocks[i]!, n)));
      await flushPackets();
      options.onProgress?.({ phase: 'write', fraction: (start + n) / frames, file: path });
    }
    await Promise.all(encoders.map((e) => e.finish()));
    await flushPackets();
    const mediaFrames = Math.ceil((frames + AAC_PRIMING) / AAC_FRAME) * AAC_FRAME;
    const udta = udtaBox({
      text: { ...(options.title ? { '©nam': options.title } : {}), ...(options.artist ? { '©ART': options.artist } : {}), '©too': 'stemkit', TAUT: 'STEM' },
      freeform: { iTunSMPB: itunSmpb(AAC_PRIMING, frames, mediaFrames), AUDIOTYPE: 'STEM' },
      ...(options.cover ? { cover: options.cover } : {}),
    }, [box('stem', new TextEncoder().encode(JSON.stringify(metadata)))]);
    await writer.finish(sources.map(() => frames), udta);
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await Promise.all(encoders.map((e) => e.close()));
  }
  const { stat } = await import('node:fs/promises');
  return { path, codec, encoder: backend, frames, sampleRate, metadata, bytes: (await stat(path)).size };
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
