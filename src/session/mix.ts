import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { createWavWriter, type AudioSink } from '../audio/wav/write.js';
import { dbToGain } from '../dsp/decibels.js';
import { allocateSamples, releaseSamples } from '../dsp/simd.js';
import { scaleInto } from '../dsp/sum.js';
import type { Chain } from '../dsp/processors/index.js';
import { OutputLevels, type StemLevels } from './levels.js';
import { refuseNonFiniteWrite, refuseRecoveredOutput } from './whole-output.js';
import type { ResolvedSession } from './load.js';

/** The mix as the manifest records it. */
export interface MixResult {
  levels: StemLevels;
  clippedSamples: number;
}

/**
 * Adds stem parts (planar Float64) into the first part's arrays, in the order given, over `frames`
 * frames. For integer-format stems every order gives the same (exact) sum.
 */
export function sumParts(parts: Float64Array[][], frames: number): Float64Array[] {
  const acc = parts[0]!;
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p]!;
    for (let ch = 0; ch < acc.length; ch++) {
      const y = acc[ch]!;
      const x = part[ch]!;
      for (let i = 0; i < frames; i++) y[i] = y[i]! + x[i]!;
    }
  }
  return acc;
}

/**
 * Writes the mix as the stems stream in: the sum of the stems as written, times the master fader,
 * rounded once to Float32, through the master chain (a fresh instance), its latency skipped.
 *
 * With an "auto" tail the package length is only known once every stem has ended, and a latent
 * master (a lookahead limiter) must see silence after it, exactly as it would reading the
 * trimmed stems back. So frames from the end of the timeline on (at most the 10 s auto tail) are
 * held until `finish` says where the package ends.
 */
export class MixWriter {
  private readonly levels: OutputLevels;
  private readonly gain: number;
  private readonly block: Float32Array[];
  private readonly held: Float32Array[][] = [];
  private skip: number;
  private written = 0;

  private constructor(
    private readonly sink: AudioSink,
    private readonly master: Chain,
    private readonly channels: number,
    private readonly sampleRate: number,
    masterGainDb: number,
    /** First frame held back until the package length is known (Infinity: none). */
    private readonly holdFrom: number,
    private readonly maxChunk: number,
  ) {
    this.levels = new OutputLevels(sampleRate, channels);
    this.gain = dbToGain(masterGainDb);
    // In the SIMD kernels' memory, where the encoder reads it in place (released when the mix ends).
    this.block = Array.from({ length: channels }, () => allocateSamples(maxChunk));
    this.skip = master.latency;
  }

  static async create(path: string, resolved: ResolvedSession, master: Chain, format: WriteSampleFormat, holdFrom: number, maxChunk: number): Promise<MixWriter> {
    const { session, channels } = resolved;
    const sink = await createWavWriter(path, {
      sampleRate: session.sampleRate,
      channels,
      format,
      bext: { description: `${session.name}: mix`, originator: 'stemkit', timeReference: 0 },
    });
    return new MixWriter(sink, master, channels, session.sampleRate, session.master.gain, holdFrom, maxChunk);
  }

  /** The next `frames` frames of the stems, starting at `start`: parts (planar Float64) in stem order. */
  async push(start: number, frames: number, parts: Float64Array[][]): Promise<void> {
    const sum = sumParts(parts, frames);
    const live = Math.max(0, Math.min(frames, this.holdFrom - start));
    for (let ch = 0; ch < this.channels; ch++) scaleInto(this.block[ch]!, sum[ch]!, this.gain, frames);
    if (live < frames) {
      this.held.push(this.block.map((y) => y.slice(live, frames)));
    }
    if (live > 0) await this.run(this.block, live, Infinity);
  }

  /** Ends the mix at `frames` (the held tail up to there, then silence through the master's latency) and commits it. */
  async finish(frames: number): Promise<MixResult> {
    // Beyond the package end the stems are cut, so the master hears silence there.
    let input = this.holdFrom;
    for (const part of this.held) {
      const n = part[0]!.length;
      const keep = Math.max(0, Math.min(n, frames - input));
      for (let ch = 0; ch < this.channels; ch++) {
        const y = this.block[ch]!;
        y.set(part[ch]!.subarray(0, keep));
        y.fill(0, keep, n);
      }
      await this.run(this.block, n, frames);
      input += n;
    }
    this.held.length = 0;
    for (const y of this.block) y.fill(0);
    while (this.written < frames) await this.run(this.block, Math.min(this.maxChunk, frames - this.written + this.skip), frames);
    refuseRecoveredOutput([{ label: 'the master processing', chain: this.master }], this.sampleRate, this.sink.path);
    const report = await this.sink.commit();
    refuseNonFiniteWrite(report, this.sink.path);
    this.release();
    return { levels: this.levels.result(), clippedSamples: report.clippedSamples };
  }

  /** Master chain over `n` input frames in `block`, then the output frames below `limit` to meters and file. */
  private async run(block: Float32Array[], n: number, limit: number): Promise<void> {
    this.master.process(block, n);
    const from = Math.min(n, this.skip);
    this.skip -= from;
    const count = Math.min(n - from, limit - this.written);
    if (count <= 0) return;
    const part = from === 0 ? block : block.map((x) => x.subarray(from));
    this.levels.push(part, count);
    this.written += count;
    await this.sink.write(part, count);
  }

  async abort(): Promise<void> {
    await this.sink.abort();
    this.release();
  }

  private release(): void {
    for (const x of this.block) releaseSamples(x);
    this.block.length = 0;
  }
}
