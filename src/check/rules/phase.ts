import { round } from '../../dsp/decibels.js';
import { finding, nameList, readable, toSeconds, type Rule } from './context.js';

/** Global correlation above which two stems are "the same content". */
const DUPLICATE_CORRELATION = 0.99;

export const cancellation: Rule = (ctx) => {
  const pass = ctx.pass;
  if (!pass || !ctx.sampleRate) return [];
  const stems = ctx.stems.filter((f) => f.format);
  const total = Math.max(...stems.map((s) => s.format!.frames));
  return pass.cross.pairs.flatMap((pair) => {
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

/** Stems that carry the same audio, as groups (connected by pairs above the correlation): one finding per group. */
export const duplicate: Rule = (ctx) => {
  const pass = ctx.pass;
  if (!pass) return [];
  const stems = ctx.stems.filter((f) => f.format);
  const parent = stems.map((_, i) => i);
  const root = (i: number): number => (parent[i] === i ? i : (parent[i] = root(parent[i]!)));
  let weakest = 1;
  // Every pair, from the Gram matrix (the pass keeps per-pair detail only for pairs that cancel).
  for (let a = 0; a < stems.length; a++) {
    const ea = pass.cross.gram[a]![a]!;
    if (!(ea > 0)) continue;
    for (let b = a + 1; b < stems.length; b++) {
      const eb = pass.cross.gram[b]![b]!;
      if (!(eb > 0)) continue;
      const correlation = pass.cross.gram[a]![b]! / Math.sqrt(ea * eb);
      if (!(correlation > DUPLICATE_CORRELATION && Math.abs(10 * Math.log10(ea / eb)) < 1)) continue;
      weakest = Math.min(weakest, correlation);
      parent[root(b)] = root(a);
    }
  }
  const groups = new Map<number, number[]>();
  stems.forEach((_, i) => groups.set(root(i), [...(groups.get(root(i)) ?? []), i]));
  return [...groups.values()]
    .filter((g) => g.length > 1)
    .flatMap((g) => {
      const members = g.map((i) => stems[i]!);
      const names = members.map((s) => s.name);
      const copies = members.length;
      return finding('phase.duplicate', 'error', {
        file: copies === 2 ? members[1]! : null,
        files: copies === 2 ? undefined : members,
        message: `${nameList(names)} carry the same audio (correlation ≥ ${weakest.toFixed(3)}): it is ${copies === 2 ? 'doubled (+6 dB)' : `in the sum ${copies} times (+${(20 * Math.log10(copies)).toFixed(1)} dB)`}`,
        value: round(weakest, 3),
        limit: DUPLICATE_CORRELATION,
        fix: copies === 2 ? `remove the duplicate, or re-export ${names[1]} from its own bus` : `keep one of them, or re-export each from its own bus`,
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

export const dualMono: Rule = (ctx) => {
  const dual = ctx.stems.filter((f) => f.measure?.dualMono);
  if (dual.length === 0) return [];
  const names = nameList(dual.map((f) => f.name));
  return finding('stem.dual-mono', 'info', {
    file: dual.length === 1 ? dual[0]! : null,
    files: dual.length === 1 ? undefined : dual,
    message: `${names} ${dual.length === 1 ? 'is' : 'are'} stereo with identical channels`,
    fix: `fine if intended; otherwise deliver ${dual.length === 1 ? 'it' : 'them'} as mono or check the stereo effects`,
  });
};
