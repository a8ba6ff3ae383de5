import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSong, type Song } from '../../src/demo/song.js';
import { removeRecordedFiles, resolveFixtureOptions, reusableRecord, writeWavStreams, type FixtureOptions } from './fixture-record.js';

/**
 * The stem package for benchmarks: the song (src/demo/song.ts) as eight stereo stems (Drums,
 * Percussion, Bass, Guitars, Keys, Strings, Vocals, FX: its 16 main tracks through their faders
 * and pans) plus their mix, 48 kHz/24-bit, laid out as DIR/stems/01_Drums.wav … 08_FX.wav and
 * DIR/mix.wav.
 *
 * - Each stem is quantised to the 24-bit grid first, and the mix is the exact integer sum of the
 *   quantised stems: the null test (mix − Σ stems) is exactly zero.
 * - One gain on every stem puts the unity sum's peak over the first pass of the form near
 *   −3.6 dBFS, where stemkit's headroom rule wants it; the mix measures about −18 LUFS.
 * - Streaming: a bar (2 s) at a time into reused buffers, so a 60-minute package costs the memory
 *   of a 4-minute one. Same options, same bytes.
 */

/** Bump when the song or the layout changes, so cached packages are regenerated. */
export const PACKAGE_FIXTURE_VERSION = 3;
/** Tracks of the song mixed into the stems: enough for every stem, cheap to synthesize for an hour. */
const TRACKS = 16;
/** Where the unity sum peaks over the first pass of the form, dBFS. */
const SUM_PEAK_DBFS = -3.6;

/** `dir` is the package folder. */
export type PackageFixtureOptions = FixtureOptions;

export interface PackageFixture {
  dir: string;
  /** Stem paths in order (stems/01_Drums.wav …). */
  stems: string[];
  mix: string;
  /** Stems then the mix: every file of the package. */
  files: string[];
  frames: number;
  seconds: number;
  sampleRate: number;
  channels: 2;
  bitDepth: 24;
  seed: number;
  /** Sum of the file sizes in bytes. */
  totalBytes: number;
  version: number;
  /** Per file: sample peak in dBFS (max over both channels), as generated. */
  peakDbfs: Record<string, number>;
  /** Whether this call generated the files (false: an identical package was already there). */
  generated: boolean;
  /** Seconds spent generating (0 when reused). */
  generateSeconds: number;
}

const FULL = 8388608; // 2^23: the 24-bit grid the WAV writer rounds to
const INV_FULL = 1 / FULL;

