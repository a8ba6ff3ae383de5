import { toDb } from '../../dsp/decibels.js';
import { finding, fmtDb, readable, toSeconds, type Rule, type RuleContext } from './context.js';
import type { CheckedFile } from '../types.js';

function measured(ctx: RuleContext, files = readable(ctx)): CheckedFile[] {
  return files.filter((f) => f.measure !== null);
}

export const clipping: Rule = (ctx) =>
  measured(ctx).flatMap((f) => {
    const m = f.measure!;
    const passIndex = ctx.passIndex.get(f)!;
    const signal = ctx.pass!.files[passIndex]!.signal;
    const overs = signal.overs;
    if (m.clippedRuns === 0 && overs === 0) return [];
    const rate = f.format!.sampleRate;
    const ranges = toSeconds(
      signal.clipRuns.map((r) => [r.start, r.start + r.length]),
      rate,
      f.format!.frames,
      0.25,
    );
    const what = [
      m.clippedRuns ? `${m.clippedRuns} run(s) of ≥ ${signal.clipRunLength} consecutive full-scale samples` : '',
      overs ? `${overs} float sample(s) above 0 dBFS` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    return finding('level.clipping', 'error', {
      file: f,
      message: `${f.name} clips: ${what}`,
      value: m.clippedRuns + overs,
      limit: 0,
      ranges,
      fix: `lower ${f.name}'s bus level by ${Math.max(1, Math.ceil((m.samplePeakDbfs ?? 0) + 3))} dB (or remove the clipper) and re-export`,
    });
  });

export const headroom: Rule = (ctx) => {
  const limit = ctx.profile.stemPeakMaxDbfs;
  if (limit === null) return [];
  return measured(ctx, ctx.stems.filter((s) => s.format)).flatMap((f) => {
    const peak = f.measure!.samplePeakDbfs;
    if (peak === null || peak <= limit) return [];
    return finding('level.headroom', ctx.profile.stemPeakSeverity, {
      file: f,
      message: `${f.name} peaks at ${fmtDb(peak, 'dBFS')}, above the ${limit} dBFS ceiling`,
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
          message: `${f.name} reaches ${fmtDb(tp, 'dBTP')} true peak, above ${stemLimit} dBTP (inter-sample overs distort on conversion and encoding)`,
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
        message: `the mix reaches ${fmtDb(mix.measure.truePeakDbtp, 'dBTP')} true peak, above ${mixLimit} dBTP`,
        value: mix.measure.truePeakDbtp,
        limit: mixLimit,
        fix: `use a true-peak limiter with a ${mixLimit} dBTP ceiling on the mix`,
      }),
    );
  }
  return findings;
};

export const sumHeadroom: Rule = (ctx) => {
  const limit = ctx.profile.sumPeakMaxDbfs;
  const sum = ctx.pass?.sum;
  if (limit === null || !sum) return [];
  const peak = toDb(Math.max(...sum.signal.peak));
  if (peak === null || peak <= limit) return [];
  return finding('level.sum-headroom', ctx.profile.sumPeakSeverity, {
    message: `the stems summed at unity peak at ${fmtDb(peak, 'dBFS')}, above ${limit} dBFS (aim for −6 to −3 dBFS)`,
    value: peak,
    limit,
    fix: `lower every stem by ${(peak - limit + 1).toFixed(1)} dB (the same amount for all, so the balance holds)`,
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
      message: `${f.name} has a DC offset of ${fmtDb(toDb(worst), 'dBFS')}`,
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
      message: `${f.name} is silent (peak ${fmtDb(peak, 'dBFS')})`,
      value: peak,
      limit: -90,
      fix: `check ${f.name}'s routing (muted tracks, wrong bus) or leave it out of the package`,
    });
  });

export const limited: Rule = (ctx) =>
  measured(ctx, ctx.stems.filter((s) => s.format)).flatMap((f) => {
    const m = f.measure!;
    if (m.crestDb === null || m.samplePeakDbfs === null) return [];
    // Flat-topped: a low crest factor and a noticeable share of samples pinned near the peak.
    if (!(m.crestDb < 9 && m.nearPeakFraction > 0.002 && m.samplePeakDbfs > -12)) return [];
    return finding('level.limited', 'info', {
      file: f,
      message: `${f.name} looks brick-wall limited (crest factor ${m.crestDb.toFixed(1)} dB, ${(m.nearPeakFraction * 100).toFixed(2)} % of samples within 0.5 dB of the peak)`,
      value: m.crestDb,
      fix: `if the limiter on ${f.name}'s bus is not part of the sound, bypass it for the stem export`,
    });
  });
