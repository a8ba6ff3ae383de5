import { join } from 'node:path';
import { createWavWriter, type AudioSink, type PendingWav } from '../audio/wav/write.js';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { loudnessWeight, channelLayout } from '../audio/channels.js';
import { LoudnessMeter } from '../dsp/loudness.js';
import { TruePeakMeter } from '../dsp/true-peak.js';
import { SampleStats } from '../dsp/sample-stats.js';
import type { ResolvedSession } from './load.js';
import { loadImpulses } from './impulses.js';
import { buildStemGraph } from './stem-graph.js';
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
}

export interface StemLevels {
  peak: number;
  truePeak: number;
  integratedLufs: number | null;
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

/**
 * Adds one track into the bus and its sends in a single pass per output channel: the pan matrix
 * and the (constant) fader are folded into one coefficient per track channel.
 */
function mixTrack(
  x: Float32Array[],
  trackChannels: number,
  pan: number[][],
  gain: number,
  bus: Float32Array[],
  sends: { gain: number; target: Float32Array[] }[],
  n: number,
): void {
  if (trackChannels === 1 && bus.length === 2 && sends.length <= 1) {
    // The common case, a mono track panned into a stereo bus (with at most one send): one pass.
    const a = x[0]!;
    const cl = pan[0]![0]! * gain;
    const cr = pan[1]![0]! * gain;
    const l = bus[0]!;
    const r = bus[1]!;
    if (sends.length === 0) {
      for (let i = 0; i < n; i++) {
        const v = a[i]!;
        l[i] = l[i]! + cl * v;
        r[i] = r[i]! + cr * v;
      }
      return;
    }
    const tl = sends[0]!.target[0]!;
    const tr = sends[0]!.target[1]!;
    const sl = cl * sends[0]!.gain;
    const sr = cr * sends[0]!.gain;
    for (let i = 0; i < n; i++) {
      const v = a[i]!;
      l[i] = l[i]! + cl * v;
      r[i] = r[i]! + cr * v;
      tl[i] = tl[i]! + sl * v;
      tr[i] = tr[i]! + sr * v;
    }
    return;
  }
  for (let out = 0; out < bus.length; out++) {
    const row = pan[out]!;
    const y = bus[out]!;
    const live: number[] = [];
    for (let ch = 0; ch < trackChannels; ch++) if (row[ch] !== 0) live.push(ch);
    if (live.length === 0) continue;
    if (live.length === 1) {
      const c = row[live[0]!]! * gain;
      const a = x[live[0]!]!;
      if (sends.length === 0) {
        for (let i = 0; i < n; i++) y[i] = y[i]! + c * a[i]!;
      } else if (sends.length === 1) {
        const t = sends[0]!.target[out]!;
        const sg = sends[0]!.gain;
        for (let i = 0; i < n; i++) {
          const v = c * a[i]!;
          y[i] = y[i]! + v;
          t[i] = t[i]! + sg * v;
        }
      } else {
        for (let i = 0; i < n; i++) y[i] = y[i]! + c * a[i]!;
        for (const send of sends) {
          const t = send.target[out]!;
          const cs = c * send.gain;
          for (let i = 0; i < n; i++) t[i] = t[i]! + cs * a[i]!;
        }
      }
      continue;
    }
    // Several track channels into one output (rare: a down-mix): sum them, then route.
    for (const ch of live) {
      const c = row[ch]! * gain;
      const a = x[ch]!;
      for (let i = 0; i < n; i++) y[i] = y[i]! + c * a[i]!;
      for (const send of sends) {
        const t = send.target[out]!;
        const cs = c * send.gain;
        for (let i = 0; i < n; i++) t[i] = t[i]! + cs * a[i]!;
      }
    }
  }
}

/** −90 dBFS: where an "auto" tail counts as decayed. */
const AUDIBLE_FLOOR = 10 ** (-90 / 20);

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
  const impulses = await loadImpulses(resolved.impulses, rate);
  const graph = buildStemGraph(resolved, stemIndex, impulses);
  const channels = graph.channels;
  const streams = await Promise.all(
    graph.tracks.map((t) => TrackStream.open(resolved.tracks[stemIndex]![t.index]!.path, t.offsetFrames, rate)),
  );
  const file = join(job.outDir, 'stems', job.fileName);
  const dryFile = job.dry ? join(job.outDir, 'stems', job.fileName.replace(/\.wav$/, '_dry.wav')) : null;
  const bext = { description: `${resolved.session.name}: ${stem.name} stem`, originator: 'stemkit', timeReference: 0 };
  const sink = await createWavWriter(file, { sampleRate: rate, channels, format: job.format, bext });
  const drySink = dryFile ? await createWavWriter(dryFile, { sampleRate: rate, channels, format: job.format, bext: { ...bext, description: `${bext.description} (dry)` } }) : null;

