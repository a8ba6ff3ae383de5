/**
 * What the page, the streaming worker and the mixing worklet share. The worker writes every track's
 * PCM into rings that share ONE frame index (WRITE), the worklet reads the same index from every
 * ring (READ): stems and mix are locked to the sample by construction, whatever the network does.
 *
 * Control slots (Int32, counters wrap modulo 2³²; ring slot = counter & (capacity − 1)):
 * written by the worker: WRITE, STATE, BASE, EPOCH, ENDED; by the worklet: READ, ACK, UNDERRUNS, PLAYED.
 * A seek: the worker sets STATE=FILLING, BASE=WRITE, EPOCH+1; the worklet, at its next quantum,
 * jumps READ to BASE and acknowledges (ACK=EPOCH); the worker never overwrites unread frames
 * (free space counts from READ), and marks READY only once prefilled and acknowledged.
 */
export const C = {
  WRITE: 0,
  READ: 1,
  STATE: 2,
  UNDERRUNS: 3,
  EPOCH: 4,
  ACK: 5,
  BASE: 6,
  ENDED: 7,
  PLAYED: 8,
} as const;
export const CONTROL_SLOTS = 9;
export const FILLING = 0;
export const READY = 1;

/** A power of two ≥ 4 s at the rate: what one track holds in memory, whatever the file's length. */
export function ringCapacity(sampleRate: number): number {
  return 2 ** Math.ceil(Math.log2(sampleRate * 4));
}

/** Frames the worker reads per request (per track). */
export const CHUNK_FRAMES = 16384;

/**
 * Frames buffered after a seek before the worklet may play: 1½ s. Reading is many times faster
 * than real time (a local server), so this costs a seek a few tens of milliseconds, and it rides
 * out a busy second on a loaded machine (the server measuring a package, the page drawing peaks).
 */
export function prefillFrames(sampleRate: number): number {
  return Math.round(sampleRate * 1.5);
}

/** A track as /api/packages describes it. */
export interface TrackInfo {
  index: number;
  name: string;
  role: 'stem' | 'mix';
  file: string;
  url: string;
  channels: number;
  layout: string[];
  frames: number;
  sampleRate: number;
}

/** A package as /api/packages describes it. */
export interface PackageInfo {
  id: string;
  title: string;
  sampleRate: number;
  frames: number;
  channels: number;
  layout: string[];
  tracks: TrackInfo[];
  manifest: string | null;
  report: string;
}

/** Shared memory handed to both the worker and the worklet (isolated pages only). */
export interface SharedRings {
  control: SharedArrayBuffer;
  /** One per track: channel-major float32, capacity frames per channel. */
  rings: SharedArrayBuffer[];
  /** The file frame of each ring slot (loops make the stream and the file differ). */
  positions: SharedArrayBuffer;
}

/** A MessagePort, spelled so this file also typechecks under Node's types (the tests import it). */
export type Port = InstanceType<typeof MessagePort>;

/** Setup of the worker and of the worklet. */
export interface EngineSetup {
  tracks: { url: string; channels: number }[];
  frames: number;
  sampleRate: number;
  capacity: number;
  /** Present when the page is cross-origin isolated; else the two talk over `port` (fallback). */
  shared: SharedRings | null;
}

/** Worker ↔ worklet in the fallback: control writes, and chunks of PCM for the worklet's own rings. */
export type LinkMessage =
  | { t: 'set'; slot: number; value: number }
  | { t: 'chunk'; at: number; frames: number; positions: Uint32Array; data: Float32Array[] };

/** Page → worker. */
export type WorkerCommand =
  | { t: 'init'; setup: EngineSetup; port: Port | null }
  | { t: 'seek'; frame: number; id: number }
  | { t: 'loop'; range: [number, number] | null; from: number; id: number };

/** Worker → page. */
export type WorkerEvent = { t: 'ready' } | { t: 'error'; message: string } | { t: 'seeked'; frame: number; epoch: number; ids: number[] };

/** Per-stem routing the page computes and the worklet applies: gains[stemChannel * busChannels + busChannel]. */
export interface MixerParams {
  /** One matrix per stem, in track order. */
  routes: Float32Array[];
  /** What is heard: A the mix, B the stems at the faders, C the residual (mix − B). */
  monitor: 'A' | 'B' | 'C';
  /** Monitor downmix, busChannels × 2: downmix[busChannel * 2 + side]. */
  downmix: Float32Array;
}

/** Page → worklet. */
export type WorkletCommand =
  | { t: 'init'; setup: EngineSetup; port: Port | null; stems: number[]; mix: number | null; busChannels: number; layout: string[] }
  | { t: 'play'; playing: boolean }
  | { t: 'mixer'; params: MixerParams }
  | { t: 'tap-reset'; id: number; frames?: number };

/** Levels of the tap since its last reset: the measure of the sample lock and of the mixer. */
export interface TapReading {
  /** The reset this reading follows. */
  id: number;
  /** Frames measured. */
  frames: number;
  /** Peak |mix − Σ stems at the faders| over all channels, linear. */
  residualPeak: number;
  /** Mean square of the residual over all channels and frames. */
  residualMeanSquare: number;
  /** Mean square of Σ stems at the faders. */
  sumMeanSquare: number;
  /** Mean square of the mix. */
  mixMeanSquare: number;
}

/** Worklet → page, about 20 times a second. */
export interface WorkletStatus {
  t: 'status';
  /** File frame at the play head. */
  position: number;
  playing: boolean;
  ready: boolean;
  ended: boolean;
  played: number;
  underruns: number;
  /** The seek epoch the worklet plays (Engine.seek resolves with it). */
  epoch: number;
  /** AudioWorkletGlobalScope.currentFrame when sent. */
  contextFrame: number;
  /** The page's performance.now() when it arrived (set by the page). */
  receivedAt?: number;
  /** Per stem: sample peak since the last status (post-fader, linear) and short-term loudness (LUFS, −Infinity when silent). */
  stems: { peak: number; shortTerm: number }[];
  master: { peak: number; shortTerm: number };
  tap: TapReading;
}
