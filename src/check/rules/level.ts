import { toDb } from '../../dsp/decibels.js';
import { SignalMeter } from '../../dsp/signal-meter.js';
import { decibels } from '../../format.js';
import { finding, readable, toSeconds, type Rule, type RuleContext } from './context.js';
import type { CheckedFile } from '../types.js';

function measured(ctx: RuleContext, files = readable(ctx)): CheckedFile[] {
  return files.filter((f) => f.measure !== null);
}

export const clipping: Rule = (ctx) =>
  measured(ctx).flatMap((f) => {
    const m = f.measure!;
    const passIndex = ctx.passIndex.get(f)!;
    const signal = ctx.pass!.files[passIndex]!.signal;
    // Float overs are intact audio (headroom reports them); only flat tops are clipping.
    if (m.clippedRuns === 0) return [];
    const rate = ctx.sampleRate ?? f.format!.sampleRate;
    const ranges = toSeconds(
      signal.clipRuns.map((r) => [r.start, r.start + r.length]),
      rate,
      f.format!.frames,
      0.25,
    );
    const float = f.format!.encoding === 'float';
    return finding('level.clipping', 'error', {
      file: f,
      message: `${f.name} clips: ${m.clippedRuns} run(s) of ≥ ${signal.clipRunLength} consecutive ${float ? 'identical samples at or above 0 dBFS (flat tops)' : 'full-scale samples'}`,
      value: m.clippedRuns,
      limit: 0,
      ranges,
      fix: `remove or bypass the clipper or limiter on ${f.name}'s path (or lower what feeds it) and re-export`,
    });
  });

/** "(32-bit float: not clipped …)" for a float file whose peak is above full scale. */
function floatOversNote(f: CheckedFile): string {
  return f.format!.encoding === 'float' && f.measure!.clippedRuns === 0 && (f.measure!.samplePeakDbfs ?? -Infinity) > 0
    ? ` (32-bit float: not clipped, the overs are intact, but any fixed-point copy would clip them)`
    : '';
}

export const headroom: Rule = (ctx) => {
  const limit = ctx.profile.stemPeakMaxDbfs;
  if (limit === null) return [];
  return measured(ctx, ctx.stems.filter((s) => s.format)).flatMap((f) => {
    const peak = f.measure!.samplePeakDbfs;
    if (peak === null || peak <= limit) return [];
    return finding('level.headroom', ctx.profile.stemPeakSeverity, {
      file: f,
      message: `${f.name} peaks at ${decibels(peak, 'dBFS')}, above the ${limit} dBFS ceiling${floatOversNote(f)}`,
      value: peak,
      limit,
      fix: `lower ${f.name} by ${(peak - limit).toFixed(1)} dB before export (bus fader, not a limiter)`,
    });
  });
};

export const truePeak: Rule = (ctx) => {
  const findings = [];
  const stemLimit = ctx.profile.stemTruePeakMaxDbtp;
  if (stemLimit !== null) {
    for (const f of measured(ctx, ctx.stems.filter((s) => s.format))) {
      const tp = f.measure!.truePeakDbtp;
      if (tp === null || tp <= stemLimit) continue;
      findings.push(
        ...finding('level.true-peak', ctx.profile.stemTruePeakSeverity, {
          file: f,
          message: `${f.name} reaches ${decibels(tp, 'dBTP')} true peak, above ${stemLimit} dBTP (inter-sample overs distort on conversion and encoding)`,
          value: tp,
          limit: stemLimit,
          fix: `lower ${f.name} by ${(tp - stemLimit).toFixed(1)} dB`,
        }),
      );
    }
  }
  const mixLimit = ctx.profile.mixTruePeakMaxDbtp;
  const mix = ctx.mix;
  if (mixLimit !== null && mix?.measure && mix.measure.truePeakDbtp !== null && mix.measure.truePeakDbtp > mixLimit) {
    findings.push(
      ...finding('level.true-peak', ctx.profile.loudnessSeverity, {
        file: mix,
        message: `the mix reaches ${decibels(mix.measure.truePeakDbtp, 'dBTP')} true peak, above ${mixLimit} dBTP`,
        value: mix.measure.truePeakDbtp,
        limit: mixLimit,
        fix: `use a true-peak limiter with a ${mixLimit} dBTP ceiling on the mix`,
      }),
    );
  }
  return findings;
};

/** Total time above which the sum's overs are "the song", not a few transients. */
const TRANSIENT_OVERS_SECONDS = 0.05;

