import { basename, join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { createWavWriter, discardWav, type AudioSink, type PendingWav } from '../audio/wav/write.js';
import type { SumTarget, WriteSampleFormat } from '../audio/pcm-encode.js';
import { ChunkSender } from '../engine/chunk-stream.js';
import { StemkitError } from '../errors.js';
import type { ResolvedSession } from './load.js';
import type { Impulses } from './impulses.js';
import { buildStemGraph, type StemGraph } from './stem-graph.js';
import { StemMixer } from './stem-mixer.js';
import { OutputLevels, type StemLevels } from './levels.js';
import { dbToGain } from '../dsp/decibels.js';
import { allocateDoubles, allocateSamples, releaseSamples } from '../dsp/simd.js';
import { TrackStream } from './track-stream.js';
import { refuseNonFiniteWrite, refuseRecoveredOutput } from './whole-output.js';
import type { Chain } from '../dsp/processors/index.js';

export interface StemGroupJob {
  resolved: ResolvedSession;
  /** The stems this job renders side by side, block by block, so their sum can stream to the mix. */
  stems: { stemIndex: number; fileName: string }[];
  /** Output frames of every file in the package. */
  frames: number;
  outDir: string;
  format: WriteSampleFormat;
  dry: boolean;
  /** Impulse responses, loaded and resampled once by the caller. */
  impulses: Impulses;
  /** Where the stems, exactly as written, stream to the mix (see MixChunk). */
  port: MessagePort;
  /** NaN/±Infinity track samples become 0 (counted) instead of stopping the render with E_NON_FINITE. */
  replaceNonFinite?: boolean;
}

/**
 * What a group sends the mix for each MIX_CHUNK frames of the package (on a fixed grid; the last
 * chunk is short): its stems exactly as written (rounded, clipped), as decoded values in Float64.
 * Integer formats send one part, the group's sum: those sums are exact, so the mix is the same
 * whatever the grouping. Float stems are sent one part each, for the mix to add in stem order.
 */
export interface MixChunk {
  start: number;
  frames: number;
  /** Per part: the first stem it holds and its planar samples. */
  parts: { stem: number; planar: Float64Array[] }[];
}

/**
 * Chunks a group may send ahead of the mix (32 × 16k frames, 11 s at 48 kHz: 4 MiB per channel):
 * room for one group to run ahead through a passage that is cheap for it and dear for the other,
 * instead of waiting at every step (≈ 0.3–0.5 s of the benchmark's 10 s against 8 chunks).
 */
const MIX_WINDOW = 32;

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
  /** NaN/±Infinity track samples replaced by 0 (only with replaceNonFinite). */
  nonFiniteReplaced: number;
}

/** Render block: 4096 frames (85 ms at 48 kHz): processors amortise their per-block cost, buffers stay in cache. */
const BLOCK = 4096;
/**
 * A group's stems take turns a step at a time: long enough that each stem's state (reverb lines,
 * track buffers) is reused from cache over several blocks, short enough to stream to the mix.
 */
const STEP = 4 * BLOCK;
export const MIX_CHUNK = STEP;

/** −90 dBFS: where an "auto" tail counts as decayed. */
const AUDIBLE_FLOOR = dbToGain(-90);

/** Writes `frames` frames to a sink after skipping the first `skip` frames it is given. */
class AlignedWriter {
  private skipped = 0;
  /** Frames written so far. */
  written = 0;
  /** Last output frame above −90 dBFS. */
  lastAudible = -1;
  constructor(
    readonly sink: AudioSink,
    private readonly skip: number,
    private readonly frames: number,
    private readonly meters: ((planar: Float32Array[], n: number) => void) | null,
  ) {}
  /** `sum(frame, count)`: where the written frames also go (see AudioSink.write). */
  async write(planar: Float32Array[], n: number, sum?: (frame: number, count: number) => SumTarget): Promise<void> {
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
    const target = sum?.(this.written, count);
    this.written += count;
    await this.sink.write(part, count, target);
  }
  get done(): boolean {
    return this.written >= this.frames;
  }
}

/**
 * A group's stems as written, accumulated on the package timeline from frame `base` on and sent to
 * the mix in MIX_CHUNK pieces as soon as every stem of the group has written past them. Stems lag
 * each other by their latencies, so the buffer spans a chunk, a block and the latency spread.
 */
class GroupSum {
  private readonly parts: Float64Array[][];
  private base = 0;
  /** Chunk buffers the mix has handed back (see ChunkSender), reused for the next chunks. */
  private readonly free: ArrayBuffer[] = [];

  constructor(
    private readonly stems: number[],
    channels: number,
    private readonly capacity: number,
    private readonly frames: number,
    private readonly sender: ChunkSender<MixChunk>,
  ) {
    // In the SIMD kernels' memory, where the encoder adds the written stems in place.
    this.parts = stems.map(() => Array.from({ length: channels }, () => allocateDoubles(capacity)));
  }

  dispose(): void {
    for (const planar of this.parts) for (const x of planar) releaseSamples(x);
  }

