import { mkdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createSong, songSession, type Song } from '../../src/demo/song.js';
import type { SessionInput } from '../../src/session/schema.js';
import { removeRecordedFiles, resolveFixtureOptions, reusableRecord, writeWavStreams, type FixtureOptions } from './fixture-record.js';

/**
 * The multitrack session for `stemkit render` benchmarks: the song (src/demo/song.ts) as all its
 * 48 tracks (36 mono, 12 stereo), 48 kHz/24-bit, as DIR/NN Name.wav with DIR/session.yaml beside
 * them: 8 stems, each bus with a 2–3 band EQ and a compressor, sends from 36 tracks to one shared
 * algorithmic reverb return, a true-peak limiter on the master. Every track peaks near −6 dBFS;
 * written a bar (2 s) at a time, so a 16-minute session costs the memory of a 4-minute one.
 */

/** Bump when the song, the session or the file layout changes, so cached fixtures are regenerated. */
export const RENDER_FIXTURE_VERSION = 2;

/** `dir` is the folder for the tracks and session.yaml. */
export type RenderFixtureOptions = FixtureOptions;

export interface RenderFixtureTrack {
  /** File name inside the fixture folder. */
  file: string;
  name: string;
  stem: string;
  channels: 1 | 2;
  bytes: number;
  /** Sample peak as written, dBFS. */
  peakDbfs: number;
}

export interface RenderFixture {
  dir: string;
  session: string;
  tracks: RenderFixtureTrack[];
  /** Absolute paths of the track files, in session order. */
  files: string[];
  frames: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  totalBytes: number;
  version: number;
  generated: boolean;
  generateSeconds: number;
}

type ProcessorInput = NonNullable<SessionInput['stems'][number]['processing']>;

/** Bus processing per stem. */
const STEM_PROCESSING: Record<string, ProcessorInput> = {
  Drums: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 30, slope: 24 }, { type: 'peak', freq: 400, gain: -2, q: 1.2 }, { type: 'highshelf', freq: 10000, gain: 2 }] },
    { type: 'compressor', threshold: -16, ratio: 4, attack: 10, release: 120, makeup: 2 },
  ],
  Percussion: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 150, slope: 12 }, { type: 'peak', freq: 3500, gain: 1.5, q: 0.8 }] },
    { type: 'compressor', threshold: -20, ratio: 3, attack: 5, release: 80 },
  ],
  Bass: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 35, slope: 24 }, { type: 'lowshelf', freq: 90, gain: 2 }, { type: 'peak', freq: 700, gain: -2.5, q: 1.4 }] },
    { type: 'compressor', threshold: -20, ratio: 4, attack: 15, release: 150, makeup: 2, detection: 'rms' },
  ],
  Guitars: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 90, slope: 12 }, { type: 'peak', freq: 2500, gain: 1.5, q: 1 }, { type: 'lowpass', freq: 12000, slope: 12 }] },
    { type: 'compressor', threshold: -18, ratio: 3, attack: 20, release: 150 },
  ],
  Keys: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 60, slope: 12 }, { type: 'peak', freq: 450, gain: -1.5, q: 1 }, { type: 'highshelf', freq: 8000, gain: 1 }] },
    { type: 'compressor', threshold: -20, ratio: 2.5, attack: 15, release: 200 },
  ],
  Strings: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 120, slope: 12 }, { type: 'highshelf', freq: 9000, gain: 1.5 }] },
    { type: 'compressor', threshold: -22, ratio: 2, attack: 30, release: 250 },
  ],
  Vocals: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 100, slope: 24 }, { type: 'peak', freq: 3000, gain: 2, q: 0.8 }, { type: 'highshelf', freq: 12000, gain: 1.5 }] },
    { type: 'compressor', threshold: -22, ratio: 3.5, attack: 5, release: 80, makeup: 3, detection: 'rms' },
  ],
  FX: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 200, slope: 12 }, { type: 'lowpass', freq: 14000, slope: 12 }] },
    { type: 'compressor', threshold: -24, ratio: 2, attack: 30, release: 300 },
  ],
};

/** The shared return and the master, as in the session. */
export const REVERB = { type: 'reverb', decay: 2, predelay: 20 } as const;
export const LIMITER = { type: 'limiter', ceiling: -1, lookahead: 5, release: 50 } as const;

const trackFile = (song: Song, i: number) => `${String(i + 1).padStart(2, '0')} ${song.tracks[i]!.name}.wav`;

/** The session: the song's 48 tracks (files relative to the session) on its 8 stems, one reverb return, a master limiter. */
export function renderSessionInput(song: Song, title = 'stemkit render benchmark'): SessionInput {
  return songSession(song, {
    name: title,
    file: (_, i) => trackFile(song, i),
    stemProcessing: (stem) => structuredClone(STEM_PROCESSING[stem]!),
    reverb: { name: 'Verb', processing: [{ ...REVERB }] },
    master: [{ ...LIMITER }],
  });
}

