import type { AudioFormat } from '../audio/types.js';
import type { Severity } from './profiles.js';
import type { AlternateReport } from './alternates.js';
import type { ErrorReport } from '../errors.js';
import type { RuleId } from './rules/index.js';

/** [startSec, endSec] where a problem is audible. */
export type TimeRange = [number, number];

/** One problem `check` found: which rule, how serious, where, and what to do about it. */
export interface Finding {
  /** The rule that found it (RULE_TABLE's id). */
  rule: RuleId;
  /** How serious, under the profile: an error fails the package, a warning fails it too with `strict`. */
  severity: Severity;
  /** The file concerned, or null for package-level findings. */
  file: string | null;
  /** The stem's name ("Mix" for the reference mix), or null. */
  stem: string | null;
  /** What is wrong, in one line for a person. */
  message: string;
  /** The measured value (dB, samples, count …), or null when the rule is qualitative. */
  value: number | string | null;
  /** The profile's limit it was judged against, or null. */
  limit: number | string | null;
  /** Where it is audible, in seconds; empty when the problem is not about moments in time. */
  ranges: TimeRange[];
  /** One-line suggestion, e.g. "shift Bass 512 samples earlier". */
  fix: string;
  /** Every file concerned when one cause touches several (one finding, not one per file). */
  files?: string[];
}

/** What `measure` reports per file; every level in dB is null for digital silence, never -Infinity. */
export interface FileMeasure {
  /** Sample peak over all channels, dBFS. */
  samplePeakDbfs: number | null;
  /** True peak over all channels (BS.1770), dBTP. */
  truePeakDbtp: number | null;
  /** Gated integrated loudness (BS.1770), LUFS; null when nothing passes the −70 LUFS gate. */
  integratedLufs: number | null;
  /** Loudness range (EBU Tech 3342), LU; null when no 3 s window passes the −70 LUFS gate. */
  loudnessRangeLu: number | null;
  /** Maximum momentary (400 ms) loudness, LUFS; null when no window exceeds −70 LUFS. */
  momentaryMaxLufs: number | null;
  /** Maximum short-term (3 s) loudness, LUFS; null when no window exceeds −70 LUFS. */
  shortTermMaxLufs: number | null;
  /** RMS over all channels and the whole file, dBFS. */
  rmsDbfs: number | null;
  /** Per channel mean (linear). */
  dcOffset: number[];
  /** Clipped runs, all channels: 3 or more consecutive full-scale samples (in float files, identical ones at or above 0 dBFS). */
  clippedRuns: number;
  /** When the first sample above −60 dBFS is, seconds (in `check`, on the package timeline); null when there is none. */
  firstSoundSec: number | null;
  /** When the last sample above −60 dBFS ends, seconds (in `check`, on the package timeline); null when there is none. */
  lastSoundSec: number | null;
  /** The file's length, seconds. */
  durationSec: number;
  /** Per channel sample peak (dBFS). */
  channelPeakDbfs: (number | null)[];
  /** NaN and ±Infinity samples, all channels. */
  nonFiniteSamples: number;
  /** L/R correlation (stereo), −1 … 1; null otherwise or when silent. */
  stereoCorrelation: number | null;
  /** A stereo file whose two channels are identical (and not silent). */
  dualMono: boolean;
  /** Peak of the last 10 ms (dBFS). */
  tailPeakDbfs: number | null;
  /** Peak-to-RMS ratio in dB. */
  crestDb: number | null;
  /** Share of samples within 0.5 dB of the peak. */
  nearPeakFraction: number;
}

