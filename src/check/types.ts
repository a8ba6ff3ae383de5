import type { AudioFormat } from '../audio/types.js';
import type { Severity } from './profiles.js';

/** [startSec, endSec] where a problem is audible. */
export type TimeRange = [number, number];

export interface Finding {
  rule: string;
  severity: Severity;
  /** The file concerned, or null for package-level findings. */
  file: string | null;
  /** The stem's name ("Mix" for the reference mix), or null. */
  stem: string | null;
  message: string;
  /** The measured value (dB, samples, count …), or null when the rule is qualitative. */
  value: number | string | null;
  /** The profile's limit it was judged against, or null. */
  limit: number | string | null;
  ranges: TimeRange[];
  /** One-line suggestion, e.g. "shift Bass 512 samples earlier". */
  fix: string;
}

/** What `measure` reports per file; every level in dB is null for digital silence, never -Infinity. */
export interface FileMeasure {
  samplePeakDbfs: number | null;
  truePeakDbtp: number | null;
  integratedLufs: number | null;
  loudnessRangeLu: number | null;
  momentaryMaxLufs: number | null;
  shortTermMaxLufs: number | null;
  rmsDbfs: number | null;
  /** Per channel mean (linear). */
  dcOffset: number[];
  clippedRuns: number;
  firstSoundSec: number | null;
  lastSoundSec: number | null;
  durationSec: number;
  /** Per channel sample peak (dBFS). */
  channelPeakDbfs: (number | null)[];
  nonFiniteSamples: number;
  /** L/R correlation (stereo), −1 … 1; null otherwise or when silent. */
  stereoCorrelation: number | null;
  dualMono: boolean;
  /** Peak of the last 10 ms (dBFS). */
  tailPeakDbfs: number | null;
  /** Peak-to-RMS ratio in dB. */
  crestDb: number | null;
  /** Share of samples within 0.5 dB of the peak. */
  nearPeakFraction: number;
}

export interface CheckedFile {
  name: string;
  path: string;
  format: AudioFormat | null;
  error: { code: string; message: string; hint: string } | null;
  timeReference: number | null;
  measure: FileMeasure | null;
  /** Lag against the mix in samples (positive: the stem is late); null when unknown. */
  offsetSamples: number | null;
}

export interface NullSummary {
  residualPeakDbfs: number | null;
  residualRmsDbfs: number | null;
  /** Residual energy relative to the mix's, dB. */
  residualRelativeDb: number | null;
  bestLagSamples: number | null;
  bestGainDb: number | null;
  polarityInverted: boolean;
  /** Whether the residual stays under the profile's threshold. */
  passed: boolean;
  thresholdDbfs: number;
}

export interface CheckReport {
  schema: 'stemkit.check/1';
  ok: boolean;
  profile: string;
  package: { dir: string; mix: string | null; stems: string[] };
  stems: CheckedFile[];
  mix: CheckedFile | null;
  /** The unity sum of the stems. Its true peak is measured when there is no mix; with a mix it is the mix's when the null is exact, else null. */
  sum: { samplePeakDbfs: number | null; truePeakDbtp: number | null } | null;
  null: NullSummary | null;
  findings: Finding[];
  notes: string[];
  /** Plot data for the HTML report (fixed width, independent of duration). */
  plots: {
    columns: number;
    durationSec: number;
    /** Per stem then mix: peak per column (linear). */
    waveforms: { name: string; peak: number[] }[];
    /** Residual RMS per column (dBFS, null for silence). */
    residualDb: (number | null)[] | null;
  };
  elapsedMs: number;
}
