import { round } from '../../dsp/decibels.js';
import { rmsOf } from '../measurement.js';
import type { CheckedFile } from '../types.js';
import { clock, decibels } from '../../format.js';
import { finding, type Rule, type RuleContext } from './context.js';
import type { RuleId } from './index.js';
import { summarizeGainCurve } from '../../dsp/gain-curve.js';

/**
 * Why a null fails when no stem is at fault: the mix is not the sum the stems were printed from.
 * Two causes have their own finding, each stated once instead of as a cascade of per-stem
 * "gain" and "duplicate" findings: stems that are copies of the mix (a broken export), and
 * dynamics on the master bus (a mastered mix).
 */

/** Normalised correlation above which two signals are "the same audio". */
const SAME_AUDIO = 0.9999;
/** Energy ratio (dB) within which a copy has "the same level". */
const SAME_LEVEL_DB = 0.1;

/** Stems whose audio is the mix itself, from the pass's mono cross products. */
export function copiesOfMix(ctx: RuleContext): CheckedFile[] {
  const pass = ctx.pass;
  if (!pass || !ctx.mix?.format || pass.cross.mixEnergy <= 0) return [];
  const stems = ctx.stems.filter((s) => s.format);
  return stems.filter((_, k) => {
    const e = pass.cross.gram[k]?.[k] ?? 0;
    const w = pass.cross.withMix[k] ?? 0;
    if (e <= 0 || w <= 0) return false;
    return (w * w) / (e * pass.cross.mixEnergy) > SAME_AUDIO && Math.abs(10 * Math.log10(e / pass.cross.mixEnergy)) < SAME_LEVEL_DB;
  });
}

export const stemsAreMix: Rule = (ctx) => {
  const copies = copiesOfMix(ctx);
  const stems = ctx.stems.filter((s) => s.format);
  if (copies.length === 0 || (copies.length === 1 && stems.length > 1 && ctx.nullSummary?.passed)) return [];
  const all = copies.length === stems.length;
  const names = copies.map((s) => s.name);
  return finding('null.stems-are-mix', 'error', {
    file: copies.length === 1 ? copies[0]! : null,
    message: all
      ? `every stem (${names.length}) is a copy of the mix: the export printed the master bus into each stem file`
      : `${names.join(', ')} ${copies.length === 1 ? 'is a copy' : 'are copies'} of the mix, not ${copies.length === 1 ? 'a stem' : 'stems'}`,
    value: copies.length,
    limit: 0,
    fix: all
      ? 're-export with each stem bus soloed (or each bus printed to its own file), not the master output'
      : `re-export ${names.join(', ')} from ${copies.length === 1 ? 'its own bus' : 'their own buses'} (solo the bus, not the master)`,
  });
};

export interface MasterProcessingEvidence {
  /** Peak-to-RMS of Σ stems and of the mix, dB. */
  sumCrestDb: number;
  mixCrestDb: number;
  /** How much more the mix is turned down where the sum is loudest than where it is typical, dB. */
  gainReductionDb: number;
  /** The mix's gain against Σ stems at the sum's typical level (make-up gain), dB. */
  typicalGainDb: number;
  /** Residual relative to the mix with one gain per 50 ms window, and with the best single gain, dB. */
  windowedRelativeDb: number;
  fixedRelativeDb: number;
  /** Where the mix is turned down the most, seconds, and by how much below typical. */
  deepestSec: number | null;
  deepestReductionDb: number | null;
}

/** Gain reduction (dB) at the loud end that reads as dynamics, not measurement noise. */
const MIN_GAIN_REDUCTION_DB = 1;
/** A time-varying gain must explain the residual this much better than any fixed gain. */
const MIN_WINDOWED_IMPROVEMENT_DB = 3;

/**
 * Evidence that the mix went through dynamics processing (compressor, limiter, clipper) after the
 * stems were summed: a gain that varies window by window explains the residual far better than any
 * fixed gain, and that gain is lower where the sum is loud. Null when the evidence is not there.
 */
