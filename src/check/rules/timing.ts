import { round } from '../../dsp/decibels.js';
import { decibels, millis } from '../../format.js';
import { finding, nameList, readable, type Rule } from './context.js';
import { repairText, spanFrames, timingRepair } from './format.js';

export const offset: Rule = (ctx) =>
  ctx.stems.flatMap((f) => {
    const result = ctx.offsets.get(f);
    if (!result || result.lag === 0 || !f.format) return [];
    const lag = result.lag;
    const rate = ctx.sampleRate ?? f.format.sampleRate;
    const span = spanFrames(ctx);
    const repair = span === undefined ? null : timingRepair(ctx, f, span);
    return finding('timing.offset', 'error', {
      file: f,
      message: `${f.name} is ${Math.abs(lag)} samples (${millis(Math.abs(lag) / rate, 2)}) ${lag > 0 ? 'late' : 'early'} against the mix (verified: the residual drops by ${(-result.improvementDb).toFixed(1)} dB when shifted)`,
      value: lag,
      limit: 0,
      fix: `${repair ? repairText(f.name, repair, rate) : `shift ${f.name} ${Math.abs(lag)} samples ${lag > 0 ? 'earlier' : 'later'}`}; look for uncompensated plug-in latency on its bus`,
    });
  });

/** One finding for every file whose tail is cut: one cause (the export range), one repair. */
export const tailTruncated: Rule = (ctx) => {
  const cut = readable(ctx).filter((f) => f.measure && f.measure.tailPeakDbfs !== null && f.measure.tailPeakDbfs > -60);
  if (cut.length === 0) return [];
  const loudest = cut.reduce((a, b) => (b.measure!.tailPeakDbfs! > a.measure!.tailPeakDbfs! ? b : a));
  const end = loudest.format!.frames / loudest.format!.sampleRate;
  const one = cut.length === 1;
  return finding('timing.tail-truncated', 'warning', {
    file: one ? cut[0]! : null,
    files: one ? undefined : cut,
    message: one
      ? `${loudest.name} is still sounding in its last 10 ms (${decibels(loudest.measure!.tailPeakDbfs, 'dBFS')}): the tail is cut off`
      : `${cut.length} files are still sounding in their last 10 ms (${nameList(cut.map((f) => `${f.name} ${decibels(f.measure!.tailPeakDbfs, 'dBFS')}`))}): the export range cuts the tails off`,
    value: loudest.measure!.tailPeakDbfs,
    limit: -60,
    ranges: [[Math.max(0, round(end - 0.05, 3)), round(end, 3)]],
    fix: 'export every file 2–4 s past the last note so reverbs and delays decay',
  });
};
