import { mkdir, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openAudio } from '../audio/open.js';
import { writeFileAtomically } from '../audio/atomic-file.js';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { createWavWriter, discardWav, finalizeWav, type PendingWav } from '../audio/wav/write.js';
import type { AudioSource } from '../audio/types.js';
import { lockstep } from '../engine/lockstep.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import { dbToGain, round, toDb } from '../dsp/decibels.js';
import { buildChain, type Chain } from './chain.js';
import { loadImpulses } from './impulses.js';
import type { ResolvedSession } from './load.js';
import { renderStemJob, type StemJob, type StemResult } from './render-stem.js';
import { OutputLevels, type StemLevels } from './levels.js';
import { buildStemGraph, returnsUsed, type StemGraph } from './stem-graph.js';

const RENDER_JOB = siblingModule(import.meta.url, 'render-stem');
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** "auto" tail: until every chain has decayed below −90 dBFS, at most this long. */
const MAX_AUTO_TAIL_SECONDS = 10;

export interface RenderOptions {
  outDir: string;
  /** Also write dry stems (no bus inserts, no returns) beside the wet ones. */
  dry?: boolean;
  /** Renders stems in parallel on the pool; null renders on the calling thread. */
  pool?: WorkerPool | null;
  onProgress?: (phase: 'stems' | 'mix', fraction: number) => void;
}

export interface ManifestStem {
  name: string;
  role: string;
  file: string;
  dryFile?: string;
  wet: true;
  /** Bus inserts as printed, then the returns this stem carries its own instance of. */
  processing: unknown[];
  returns: { name: string; processing: unknown[] }[];
  /** Samples of processing latency removed so the stem starts on timeline 0. */
  latencyCompensated: number;
  peakDbfs: number | null;
  truePeakDbtp: number | null;
  integratedLufs: number | null;
  clippedSamples: number;
}

export interface PackageManifest {
  schema: 'stemkit.package/1';
  title: string;
  sampleRate: number;
  bitDepth: 16 | 24 | '32f';
  channels: number;
  frames: number;
  durationSec: number;
  mix: {
    file: string;
    /** Processing between the unity sum of the stems and the mix; empty means mix = Σ stems. */
    masterProcessing: unknown[];
    latencyCompensated: number;
    peakDbfs: number | null;
    truePeakDbtp: number | null;
    integratedLufs: number | null;
    clippedSamples: number;
  };
  stems: ManifestStem[];
  render: { tailSec: number; timelineFrames: number; elapsedMs: number; realtimeFactor: number; dry: boolean };
  generator: { name: 'stemkit'; version: string };
}

const FORMATS: Record<string, WriteSampleFormat> = { '16': 'pcm16', '24': 'pcm24', '32f': 'float32' };

/**
 * How long the render runs: the timeline (the end of the last unmuted track) plus the tail, which
 * for "auto" is bounded by the chains' declared tails (at most 10 s) and trimmed after rendering.
 */
export function renderLength(resolved: ResolvedSession, graphs: StemGraph[], masterTail: number): { timeline: number; frames: number } {
  const { session } = resolved;
  const rate = session.sampleRate;
  let timeline = 0;
  session.stems.forEach((stem, s) =>
    stem.tracks.forEach((track, t) => {
      if (track.mute) return;
      const f = resolved.tracks[s]![t]!.format;
      timeline = Math.max(timeline, Math.round(track.offset * rate) + Math.round(f.frames * (rate / f.sampleRate)));
    }),
  );
  const tail =
    session.tail === 'auto' ? Math.min(MAX_AUTO_TAIL_SECONDS * rate, Math.max(0, ...graphs.map((g) => g.tail)) + masterTail) : Math.round(session.tail * rate);
  return { timeline, frames: timeline + tail };
}

