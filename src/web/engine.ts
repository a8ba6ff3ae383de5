import { downmixMatrix, stemRoute, type StripState } from './mixer-math.js';
import { ringCapacity, CONTROL_SLOTS, type EngineSetup, type PackageInfo, type WorkerCommand, type WorkerEvent, type WorkletCommand, type WorkletStatus } from './protocol.js';

/**
 * The page's handle on the engine: an AudioContext at the package's rate, the mixing worklet, the
 * streaming worker, and the rings between them (SharedArrayBuffers when the page is cross-origin
 * isolated, else the postMessage fallback). Memory: ringCapacity frames per track channel.
 */
export class Engine {
  readonly context: AudioContext;
  readonly isolated: boolean;
  status: WorkletStatus | null = null;
  onStatus: (status: WorkletStatus) => void = () => {};
  private node!: AudioWorkletNode;
  private worker!: Worker;
  private playing = false;
  private readonly stems: number[];
  // B by default: at unity it is the mix, sample for sample, and the strips act on what is heard.
  private monitor: 'A' | 'B' | 'C' = 'B';
  private strips: StripState[] = [];
  private requests = 0;
  private readonly seeks = new Map<number, (epoch: number) => void>();

  private constructor(readonly pkg: PackageInfo) {
    this.context = new AudioContext({ sampleRate: pkg.sampleRate, latencyHint: 'playback' });
    this.isolated = globalThis.crossOriginIsolated === true;
    this.stems = pkg.tracks.filter((t) => t.role === 'stem').map((t) => t.index);
  }

  static async start(pkg: PackageInfo): Promise<Engine> {
    const engine = new Engine(pkg);
    await engine.boot();
    return engine;
  }

  private async boot(): Promise<void> {
    const { pkg } = this;
    const capacity = ringCapacity(pkg.sampleRate);
    const setup: EngineSetup = {
      tracks: pkg.tracks.map((t) => ({ url: t.url, channels: t.channels })),
      frames: pkg.frames,
      sampleRate: pkg.sampleRate,
      capacity,
      shared: this.isolated
        ? {
            control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
            rings: pkg.tracks.map((t) => new SharedArrayBuffer(t.channels * capacity * 4)),
            positions: new SharedArrayBuffer(capacity * 4),
          }
        : null,
    };
    await this.context.audioWorklet.addModule('/app/worklet.js');
    this.node = new AudioWorkletNode(this.context, 'stem-mixer', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [2] });
    this.node.connect(this.context.destination);
    this.node.port.onmessage = (e: MessageEvent<WorkletStatus>) => {
      this.status = { ...e.data, receivedAt: performance.now() };
      this.onStatus(e.data);
    };
    const channel = this.isolated ? null : new MessageChannel();
    const mixTrack = pkg.tracks.find((t) => t.role === 'mix');
    this.toWorklet(
      { t: 'init', setup, port: channel?.port2 ?? null, stems: this.stems, mix: mixTrack ? mixTrack.index : null, busChannels: pkg.channels, layout: pkg.layout },
      channel ? [channel.port2] : [],
    );
    this.worker = new Worker('/app/worker.js', { type: 'module' });
    const ready = new Promise<void>((resolve, reject) => {
      this.worker.onmessage = (e: MessageEvent<WorkerEvent>) => {
        if (e.data.t === 'ready') resolve();
        if (e.data.t === 'error') reject(new Error(e.data.message));
        if (e.data.t === 'seeked') {
          for (const id of e.data.ids) {
            this.seeks.get(id)?.(e.data.epoch);
            this.seeks.delete(id);
          }
        }
      };
    });
    this.worker.postMessage({ t: 'init', setup, port: channel?.port1 ?? null }, channel ? [channel.port1] : []);
    this.setStrips(this.stems.map(() => ({ gainDb: 0, pan: 0, mute: false, solo: false, invert: false })));
    await ready;
  }

  private toWorklet(command: WorkletCommand, transfer: Transferable[] = []): void {
    this.node.port.postMessage(command, transfer);
  }

  get isPlaying(): boolean {
    return this.playing;
  }

  async play(): Promise<void> {
    await this.context.resume();
    this.playing = true;
    this.toWorklet({ t: 'play', playing: true });
  }

  pause(): void {
    this.playing = false;
    this.toWorklet({ t: 'play', playing: false });
  }

  /** Moves the play head to a file frame; playback resumes there once ½ s is buffered. Resolves with the seek's epoch (status.epoch). */
  seek(frame: number): Promise<number> {
    return this.request({ t: 'seek', frame: Math.round(frame), id: ++this.requests });
  }

  /** Loops [start, end) frames, or stops looping (null); what is buffered is read again. Resolves as seek does. */
  setLoop(range: [number, number] | null): Promise<number> {
    return this.request({ t: 'loop', range, from: this.status?.position ?? 0, id: ++this.requests });
  }

  private request(command: WorkerCommand & { id: number }): Promise<number> {
    return new Promise((resolve) => {
      this.seeks.set(command.id, resolve);
      this.worker.postMessage(command);
    });
  }

  setStrips(strips: StripState[]): void {
    this.strips = strips.map((s) => ({ ...s }));
    this.sendMixer();
  }

  setMonitor(monitor: 'A' | 'B' | 'C'): void {
    this.monitor = monitor;
    this.sendMixer();
  }

  /** Restarts the tap; with `frames`, it measures only the next that many frames. Returns the reset's id (status.tap.id). */
  resetTap(frames?: number): number {
    const id = ++this.requests;
    this.toWorklet({ t: 'tap-reset', id, frames });
    return id;
  }

  private sendMixer(): void {
    const { pkg } = this;
    const anySolo = this.strips.some((s) => s.solo);
    const routes = this.stems.map((track, k) => stemRoute(this.strips[k]!, anySolo, pkg.tracks[track]!.channels, pkg.channels));
    this.toWorklet({ t: 'mixer', params: { routes, monitor: this.monitor, downmix: downmixMatrix(pkg.layout, pkg.channels) } });
  }

  async close(): Promise<void> {
    this.worker.terminate();
    await this.context.close();
  }
}
