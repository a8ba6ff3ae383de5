import { round } from '../../dsp/decibels.js';
import { clock, decibels } from '../../format.js';
import { finding, placementOf, toSeconds, type Rule, type RuleContext } from './context.js';
import type { CheckedFile, Finding } from '../types.js';
import type { OffsetResult } from '../diagnose.js';

/** A correction explains the failure when it leaves at most this much residual relative to the mix… */
const EXPLAINED_RELATIVE_DB = -40;
/** …and improves on unity by at least this much. */
const EXPLAINED_IMPROVEMENT_DB = 20;
/** A lossy package's residual (each track coded on its own) stays this far below the mix; above it, something else is wrong. */
const LOSSY_RELATIVE_DB = -12;
/** Residual energy at the mix's loudest moments above this share reads as limiting. */
const LIMITER_SHARE = 0.9;

function explains(ctx: RuleContext, relativeDb: number): boolean {
  const unity = ctx.gains!.unityRelativeDb;
  return relativeDb <= EXPLAINED_RELATIVE_DB && relativeDb <= unity - EXPLAINED_IMPROVEMENT_DB;
}

export const residual: Rule = (ctx) => {
  const summary = ctx.nullSummary;
  const res = ctx.pass?.residual;
  if (!summary || !res || summary.passed || !ctx.mix?.format) return [];
  const rate = ctx.mix.format.sampleRate;
  // Its worst moments, not one range spanning the song: where to listen first.
  const regions = toSeconds(res.ranges, rate, ctx.mix.format.frames, 0.25);
  const overSeconds = regions.reduce((a, [x, y]) => a + (y - x), 0);
  // A few short regions locate the problem themselves (a missing element); a residual spread over the
  // song (a master limiter, a codec) is located by its worst moments instead.
  const duration = ctx.mix.format.frames / rate;
  const localized = regions.length > 0 && regions.length <= 8 && overSeconds <= 0.25 * duration;
  const ranges = localized ? regions : summary.worstMoments.map((m): [number, number] => [m.startSec, m.endSec]);
  const peakAt = summary.residualPeakSec !== null ? ` at ${clock(summary.residualPeakSec)}${summary.residualPeakChannel ? ` (${summary.residualPeakChannel})` : ''}` : '';
  const level = `residual peak ${decibels(summary.residualPeakDbfs, 'dBFS')}${peakAt}, RMS ${decibels(summary.residualRmsDbfs, 'dBFS')}, ${decibels(summary.residualRelativeDb)} relative to the mix`;
  // The ranges (printed after the message) are the regions, or the worst moments, worst first.
  const worst = !localized && ranges.length ? '; the worst moments (worst first)' : '';
  // A few long regions (a stem missing from a verse on) are named in the message: the ranges carry the worst
  // moments. One spanning most of the song says nothing its length does not.
  const named = !localized && regions.length <= 3 && overSeconds <= 0.75 * duration ? ` (${regions.map(([a, b]) => `${clock(a)} – ${clock(b)}`).join(', ')})` : '';
  const where = regions.length ? `; above ${summary.thresholdDbfs} dBFS for ${overSeconds.toFixed(1)} s in ${regions.length} region(s)${named}${worst}` : worst;
  const energyTotal = res.signal.sumSquares.reduce((a, b) => a + b, 0);
  const limiterShare = energyTotal > 0 ? res.energyNearPeaks / energyTotal : 0;
  const findings: Finding[] = [];
  if (ctx.pkg.masterProcessing.length > 0) {
    const ni = Boolean(ctx.pkg.niStems);
    return finding('null.residual', 'info', {
      file: ctx.mix,
      message: ni
        ? `the mix is the stem sum through Traktor's mastering DSP, which the file's stem box enables${ctx.pkg.lossy ? ', plus the codec\'s error' : ''} (${level})`
        : `the mix differs from the unity sum by its recorded master processing (${level})`,
      value: summary.residualPeakDbfs,
      limit: summary.thresholdDbfs,
      ranges,
      fix: ni
        ? 'expected with mastering DSP on; write the file with the DSP disabled (stemkit ni-stems does by default) if the stems must sum to the mix'
        : 'expected: stemkit.json records master processing on the mix; deliver an unprocessed mix too if the recipient needs a null',
    });
  }
  if (ctx.pkg.lossy && summary.residualRelativeDb !== null && summary.residualRelativeDb <= LOSSY_RELATIVE_DB) {
    return finding('null.residual', 'info', {
      file: ctx.mix,
      message: `mix − Σ stems holds the lossy codec's error, as expected (${level}): ${ctx.pkg.lossy}`,
      value: summary.residualPeakDbfs,
      limit: summary.thresholdDbfs,
      ranges,
      fix: `none needed for a lossy delivery; a residual above ${LOSSY_RELATIVE_DB} dB relative to the mix would mean missing or mismatched content. For a sample-exact null, deliver lossless stems (WAV, FLAC, or ALAC NI Stems)`,
    });
  }
  if (ctx.profile.tolerateLimiterResidual && limiterShare >= LIMITER_SHARE) {
    // Tolerated, never hidden: a warning with its value, so the verdict is not a clean PASS.
    return finding('null.residual', 'warning', {
      file: ctx.mix,
      message: `the residual sits at the mix's loudest peaks (${(limiterShare * 100).toFixed(0)} % of its energy): a peak limiter on the printmaster, not a stem problem (${level})`,
      value: summary.residualPeakDbfs,
      limit: summary.thresholdDbfs,
      ranges,
      fix: 'none needed for a peak-limited printmaster; confirm the limiter is the only difference',
    });
  }
  // The diagnosis rules may already name the cause (a stem's offset, gain or polarity, the mix's gain).
  // Stems heard resampled carry what their export rate cannot (and the filter's own residue).
  const resampled = ctx.stems.filter((f) => f.format && placementOf(ctx, f)?.sampleRate !== f.format.sampleRate).map((f) => f.name);
  const causes = [...new Set([...[...ctx.offsets.keys()].map((f) => f.name), ...[...gainMismatch(ctx), ...polarity(ctx)].map((f) => f.stem ?? 'Mix'), ...resampled, ...[...ctx.channelOrders.keys()].map((f) => f.name)])];
  findings.push(
    ...finding('null.residual', ctx.profile.nullSeverity, {
      file: ctx.mix,
      message: `mix − Σ stems does not null${causes.length ? ` (start with the findings on ${causes.join(', ')})` : ''}: ${level}${where}`,
      value: summary.residualPeakDbfs,
      limit: summary.thresholdDbfs,
      ranges,
      fix: causes.length
        ? `fix what the findings on ${causes.join(', ')} say and check again; a residual that remains is something else (missing content, master processing)`
        : ranges.length
          ? `listen to the ${localized ? 'regions' : 'moments'} listed: something in the mix is missing from the stems (or vice versa), or the master bus processes the mix`
          : 'compare the routing of the stem export and the mix export',
    }),
  );
  return findings;
};