export function masterProcessingEvidence(ctx: RuleContext): MasterProcessingEvidence | null {
  const pass = ctx.pass;
  const n = ctx.nullSummary;
  if (!pass?.sum || !pass.residual || !pass.gainCurve || !n || n.passed || !ctx.mix?.format || !ctx.gains) return null;
  if (ctx.offsets.size > 0 || copiesOfMix(ctx).length > 0) return null;
  const curve = summarizeGainCurve(pass.gainCurve);
  if (!curve) return null;
  const fixedRelativeDb = Math.min(ctx.gains.unityRelativeDb, ctx.gains.globalRelativeDb);
  // A constant gain that already explains the residual is a fader, not dynamics.
  if (fixedRelativeDb <= -40) return null;
  if (curve.gainReductionDb < MIN_GAIN_REDUCTION_DB || curve.windowedRelativeDb > fixedRelativeDb - MIN_WINDOWED_IMPROVEMENT_DB) return null;
  const mixSignal = pass.files[ctx.passIndex.get(ctx.mix)!]!.signal;
  const crest = (peak: number, rms: number) => (peak > 0 && rms > 0 ? 20 * Math.log10(peak / rms) : 0);
  return {
    sumCrestDb: crest(Math.max(...pass.sum.signal.peak), rmsOf(pass.sum.signal)),
    mixCrestDb: crest(Math.max(...mixSignal.peak), rmsOf(mixSignal)),
    gainReductionDb: curve.gainReductionDb,
    typicalGainDb: curve.typicalGainDb,
    windowedRelativeDb: curve.windowedRelativeDb,
    fixedRelativeDb,
    deepestSec: curve.deepest ? curve.deepest.frame / ctx.sampleRate! : null,
    deepestReductionDb: curve.deepest?.reductionDb ?? null,
  };
}

export const masterProcessing: Rule = (ctx) => {
  if (ctx.pkg.masterProcessing.length > 0) return [];
  const e = masterProcessingEvidence(ctx);
  if (!e) return [];
  const n = ctx.nullSummary!;
  const severity = ctx.profile.tolerateLimiterResidual || ctx.profile.nullSeverity !== 'error' ? 'warning' : 'error';
  const makeup = Math.abs(e.typicalGainDb) >= 0.5 ? `, ${Math.abs(e.typicalGainDb).toFixed(1)} dB ${e.typicalGainDb > 0 ? 'louder' : 'quieter'} than Σ stems at typical levels` : '';
  const deepest =
    e.deepestSec !== null && e.deepestReductionDb !== null
      ? `; the most at ${clock(e.deepestSec)} (${e.deepestReductionDb.toFixed(1)} dB)`
      : '';
  const ranges: [number, number][] = e.deepestSec !== null ? [[round(e.deepestSec, 3), round(e.deepestSec + 0.05, 3)]] : [];
  return finding('null.master-processing', severity, {
    file: ctx.mix,
    message:
      `the mix is Σ stems through dynamics processing (a mastered or bus-compressed mix): about ${e.gainReductionDb.toFixed(1)} dB of gain reduction where the sum is loudest${makeup}${deepest}; ` +
      (e.sumCrestDb - e.mixCrestDb >= 0.5 ? `crest factor ${e.sumCrestDb.toFixed(1)} dB in Σ stems, ${e.mixCrestDb.toFixed(1)} dB in the mix; ` : '') +
      `a gain following the music leaves ${decibels(e.windowedRelativeDb)} of residual relative to the mix, the best fixed gain ${decibels(e.fixedRelativeDb)}; ` +
      `residual peak ${decibels(n.residualPeakDbfs, 'dBFS')}`,
    value: round(e.gainReductionDb),
    limit: n.thresholdDbfs,
    ranges,
    fix: 'deliver the mix printed without master-bus processing (the stems sum to that one), or bypass the master chain for both exports; stemkit fix cannot undo dynamics',
  });
};


/** Rules whose findings are consequences of a cause found by this finding, to leave out when it is. */
export function consequencesOf(ctx: RuleContext, f: { rule: RuleId; severity: string }): RuleId[] {
  const rule = f.rule;
  // A stem in another channel order fits badly at any gain: its gain and polarity fits mean nothing.
  if (rule === 'format.channel-order' && f.severity === 'error') return ['null.gain-mismatch', 'null.polarity', 'phase.cancellation'];
  if (rule === 'null.stems-are-mix') {
    const all = copiesOfMix(ctx).length === ctx.stems.filter((s) => s.format).length;
    return all ? ['null.residual', 'null.gain-mismatch', 'null.polarity', 'phase.duplicate', 'level.sum-headroom', 'timing.offset'] : ['phase.duplicate'];
  }
  if (rule === 'null.master-processing') return ['null.residual', 'null.gain-mismatch', 'null.polarity', 'timing.offset'];
  return [];
}
