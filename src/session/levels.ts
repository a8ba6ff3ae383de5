import { channelLayout, loudnessWeight } from '../audio/channels.js';
import { LoudnessMeter } from '../dsp/loudness.js';
import { samplePeak } from '../dsp/simd.js';
import { TruePeakMeter } from '../dsp/true-peak.js';

/** What the package manifest records of each rendered file. */
export interface StemLevels {
  /** Sample peak, linear. */
  peak: number;
  /** True peak, linear. */
  truePeak: number;
  integratedLufs: number | null;
}

/** Meters a file as it is written (stems in their workers, the mix on the main thread). */
export class OutputLevels {
  /** Sample peak, all channels (the manifest needs nothing else of the sample statistics). */
  private peak = 0;
  private readonly truePeak: TruePeakMeter;
  private readonly loudness: LoudnessMeter;

  constructor(sampleRate: number, channels: number) {
    this.truePeak = new TruePeakMeter({ sampleRate, channels });
    this.loudness = new LoudnessMeter({ sampleRate, channelWeights: channelLayout(channels, null).map(loudnessWeight) });
  }

  push(planar: Float32Array[], frames: number): void {
    for (const x of planar) this.peak = samplePeak(x, 0, frames, this.peak);
    this.truePeak.push(planar, frames);
    this.loudness.push(planar, frames);
  }

  result(): StemLevels {
    const peak = this.peak;
    return {
      peak,
      truePeak: Math.max(peak, ...this.truePeak.state().truePeak),
      integratedLufs: LoudnessMeter.summarize(this.loudness.state()).integratedLufs,
    };
  }
}