function songFor(options: PackageFixtureOptions): { song: Song; seconds: number } {
  const { seconds, sampleRate, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  return { song: createSong({ seconds, sampleRate, seed, tracks: TRACKS, stems: 8 }), seconds };
}

/** The gain on every stem that puts the peak of their sum over the first pass of the form (≤ 64 s) at SUM_PEAK_DBFS. */
function sumTrim(song: Song): number {
  const player = song.play();
  let peak = 0;
  for (let bar = player.stems(); bar && player.done <= 64 * song.sampleRate; bar = player.stems()) {
    for (let ch = 0; ch < 2; ch++) {
      for (let i = 0; i < bar.frames; i++) {
        let sum = 0;
        for (const stem of bar.audio) sum += stem[ch]![i]!;
        peak = Math.max(peak, Math.abs(sum));
      }
    }
  }
  return 10 ** (SUM_PEAK_DBFS / 20) / peak;
}

interface FixtureRecord {
  version: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  frames: number;
  files: Array<{ path: string; bytes: number; peakDbfs: number }>;
}

const RECORD = 'fixture.json';
const DEFAULT_SEED = 20250601;
const STEM_COUNT = 8;

/** The stems' file names: NN_Name.wav in the song's stem order. */
const stemFiles = createSong({ bars: 1, tracks: TRACKS, stems: 8 }).stems.map((stem, i) => `${String(i + 1).padStart(2, '0')}_${stem.name}.wav`);

function packagePaths(dir: string): { stems: string[]; mix: string; record: string } {
  return { stems: stemFiles.map((f) => join(dir, 'stems', f)), mix: join(dir, 'mix.wav'), record: join(dir, RECORD) };
}

const dbfs = (peak: number) => (peak > 0 ? Math.round(2000 * Math.log10(peak)) / 100 : -Infinity);

/**
 * Returns the package at `options.dir`, generating it unless an identical one (same version,
 * length, rate and seed, files of the recorded sizes) is already there.
 */
export async function ensurePackageFixture(options: PackageFixtureOptions): Promise<PackageFixture> {
  const { seconds, sampleRate, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  const record = await reusableRecord<FixtureRecord>(options.dir, RECORD, { version: PACKAGE_FIXTURE_VERSION, seconds, sampleRate, seed }, (r) => r.files, STEM_COUNT + 1);
  return record ? describe(options.dir, record, false, 0) : writePackageFixture(options);
}

function describe(dir: string, record: FixtureRecord, generated: boolean, generateSeconds: number): PackageFixture {
  const paths = packagePaths(dir);
  return {
    dir,
    stems: paths.stems,
    mix: paths.mix,
    files: [...paths.stems, paths.mix],
    frames: record.frames,
    seconds: record.seconds,
    sampleRate: record.sampleRate,
    channels: 2,
    bitDepth: 24,
    seed: record.seed,
    totalBytes: record.files.reduce((n, f) => n + f.bytes, 0),
    version: record.version,
    peakDbfs: Object.fromEntries(record.files.map((f) => [f.path, f.peakDbfs])),
    generated,
    generateSeconds,
  };
}

/** The audio files of a fixture package in `dir` (stems, then the mix), whether or not they exist. */
export function packageFiles(dir: string): string[] {
  const paths = packagePaths(dir);
  return [...paths.stems, paths.mix];
}

/** Removes the files a fixture writes (and nothing else) from `dir`, then the folders if empty. */
export async function removePackageFixture(dir: string): Promise<void> {
  const paths = packagePaths(dir);
  await removeRecordedFiles<FixtureRecord>(dir, RECORD, (r) => r.files);
  for (const file of [...paths.stems, paths.mix]) await rm(file, { force: true });
  for (const d of [join(dir, 'stems'), dir]) await rmdir(d).catch(() => undefined);
}

/**
 * Rounds `src · gain` to integers (the 24-bit grid), stores them as exact Float32 values q / 2^23
 * in `dst`, adds the integers to `mix`; returns the largest |q| (≥ 2^23 means it would clip;
 * the upper bound is 2^23 − 1 for positive values, so a caller treats > 2^23 − 1 as clipping).
 */
function quantise(src: Float64Array, dst: Float32Array, mix: Float64Array, n: number, gain: number): number {
  let peak = 0;
  for (let i = 0; i < n; i++) {
    // floor(x + 0.5), not Math.round: the same grid, and about 2× faster in V8 here.
    const q = Math.floor(src[i]! * gain + 0.5);
    dst[i] = q * INV_FULL;
    mix[i] += q;
    const m = q < 0 ? -q - 1 : q; // −2^23 is representable, +2^23 is not
    if (m > peak) peak = m;
  }
  return peak;
}

/** Integer mix → Float32 (exact while |q| ≤ 2^24); returns the largest |q| as in quantise(). */
function toFloat(mix: Float64Array, dst: Float32Array, n: number): number {
  let peak = 0;
  for (let i = 0; i < n; i++) {
    const q = mix[i]!;
    dst[i] = q * INV_FULL;
    const m = q < 0 ? -q - 1 : q;
    if (m > peak) peak = m;
  }
  return peak;
}

/** Generates the package unconditionally (overwriting the fixture's files). */
export async function writePackageFixture(options: PackageFixtureOptions): Promise<PackageFixture> {
  const t0 = process.hrtime.bigint();
  const { song, seconds } = songFor(options);
  if (song.stems.length !== STEM_COUNT) throw new Error(`the song's ${TRACKS} tracks fill ${song.stems.length} stems, not ${STEM_COUNT}`);
  const dir = options.dir;
  const paths = packagePaths(dir);
  await removeRecordedFiles<FixtureRecord>(dir, RECORD, (r) => r.files);
  await mkdir(join(dir, 'stems'), { recursive: true });

  const gain = sumTrim(song) * FULL;
  const player = song.play();
  const out = song.stems.map(() => [new Float32Array(song.barFrames), new Float32Array(song.barFrames)]);
  const mixInt = [new Float64Array(song.barFrames), new Float64Array(song.barFrames)];
  const mixOut = [new Float32Array(song.barFrames), new Float32Array(song.barFrames)];
  const peaks = new Float64Array(STEM_COUNT + 1);

  await writeWavStreams(
    [...paths.stems, paths.mix].map((path) => ({ path, channels: 2 })),
    { sampleRate: song.sampleRate, frames: song.frames, blockFrames: song.barFrames, onProgress: options.onProgress },
    (bar) => {
      const { frames: n, audio } = player.stems()!;
      mixInt[0]!.fill(0);
      mixInt[1]!.fill(0);
      audio.forEach((stem, k) => {
        const peak = Math.max(quantise(stem[0]!, out[k]![0]!, mixInt[0]!, n, gain), quantise(stem[1]!, out[k]![1]!, mixInt[1]!, n, gain));
        if (peak > FULL - 1) throw new Error(`stem ${song.stems[k]!.name} clips at bar ${bar}: synthesis levels are off`);
        peaks[k] = Math.max(peaks[k]!, peak);
      });
      const mixPeak = Math.max(toFloat(mixInt[0]!, mixOut[0]!, n), toFloat(mixInt[1]!, mixOut[1]!, n));
      if (mixPeak > FULL - 1) throw new Error(`mix clips at bar ${bar}: synthesis levels are off`);
      peaks[STEM_COUNT] = Math.max(peaks[STEM_COUNT]!, mixPeak);
      return [...out, mixOut];
    },
  );

  const rel = [...stemFiles.map((f) => join('stems', f)), 'mix.wav'];
  const record: FixtureRecord = {
    version: PACKAGE_FIXTURE_VERSION,
    seconds,
    sampleRate: song.sampleRate,
    seed: song.seed,
    frames: song.frames,
    files: await Promise.all(rel.map(async (path, i) => ({ path, bytes: (await stat(join(dir, path))).size, peakDbfs: dbfs(peaks[i]! * INV_FULL) }))),
  };
  await writeFile(paths.record, `${JSON.stringify(record, null, 2)}\n`);
  return describe(dir, record, true, Number(process.hrtime.bigint() - t0) / 1e9);
}
