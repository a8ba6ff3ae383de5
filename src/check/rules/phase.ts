import { round } from '../../dsp/decibels.js';
import { finding, readable, toSeconds, type Rule } from './context.js';

/** Global correlation above which two stems are "the same content". */
const DUPLICATE_CORRELATION = 0.99;

export const cancellation: Rule = (ctx) => {
  const pass = ctx.pass;
  if (!pass || !ctx.sampleRate) return [];
  const stems = ctx.stems.filter((f) => f.format);
  const total = Math.max(...stems.map((s) => s.format!.frames));
  return pass.pairs.flatMap((pair) => {
    if (pair.ranges.length === 0) return [];
    const a = stems[pair.a]!;
    const b = stems[pair.b]!;
    const ranges = toSeconds(pair.ranges, ctx.sampleRate!, total, 0.5);
    const seconds = ranges.reduce((s, [x, y]) => s + (y - x), 0);
    return finding('phase.cancellation', 'warning', {
      file: b,
      message: `${a.name} and ${b.name} cancel each other in ${ranges.length} region(s) (${seconds.toFixed(1)} s): summed they lose up to ${(-pair.worstDb).toFixed(1)} dB against their combined power`,
      value: round(pair.worstDb, 1),
      limit: -3,
      ranges,
      fix: `check polarity and alignment of ${b.name} against ${a.name} (a parallel chain split across stems, or a flipped duplicate)`,
    });
  });
};

export const duplicate: Rule = (ctx) => {
  const pass = ctx.pass;
  if (!pass) return [];
  const stems = ctx.stems.filter((f) => f.format);
  return pass.pairs.flatMap((pair) => {
    const ea = pass.gram[pair.a]![pair.a]!;
    const eb = pass.gram[pair.b]![pair.b]!;
    if (!(ea > 0 && eb > 0)) return [];
    const correlation = pass.gram[pair.a]![pair.b]! / Math.sqrt(ea * eb);
    const levelDb = Math.abs(10 * Math.log10(ea / eb));
    if (!(correlation > DUPLICATE_CORRELATION && levelDb < 1)) return [];
    const a = stems[pair.a]!;
    const b = stems[pair.b]!;
    return finding('phase.duplicate', 'error', {
      file: b,
      message: `${a.name} and ${b.name} carry the same audio (correlation ${correlation.toFixed(3)}): it is doubled (+6 dB) in the sum`,
      value: round(correlation, 3),
      limit: DUPLICATE_CORRELATION,
      fix: `remove the duplicate, or re-export ${b.name} from its own bus`,
    });
  });
};

export const stereo: Rule = (ctx) =>
  readable(ctx)
    .filter((f) => f.measure?.stereoCorrelation !== null && f.measure?.stereoCorrelation !== undefined && f.measure.stereoCorrelation < -0.5)
    .flatMap((f) =>
      finding('phase.stereo', 'warning', {
        file: f,
        message: `${f.name}'s left and right are anti-correlated (${f.measure!.stereoCorrelation!.toFixed(2)}): it will vanish in mono`,
        value: f.measure!.stereoCorrelation,
        limit: -0.5,
        fix: `invert one channel of ${f.name} if a channel was flipped, or narrow the stereo widener`,
      }),
    );

export const dualMono: Rule = (ctx) =>
  ctx.stems
    .filter((f) => f.measure?.dualMono)
    .flatMap((f) =>
      finding('stem.dual-mono', 'info', {
        file: f,
        message: `${f.name} is stereo with identical channels`,
        fix: `fine if intended; otherwise deliver ${f.name} as mono or check its stereo effects`,
      }),
    );