// ---------------------------------------------------------------------------------------------
// Writer

interface FixtureRecord {
  version: number;
  seconds: number;
  sampleRate: number;
  seed: number;
  frames: number;
  tracks: RenderFixtureTrack[];
}

const RECORD = 'render-fixture.json';
const recordedFiles = (r: FixtureRecord) => r.tracks.map((t) => ({ path: t.file }));
const SESSION = 'session.yaml';
const DEFAULT_SEED = 20250611;

function songFor(options: RenderFixtureOptions): { song: Song; seconds: number } {
  const { seconds, sampleRate, seed } = resolveFixtureOptions(options, DEFAULT_SEED);
  return { song: createSong({ seconds, sampleRate, seed, stems: 8 }), seconds };
}

async function writeSession(dir: string, song: Song): Promise<string> {
  const path = join(dir, SESSION);
  await writeFile(path, `# stemkit render benchmark (bench/lib/render-fixture.ts): ${song.tracks.length} tracks → ${song.stems.length} stems + mix\n${stringify(renderSessionInput(song))}`);
  return path;
}

function describe(dir: string, record: FixtureRecord, generated: boolean, generateSeconds: number): RenderFixture {
  return {
    dir,
    session: join(dir, SESSION),
    tracks: record.tracks,
    files: record.tracks.map((t) => join(dir, t.file)),
    frames: record.frames,
    seconds: record.seconds,
    sampleRate: record.sampleRate,
    seed: record.seed,
    totalBytes: record.tracks.reduce((n, t) => n + t.bytes, 0),
    version: record.version,
    generated,
    generateSeconds,
  };
}

/** Returns the fixture at `options.dir`, generating it unless an identical one is already there. */
export async function ensureRenderFixture(options: RenderFixtureOptions): Promise<RenderFixture> {
  const { song, seconds } = songFor(options);
  const record = await reusableRecord<FixtureRecord>(
    options.dir,
    RECORD,
    { version: RENDER_FIXTURE_VERSION, seconds, sampleRate: song.sampleRate, seed: song.seed },
    (r) => r.tracks.map((t) => ({ path: t.file, bytes: t.bytes })),
    song.tracks.length,
  );
  if (!record) return writeRenderFixture(options);
  await writeSession(options.dir, song);
  return describe(options.dir, record, false, 0);
}

/** Removes the fixture's own files from `dir`, then the folder if empty. */
export async function removeRenderFixture(dir: string): Promise<void> {
  const song = createSong({ bars: 1 });
  await removeRecordedFiles(dir, RECORD, recordedFiles);
  await rm(join(dir, SESSION), { force: true });
  for (let i = 0; i < song.tracks.length; i++) await rm(join(dir, trackFile(song, i)), { force: true });
  await rmdir(dir).catch(() => undefined);
}

/** Generates the fixture unconditionally (overwriting its files). */
export async function writeRenderFixture(options: RenderFixtureOptions): Promise<RenderFixture> {
  const t0 = process.hrtime.bigint();
  const dir = options.dir;
  await mkdir(dir, { recursive: true });
  await removeRecordedFiles(dir, RECORD, recordedFiles);

  const { song, seconds } = songFor(options);
  const player = song.play();
  const peaks = new Float64Array(song.tracks.length);
  await writeWavStreams(
    song.tracks.map((t, i) => ({ path: join(dir, trackFile(song, i)), channels: t.channels })),
    { sampleRate: song.sampleRate, frames: song.frames, blockFrames: song.barFrames, onProgress: options.onProgress },
    () => {
      const bar = player.tracks()!;
      bar.audio.forEach((channels, k) => {
        for (const x of channels) for (let i = 0; i < bar.frames; i++) peaks[k] = Math.max(peaks[k]!, Math.abs(x[i]!));
      });
      return bar.audio;
    },
  );
  const record: FixtureRecord = {
    version: RENDER_FIXTURE_VERSION,
    seconds,
    sampleRate: song.sampleRate,
    seed: song.seed,
    frames: song.frames,
    tracks: await Promise.all(
      song.tracks.map(async (t, i) => ({
        file: trackFile(song, i),
        name: t.name,
        stem: song.stems[t.stem]!.name,
        channels: t.channels,
        bytes: (await stat(join(dir, trackFile(song, i)))).size,
        peakDbfs: Math.round(2000 * Math.log10(peaks[i]!)) / 100,
      })),
    ),
  };
  await writeSession(dir, song);
  await writeFile(join(dir, RECORD), `${JSON.stringify(record, null, 2)}\n`);
  return describe(dir, record, true, Number(process.hrtime.bigint() - t0) / 1e9);
}
