import { loudnessWeight } from '../audio/channels.js';
import { ShortTermLoudness } from '../dsp/live-loudness.js';
import { ControlLink } from './link.js';
import { C, READY, type LinkMessage, type MixerParams, type TapReading, type WorkletCommand, type WorkletStatus } from './protocol.js';

const QUANTUM = 128;
const STATUS_EVERY_QUANTA = 16;
/** Fallback: tell the worker how far we read every this many quanta (it only needs a lower bound). */
const READ_REPORT_QUANTA = 8;

const emptyTap = (id = 0): TapReading => ({ id, frames: 0, residualPeak: 0, residualMeanSquare: 0, sumMeanSquare: 0, mixMeanSquare: 0 });

/**
 * The mixing half of the engine: every render quantum reads the SAME ring slots from every track,
 * routes the stems through their faders into the bus (B), takes the mix (A) and the residual
 * A − B (C), meters them with stemkit's dsp, and plays the chosen one downmixed to stereo.
 */
class StemMixer extends AudioWorkletProcessor {
  private link: ControlLink | null = null;
  private rings: Float32Array<ArrayBufferLike>[] = [];
  private positions: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private capacity = 0;
  private mask = 0;
  private stems: number[] = [];
  private mix: number | null = null;
  private channelsOf: number[] = [];
  private busChannels = 2;
  private params: MixerParams | null = null;
  private playing = false;
  private ack = 0;
  private quanta = 0;
  private lastPosition = 0;
  private readonly bus: Float32Array[] = [];
  private readonly mixBus: Float32Array[] = [];
  private readonly residual: Float32Array[] = [];
  private readonly contribution: Float32Array[] = [];
  private stemMeters: ShortTermLoudness[] = [];
  private masterMeter: ShortTermLoudness | null = null;
  private stemPeaks: number[] = [];
  private masterPeak = 0;
  private tap = emptyTap();
  /** The tap stops after this many frames: over a loop of that length it measures each frame once. */
  private tapLimit = Infinity;
  private tapSums = { residual: 0, sum: 0, mix: 0 };

  constructor(options: { processorOptions?: unknown }) {
    super(options);
    this.port.onmessage = (event: MessageEvent<WorkletCommand>) => this.command(event.data);
  }

  private command(command: WorkletCommand): void {
    if (command.t === 'init') {
      const { setup } = command;
      this.link = new ControlLink(setup.shared, command.port);
      this.capacity = setup.capacity;
      this.mask = setup.capacity - 1;
      this.channelsOf = setup.tracks.map((t) => t.channels);
      this.rings = setup.shared ? setup.shared.rings.map((b) => new Float32Array(b)) : setup.tracks.map((t) => new Float32Array(t.channels * setup.capacity));
      this.positions = setup.shared ? new Uint32Array(setup.shared.positions) : new Uint32Array(setup.capacity);
      if (command.port) command.port.onmessage = (e: MessageEvent<LinkMessage>) => this.fromWorker(e.data);
      this.stems = command.stems;
      this.mix = command.mix;
      this.busChannels = command.busChannels;
      const weights = command.layout.slice(0, command.busChannels).map((label) => loudnessWeight(label));
      while (weights.length < command.busChannels) weights.push(1);
      for (let b = 0; b < this.busChannels; b++) {
        this.bus.push(new Float32Array(QUANTUM));
        this.mixBus.push(new Float32Array(QUANTUM));
        this.residual.push(new Float32Array(QUANTUM));
        this.contribution.push(new Float32Array(QUANTUM));
      }
      this.stemMeters = this.stems.map(() => new ShortTermLoudness(sampleRate, weights, QUANTUM));
      this.masterMeter = new ShortTermLoudness(sampleRate, weights, QUANTUM);
      this.stemPeaks = this.stems.map(() => 0);
      this.ack = this.link.get(C.ACK);
    } else if (command.t === 'play') this.playing = command.playing;
    else if (command.t === 'mixer') this.params = command.params;
    else if (command.t === 'tap-reset') {
      this.tapLimit = command.frames ?? Infinity;
      this.tap = emptyTap(command.id);
      this.tapSums = { residual: 0, sum: 0, mix: 0 };
    }
  }

