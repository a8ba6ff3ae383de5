import { sampleFormatLabel } from '../format.js';
import type { AudioFormat } from '../audio/types.js';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { framesAt, timingRepairOf, timingSteps } from './alignment.js';
import type { CheckedFile, CheckReport, Finding } from './types.js';
import type { RuleId } from './rules/index.js';

/**
 * What `stemkit fix` will do to each stem, decided from a check report alone (pure, no I/O), and
 * what it refuses to do. One coherent repair per stem: its timing is a single edit (its BWF start
 * minus its measured lag at the head, then the end fitted to the mix), so a stem that is late by N
 * and N samples longer loses nothing. Operations apply in the order listed.
 */
export type RepairOp =
  | { op: 'resample'; from: number; to: number; reason: string }
  | { op: 'reorder-channels'; permutation: number[]; reason: string }
  | { op: 'align'; head: number; tail: number; reason: string }
  | { op: 'invert-polarity'; reason: string }
  | { op: 'gain'; db: number; reason: string }
  | { op: 'convert'; from: string; to: WriteSampleFormat; dither: boolean; reason: string }
  | { op: 'time-reference'; samples: number; reason: string }
  | { op: 'rename'; from: string; to: string; reason: string };

export interface StemRepair {
  name: string;
  file: string;
  /** File name in the new package ("stems/03_Vocals.wav"). */
  outFile: string;
  ops: RepairOp[];
}

export interface RepairPlan {
  sampleRate: number;
  frames: number;
  format: WriteSampleFormat;
  /** The mix's BWF TimeReference, given to every file (0 without one). */
  timeReference: number;
  stems: StemRepair[];
  /** Copied byte for byte. */
  mix: { file: string; outFile: string };
  alternates: { file: string; outFile: string }[];
  /** Why the package cannot be made valid without touching the music; the plan is not applied when any. */
  refusals: string[];
  /** Problems left as they are (clipping cannot be undone), with the reason. */
  notRepaired: string[];
}

const of = (report: CheckReport, rule: RuleId, stem?: CheckedFile): Finding[] =>
  report.findings.filter((f) => f.rule === rule && (stem === undefined || f.file === stem.path || f.files?.includes(stem.path)));

/** The delivery format: the mix's when it is 24-bit PCM or 32-bit float, else 24-bit PCM (a floor music delivery asks for). */
function targetFormat(mix: AudioFormat): WriteSampleFormat {
  return mix.encoding === 'float' && mix.bitDepth === 32 ? 'float32' : 'pcm24';
}

function sameFormat(format: AudioFormat, target: WriteSampleFormat): boolean {
  return target === 'float32' ? format.encoding === 'float' && format.bitDepth === 32 : format.encoding === 'pcm' && format.bitDepth === 24;
}

/** Width in bits a format carries exactly, to decide whether converting needs dither. */
function resolution(format: AudioFormat | WriteSampleFormat): number {
  if (typeof format === 'string') return format === 'float32' ? 25 : format === 'pcm16' ? 16 : format === 'pcm24' ? 24 : 32;
  return format.encoding === 'float' ? (format.bitDepth === 32 ? 25 : 54) : format.encoding === 'pcm' ? format.bitDepth : 14;
}