  reuse(buffers: ArrayBuffer[]): void {
    this.free.push(...buffers);
  }

  target(part: number, frame: number, count: number): SumTarget {
    const offset = frame - this.base;
    if (offset < 0 || offset + count > this.capacity) throw new Error(`mix chunk buffer overrun at frame ${frame} (base ${this.base}, capacity ${this.capacity})`);
    return { planar: this.parts[part]!, offset };
  }

  /** Sends every whole chunk below `upTo` (the group's slowest stem), and the last one when complete. */
  async flush(upTo: number): Promise<void> {
    for (;;) {
      const end = Math.min(this.base + MIX_CHUNK, this.frames);
      if (end <= this.base || upTo < end) return;
      const n = end - this.base;
      const parts = this.parts.map((planar, p) => ({
        stem: this.stems[p]!,
        planar: planar.map((x) => {
          const chunk = new Float64Array(this.free.pop() ?? new ArrayBuffer(MIX_CHUNK * 8), 0, n);
          chunk.set(x.subarray(0, n));
          x.copyWithin(0, n);
          x.fill(0, this.capacity - n);
          return chunk;
        }),
      }));
      const start = this.base;
      this.base = end;
      await this.sender.send({ start, frames: n, parts }, parts.flatMap((p) => p.planar.map((x) => x.buffer)));
    }
  }
}

/** One stem of a group: its graph, track readers, writers and meters. */
class StemRender {
  private readonly spans: { start: number; end: number }[];
  /** The stem's output over one step (STEP frames), written to its files in one piece. */
  private readonly wetStep: Float32Array[];
  private readonly dryStep: Float32Array[] | null;

  private constructor(
    readonly stemIndex: number,
    readonly graph: StemGraph,
    private readonly streams: TrackStream[],
    private readonly mixer: StemMixer,
    readonly file: string,
    readonly dryFile: string | null,
    private readonly levels: OutputLevels,
    readonly wet: AlignedWriter,
    readonly dry: AlignedWriter | null,
    /** Each chain of the graph with what a message calls it ("track "Kick" inserts", …). */
    private readonly chains: { label: string; chain: Chain }[],
    private readonly sampleRate: number,
  ) {
    this.spans = streams.map((stream) => ({ start: stream.start, end: stream.end }));
    // In the SIMD kernels' memory (released by close), where the encoder reads them in place.
    this.wetStep = Array.from({ length: graph.channels }, () => allocateSamples(STEP));
    this.dryStep = dry ? Array.from({ length: graph.channels }, () => allocateSamples(STEP)) : null;
  }

  static async open(job: StemGroupJob, stemIndex: number, fileName: string, opened: StemRender[]): Promise<void> {
    const { resolved } = job;
    const rate = resolved.session.sampleRate;
    const stem = resolved.session.stems[stemIndex]!;
    const graph = buildStemGraph(resolved, stemIndex, job.impulses);
    const channels = graph.channels;
    const streams: TrackStream[] = [];
    let sink: AudioSink | null = null;
    let drySink: AudioSink | null = null;
    try {
      for (const t of graph.tracks) streams.push(await TrackStream.open(resolved.tracks[stemIndex]![t.index]!.path, t.offsetFrames, rate, { replaceNonFinite: Boolean(job.replaceNonFinite) }));
      const file = join(job.outDir, 'stems', fileName);
      const dryFile = job.dry ? join(job.outDir, 'stems', fileName.replace(/\.wav$/, '_dry.wav')) : null;
      const bext = { description: `${resolved.session.name}: ${stem.name} stem`, originator: 'stemkit', timeReference: 0 };
      sink = await createWavWriter(file, { sampleRate: rate, channels, format: job.format, bext });
      if (dryFile) drySink = await createWavWriter(dryFile, { sampleRate: rate, channels, format: job.format, bext: { ...bext, description: `${bext.description} (dry)` } });
      const levels = new OutputLevels(rate, channels);
      const wet = new AlignedWriter(sink, graph.latency, job.frames, (p, n) => levels.push(p, n));
      const dry = drySink ? new AlignedWriter(drySink, graph.dryLatency, job.frames, null) : null;
      const chains = [
        ...graph.tracks.map((t) => {
          const track = stem.tracks[t.index]!;
          return { label: `stem "${stem.name}", track "${track.name ?? basename(track.file)}" inserts`, chain: t.chain };
        }),
        { label: `stem "${stem.name}" bus processing`, chain: graph.bus },
        ...graph.returns.map((r) => ({ label: `stem "${stem.name}", return "${r.name}"`, chain: r.chain })),
      ];
      opened.push(new StemRender(stemIndex, graph, streams, new StemMixer(graph, BLOCK), file, dryFile, levels, wet, dry, chains, rate));
    } catch (err) {
      await sink?.abort();
      await drySink?.abort();
      await Promise.all(streams.map((s) => s.close()));
      throw err;
    }
  }

