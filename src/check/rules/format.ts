import { millis, sampleFormatLabel } from '../../format.js';
import { finding, mostCommon, nameList, placementOf, readable, type FindingInput, type Rule, type RuleContext } from './context.js';
import type { CheckedFile } from '../types.js';
import { timingRepairOf, timingSteps, type TimingRepair } from '../alignment.js';

/** The reference every file is compared with: the mix when readable, else the majority. */
function reference<T>(ctx: Parameters<Rule>[0], pick: (f: NonNullable<typeof ctx.mix>) => T): T | undefined {
  if (ctx.mix?.format) return pick(ctx.mix);
  return mostCommon(readable(ctx).map(pick));
}

/** From this many files with one cause on, the cause is one finding listing the files. */
const GROUP_FROM = 3;

/**
 * One cause, one finding: files that fail a rule for the same reason (`cause`, e.g. "16-bit")
 * give one finding listing them once there are GROUP_FROM or more of them; fewer keep a finding
 * each, naming the file.
 */
function byCause(
  files: CheckedFile[],
  cause: (f: CheckedFile) => string | number,
  single: (f: CheckedFile) => FindingInput,
  group: (members: CheckedFile[], names: string) => Omit<FindingInput, 'file' | 'files'>,
  emit: (input: FindingInput) => ReturnType<Rule>,
): ReturnType<Rule> {
  const groups = new Map<string | number, CheckedFile[]>();
  for (const f of files) groups.set(cause(f), [...(groups.get(cause(f)) ?? []), f]);
  return [...groups.values()].flatMap((members) =>
    members.length < GROUP_FROM
      ? members.flatMap((f) => emit(single(f)))
      : emit({ ...group(members, nameList(members.map((f) => f.name))), file: null, files: members }),
  );
}

export const unreadable: Rule = (ctx) =>
  [...ctx.stems, ...(ctx.mix ? [ctx.mix] : [])]
    .filter((f) => f.error)
    .flatMap((f) =>
      finding('format.unreadable', 'error', {
        file: f,
        message: `${f.name}: ${f.error!.message} (${f.error!.code})`,
        value: f.error!.code,
        fix: f.error!.hint,
      }),
    );

/** What a reader tolerated in a file's headers (e.g. an AIFF COMM frame count beyond its SSND): read, but said. */
export const readerWarning: Rule = (ctx) =>
  readable(ctx).flatMap((f) =>
    (f.readerWarnings ?? []).flatMap((warning) =>
      finding('format.reader-warning', 'info', {
        file: f,
        message: `${f.name}: ${warning}`,
        fix: 'the file reads, but its headers are inconsistent; re-export it if other tools disagree on its length',
      }),
    ),
  );

export const sampleRateMismatch: Rule = (ctx) => {
  const rate = reference(ctx, (f) => f.format!.sampleRate);
  const nullRan = ctx.nullSummary !== null;
  const heard = nullRan ? ` (the null test heard it resampled to ${rate} Hz, as render would)` : '';
  return byCause(
    readable(ctx).filter((f) => f.format!.sampleRate !== rate),
    (f) => f.format!.sampleRate,
    (f) => ({
      file: f,
      message: `${f.name} is ${f.format!.sampleRate} Hz; the package is ${rate} Hz${heard}`,
      value: f.format!.sampleRate,
      limit: rate ?? null,
      fix: `re-export ${f.name} at ${rate} Hz from the session; if that is impossible, \`stemkit fix\` resamples it (libsamplerate, best quality)`,
    }),
    (members, names) => ({
      message: `${members.length} files are ${members[0]!.format!.sampleRate} Hz (${names}); the package is ${rate} Hz${heard.replace(' it ', ' them ')}`,
      value: members[0]!.format!.sampleRate,
      limit: rate ?? null,
      fix: `re-export them at ${rate} Hz from the session; if that is impossible, \`stemkit fix\` resamples them (libsamplerate, best quality)`,
    }),
    (input) => finding('format.sample-rate-mismatch', 'error', input),
  );
};