  /** Fallback: the worker's control writes and chunks, copied into this side's own rings. */
  private fromWorker(message: LinkMessage): void {
    if (message.t === 'set') return this.link!.receive(message);
    const { at, frames, data } = message;
    for (let i = 0; i < frames; i++) this.positions[(at + i) & this.mask] = message.positions[i]!;
    data.forEach((planar, k) => {
      const ring = this.rings[k]!;
      for (let c = 0; c < this.channelsOf[k]!; c++) {
        for (let i = 0; i < frames; i++) ring[c * this.capacity + ((at + i) & this.mask)] = planar[c * frames + i]!;
      }
    });
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]!;
    for (const ch of out) ch.fill(0);
    const link = this.link;
    const params = this.params;
    if (!link || !params) return true;
    const epoch = link.get(C.EPOCH);
    if (epoch !== this.ack) {
      link.set(C.READ, link.get(C.BASE));
      link.set(C.ACK, epoch);
      this.ack = epoch;
    }
    const read = link.get(C.READ);
    const available = (link.get(C.WRITE) - read) | 0;
    const ready = link.get(C.STATE) === READY;
    const ended = link.get(C.ENDED) === 1 && available === 0;
    let n = 0;
    if (this.playing && ready) {
      n = Math.min(QUANTUM, available);
      if (n < QUANTUM && link.get(C.ENDED) !== 1) link.set(C.UNDERRUNS, link.get(C.UNDERRUNS) + 1);
    }
    if (n > 0) {
      this.render(read, n, params, out);
      this.lastPosition = this.positions[(read + n - 1) & this.mask]! + 1;
      const tell = link.shared || this.quanta % READ_REPORT_QUANTA === 0;
      link.set(C.READ, (read + n) | 0, tell);
      link.set(C.PLAYED, (link.get(C.PLAYED) + n) | 0, tell);
    } else if (available > 0 && ready) {
      this.lastPosition = this.positions[read & this.mask]!;
    }
    if (++this.quanta % STATUS_EVERY_QUANTA === 0) this.status(ready, ended);
    return true;
  }

  private render(read: number, n: number, params: MixerParams, out: Float32Array[]): void {
    const B = this.busChannels;
    const cap = this.capacity;
    const mask = this.mask;
    for (let b = 0; b < B; b++) this.bus[b]!.fill(0);
    for (let s = 0; s < this.stems.length; s++) {
      const track = this.stems[s]!;
      const ring = this.rings[track]!;
      const route = params.routes[s]!;
      const stemChannels = this.channelsOf[track]!;
      for (let b = 0; b < B; b++) this.contribution[b]!.fill(0);
      for (let sc = 0; sc < stemChannels; sc++) {
        const base = sc * cap;
        for (let b = 0; b < B; b++) {
          const g = route[sc * B + b]!;
          if (g === 0) continue;
          const y = this.contribution[b]!;
          for (let i = 0; i < n; i++) y[i] += g * ring[base + ((read + i) & mask)]!;
        }
      }
      let peak = this.stemPeaks[s]!;
      for (let b = 0; b < B; b++) {
        const y = this.contribution[b]!;
        const x = this.bus[b]!;
        for (let i = 0; i < n; i++) {
          x[i] += y[i]!;
          const a = Math.abs(y[i]!);
          if (a > peak) peak = a;
        }
      }
      this.stemPeaks[s] = peak;
      this.stemMeters[s]!.push(this.contribution, n);
    }
    let rPeak = this.tap.residualPeak;
    const measured = Math.max(0, Math.min(n, this.tapLimit - this.tap.frames));
    for (let b = 0; b < B; b++) {
      const a = this.mixBus[b]!;
      const x = this.bus[b]!;
      const r = this.residual[b]!;
      if (this.mix !== null) {
        const ring = this.rings[this.mix]!;
        const base = b * cap;
        for (let i = 0; i < n; i++) a[i] = ring[base + ((read + i) & mask)]!;
      } else a.fill(0);
      for (let i = 0; i < n; i++) r[i] = a[i]! - x[i]!;
      for (let i = 0; i < measured; i++) {
        const d = r[i]!;
        const m = Math.abs(d);
        if (m > rPeak) rPeak = m;
        this.tapSums.residual += d * d;
        this.tapSums.sum += x[i]! * x[i]!;
        this.tapSums.mix += a[i]! * a[i]!;
      }
    }
    this.tap.residualPeak = rPeak;
    this.tap.frames += measured;
    const heard = params.monitor === 'A' ? this.mixBus : params.monitor === 'B' ? this.bus : this.residual;
    let masterPeak = this.masterPeak;
    for (let b = 0; b < B; b++) {
      const x = heard[b]!;
      for (let i = 0; i < n; i++) {
        const a = Math.abs(x[i]!);
        if (a > masterPeak) masterPeak = a;
      }
      for (let side = 0; side < out.length && side < 2; side++) {
        const g = params.downmix[b * 2 + side]!;
        if (g === 0) continue;
        const o = out[side]!;
        for (let i = 0; i < n; i++) o[i] += g * x[i]!;
      }
    }
    this.masterPeak = masterPeak;
    this.masterMeter!.push(heard, n);
  }

  private status(ready: boolean, ended: boolean): void {
    const link = this.link!;
    const samples = Math.max(1, this.tap.frames * this.busChannels);
    const tap: TapReading = { ...this.tap, residualMeanSquare: this.tapSums.residual / samples, sumMeanSquare: this.tapSums.sum / samples, mixMeanSquare: this.tapSums.mix / samples };
    const message: WorkletStatus = {
      t: 'status',
      position: this.lastPosition,
      playing: this.playing,
      ready,
      ended,
      played: link.get(C.PLAYED),
      underruns: link.get(C.UNDERRUNS),
      epoch: this.ack,
      contextFrame: currentFrame,
      stems: this.stemMeters.map((m, s) => ({ peak: this.stemPeaks[s]!, shortTerm: m.lufs() })),
      master: { peak: this.masterPeak, shortTerm: this.masterMeter!.lufs() },
      tap,
    };
    this.port.postMessage(message);
    this.stemPeaks.fill(0);
    this.masterPeak = 0;
  }
}

registerProcessor('stem-mixer', StemMixer);