  get done(): boolean {
    return this.wet.done && (!this.dry || this.dry.done);
  }

  /** The reads the step at `position` needs (started now, so every track's reads overlap). */
  reads(position: number): Promise<void>[] {
    const reads: Promise<void>[] = [];
    for (const stream of this.streams) if (stream.needs(position, STEP)) reads.push(stream.prepare(position, STEP));
    return reads;
  }

  /** Renders the step at `position` block by block, then writes it (`sum`: see AlignedWriter.write). */
  async render(position: number, sum: (frame: number, count: number) => SumTarget): Promise<void> {
    const wantDry = this.dryStep !== null;
    for (let at = 0; at < STEP; at += BLOCK) {
      const active = this.mixer.active(position + at, this.spans);
      for (const k of active) {
        // Tracks that are only read are mixed straight from the read buffer, without a copy.
        const view = this.mixer.readsOnly(k) ? this.streams[k]!.view(position + at, BLOCK) : null;
        if (view) this.mixer.lend(k, view);
        else this.streams[k]!.fill(position + at, BLOCK, this.mixer.input(k));
      }
      const out = this.mixer.process(position + at, active, wantDry);
      for (let ch = 0; ch < out.wet.length; ch++) {
        this.wetStep[ch]!.set(out.wet[ch]!, at);
        if (wantDry) this.dryStep![ch]!.set(out.dry![ch]!, at);
      }
    }
    await Promise.all([this.dry?.write(this.dryStep!, STEP), this.wet.write(this.wetStep, STEP, sum)]);
  }

  async finish(): Promise<StemResult> {
    refuseRecoveredOutput(this.chains, this.sampleRate, this.file);
    const report = await this.wet.sink.commit({ rename: false });
    const dryReport = this.dry ? await this.dry.sink.commit({ rename: false }) : null;
    refuseNonFiniteWrite(report, this.file);
    if (dryReport) refuseNonFiniteWrite(dryReport, this.dryFile!);
    return {
      stemIndex: this.stemIndex,
      file: this.file,
      dryFile: this.dryFile,
      pending: report.pending!,
      dryPending: dryReport?.pending ?? null,
      lastAudible: Math.max(this.wet.lastAudible, this.dry?.lastAudible ?? -1),
      latency: this.graph.latency,
      clippedSamples: report.clippedSamples,
      levels: this.levels.result(),
      nonFiniteReplaced: this.streams.reduce((a, t) => a + t.replaced, 0),
    };
  }

  async abort(): Promise<void> {
    await this.wet.sink.abort();
    await this.dry?.sink.abort();
  }

  async close(): Promise<void> {
    this.mixer.dispose();
    for (const x of [...this.wetStep, ...(this.dryStep ?? [])]) releaseSamples(x);
    await Promise.all(this.streams.map((s) => s.close()));
  }
}

/**
 * Worker job: renders a group of stems (and their dry versions) side by side from their tracks to
 * WAV files, compensating latency so every file starts on timeline 0, measures them for the
 * manifest, and streams them as written to the mix through `job.port`.
 */
export async function renderStemGroupJob(job: StemGroupJob): Promise<StemResult[]> {
  let sum: GroupSum | null = null;
  const sender = new ChunkSender<MixChunk>(job.port, MIX_WINDOW, (buffers) => sum?.reuse(buffers));
  const renders: StemRender[] = [];
  const results: StemResult[] = [];
  try {
    for (const { stemIndex, fileName } of job.stems) await StemRender.open(job, stemIndex, fileName, renders);
    if (renders.length === 0) throw new StemkitError('E_USAGE', 'a stem group needs at least one stem', { hint: 'this is a bug in the caller' });
    // Integer samples sum exactly in Float64, so the group sends one part; float stems go one by one.
    const exact = job.format !== 'float32';
    const latencies = renders.map((r) => r.graph.latency);
    const capacity = MIX_CHUNK + 2 * STEP + Math.max(...latencies) - Math.min(...latencies);
    const group = new GroupSum(exact ? [renders[0]!.stemIndex] : renders.map((r) => r.stemIndex), renders[0]!.graph.channels, capacity, job.frames, sender);
    sum = group;
    for (let position = 0; renders.some((r) => !r.done); position += STEP) {
      const live = renders.filter((r) => !r.done);
      const reads = live.flatMap((r) => r.reads(position));
      if (reads.length) await Promise.all(reads);
      await Promise.all(live.map((r) => r.render(position, (frame, count) => group.target(exact ? 0 : renders.indexOf(r), frame, count))));
      await group.flush(Math.min(...renders.map((r) => r.wet.written)));
    }
    for (const r of renders) results.push(await r.finish());
    return results;
  } catch (err) {
    await Promise.all(renders.map((r) => r.abort()));
    await Promise.all(results.flatMap((r) => [r.pending, ...(r.dryPending ? [r.dryPending] : [])]).map(discardWav));
    throw err;
  } finally {
    await Promise.all(renders.map((r) => r.close()));
    sum?.dispose();
    sender.close();
  }
}