  const stats = new SampleStats(channels);
  const truePeak = new TruePeakMeter({ sampleRate: rate, channels });
  const loudness = new LoudnessMeter({ sampleRate: rate, channelWeights: channelLayout(channels, null).map(loudnessWeight) });
  const wet = new AlignedWriter(sink, graph.latency, job.frames, (p, n) => {
    stats.push(p, n);
    truePeak.push(p, n);
    loudness.push(p, n);
  });
  const dry = drySink ? new AlignedWriter(drySink, graph.dryLatency, job.frames, null) : null;

  const alloc = (n: number) => Array.from({ length: n }, () => new Float32Array(BLOCK));
  const busBuffer = alloc(channels);
  const returnBuffers = graph.returns.map(() => alloc(channels));
  const returnSlot = new Map(graph.returns.map((r, i) => [r.index, i]));
  const trackBuffers = graph.tracks.map((t) => alloc(t.channels));
  const dryBuffer = alloc(channels);

  try {
    for (let position = 0; !wet.done || (dry && !dry.done); position += BLOCK) {
      const n = BLOCK;
      for (const x of busBuffer) x.fill(0);
      for (const r of returnBuffers) for (const x of r) x.fill(0);
      // A track plays from its offset until its audio and its inserts' tails are over.
      const active = graph.tracks.filter((node, k) => {
        const stream = streams[k]!;
        return position + n > stream.start && position < stream.end + node.chain.tail + node.chain.latency + node.compensation.delay + BLOCK;
      });
      // Every track that needs more audio reads it at once: the reads overlap on the I/O threads.
      const reads = active.filter((node) => streams[graph.tracks.indexOf(node)]!.needs(position, n));
      if (reads.length) await Promise.all(reads.map((node) => streams[graph.tracks.indexOf(node)]!.prepare(position, n)));
      for (const node of active) {
        const k = graph.tracks.indexOf(node);
        const buffer = trackBuffers[k]!;
        streams[k]!.fill(position, n, buffer);
        node.chain.process(buffer, n);
        node.compensation.process(buffer, n);
        const sends = node.sends.map((send) => ({ gain: send.gain, target: returnBuffers[returnSlot.get(send.target)!]! }));
        if (node.gain.isConstant) {
          mixTrack(buffer, node.channels, node.panMatrix, node.gain.constantGain, busBuffer, sends, n);
        } else {
          node.gain.apply(buffer, n, position - node.chain.latency - node.compensation.delay);
          mixTrack(buffer, node.channels, node.panMatrix, 1, busBuffer, sends, n);
        }
      }
      if (dry) {
        const g = graph.busGain;
        for (let ch = 0; ch < channels; ch++) {
          const src = busBuffer[ch]!;
          const dst = dryBuffer[ch]!;
          for (let i = 0; i < n; i++) dst[i] = src[i]! * g;
        }
        await dry.write(dryBuffer, n);
      }
      graph.bus.process(busBuffer, n);
      graph.busCompensation.process(busBuffer, n);
      if (graph.busGain !== 1) for (const x of busBuffer) for (let i = 0; i < n; i++) x[i] = x[i]! * graph.busGain;
      for (const [r, node] of graph.returns.entries()) {
        const buffers = returnBuffers[r]!;
        node.chain.process(buffers, n);
        node.compensation.process(buffers, n);
        for (let ch = 0; ch < channels; ch++) {
          const bus = busBuffer[ch]!;
          const x = buffers[ch]!;
          for (let i = 0; i < n; i++) bus[i] = bus[i]! + x[i]!;
        }
      }
      await wet.write(busBuffer, n);
    }
    const report = await sink.commit({ rename: false });
    const dryReport = drySink ? await drySink.commit({ rename: false }) : null;
    const summary = LoudnessMeter.summarize(loudness.state());
    return {
      stemIndex,
      file,
      dryFile,
      pending: report.pending!,
      dryPending: dryReport?.pending ?? null,
      lastAudible: Math.max(wet.lastAudible, dry?.lastAudible ?? -1),
      latency: graph.latency,
      clippedSamples: report.clippedSamples,
      levels: {
        peak: Math.max(0, ...stats.result().peak),
        truePeak: Math.max(0, ...truePeak.state().truePeak),
        integratedLufs: summary.integratedLufs,
      },
    };
  } catch (err) {
    await sink.abort();
    await drySink?.abort();
    throw err;
  } finally {
    await Promise.all(streams.map((s) => s.close()));
  }
}
