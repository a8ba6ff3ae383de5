import type { AudioFormat } from '../audio/types.js';
import { LoudnessMeter } from '../dsp/loudness.js';
import { SignalMeter, type SignalMeterState } from '../dsp/signal-meter.js';
import type { FilePass } from './pass.js';
import type { FileMeasure } from './types.js';
import { round, toDb } from '../dsp/decibels.js';

export function rmsOf(signal: SignalMeterState): number {
  const total = signal.sumSquares.reduce((a, b) => a + b, 0);
  return signal.frames > 0 ? Math.sqrt(total / (signal.frames * signal.channels)) : 0;
}

/** Turns merged meter states into the numbers `measure` and `check` report. */
export function fileMeasure(pass: FilePass, format: AudioFormat): FileMeasure {
  const s = pass.signal;
  const peak = Math.max(0, ...s.peak);
  const truePeak = Math.max(peak, ...pass.truePeak.truePeak);
  const loud = LoudnessMeter.summarize(pass.loudness);
  const rms = rmsOf(s);
  let correlation: number | null = null;
  if (s.channels === 2) {
    const denominator = Math.sqrt(s.sumSquares[0]! * s.sumSquares[1]!);
    correlation = denominator > 0 ? round(s.sumLR / denominator, 3) : null;
  }
  return {
    samplePeakDbfs: toDb(peak),
    truePeakDbtp: toDb(truePeak),
    integratedLufs: loud.integratedLufs === null ? null : round(loud.integratedLufs),
    loudnessRangeLu: loud.loudnessRangeLu === null ? null : round(loud.loudnessRangeLu),
    momentaryMaxLufs: loud.momentaryMaxLufs === null ? null : round(loud.momentaryMaxLufs),
    shortTermMaxLufs: loud.shortTermMaxLufs === null ? null : round(loud.shortTermMaxLufs),
    rmsDbfs: toDb(rms),
    dcOffset: s.sum.map((x) => (s.frames ? x / s.frames : 0)),
    clippedRuns: s.clipRunCount,
    firstSoundSec: s.firstSound === null ? null : s.firstSound / format.sampleRate,
    lastSoundSec: s.lastSound === null ? null : (s.lastSound + 1) / format.sampleRate,
    durationSec: format.frames / format.sampleRate,
    channelPeakDbfs: s.peak.map(toDb),
    nonFiniteSamples: s.nonFinite,
    stereoCorrelation: correlation,
    dualMono: s.channels === 2 && s.maxSideAbs === 0 && peak > 0,
    tailPeakDbfs: toDb(s.tailPeak),
    crestDb: peak > 0 && rms > 0 ? round(20 * Math.log10(peak / rms)) : null,
    nearPeakFraction: SignalMeter.nearPeakFraction(s),
  };
}