/** A file name every filesystem accepts, and that a person can read. */
export function legalName(name: string): string {
  const clean = name
    .normalize('NFC')
    .replace(/[<>:"/\\|?*\u0000-\u001f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  return clean.slice(0, 80) || 'Stem';
}

export function planRepairs(report: CheckReport): RepairPlan {
  const refusals: string[] = [];
  const notRepaired: string[] = [];
  const mix = report.mix;
  if (!mix?.format) {
    refusals.push(report.mix ? `the mix cannot be read (${report.mix.error?.message ?? 'unknown'}): there is nothing to repair the stems against` : 'the package has no reference mix: stemkit fix repairs stems against the mix');
  }
  for (const f of report.stems.filter((s) => !s.format)) refusals.push(`${f.name} cannot be read (${f.error?.code}: ${f.error?.message}); export it again`);
  const cause = (rule: RuleId, why: string) => of(report, rule).forEach((f) => refusals.push(`${why}: ${f.message}`));
  cause('null.master-processing', 'the mix went through dynamics after the sum; undoing a limiter would change the music');
  cause('null.stems-are-mix', 'the stems are copies of the mix; only a new export can separate them');
  cause('phase.duplicate', 'stems carry the same audio; deleting one is an editorial decision');
  cause('format.non-finite', 'NaN or Infinity samples cannot be repaired without knowing the audio they replaced');
  for (const f of of(report, 'null.gain-mismatch').filter((f) => f.file === mix?.path)) {
    refusals.push(`the mix's level differs from the stems' sum (${f.message}); re-export the mix or the stems with the same master gain`);
  }
  const rate = mix?.format?.sampleRate ?? 48000;
  const mixFrames = mix?.format?.frames ?? 0;
  const target = mix?.format ? targetFormat(mix.format) : 'pcm24';
  const timeReference = mix?.timeReference ?? 0;
  const names = new Set<string>();
  const stems: StemRepair[] = report.stems
    .filter((s) => s.format)
    .map((stem, index) => {
      const format = stem.format!;
      const ops: RepairOp[] = [];
      if (format.sampleRate !== rate) ops.push({ op: 'resample', from: format.sampleRate, to: rate, reason: 'format.sample-rate-mismatch' });
      const order = of(report, 'format.channel-order', stem).find((f) => f.severity === 'error');
      if (order && typeof order.value === 'string') ops.push({ op: 'reorder-channels', permutation: JSON.parse(order.value) as number[], reason: 'format.channel-order' });
      // The stem's sample i lands at mix frame i + head; then the end is fitted to the mix.
      const { head, tail } = timingRepairOf(stem.startOffsetSamples ?? 0, stem.offsetSamples ?? 0, framesAt(format, rate), mixFrames);
      if (head !== 0 || tail !== 0) {
        // A length fault only when the file as placed does not end with the mix (else the end follows the start's shift).
        const ownTail = timingRepairOf(stem.startOffsetSamples ?? 0, 0, framesAt(format, rate), mixFrames).tail;
        const why = [stem.startOffsetSamples ? 'format.start-mismatch' : '', stem.offsetSamples ? 'timing.offset' : '', tail && ownTail ? 'format.length-mismatch' : ''].filter(Boolean).join(', ');
        ops.push({ op: 'align', head, tail, reason: why });
      }
      if (of(report, 'null.polarity', stem).length) ops.push({ op: 'invert-polarity', reason: 'null.polarity' });
      const gain = of(report, 'null.gain-mismatch', stem)[0];
      if (gain && typeof gain.value === 'number') ops.push({ op: 'gain', db: gain.value, reason: 'null.gain-mismatch' });
      if (!sameFormat(format, target)) {
        ops.push({ op: 'convert', from: sampleFormatLabel(format), to: target, dither: resolution(format) > resolution(target), reason: format.encoding === 'pcm' && format.bitDepth < 24 ? 'format.bit-depth' : 'one sample format for the package' });
      }
      if ((stem.timeReference ?? 0) !== timeReference) ops.push({ op: 'time-reference', samples: timeReference, reason: 'every file starts where the mix does' });
      let name = legalName(stem.name);
      for (let k = 2; names.has(name.toLowerCase()); k++) name = `${legalName(stem.name)} ${k}`;
      names.add(name.toLowerCase());
      if (name !== stem.name) ops.push({ op: 'rename', from: stem.name, to: name, reason: 'package.naming' });
      return { name, file: stem.path, outFile: `stems/${String(index + 1).padStart(2, '0')}_${name}.wav`, ops };
    });
  for (const f of of(report, 'package.naming').filter((f) => /does not say what/.test(f.message))) notRepaired.push(`${f.message}: stemkit cannot tell what a stem contains; rename it by hand`);
  for (const f of of(report, 'level.clipping')) notRepaired.push(`${f.message}: clipped audio cannot be restored; re-export without the clipper`);
  // A residual that no repairable finding explains is something missing from the stems (or added to the mix).
  const residual = of(report, 'null.residual')[0];
  const repairable = stems.some((s) => s.ops.some((o) => o.op !== 'rename' && o.op !== 'time-reference' && o.op !== 'convert'));
  if (residual && !repairable && refusals.length === 0) {
    refusals.push(`the null fails and no stem's timing, gain, polarity, rate or channel order explains it (${residual.message}); something in the mix is not in the stems, which only a new export can fix`);
  }
  const ext = (p: string) => (p.match(/\.[^./\\]+$/)?.[0] ?? '.wav').toLowerCase();
  return {
    sampleRate: rate,
    frames: mixFrames,
    format: target,
    timeReference,
    stems,
    mix: { file: mix?.path ?? '', outFile: `mix${ext(mix?.path ?? '.wav')}` },
    alternates: report.package.alternates.map((a) => ({ file: a.file, outFile: `alternates/${legalName(a.name)}${ext(a.file)}` })),
    refusals,
    notRepaired,
  };
}

/** One line per operation, for the terminal and the manifest. */
export function describeOp(op: RepairOp): string {
  switch (op.op) {
    case 'resample':
      return `resample ${op.from} → ${op.to} Hz (libsamplerate, best quality)`;
    case 'reorder-channels':
      return `reorder channels as [${op.permutation.map((c) => c + 1).join(', ')}]`;
    case 'align':
      return timingSteps(op).join(', then ');
    case 'invert-polarity':
      return 'invert polarity';
    case 'gain':
      return `${op.db > 0 ? 'raise' : 'lower'} by ${Math.abs(op.db).toFixed(2)} dB`;
    case 'convert':
      return `convert ${op.from} → ${sampleFormatLabel(op.to === 'float32' ? { encoding: 'float', bitDepth: 32 } : { encoding: 'pcm', bitDepth: Number(op.to.slice(3)) })}${op.dither ? ' (TPDF dither)' : ''}`;
    case 'time-reference':
      return `BWF time reference ${op.samples}`;
    case 'rename':
      return `rename "${op.from}" → "${op.to}"`;
  }
}