export const gainMismatch: Rule = (ctx) => {
  const g = ctx.gains;
  if (!g || !ctx.nullSummary || ctx.nullSummary.passed) return [];
  const perStem = g.perStem
    .map((s, k) => ({ ...s, stem: ctx.stems.filter((f) => f.format)[k]! }))
    .filter((s) => s.gain > 0 && explains(ctx, s.relativeDb) && Math.abs(20 * Math.log10(s.gain)) >= 0.05);
  if (perStem.length === 1) {
    const s = perStem[0]!;
    const dB = 20 * Math.log10(s.gain);
    return finding('null.gain-mismatch', 'error', {
      file: s.stem,
      message: `${s.stem.name} is ${Math.abs(dB).toFixed(2)} dB ${dB > 0 ? 'quieter' : 'louder'} than its part of the mix; with that gain the sum nulls (residual ${decibels(s.relativeDb)} relative)`,
      value: round(dB),
      limit: 0,
      fix: `${dB > 0 ? 'raise' : 'lower'} ${s.stem.name} by ${Math.abs(dB).toFixed(2)} dB (check its bus fader or a pre-fader export)`,
    });
  }
  if (g.globalGain > 0 && explains(ctx, g.globalRelativeDb) && Math.abs(20 * Math.log10(g.globalGain)) >= 0.05) {
    return globalGainFinding(ctx, g.globalGain, g.globalRelativeDb);
  }
  if (perStem.length > 1 || explains(ctx, g.globalRelativeDb) || g.perStem.some((s) => explains(ctx, s.relativeDb))) return [];
  // Several stems off at once (no single stem or global gain explains it): each stem's own probe.
  return probed(ctx, (p) => p.gain > 0 && Math.abs(20 * Math.log10(p.gain)) >= 0.05).flatMap(({ stem, probe }) => {
    const dB = 20 * Math.log10(probe.gain);
    return finding('null.gain-mismatch', 'error', {
      file: stem,
      message: `${stem.name} is ${Math.abs(dB).toFixed(2)} dB ${dB > 0 ? 'quieter' : 'louder'} than its part of the mix (${decibels(probe.fitRelativeDb)} left of it with that gain${probe.lag ? ` and its ${probe.lag}-sample offset` : ''})`,
      value: round(dB),
      limit: 0,
      fix: `${dB > 0 ? 'raise' : 'lower'} ${stem.name} by ${Math.abs(dB).toFixed(2)} dB (check its bus fader or a pre-fader export)`,
    });
  });
};