export const sampleRate: Rule = (ctx) => {
  const allowed = ctx.profile.sampleRates;
  if (allowed.length === 0) return [];
  return byCause(
    readable(ctx).filter((f) => !allowed.includes(f.format!.sampleRate)),
    (f) => f.format!.sampleRate,
    (f) => ({
      file: f,
      message: `${f.name} is ${f.format!.sampleRate} Hz; the ${ctx.profile.name} profile requires ${allowed.join(' or ')} Hz`,
      value: f.format!.sampleRate,
      limit: allowed.join('|'),
      fix: `export the package at ${allowed[0]} Hz`,
    }),
    (members, names) => ({
      message: `${members.length} files are ${members[0]!.format!.sampleRate} Hz (${names}); the ${ctx.profile.name} profile requires ${allowed.join(' or ')} Hz`,
      value: members[0]!.format!.sampleRate,
      limit: allowed.join('|'),
      fix: `export the package at ${allowed[0]} Hz`,
    }),
    (input) => finding('format.sample-rate', ctx.profile.sampleRateSeverity, input),
  );
};

export const bitDepth: Rule = (ctx) => {
  const what = (f: CheckedFile) => sampleFormatLabel(f.format!);
  const value = (f: CheckedFile) => (f.format!.encoding === 'pcm' ? f.format!.bitDepth : what(f));
  const needs = `the ${ctx.profile.name} profile needs at least ${ctx.profile.minBitDepth}-bit (or 32-bit float)`;
  const target = `${Math.max(24, ctx.profile.minBitDepth)}-bit or 32-bit float`;
  return byCause(
    readable(ctx).filter((f) => {
      const fmt = f.format!;
      if (fmt.encoding === 'float') return false;
      return fmt.encoding !== 'pcm' || fmt.bitDepth < ctx.profile.minBitDepth;
    }),
    what,
    (f) => ({ file: f, message: `${f.name} is ${what(f)}; ${needs}`, value: value(f), limit: ctx.profile.minBitDepth, fix: `re-export ${f.name} at ${target}` }),
    (members, names) => ({
      message: `${members.length} files are ${what(members[0]!)} (${names}); ${needs}`,
      value: value(members[0]!),
      limit: ctx.profile.minBitDepth,
      fix: `re-export them at ${target}`,
    }),
    (input) => finding('format.bit-depth', 'error', input),
  );
};

export const channelsMismatch: Rule = (ctx) => {
  const channels = reference(ctx, (f) => f.format!.channels);
  return byCause(
    readable(ctx).filter((f) => f.format!.channels !== channels),
    (f) => f.format!.channels,
    (f) => ({
      file: f,
      message: `${f.name} has ${f.format!.channels} channel(s) (${f.format!.channelLayout.join(' ')}); the package has ${channels}`,
      value: f.format!.channels,
      limit: channels ?? null,
      fix: `export ${f.name} with ${channels} channel(s), like the other files`,
    }),
    (members, names) => ({
      message: `${members.length} files have ${members[0]!.format!.channels} channel(s) (${names}); the package has ${channels}`,
      value: members[0]!.format!.channels,
      limit: channels ?? null,
      fix: `export them with ${channels} channel(s), like the other files`,
    }),
    (input) => finding('format.channels-mismatch', 'error', input),
  );
};

/** The repair that puts `f` on the mix's (or the package's) span (see timingRepairOf); `lag` defaults to its measured offset. */
export function timingRepair(ctx: RuleContext, f: CheckedFile, spanFrames: number, lag = f.offsetSamples ?? 0): TimingRepair | null {
  const place = placementOf(ctx, f);
  if (!place) return null;
  const r = timingRepairOf(place.startFrame, lag, place.frames, spanFrames);
  // A resampled file's length rounds to the nearest frame: ±1 frame is the same duration.
  return f.format!.sampleRate !== place.sampleRate && Math.abs(r.tail) <= 1 ? { ...r, tail: 0 } : r;
}

export function repairText(name: string, r: TimingRepair, rate: number): string {
  const steps = timingSteps(r, rate);
  if (steps.length === 0) return `${name} needs no timing edit`;
  const ends = r.head !== 0 && r.tail === 0 ? '; it then ends exactly with the mix, nothing to trim' : '';
  return `${name}: ${steps.join(', then ')}${ends}`;
}

