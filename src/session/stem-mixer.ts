import type { StemGraph } from './stem-graph.js';

/**
 * Adds one track into the bus and its sends in a single pass per output channel: the pan matrix
 * and the (constant) fader are folded into one coefficient per track channel.
 */
export function mixTrack(
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

/** y += x over n samples (kept apart so it compiles to a tight loop of its own). */
function addInto(y: Float32Array, x: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = y[i]! + x[i]!;
}

/**
 * Adds two mono tracks into a stereo bus (and into one send target, when both send there) in one
 * pass: the bus and send samples are loaded and stored once for both, which is most of the work.
 */
function mixMonoPair(
  a: Float32Array,
  ga: number,
  b: Float32Array,
  gb: number,
  panA: number[][],
  panB: number[][],
  bus: Float32Array[],
  send: { gainA: number; gainB: number; target: Float32Array[] } | null,
  n: number,
): void {
  const la = panA[0]![0]! * ga, ra = panA[1]![0]! * ga;
  const lb = panB[0]![0]! * gb, rb = panB[1]![0]! * gb;
  const l = bus[0]!;
  const r = bus[1]!;
  if (send === null) {
    for (let i = 0; i < n; i++) {
      const u = a[i]!, v = b[i]!;
      l[i] = l[i]! + la * u + lb * v;
      r[i] = r[i]! + ra * u + rb * v;
    }
    return;
  }
  const tl = send.target[0]!;
  const tr = send.target[1]!;
  const sla = la * send.gainA, sra = ra * send.gainA, slb = lb * send.gainB, srb = rb * send.gainB;
  for (let i = 0; i < n; i++) {
    const u = a[i]!, v = b[i]!;
    l[i] = l[i]! + la * u + lb * v;
    r[i] = r[i]! + ra * u + rb * v;
    tl[i] = tl[i]! + sla * u + slb * v;
    tr[i] = tr[i]! + sra * u + srb * v;
  }
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
  private readonly sends: { gain: number; target: Float32Array[] }[][];
  private readonly waiting = new Map<number, { k: number; gain: number }>();

  constructor(
    readonly graph: StemGraph,
    readonly block: number,
  ) {
    const alloc = (n: number) => Array.from({ length: n }, () => new Float32Array(block));
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
    return node.chain.processors.length === 0 && node.compensation.delay === 0 && node.gain.isConstant;
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
    // Mono tracks into a stereo bus go in pairs with the same sends (none, or one to the same
    // return); a track waits here, by send target (−1: none), for its partner.
    const waiting = this.waiting;
    waiting.clear();
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
      const sends = this.sends[k]!;
      if (node.channels !== 1 || bus.length !== 2 || sends.length > 1) {
        mixTrack(buffer, node.channels, node.panMatrix, gain, bus, sends, n);
        continue;
      }
      const key = sends.length === 0 ? -1 : this.returns.indexOf(sends[0]!.target);
      const partner = waiting.get(key);
      if (partner === undefined) {
        waiting.set(key, { k, gain });
        continue;
      }
      waiting.delete(key);
      const other = graph.tracks[partner.k]!;
      const send = key < 0 ? null : { gainA: this.sends[partner.k]![0]!.gain, gainB: sends[0]!.gain, target: sends[0]!.target };
      mixMonoPair(this.current[partner.k]![0]!, partner.gain, buffer[0]!, gain, other.panMatrix, node.panMatrix, bus, send, n);
    }
    for (const { k, gain } of waiting.values()) mixTrack(this.current[k]!, 1, graph.tracks[k]!.panMatrix, gain, bus, this.sends[k]!, n);
    if (wantDry) {
      const g = graph.busGain;
      for (let ch = 0; ch < graph.channels; ch++) {
        const src = bus[ch]!;
        const dst = this.dry[ch]!;
        for (let i = 0; i < n; i++) dst[i] = src[i]! * g;
      }
    }
    graph.bus.process(bus, n);
    graph.busCompensation.process(bus, n);
    if (graph.busGain !== 1) for (const x of bus) for (let i = 0; i < n; i++) x[i] = x[i]! * graph.busGain;
    for (let r = 0; r < graph.returns.length; r++) {
      const node = graph.returns[r]!;
      const buffers = this.returns[r]!;
      node.chain.process(buffers, n);
      node.compensation.process(buffers, n);
      for (let ch = 0; ch < bus.length; ch++) addInto(bus[ch]!, buffers[ch]!, n);
    }
    return { wet: bus, dry: wantDry ? this.dry : null };
  }
}