/** Stems whose probe (run when the null failed) fits them decisively and matches `test`. */
function probed(ctx: RuleContext, test: (probe: OffsetResult) => boolean): { stem: CheckedFile; probe: OffsetResult }[] {
  return [...ctx.probes]
    .filter(([, probe]) => probe.fitRelativeDb <= EXPLAINED_RELATIVE_DB && test(probe))
    .map(([stem, probe]) => ({ stem, probe }));
}

function globalGainFinding(ctx: RuleContext, gain: number, relativeDb: number): Finding[] {
  const dB = 20 * Math.log10(gain);
  return finding('null.gain-mismatch', 'error', {
    file: ctx.mix,
    message: `the mix is ${Math.abs(dB).toFixed(2)} dB ${dB > 0 ? 'louder' : 'quieter'} than the sum of the stems; with that gain the sum nulls (residual ${decibels(relativeDb)} relative)`,
    value: round(dB),
    limit: 0,
    fix: `the master fader or a gain stage after the stem buses differs: ${dB > 0 ? 'lower' : 'raise'} the mix by ${Math.abs(dB).toFixed(2)} dB or re-export both with the same master gain`,
  });
}

export const polarity: Rule = (ctx) => {
  const g = ctx.gains;
  if (!g || !ctx.nullSummary || ctx.nullSummary.passed) return [];
  const stems = ctx.stems.filter((f) => f.format);
  const flipped = g.perStem
    .map((s, k) => ({ ...s, stem: stems[k]! }))
    .filter((s) => s.gain < 0 && Math.abs(20 * Math.log10(-s.gain)) < 0.5 && explains(ctx, s.relativeDb));
  if (flipped.length === 1) {
    const s = flipped[0]!;
    return finding('null.polarity', 'error', {
      file: s.stem,
      message: `${s.stem.name} is polarity-inverted against the mix; inverted, the sum nulls (residual ${decibels(s.relativeDb)} relative)`,
      value: 'inverted',
      fix: `invert ${s.stem.name}'s polarity (check a phase switch on its bus) and re-export`,
    });
  }
  if (g.globalGain < 0 && explains(ctx, g.globalRelativeDb)) {
    return finding('null.polarity', 'error', {
      file: ctx.mix,
      message: `the mix is polarity-inverted against the sum of the stems (residual after inverting ${decibels(g.globalRelativeDb)} relative)`,
      value: 'inverted',
      fix: 'invert the mix (or every stem) so they share polarity',
    });
  }
  if (flipped.length > 1 || explains(ctx, g.globalRelativeDb) || g.perStem.some((s) => explains(ctx, s.relativeDb))) return [];
  // Several stems off at once: each stem's own probe.
  return probed(ctx, (p) => p.gain < 0 && Math.abs(20 * Math.log10(-p.gain)) < 0.5).flatMap(({ stem, probe }) =>
    finding('null.polarity', 'error', {
      file: stem,
      message: `${stem.name} is polarity-inverted against the mix (${decibels(probe.fitRelativeDb)} left of its part once inverted)`,
      value: 'inverted',
      fix: `invert ${stem.name}'s polarity (check a phase switch on its bus) and re-export`,
    }),
  );
};