export const sumHeadroom: Rule = (ctx) => {
  const limit = ctx.profile.sumPeakMaxDbfs;
  const sum = ctx.pass?.sum;
  if (limit === null || !sum || !ctx.sampleRate) return [];
  const peak = toDb(Math.max(...sum.signal.peak));
  if (peak === null || peak <= limit) return [];
  // The level histogram samples one frame in 8: the time is an estimate, said as one.
  const seconds = (SignalMeter.fractionAbove(sum.signal, limit) * sum.signal.frames) / ctx.sampleRate;
  const brief = seconds < TRANSIENT_OVERS_SECONDS;
  const duration = seconds < 0.001 ? 'under 1 ms' : seconds < 1 ? `about ${Math.max(1, Math.round(seconds * 1000))} ms` : `about ${seconds.toFixed(1)} s`;
  return finding('level.sum-headroom', ctx.profile.sumPeakSeverity, {
    message: `the stems summed at unity peak at ${decibels(peak, 'dBFS')}, above ${limit} dBFS (aim for −6 to −3 dBFS), for ${duration} in all${brief ? ' (a few transients)' : ''}`,
    value: peak,
    limit,
    fix: brief
      ? `only transients pass the ceiling: lower every stem by ${(peak - limit + 1).toFixed(1)} dB if the recipient needs the headroom, otherwise it is safe to leave`
      : `lower every stem by ${(peak - limit + 1).toFixed(1)} dB (the same amount for all, so the balance holds)`,
  });
};

export const loudness: Rule = (ctx) => {
  const { mixLoudnessTargetLufs: target, mixLoudnessToleranceLu: tolerance, mixLoudnessMaxLufs: max } = ctx.profile;
  const mix = ctx.mix;
  if ((target === null && max === null) || !mix?.measure) return [];
  const lufs = mix.measure.integratedLufs;
  const notes = ctx.profile.name === 'netflix' ? ' (full-program loudness; dialogue-gated loudness needs a dialogue detector that is not public)' : '';
  if (lufs === null) {
    return finding('level.loudness', ctx.profile.loudnessSeverity, {
      file: mix,
      message: 'the mix is below the −70 LUFS gate: no integrated loudness',
      limit: target ?? max,
      fix: 'check that the right file was delivered as the mix',
    });
  }
  if (target !== null && Math.abs(lufs - target) > tolerance) {
    return finding('level.loudness', ctx.profile.loudnessSeverity, {
      file: mix,
      message: `the mix measures ${lufs.toFixed(1)} LUFS integrated; ${ctx.profile.name} requires ${target} ± ${tolerance} LUFS${notes}`,
      value: lufs,
      limit: `${target}±${tolerance}`,
      fix: `change the mix level by ${(target - lufs).toFixed(1)} dB`,
    });
  }
  if (max !== null && lufs > max) {
    return finding('level.loudness', ctx.profile.loudnessSeverity, {
      file: mix,
      message: `the mix measures ${lufs.toFixed(1)} LUFS integrated, above the ${max} LUFS maximum`,
      value: lufs,
      limit: max,
      fix: `lower the mix by ${(lufs - max).toFixed(1)} dB`,
    });
  }
  return [];
};

/** −60 dBFS */
const DC_LIMIT = 0.001;

export const dcOffset: Rule = (ctx) =>
  measured(ctx).flatMap((f) => {
    const worst = Math.max(...f.measure!.dcOffset.map(Math.abs));
    if (!(worst > DC_LIMIT)) return [];
    return finding('level.dc-offset', 'warning', {
      file: f,
      message: `${f.name} has a DC offset of ${decibels(toDb(worst), 'dBFS')}`,
      value: toDb(worst),
      limit: -60,
      fix: `high-pass ${f.name} at a few Hz (DC blocker) on its bus and re-export`,
    });
  });

export const silentStem: Rule = (ctx) =>
  measured(ctx, ctx.stems.filter((s) => s.format)).flatMap((f) => {
    const peak = f.measure!.samplePeakDbfs;
    if (peak !== null && peak > -90) return [];
    return finding('level.silent-stem', 'warning', {
      file: f,
      message: `${f.name} is silent (peak ${decibels(peak, 'dBFS')})`,
      value: peak,
      limit: -90,
      fix: `check ${f.name}'s routing (muted tracks, wrong bus) or leave it out of the package`,
    });
  });

/**
 * A steady tone (or square wave, or constant noise): a crest factor at a sine's 3 dB or below and
 * loudness that does not move. Limited music keeps 5–10 dB of crest; these signals are low by nature.
 */
function steady(m: NonNullable<CheckedFile['measure']>): boolean {
  return m.crestDb !== null && m.crestDb < 3.5 && m.loudnessRangeLu !== null && m.loudnessRangeLu < 1;
}

export const limited: Rule = (ctx) =>
  measured(ctx, ctx.stems.filter((s) => s.format)).flatMap((f) => {
    const m = f.measure!;
    if (m.crestDb === null || m.samplePeakDbfs === null) return [];
    // Flat-topped: a low crest factor and a noticeable share of samples pinned near the peak.
    if (!(m.crestDb < 9 && m.nearPeakFraction > 0.002 && m.samplePeakDbfs > -12)) return [];
    // A steady tone or noise has a low crest by nature (a sine: 3 dB, a fifth of its samples within
    // 0.5 dB of the peak); limiting is a verdict about music, whose loudness moves.
    if (steady(m)) return [];
    return finding('level.limited', 'info', {
      file: f,
      message: `${f.name} looks brick-wall limited (crest factor ${m.crestDb.toFixed(1)} dB, ${(m.nearPeakFraction * 100).toFixed(2)} % of samples within 0.5 dB of the peak)`,
      value: m.crestDb,
      fix: `if the limiter on ${f.name}'s bus is not part of the sound, bypass it for the stem export`,
    });
  });
