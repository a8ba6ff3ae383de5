/**
 * An NI Stems file (.stem.mp4) as a package to check: track 1 is the mix, tracks 2–5 the stems,
 * named from NI's `stem` JSON. The tracks are decoded into a private temporary folder (AAC by
 * FFmpeg, ALAC by stemkit) and the package's paths are those files; `relabelNiReport` turns them
 * back into "file.stem.mp4#N" in the report, and `releasePackage` removes the folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StemkitError } from '../errors.js';
import { RangeFile } from '../audio/range-file.js';
import { readMp4, type Mp4Info } from '../audio/mp4/read.js';
import { extractTrack } from '../audio/mp4/extract.js';
import { parseNiStemMetadata, type NiStemMetadata } from '../pack/ni-stems.js';
import type { StemPackage } from './discover.js';

/** What a package read from an NI Stems file says about its container. */
export interface NiStemsSource {
  /** The kind of container the package came from. */
  format: 'ni-stems';
  /** The .stem.mp4 file. */
  file: string;
  /** 'AAC' or 'ALAC'. */
  codec: string;
  /** Where the priming came from: the edit list, iTunSMPB, or nowhere (then the offset finder aligns). */
  timingFrom: 'edit list' | 'iTunSMPB' | 'none';
  /** The `stem` JSON (names, colours, mastering DSP). */
  metadata: NiStemMetadata;
  /** The folder of decoded tracks; removed by releasePackage. */
  decodedDir: string;
}

const NI_STEMS_NAME = /\.stem\.(mp4|m4a)$/i;

/** Whether `path` is named as an NI Stems file (*.stem.mp4, *.stem.m4a). */
export function hasNiStemsName(path: string): boolean {
  return NI_STEMS_NAME.test(path);
}

/** The boxes of the MP4 at `path`, or null when it is not an MP4 (no `ftyp`). */
async function readMp4At(path: string): Promise<Mp4Info | null> {
  const file = await RangeFile.open(path);
  try {
    return String.fromCharCode(...(await file.bytes(4, 4))) === 'ftyp' ? await readMp4(file) : null;
  } finally {
    await file.close();
  }
}

/**
 * The package an NI Stems file holds, or null when `path` is not one: a file named *.stem.mp4 is
 * opened as NI Stems (and fails with the reason when it is not); any other file is one when it is
 * an MP4 with NI's `stem` box. Its boxes are read once.
 */
export async function niStemsPackageOf(pathArgument: string): Promise<StemPackage | null> {
  if (hasNiStemsName(pathArgument)) return openNiStemsPackage(pathArgument);
  const path = resolve(pathArgument);
  const info = await readMp4At(path).catch(() => null);
  return info?.stemJson != null ? packageOf(path, info) : null;
}

/** Decodes the five tracks of an NI Stems file and describes them as a package (mix and four stems). */
export async function openNiStemsPackage(pathArgument: string): Promise<StemPackage> {
  const path = resolve(pathArgument);
  const file = await RangeFile.open(path);
  let info;
  try {
    info = await readMp4(file);
  } finally {
    await file.close();
  }
  return packageOf(path, info);
}

async function packageOf(path: string, info: Mp4Info): Promise<StemPackage> {
  if (info.stemJson === null) {
    throw new StemkitError('E_BAD_HEADER', `${path}: no NI 'stem' box in moov/udta, so this is an ordinary MP4, not NI Stems`, { file: path, hint: 'write NI Stems with stemkit ni-stems, or check the stems as separate files' });
  }
  const metadata = parseNiStemMetadata(info.stemJson, path);
  const stereo = info.tracks.filter((t) => t.channels === 2);
  if (info.tracks.length !== 5 || stereo.length !== 5) {
    throw new StemkitError('E_BAD_HEADER', `${path}: ${info.tracks.length} audio tracks (${stereo.length} stereo); NI Stems hold exactly 5 stereo tracks (the mix, then 4 stems)`, { file: path, hint: 'Traktor and Mixxx refuse it too; write it again with 5 stereo tracks' });
  }
  const decodedDir = await mkdtemp(join(tmpdir(), 'stemkit-ni-'));
  try {
    const paths = info.tracks.map((_, i) => join(decodedDir, `track${i + 1}.wav`));
    await Promise.all(info.tracks.map((_, i) => extractTrack(path, info, i, paths[i]!)));
    const codecs = [...new Set(info.tracks.map((t) => (t.codec === 'mp4a' ? 'AAC' : t.codec === 'alac' ? 'ALAC' : t.codec)))];
    const timing = info.tracks[0]!.timingFrom;
    const niStems: NiStemsSource = { format: 'ni-stems', file: path, codec: codecs.join('+'), timingFrom: timing, metadata, decodedDir };
    return {
      dir: path,
      mix: { name: 'Mix', path: paths[0]! },
      mixFrom: 'manifest',
      stems: metadata.stems.map((s, i) => ({ name: s.name, path: paths[i + 1]! })),
      manifest: null,
      masterProcessing: metadata.mastering_dsp && (metadata.mastering_dsp.compressor.enabled || metadata.mastering_dsp.limiter.enabled) ? [{ type: 'ni-mastering-dsp', ...metadata.mastering_dsp }] : [],
      niStems,
      ...(codecs.includes('AAC') ? { lossy: `AAC: each of the 5 tracks is encoded on its own, so mix − Σ stems carries the codec's error (decoded by FFmpeg)` } : {}),
    };
  } catch (err) {
    await rm(decodedDir, { recursive: true, force: true });
    throw err;
  }
}

/** Removes what opening the package made (the decoded tracks of an NI Stems file). */
export async function releasePackage(pkg: StemPackage): Promise<void> {
  if (pkg.niStems) await rm(pkg.niStems.decodedDir, { recursive: true, force: true });
}

/** The report with the decoded tracks' paths replaced by "file.stem.mp4#N" (they are gone after the check). */
export function relabelNiReport<T>(report: T, pkg: StemPackage): T {
  const ni = pkg.niStems;
  if (!ni) return report;
  const prefix = join(ni.decodedDir, 'track');
  const relabel = (value: unknown): unknown => {
    if (typeof value === 'string') return value.includes(prefix) ? value.replaceAll(new RegExp(`${escape(prefix)}(\\d)\\.wav`, 'g'), `${ni.file}#$1`) : value;
    if (Array.isArray(value)) return value.map(relabel);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relabel(v)]));
    return value;
  };
  return relabel(report) as T;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
