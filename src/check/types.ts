import type { AudioFormat } from '../audio/types.js';
import type { Severity } from './profiles.js';
import type { AlternateReport } from './alternates.js';
import type { ErrorReport } from '../errors.js';
import type { RuleId } from './rules/index.js';

/** [startSec, endSec] where a problem is audible. */
export type TimeRange = [number, number];

export interface Finding {
  rule: RuleId;
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
  /** Every file concerned when one cause touches several (one finding, not one per file). */
  files?: string[];
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
  error: ErrorReport | null;
  timeReference: number | null;
  measure: FileMeasure | null;
  /** Lag against the mix in samples (positive: the stem is late), measured after BWF placement; null when not measured. */
  offsetSamples: number | null;
  /**
   * Where the file's first sample sits against the mix by its BWF TimeReference, in samples at the
   * package rate (positive: it starts later); null without a TimeReference. The null test uses it.
   */
  startOffsetSamples: number | null;
  /** Problems the reader tolerated (source meta warnings); absent when none. */
  readerWarnings?: string[];
  /** Whether its BWF bext says `stemkit render` wrote it as a stem (originator "stemkit", description "…: NAME stem"). */
  writtenByRender?: boolean;
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
  /** Where the residual peaks (seconds on the package timeline) and in which channel; null when it nulls. */
  residualPeakSec: number | null;
  residualPeakChannel: string | null;
  /** Its worst moments (10 ms windows at least 0.5 s apart, worst first); empty when it nulls. */
  worstMoments: { startSec: number; endSec: number; peakDbfs: number }[];
  /** Per channel, the residual's peak and RMS. */
  channels: { channel: string; peakDbfs: number | null; rmsDbfs: number | null }[];
}

export interface CheckReport {
  schema: 'stemkit.check/1';
  ok: boolean;
  profile: string;
  /** The files checked; `alternates` are versions beside the stems (instrumental, a cappella …), verified as subset sums, never summed. */
  package: { dir: string; mix: string | null; stems: string[]; alternates: AlternateReport[] };
  stems: CheckedFile[];
  mix: CheckedFile | null;
  /** The unity sum of the stems. Its true peak is measured when there is no mix; with a mix it is the mix's when the null is exact, else null. */
  sum: { samplePeakDbfs: number | null; truePeakDbtp: number | null } | null;
  null: NullSummary | null;
  /** Why the null test did not run ("null test not run: no reference mix"), or null when it ran. */
  nullSkipped: string | null;
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
    /** Residual peak per column (dBFS, null for digital silence). */
    residualPeakDb?: (number | null)[] | null;
    /** Averaged spectrum of the residual's loudest passages, 1/6-octave bands (dB re a full-scale sine); null when it nulls. */
    residualSpectrum?: { hz: number; db: number | null }[] | null;
  };
  elapsedMs: number;
}
