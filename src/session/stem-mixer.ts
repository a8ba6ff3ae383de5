import { addScaled, addScaled2, addScaled4, allocateSamples, releaseSamples, scale } from '../dsp/simd.js';
import type { StemGraph } from './stem-graph.js';

/**
 * Adds one track into the bus and its sends (SIMD kernels, float32 like the bus): the pan matrix and
 * the (constant) fader fold into one coefficient per track channel and output.
 */
function mixTrack(x: Float32Array[], pan: number[][], gain: number, bus: Float32Array[], sends: Send[], n: number): void {
  if (x.length === 1 && bus.length === 2 && sends.length <= 1 && (sends.length === 0 || sends[0]!.target.length === 2)) {
    // The common case, a mono track panned into a stereo bus (and its send): one pass.
    const cl = pan[0]![0]! * gain;
    const cr = pan[1]![0]! * gain;
    if (sends.length === 0) addScaled2(x[0]!, bus[0]!, cl, bus[1]!, cr, n);
    else {
      const { target, gain: sg } = sends[0]!;
      addScaled4(x[0]!, bus[0]!, cl, bus[1]!, cr, target[0]!, cl * sg, target[1]!, cr * sg, n);
    }
    return;
  }
  for (let out = 0; out < bus.length; out++) {
    const row = pan[out]!;
    for (let ch = 0; ch < x.length; ch++) {
      const c = row[ch]! * gain;
      if (c === 0) continue;
      addScaled(bus[out]!, x[ch]!, c, n);
      for (const send of sends) addScaled(send.target[out]!, x[ch]!, c * send.gain, n);
    }
  }
}

interface Send {
  gain: number;
  target: Float32Array[];
}

/**
 * The per-block mixing of one stem, independent of where the tracks' audio comes from (files while
 * rendering, memory in benchmarks): fill `input(k)` for each active track, then `process`.
 */
export class StemMixer {
  private readonly bus: Float32Array[];
  private readonly dry: Float32Array[];
  private readonly returns: Float32Array[][];
  private readonly inputs: Float32Array[][];
  /** Per track, the audio of the next `process`: its own buffer (`input`) or the caller's (`lend`). */
  private readonly current: Float32Array[][];
  private readonly sends: Send[][];

  constructor(
    readonly graph: StemGraph,
    readonly block: number,
  ) {
    // In the SIMD kernels' memory (see dispose), where mixing reads and writes them in place.
    const alloc = (n: number) => Array.from({ length: n }, () => allocateSamples(block));
    this.bus = alloc(graph.channels);
    this.dry = alloc(graph.channels);
    this.returns = graph.returns.map(() => alloc(graph.channels));
    this.inputs = graph.tracks.map((t) => alloc(t.channels));
    this.current = [...this.inputs];
    const slot = new Map(graph.returns.map((r, i) => [r.index, i]));
    this.sends = graph.tracks.map((t) => t.sends.map((send) => ({ gain: send.gain, target: this.returns[slot.get(send.target)!]! })));
  }

  /** Tracks (by index) that sound in the block at `position`: from their start until their audio and inserts' tails are over. */
  active(position: number, spans: { start: number; end: number }[]): number[] {
    const out: number[] = [];
    this.graph.tracks.forEach((node, k) => {
      const span = spans[k]!;
      if (position + this.block > span.start && position < span.end + node.chain.tail + node.chain.latency + node.compensation.delay + this.block) out.push(k);
    });
    return out;
  }

  /** Where the caller puts track k's audio for the next `process`. */
  input(k: number): Float32Array[] {
    return this.current[k] = this.inputs[k]!;
  }

  /** Whether track k's audio is only read (no inserts, delay or automation), so `lend` may pass it without a copy. */
  readsOnly(k: number): boolean {
    const node = this.graph.tracks[k]!;
    return node.chain.stages.length === 0 && node.compensation.delay === 0 && node.gain.isConstant;
  }

  /** Track k's audio for the next `process`, read in place from the caller's arrays (see `readsOnly`). */
  lend(k: number, planar: Float32Array[]): void {
    this.current[k] = planar;
  }

  /** Mixes the active tracks' inputs through the stem's graph; the buffers stay valid until the next call. */
  process(position: number, active: number[], wantDry: boolean): { wet: Float32Array[]; dry: Float32Array[] | null } {
    const { graph, bus, block: n } = this;
    for (const x of bus) x.fill(0);
    for (const r of this.returns) for (const x of r) x.fill(0);
    for (const k of active) {
      const node = graph.tracks[k]!;
      const buffer = this.current[k]!;
      node.chain.process(buffer, n);
      node.compensation.process(buffer, n);
      let gain = node.gain.constantGain;
      if (!node.gain.isConstant) {
        node.gain.apply(buffer, n, position - node.chain.latency - node.compensation.delay);
        gain = 1;
      }
      mixTrack(buffer, node.panMatrix, gain, bus, this.sends[k]!, n);
    }
    if (wantDry) {
      const g = graph.busGain;
      for (let ch = 0; ch < graph.channels; ch++) scale(this.dry[ch]!, bus[ch]!, g, n);
    }
    graph.bus.process(bus, n);
    graph.busCompensation.process(bus, n);
    if (graph.busGain !== 1) for (const x of bus) scale(x, x, graph.busGain, n);
    for (let r = 0; r < graph.returns.length; r++) {
      const node = graph.returns[r]!;
      const buffers = this.returns[r]!;
      node.chain.process(buffers, n);
      node.compensation.process(buffers, n);
      for (let ch = 0; ch < bus.length; ch++) addScaled(bus[ch]!, buffers[ch]!, 1, n);
    }
    return { wet: bus, dry: wantDry ? this.dry : null };
  }

  /** Gives the mixer's buffers and its processors' state back to the SIMD arena; no use afterwards. */
  dispose(): void {
    for (const set of [this.bus, this.dry, ...this.returns, ...this.inputs]) for (const x of set) releaseSamples(x);
    for (const chain of [this.graph.bus, ...this.graph.tracks.map((t) => t.chain), ...this.graph.returns.map((r) => r.chain)]) chain.dispose();
  }
}
