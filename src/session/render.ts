import { mkdir, unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { writeFileAtomically } from '../audio/atomic-file.js';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { discardWav, finalizeWav, type PendingWav } from '../audio/wav/write.js';
import { ChunkReceiver } from '../engine/chunk-stream.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import { round, toDb } from '../dsp/decibels.js';
import { isStemkitError } from '../errors.js';
import { eqSections } from '../dsp/processors/eq.js';
import type { ProcessorSpec } from '../dsp/processors/schema.js';
import { createChain } from '../dsp/processors/index.js';
import { loadImpulses } from './impulses.js';
import type { ResolvedSession } from './load.js';
import { MixWriter, type MixResult } from './mix.js';
import { MIX_CHUNK, renderStemGroupJob, type MixChunk, type StemGroupJob, type StemResult } from './render-stem.js';
import { buildStemGraph, returnsUsed, type StemGraph } from './stem-graph.js';
import { throwIfAborted, type OnProgress } from '../progress.js';

const RENDER_JOB = siblingModule(import.meta.url, 'render-stem');
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** "auto" tail: until every chain has decayed below −90 dBFS, at most this long. */
const MAX_AUTO_TAIL_SECONDS = 10;

/** Options of `renderSession`. */
export interface RenderOptions {
  /** The package folder: mix.wav and stemkit.json go here, the stems into its stems/ (created as needed). */
  outDir: string;
  /** Also write dry stems (no bus inserts, no returns) beside the wet ones. */
  dry?: boolean;
  /** Renders stems in parallel on the pool; null renders on the calling thread. */
  pool?: WorkerPool | null;
  /** Progress: { phase: 'stems', fraction } while the stems render and mix, then { phase: 'mix' }. */
  onProgress?: OnProgress;
  /** Stops the render with E_ABORTED between steps; nothing of the unfinished package is left. */
  signal?: AbortSignal;
  /** Replace NaN/±Infinity track samples with 0 and count them, instead of stopping with E_NON_FINITE. */
  replaceNonFinite?: boolean;
}

/** One stem as stemkit.json records it: its file, its processing, and its levels as written. */
export interface ManifestStem {
  /** The stem's name in the session. */
  name: string;
  /** What it carries (the session's role: drums, bass, vocals …). */
  role: string;
  /** Its WAV, relative to the package folder ("stems/01_Drums.wav"). */
  file: string;
  /** Its dry copy (render --dry), relative to the package folder; absent without one. */
  dryFile?: string;
  /** Always true: `file` is the stem with its bus inserts and returns printed. */
  wet: true;
  /** Bus inserts as printed, then the returns this stem carries its own instance of. */
  processing: unknown[];
  /** The returns this stem sends to, each with its effect chain, rendered into the stem. */
  returns: { name: string; processing: unknown[] }[];
  /** Samples of processing latency removed so the stem starts on timeline 0. */
  latencyCompensated: number;
  /** Sample peak of the file as written, dBFS; null when silent. */
  peakDbfs: number | null;
  /** True peak of the file as written, dBTP; null when silent. */
  truePeakDbtp: number | null;
  /** Integrated loudness of the file as written, LUFS; null when nothing passes the −70 LUFS gate. */
  integratedLufs: number | null;
  /** Samples clipped to fit the integer format. */
  clippedSamples: number;
  /** NaN/±Infinity track samples replaced by silence (render --replace-non-finite); absent when none. */
  nonFiniteReplaced?: number;
}

/** A rendered package's stemkit.json: what was rendered, how, and the levels of every file. */
export interface PackageManifest {
  /** The manifest's format and version. */
  schema: 'stemkit.package/1';
  /** The session's name: the song or cue. */
  title: string;
  /** Hz, of every file. */
  sampleRate: number;
  /** Of every file: 16- or 24-bit integer, or 32-bit float. */
  bitDepth: 16 | 24 | '32f';
  /** Channels of every file. */
  channels: number;
  /** Frames of every file: stems and mix start together and are equally long. */
  frames: number;
  /** frames ÷ sampleRate, seconds. */
  durationSec: number;
  /** The mix (mix.wav): the unity sum of the stems as written, then the master processing. */
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
  /** The stems in the session's order. */
  stems: ManifestStem[];
  /** How the render went: the tail after the timeline (s), the timeline (frames), wall time (ms), speed (× real time), whether dry stems were written. */
  render: { tailSec: number; timelineFrames: number; elapsedMs: number; realtimeFactor: number; dry: boolean };
  /** The program that wrote the package, and its version. */
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
  const master = createChain(session.master.processing, { sampleRate: rate, channels: resolved.channels }, impulses);

  const { timeline, frames } = renderLength(resolved, graphs, master.tail);
  // These graphs only measure latency and tails (each render job builds its own): their kernel memory goes back now.
  for (const g of graphs) for (const chain of [g.bus, ...g.tracks.map((t) => t.chain), ...g.returns.map((r) => r.chain)]) chain.dispose();

  await mkdir(join(options.outDir, 'stems'), { recursive: true });
  const names = session.stems.map((stem, s) => stemFileName(s, stem.name));
  // One group per worker, rendered side by side; each streams its stems as written to the mix here.
  const groups = stemGroups(resolved, options.pool ? options.pool.size : 1);
  const links = groups.map(() => new MessageChannel());
  const receivers = links.map((link) => new ChunkReceiver<MixChunk>(link.port1));
  const written: string[] = [];
  const pendings: PendingWav[] = [];
  const mixPath = join(options.outDir, 'mix.wav');
  let mix: MixWriter | null = null;
  options.onProgress?.({ phase: 'stems', fraction: 0 });
  try {
    mix = await MixWriter.create(mixPath, resolved, master, format, session.tail === 'auto' ? timeline : Infinity, MIX_CHUNK);
    const stop = (err: unknown) => {
      for (const r of receivers) r.fail(err);
    };
    const runs = groups.map(async (stems, g) => {
      const job: StemGroupJob = {
        resolved,
        stems: stems.map((s) => ({ stemIndex: s, fileName: names[s]! })),
        frames,
        outDir: options.outDir,
        format,
        dry: Boolean(options.dry),
        impulses,
        port: links[g]!.port2,
        replaceNonFinite: Boolean(options.replaceNonFinite),
      };
      try {
        const results = options.pool
          ? await options.pool.run<StemGroupJob, StemResult[]>(RENDER_JOB, 'renderStemGroupJob', job, [job.port])
          : await renderStemGroupJob(job);
        for (const r of results) pendings.push(r.pending, ...(r.dryPending ? [r.dryPending] : []));
        return results;
      } catch (err) {
        stop(err);
        throw err;
      }
    });
    const mixing = (async () => {
      const chunks = Math.ceil(frames / MIX_CHUNK);
      for (let k = 0; k < chunks; k++) {
        throwIfAborted(options.signal, 'the render');
        const got = await Promise.all(receivers.map((r) => r.next()));
        const parts = got.flatMap((c) => c.parts).sort((a, b) => a.stem - b.stem);
        await mix!.push(got[0]!.start, got[0]!.frames, parts.map((p) => p.planar));
        got.forEach((chunk, g) => receivers[g]!.release(chunk.parts.flatMap((p) => p.planar.map((x) => x.buffer as ArrayBuffer))));
        options.onProgress?.({ phase: 'stems', fraction: (k + 1) / chunks });
      }
    })().catch((err) => {
      stop(err);
      throw err;
    });
    // Settle everything before judging: a failure must not leave other stems' temporary files behind.
    const settled = await Promise.allSettled([mixing, ...runs]);
    const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isAbort(r.reason)) ?? settled.find((r) => r.status === 'rejected');
    if (failure) throw (failure as PromiseRejectedResult).reason;
    const results = settled
      .slice(1)
      .flatMap((r) => (r as PromiseFulfilledResult<StemResult[]>).value)
      .sort((a, b) => a.stemIndex - b.stemIndex);
    // "auto" ends where the last stem has decayed below −90 dBFS (never before the timeline's end);
    // the declared tails above only bound it. An explicit tail is kept exactly.
    const lastAudible = Math.max(-1, ...results.map((r) => r.lastAudible));
    const packageFrames = session.tail === 'auto' ? Math.min(frames, Math.max(timeline, lastAudible + 1)) : frames;
    // The files' syncs overlap: stems cut to length and renamed, the mix's tail rendered, all at once.
    options.onProgress?.({ phase: 'mix', fraction: 0 });
    const finalize = async (pending: PendingWav, file: string) => {
      await finalizeWav(pending, packageFrames);
      written.push(file);
    };
    // Settled before judging, so a failure's clean-up never races a rename still under way.
    const [finished, ...renamed] = await Promise.allSettled([
      mix.finish(packageFrames).then((m) => (written.push(mixPath), m)),
      ...results.flatMap((r) => [finalize(r.pending, r.file), ...(r.dryPending ? [finalize(r.dryPending, r.dryFile!)] : [])]),
    ]);
    for (const r of [finished!, ...renamed]) if (r.status === 'rejected') throw r.reason;
    const mixed = (finished as PromiseFulfilledResult<MixResult>).value;
    options.onProgress?.({ phase: 'mix', fraction: 1 });

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
        peakDbfs: toDb(mixed.levels.peak),
        truePeakDbtp: toDb(mixed.levels.truePeak),
        integratedLufs: mixed.levels.integratedLufs === null ? null : round(mixed.levels.integratedLufs),
        clippedSamples: mixed.clippedSamples,
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
          ...(r.nonFiniteReplaced ? { nonFiniteReplaced: r.nonFiniteReplaced } : {}),
        };
      }),
      render: { tailSec: (packageFrames - timeline) / rate, timelineFrames: timeline, elapsedMs, realtimeFactor: round(packageFrames / rate / (elapsedMs / 1000), 1), dry: Boolean(options.dry) },
      generator: { name: 'stemkit', version },
    };
    await writeFileAtomically(join(options.outDir, 'stemkit.json'), JSON.stringify(manifest, null, 2) + '\n');
    return manifest;
  } catch (err) {
    // A failed render leaves no package behind that could pass for a complete one.
    await Promise.all([...written.map((f) => unlink(f).catch(() => undefined)), ...pendings.map(discardWav), mix?.abort()]);
    throw err;
  } finally {
    for (const link of links) {
      link.port1.close();
      link.port2.close();
    }
  }
}