/** One file of a checked package: its format, why it could not be read, or what was measured. */
export interface CheckedFile {
  /** Its name in the report ("Mix" for the reference mix). */
  name: string;
  /** Absolute path. */
  path: string;
  /** Its format from the headers; null when it could not be read. */
  format: AudioFormat | null;
  /** Why it could not be read; null when it could. */
  error: ErrorReport | null;
  /** Its BWF TimeReference (samples since midnight at its own rate); null without a bext chunk. */
  timeReference: number | null;
  /** Its levels and timing; null when it could not be read. */
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

/** The null test: how much of the mix the unity sum of the stems leaves unexplained, and why. */
export interface NullSummary {
  /** Peak of mix − Σ stems over all channels, dBFS; null when it is digital silence. */
  residualPeakDbfs: number | null;
  /** RMS of mix − Σ stems over all channels, dBFS; null when it is digital silence. */
  residualRmsDbfs: number | null;
  /** Residual energy relative to the mix's, dB. */
  residualRelativeDb: number | null;
  /** The stems' lag against the mix when all share one (0 when the null passed); null when they differ or it is unknown. */
  bestLagSamples: number | null;
  /** 0 when the null passed; else the one gain, dB, with which the sum would null (mix ≈ gain × Σ stems), or null when none does. */
  bestGainDb: number | null;
  /** That gain is negative: the sum nulls only with its polarity inverted. */
  polarityInverted: boolean;
  /** Whether the residual stays under the profile's threshold. */
  passed: boolean;
  /** The profile's residual ceiling, dBFS. */
  thresholdDbfs: number;
  /** Where the residual peaks (seconds on the package timeline) and in which channel; null when it nulls. */
  residualPeakSec: number | null;
  /** The channel where it peaks, by speaker label ("L", "R" …); null when it nulls. */
  residualPeakChannel: string | null;
  /** Its worst moments (10 ms windows at least 0.5 s apart, worst first); empty when it nulls. */
  worstMoments: { startSec: number; endSec: number; peakDbfs: number }[];
  /** Per channel, the residual's peak and RMS. */
  channels: { channel: string; peakDbfs: number | null; rmsDbfs: number | null }[];
}

/** What a package read from one NI Stems file (.stem.mp4) says about its container. */
export interface NiStemsReport {
  /** The .stem.mp4 file; its tracks are named "file#1" (the mix) to "file#5" in the report. */
  file: string;
  /** 'AAC' or 'ALAC'. */
  codec: string;
  /** Where the encoder priming came from: 'edit list', 'iTunSMPB', or 'none' (then the offset finder aligns the tracks). */
  timingFrom: string;
  /** The four stems' names and colours from NI's `stem` box. */
  stems: { name: string; color: string }[];
  /** Traktor's mastering DSP as the file states it (applied to the stem sum when enabled); null when absent. */
  masteringDsp: Record<string, unknown> | null;
}

/** What `check` reports about one package (JSON schema: stemkit.check/1). */
export interface CheckReport {
  /** The report's format and version. */
  schema: 'stemkit.check/1';
  /** The verdict: no error findings (and no warnings, with `strict`). */
  ok: boolean;
  /** The name of the profile the package was judged by. */
  profile: string;
  /** The files checked; `alternates` are versions beside the stems (instrumental, a cappella …), verified as subset sums, never summed. */
  package: { dir: string; mix: string | null; stems: string[]; alternates: AlternateReport[]; niStems?: NiStemsReport };
  /** Every stem, in the package's order. */
  stems: CheckedFile[];
  /** The reference mix; null when the package has none. */
  mix: CheckedFile | null;
  /** The unity sum of the stems. Its true peak is measured when there is no mix; with a mix it is the mix's when the null is exact, else null. */
  sum: { samplePeakDbfs: number | null; truePeakDbtp: number | null } | null;
  /** The null test's result; null when it did not run (see nullSkipped). */
  null: NullSummary | null;
  /** Why the null test did not run ("null test not run: no reference mix"), or null when it ran. */
  nullSkipped: string | null;
  /** Every finding, errors first, then warnings, then info. */
  findings: Finding[];
  /** The profile's caveats (what it cannot measure from public specs), printed with the report. */
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
  /** Wall time of the check, ms. */
  elapsedMs: number;
}
