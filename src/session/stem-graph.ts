import { dbToGain } from '../dsp/decibels.js';
import { DelayLine } from '../dsp/delay-line.js';
import type { Session } from './schema.js';
import type { ResolvedSession } from './load.js';
import { GainAutomation } from './automation.js';
import { createChain, type Chain } from '../dsp/processors/index.js';
import type { Impulses } from './impulses.js';

/**
 * One stem's mixing graph: its tracks (inserts → fader/automation → pan) summed into the bus
 * (inserts → fader), plus its own instance of every return its tracks send to. Parallel paths are
 * delayed to the longest, so the stem's output lags the timeline by exactly `latency` samples,
 * which the writer then skips: every stem lands on timeline 0 to the sample.
 */
export interface TrackNode {
  index: number;
  channels: number;
  offsetFrames: number;
  chain: Chain;
  compensation: DelayLine;
  gain: GainAutomation;
  /** Per bus channel, the gain from each track channel (pan law). */
  panMatrix: number[][];
  sends: { target: number; gain: number }[];
}

export interface ReturnNode {
  /** Index in session.returns (what sends target). */
  index: number;
  name: string;
  chain: Chain;
  compensation: DelayLine;
}

export interface StemGraph {
  tracks: TrackNode[];
  bus: Chain;
  busGain: number;
  busCompensation: DelayLine;
  returns: ReturnNode[];
  /** Samples the stem output lags the timeline. */
  latency: number;
  /** Latency of the dry path (tracks only). */
  dryLatency: number;
  /** Samples the stem keeps sounding after its tracks end. */
  tail: number;
  channels: number;
}


/** Gains from track channels to bus channels: constant-power pan for mono, balance for stereo, identity otherwise. */
export function panMatrix(trackChannels: number, busChannels: number, pan: number): number[][] {
  const matrix = Array.from({ length: busChannels }, () => new Array<number>(trackChannels).fill(0));
  if (trackChannels === 1 && busChannels >= 2) {
    const angle = ((pan + 1) * Math.PI) / 4;
    matrix[0]![0] = Math.cos(angle);
    matrix[1]![0] = Math.sin(angle);
    return matrix;
  }
  if (trackChannels === 2 && busChannels === 2) {
    matrix[0]![0] = pan > 0 ? Math.cos((pan * Math.PI) / 2) : 1;
    matrix[1]![1] = pan < 0 ? Math.cos((-pan * Math.PI) / 2) : 1;
    return matrix;
  }
  for (let ch = 0; ch < Math.min(trackChannels, busChannels); ch++) matrix[ch]![ch] = 1;
  return matrix;
}

export function buildStemGraph(resolved: ResolvedSession, stemIndex: number, impulses: Impulses): StemGraph {
  const { session, channels } = resolved;
  const rate = session.sampleRate;
  const stem = session.stems[stemIndex]!;
  const returnIndex = new Map(session.returns.map((r, i) => [r.name, i]));
  const used = new Set<number>();
  const tracks: TrackNode[] = [];
  stem.tracks.forEach((track, t) => {
    if (track.mute) return;
    const info = resolved.tracks[stemIndex]![t]!;
    const chain = createChain(track.processing, { sampleRate: rate, channels: info.format.channels }, impulses);
    const sends = track.sends.map((s) => ({ target: returnIndex.get(s.to)!, gain: dbToGain(s.gain) }));
    sends.forEach((s) => used.add(s.target));
    tracks.push({
      index: t,
      channels: info.format.channels,
      offsetFrames: Math.round(track.offset * rate),
      chain,
      compensation: new DelayLine(info.format.channels, 0),
      gain: new GainAutomation(track.gain, track.automation?.gain as [number, number][] | undefined, rate),
      panMatrix: panMatrix(info.format.channels, channels, track.pan),
      sends,
    });
  });
  const trackLatency = Math.max(0, ...tracks.map((t) => t.chain.latency));
  for (const t of tracks) t.compensation = new DelayLine(t.channels, trackLatency - t.chain.latency);

  const bus = createChain(stem.processing, { sampleRate: rate, channels }, impulses);
  const returns: ReturnNode[] = [...used].sort((a, b) => a - b).map((r) => ({
    index: r,
    name: session.returns[r]!.name,
    chain: createChain(session.returns[r]!.processing, { sampleRate: rate, channels }, impulses),
    compensation: new DelayLine(channels, 0),
  }));
  const pathLatency = Math.max(bus.latency, ...returns.map((r) => r.chain.latency));
  for (const r of returns) r.compensation = new DelayLine(channels, pathLatency - r.chain.latency);
  const trackTail = Math.max(0, ...tracks.map((t) => t.chain.tail));
  return {
    tracks,
    bus,
    busGain: dbToGain(stem.gain),
    busCompensation: new DelayLine(channels, pathLatency - bus.latency),
    returns,
    latency: trackLatency + pathLatency,
    dryLatency: trackLatency,
    tail: trackTail + Math.max(bus.tail, ...returns.map((r) => r.chain.tail)),
    channels,
  };
}

/** The returns each stem uses, by index in session.returns (for naming and the manifest). */
export function returnsUsed(session: Session, stemIndex: number): string[] {
  const names = new Set<string>();
  for (const t of session.stems[stemIndex]!.tracks) if (!t.mute) for (const s of t.sends) names.add(s.to);
  return [...names];
}
