import { round } from '../../dsp/decibels.js';
import { finding, fmtDb, readable, type Rule } from './context.js';
import { repairText, spanFrames, timingRepair } from './format.js';

export const offset: Rule = (ctx) =>
  ctx.stems.flatMap((f) => {
    const result = ctx.offsets.get(f);
    if (!result || result.lag === 0 || !f.format) return [];
    const lag = result.lag;
    const rate = ctx.sampleRate ?? f.format.sampleRate;
    const ms = ((Math.abs(lag) / rate) * 1000).toFixed(2);
    const span = spanFrames(ctx);
    const repair = span === undefined ? null : timingRepair(ctx, f, span);
    return finding('timing.offset', 'error', {
      file: f,
      message: `${f.name} is ${Math.abs(lag)} samples (${ms} ms) ${lag > 0 ? 'late' : 'early'} against the mix (verified: the residual drops by ${(-result.improvementDb).toFixed(1)} dB when shifted)`,
      value: lag,
      limit: 0,
      fix: `${repair ? repairText(f.name, repair, rate) : `shift ${f.name} ${Math.abs(lag)} samples ${lag > 0 ? 'earlier' : 'later'}`}; look for uncompensated plug-in latency on its bus`,
    });
  });

export const tailTruncated: Rule = (ctx) =>
  readable(ctx)
    .filter((f) => f.measure && f.measure.tailPeakDbfs !== null && f.measure.tailPeakDbfs > -60)
    .flatMap((f) => {
      const end = f.format!.frames / f.format!.sampleRate;
      return finding('timing.tail-truncated', 'warning', {
        file: f,
        message: `${f.name} is still sounding in its last 10 ms (${fmtDb(f.measure!.tailPeakDbfs, 'dBFS')}): the tail is cut off`,
        value: f.measure!.tailPeakDbfs,
        limit: -60,
        ranges: [[Math.max(0, round(end - 0.05, 3)), round(end, 3)]],
        fix: 'export every file 2–4 s past the last note so reverbs and delays decay',
      });
    });