/** File-system-safe stem file name: "01_Lead Vocals.wav". */
export function stemFileName(index: number, name: string): string {
  const safe = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').trim() || `Stem ${index + 1}`;
  return `${String(index + 1).padStart(2, '0')}_${safe}.wav`;
}

/**
 * Renders a session into a stem package: every stem and the mix at the same rate, depth, layout,
 * start and length; the mix is the unity sum of the stems as written (so it nulls by
 * construction), then the master chain if the session has one (recorded in the manifest).
 */
export async function renderSession(resolved: ResolvedSession, options: RenderOptions): Promise<PackageManifest> {
  const began = Date.now();
  const { session } = resolved;
  const rate = session.sampleRate;
  const format = FORMATS[String(session.bitDepth)]!;
  const impulses = await loadImpulses(resolved.impulses, rate);
  const graphs = session.stems.map((_, s) => buildStemGraph(resolved, s, impulses));
  const master = buildChain(session.master.processing, rate, resolved.channels, impulses);

  const { timeline, frames } = renderLength(resolved, graphs, master.tail);

  await mkdir(join(options.outDir, 'stems'), { recursive: true });
  const names = session.stems.map((stem, s) => stemFileName(s, stem.name));
  const jobs: StemJob[] = session.stems.map((_, s) => ({
    resolved,
    stemIndex: s,
    frames,
    outDir: options.outDir,
    fileName: names[s]!,
    format,
    dry: Boolean(options.dry),
    impulses,
  }));
  const written: string[] = [];
  const pendings: PendingWav[] = [];
  let done = 0;
  options.onProgress?.('stems', 0);
  try {
    // Settle every job before judging: a failure must not leave other stems' temporary files behind.
    // Biggest stems first (by unmuted tracks and channels), so the pool's workers finish together.
    const cost = (job: StemJob) =>
      session.stems[job.stemIndex]!.tracks.reduce((sum, t, k) => (t.mute ? sum : sum + resolved.tracks[job.stemIndex]![k]!.format.channels + t.processing.length), 0) +
      4 * session.stems[job.stemIndex]!.processing.length;
    const queue = [...jobs].sort((a, b) => cost(b) - cost(a));
    const settled = await Promise.allSettled(
      queue.map(async (job) => {
        const result = options.pool ? await options.pool.run<StemJob, StemResult>(RENDER_JOB, 'renderStemJob', job) : await renderStemJob(job);
        pendings.push(result.pending, ...(result.dryPending ? [result.dryPending] : []));
        options.onProgress?.('stems', ++done / jobs.length);
        return result;
      }),
    );
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    const results = settled.map((r) => (r as PromiseFulfilledResult<StemResult>).value).sort((a, b) => a.stemIndex - b.stemIndex);
    // "auto" ends where the last stem has decayed below −90 dBFS (never before the timeline's end);
    // the declared tails above only bound it. An explicit tail is kept exactly.
    const lastAudible = Math.max(-1, ...results.map((r) => r.lastAudible));
    const packageFrames = session.tail === 'auto' ? Math.min(frames, Math.max(timeline, lastAudible + 1)) : frames;
    for (const r of results) {
      await finalizeWav(r.pending, packageFrames);
      written.push(r.file);
      if (r.dryPending) {
        await finalizeWav(r.dryPending, packageFrames);
        written.push(r.dryFile!);
      }
    }
    const mixPath = join(options.outDir, 'mix.wav');
    const mix = await renderMix(results.map((r) => r.file), mixPath, resolved, master, format, packageFrames, (f) => options.onProgress?.('mix', f));
    written.push(mixPath);

    const masterProcessing = [...(session.master.gain !== 0 ? [{ type: 'gain', gain: session.master.gain }] : []), ...session.master.processing];
    const elapsedMs = Date.now() - began;
    const manifest: PackageManifest = {
      schema: 'stemkit.package/1',
      title: session.name,
      sampleRate: rate,
      bitDepth: session.bitDepth,
      channels: resolved.channels,
      frames: packageFrames,
      durationSec: packageFrames / rate,
      mix: {
        file: 'mix.wav',
        masterProcessing,
        latencyCompensated: master.latency,
        peakDbfs: toDb(mix.levels.peak),
        truePeakDbtp: toDb(mix.levels.truePeak),
        integratedLufs: mix.levels.integratedLufs === null ? null : round(mix.levels.integratedLufs),
        clippedSamples: mix.clippedSamples,
      },
      stems: results.map((r, s) => {
        const stem = session.stems[s]!;
        return {
          name: stem.name,
          role: stem.role,
          file: `stems/${names[s]}`,
          ...(r.dryFile ? { dryFile: `stems/${names[s]!.replace(/\.wav$/, '_dry.wav')}` } : {}),
          wet: true,
          processing: stem.processing,
          returns: returnsUsed(session, s).map((name) => ({ name, processing: session.returns.find((x) => x.name === name)!.processing })),
          latencyCompensated: r.latency,
          peakDbfs: toDb(r.levels.peak),
          truePeakDbtp: toDb(r.levels.truePeak),
          integratedLufs: r.levels.integratedLufs === null ? null : round(r.levels.integratedLufs),
          clippedSamples: r.clippedSamples,
        };
      }),
      render: { tailSec: (packageFrames - timeline) / rate, timelineFrames: timeline, elapsedMs, realtimeFactor: round(packageFrames / rate / (elapsedMs / 1000), 1), dry: Boolean(options.dry) },
      generator: { name: 'stemkit', version },
    };
    await writeFileAtomically(join(options.outDir, 'stemkit.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } catch (err) {
    // A failed render leaves no package behind that could pass for a complete one.
    await Promise.all([...written.map((f) => unlink(f).catch(() => undefined)), ...pendings.map(discardWav)]);
    throw err;
  }
}

/** Sums the written stems in order (exactly as `check` does), applies the master (a fresh chain), writes the mix. */
async function renderMix(
  stemPaths: string[],
  path: string,
  resolved: ResolvedSession,
  master: Chain,
  format: WriteSampleFormat,
  frames: number,
  onProgress: (fraction: number) => void,
): Promise<{ levels: StemLevels; clippedSamples: number }> {
  const rate = resolved.session.sampleRate;
  const channels = resolved.channels;
  const masterGain = dbToGain(resolved.session.master.gain);
  const sink = await createWavWriter(path, { sampleRate: rate, channels, format, bext: { description: `${resolved.session.name}: mix`, originator: 'stemkit', timeReference: 0 } });
  const sources: AudioSource[] = [];
  try {
    for (const p of stemPaths) sources.push(await openAudio(p));
    const levels = new OutputLevels(rate, channels);
    const sum = Array.from({ length: channels }, () => new Float32Array(32768));
    let skip = master.latency;
    let written = 0;
    // The master's latency is made up by running on past the end with silence, then skipping its start.
    for await (const block of lockstep(sources, { end: frames + master.latency, onProgress: (p) => onProgress(p.fraction) })) {
      const n = block.frames;
      for (let ch = 0; ch < channels; ch++) {
        const out = sum[ch]!;
        out.fill(0, 0, n);
        for (const planar of block.data) {
          const x = planar[ch]!;
          for (let i = 0; i < n; i++) out[i] = out[i]! + x[i]!;
        }
        if (masterGain !== 1) for (let i = 0; i < n; i++) out[i] = out[i]! * masterGain;
      }
      master.process(sum, n);
      const from = Math.min(n, skip);
      skip -= from;
      const count = Math.min(n - from, frames - written);
      if (count <= 0) continue;
      const part = sum.map((x) => x.subarray(from, from + count));
      levels.push(part, count);
      await sink.write(part, count);
      written += count;
    }
    const report = await sink.commit();
    return {
      levels: levels.result(),
      clippedSamples: report.clippedSamples,
    };
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}
