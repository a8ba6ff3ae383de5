import { join } from 'node:path';
import { createWavWriter, type AudioSink, type PendingWav } from '../audio/wav/write.js';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import type { ResolvedSession } from './load.js';
import type { Impulses } from './chain.js';
import { buildStemGraph } from './stem-graph.js';
import { StemMixer } from './stem-mixer.js';
import { OutputLevels, type StemLevels } from './levels.js';
import { dbToGain } from '../dsp/decibels.js';
import { TrackStream } from './track-stream.js';

export interface StemJob {
  resolved: ResolvedSession;
  stemIndex: number;
  /** Output frames of every file in the package. */
  frames: number;
  outDir: string;
  fileName: string;
  format: WriteSampleFormat;
  dry: boolean;
  /** Impulse responses, loaded and resampled once by the caller. */
  impulses: Impulses;
}

export interface StemResult {
  stemIndex: number;
  file: string;
  dryFile: string | null;
  /** The stem (and dry stem) written under temporary names, to be cut to the package length and renamed. */
  pending: PendingWav;
  dryPending: PendingWav | null;
  /** Last frame above −90 dBFS (wet or dry), −1 for a silent stem: where "auto" tails may end. */
  lastAudible: number;
  latency: number;
  clippedSamples: number;
  levels: StemLevels;
}

/** Render block: 4096 frames (85 ms at 48 kHz): processors amortise their per-block cost, buffers stay in cache. */
const BLOCK = 4096;

/** −90 dBFS: where an "auto" tail counts as decayed. */
const AUDIBLE_FLOOR = dbToGain(-90);

/** Writes `frames` frames to a sink after skipping the first `skip` frames it is given. */
class AlignedWriter {
  private skipped = 0;
  private written = 0;
  /** Last output frame above −90 dBFS. */
  lastAudible = -1;
  constructor(
    readonly sink: AudioSink,
    private readonly skip: number,
    private readonly frames: number,
    private readonly meters: ((planar: Float32Array[], n: number) => void) | null,
  ) {}
  async write(planar: Float32Array[], n: number): Promise<void> {
    let from = 0;
    if (this.skipped < this.skip) {
      from = Math.min(n, this.skip - this.skipped);
      this.skipped += from;
    }
    const count = Math.min(n - from, this.frames - this.written);
    if (count <= 0) return;
    const part = from === 0 ? planar : planar.map((x) => x.subarray(from));
    this.meters?.(part, count);
    for (const x of part) {
      for (let i = count - 1; i >= 0 && this.written + i > this.lastAudible; i--) {
        if (Math.abs(x[i]!) > AUDIBLE_FLOOR) {
          this.lastAudible = this.written + i;
          break;
        }
      }
    }
    this.written += count;
    await this.sink.write(part, count);
  }
  get done(): boolean {
    return this.written >= this.frames;
  }
}

/**
 * Worker job: renders one stem (and its dry version) from its tracks to a WAV file, compensating
 * latency so the file starts on timeline 0, and measures it for the manifest.
 */
export async function renderStemJob(job: StemJob): Promise<StemResult> {
  const { resolved, stemIndex } = job;
  const rate = resolved.session.sampleRate;
  const stem = resolved.session.stems[stemIndex]!;
  const graph = buildStemGraph(resolved, stemIndex, job.impulses);
  const channels = graph.channels;
  const streams = await Promise.all(
    graph.tracks.map((t) => TrackStream.open(resolved.tracks[stemIndex]![t.index]!.path, t.offsetFrames, rate)),
  );
  const file = join(job.outDir, 'stems', job.fileName);
  const dryFile = job.dry ? join(job.outDir, 'stems', job.fileName.replace(/\.wav$/, '_dry.wav')) : null;
  const bext = { description: `${resolved.session.name}: ${stem.name} stem`, originator: 'stemkit', timeReference: 0 };
  const sink = await createWavWriter(file, { sampleRate: rate, channels, format: job.format, bext });
  const drySink = dryFile ? await createWavWriter(dryFile, { sampleRate: rate, channels, format: job.format, bext: { ...bext, description: `${bext.description} (dry)` } }) : null;

  const levels = new OutputLevels(rate, channels);
  const wet = new AlignedWriter(sink, graph.latency, job.frames, (p, n) => levels.push(p, n));
  const dry = drySink ? new AlignedWriter(drySink, graph.dryLatency, job.frames, null) : null;

  const mixer = new StemMixer(graph, BLOCK);
  const spans = streams.map((stream) => ({ start: stream.start, end: stream.end }));

  try {
    for (let position = 0; !wet.done || (dry && !dry.done); position += BLOCK) {
      const active = mixer.active(position, spans);
      // Every track that needs more audio reads it at once: the reads overlap on the I/O threads.
      const reads = active.filter((k) => streams[k]!.needs(position, BLOCK));
      if (reads.length) await Promise.all(reads.map((k) => streams[k]!.prepare(position, BLOCK)));
      for (const k of active) streams[k]!.fill(position, BLOCK, mixer.input(k));
      const out = mixer.process(position, active, dry !== null);
      if (dry) await dry.write(out.dry!, BLOCK);
      await wet.write(out.wet, BLOCK);
    }
    const report = await sink.commit({ rename: false });
    const dryReport = drySink ? await drySink.commit({ rename: false }) : null;
    return {
      stemIndex,
      file,
      dryFile,
      pending: report.pending!,
      dryPending: dryReport?.pending ?? null,
      lastAudible: Math.max(wet.lastAudible, dry?.lastAudible ?? -1),
      latency: graph.latency,
      clippedSamples: report.clippedSamples,
      levels: levels.result(),
    };
  } catch (err) {
    await sink.abort();
    await drySink?.abort();
    throw err;
  } finally {
    await Promise.all(streams.map((s) => s.close()));
  }
}