/** Frames of the span every file should cover: the mix's at the package rate, else the most common. */
export function spanFrames(ctx: RuleContext): number | undefined {
  if (ctx.mix?.format) return placementOf(ctx, ctx.mix)?.frames ?? ctx.mix.format.frames;
  return mostCommon(readable(ctx).map((f) => placementOf(ctx, f)?.frames ?? f.format!.frames));
}

export const lengthMismatch: Rule = (ctx) => {
  const span = spanFrames(ctx);
  const rate = ctx.sampleRate;
  if (span === undefined || rate === null) return [];
  return readable(ctx)
    .filter((f) => f !== ctx.mix)
    .flatMap((f) => {
      const repair = timingRepair(ctx, f, span);
      if (!repair || repair.tail === 0) return [];
      // A file that, as placed, ends with the span has the right length: a late or early stem
      // exported over the mix's range needs its end edited only because its start moves, and
      // timing.offset's repair already says so (one cause, one finding).
      if (timingRepair(ctx, f, span, 0)!.tail === 0) return [];
      const place = placementOf(ctx, f)!;
      const resampled = f.format!.sampleRate !== rate ? ` at ${rate} Hz` : '';
      const placed = repair.head !== 0 ? ` once its start is repaired (${repair.head > 0 ? 'padded' : 'shortened'} by ${Math.abs(repair.head)})` : '';
      const delta = -repair.tail;
      return finding('format.length-mismatch', 'error', {
        file: f,
        message: `${f.name} lasts ${place.frames} samples${resampled}; it ends ${Math.abs(delta)} samples (${millis(Math.abs(delta) / rate)}) ${delta > 0 ? 'after' : 'before'} the ${ctx.mix?.format ? 'mix' : 'package'} (${span})${placed}`,
        value: delta,
        limit: 0,
        fix: `${repairText(f.name, repair, rate)}; or re-export all files over the same range`,
      });
    });
};

export const startMismatch: Rule = (ctx) => {
  const rate = ctx.sampleRate;
  const span = spanFrames(ctx);
  if (rate === null || span === undefined) return [];
  const withReference = readable(ctx).filter((f) => f.timeReference !== null);
  if (withReference.length < 2) return [];
  return withReference
    .filter((f) => f !== ctx.mix && (f.startOffsetSamples ?? 0) !== 0 || placementOf(ctx, f)?.ignoredReason)
    .flatMap((f) => {
      const place = placementOf(ctx, f)!;
      if (place.ignoredReason) {
        return finding('format.start-mismatch', 'error', {
          file: f,
          message: `${f.name}'s BWF time reference (${f.timeReference}) was not used to place it: ${place.ignoredReason}; the null test took it as starting with the mix`,
          value: f.timeReference,
          limit: 0,
          fix: `re-export ${f.name} from the session's start (bar 1 beat 1), or correct its BWF time reference`,
        });
      }
      const start = f.startOffsetSamples!;
      const repair = timingRepair(ctx, f, span)!;
      const measured = ctx.nullSummary ? `; placed there, ${ctx.nullSummary.passed ? 'it nulls' : 'the null test ran'}` : '';
      return finding('format.start-mismatch', 'error', {
        file: f,
        message: `${f.name} starts ${Math.abs(start)} samples (${millis(Math.abs(start) / rate)}) ${start > 0 ? 'after' : 'before'} the ${ctx.mix?.format ? 'mix' : 'other files'} by its BWF time reference${measured}`,
        value: start,
        limit: 0,
        fix: `${repairText(f.name, repair, rate)}, so it plays from the start in any DAW; or re-export every file from the same start point`,
      });
    });
};

export const nonFinite: Rule = (ctx) =>
  readable(ctx)
    .filter((f) => (f.measure?.nonFiniteSamples ?? 0) > 0)
    .flatMap((f) =>
      finding('format.non-finite', 'error', {
        file: f,
        message: `${f.name} contains ${f.measure!.nonFiniteSamples} NaN/Infinity samples`,
        value: f.measure!.nonFiniteSamples,
        limit: 0,
        fix: `find the plug-in producing invalid output on ${f.name}'s chain and re-export`,
      }),
    );