function isAbort(err: unknown): boolean {
  return isStemkitError(err) && err.code === 'E_ABORTED';
}

/**
 * Splits the stems into `count` groups of similar work (largest first onto the lightest group), so
 * workers rendering groups side by side finish together. Work per stem, in rough units measured on
 * the render benchmark: a fixed part (meters, encoding, the bus), bus inserts by kind, a reverb or
 * convolution per return, and the tracks by channel and insert.
 */
export function stemGroups(resolved: ResolvedSession, count: number): number[][] {
  const { session } = resolved;
  const insert = (p: ProcessorSpec) =>
    p.type === 'eq' ? 2 + eqSections(p.bands, session.sampleRate).length : p.type === 'compressor' ? (p.detection === 'rms' ? 7 : 4) : 4;
  const cost = session.stems.map((stem, s) => {
    let c = 20 + 6 * returnsUsed(session, s).length;
    for (const p of stem.processing) c += insert(p);
    stem.tracks.forEach((t, k) => {
      if (!t.mute) c += 1 + 0.5 * resolved.tracks[s]![k]!.format.channels + t.processing.reduce((a, p) => a + insert(p), 0);
    });
    return c;
  });
  const order = cost.map((_, s) => s).sort((a, b) => cost[b]! - cost[a]! || a - b);
  const groups = Array.from({ length: Math.max(1, Math.min(count, session.stems.length)) }, () => ({ cost: 0, stems: [] as number[] }));
  for (const s of order) {
    const lightest = groups.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.stems.push(s);
    lightest.cost += cost[s]!;
  }
  return groups.filter((g) => g.stems.length > 0).map((g) => g.stems.sort((a, b) => a - b));
}
