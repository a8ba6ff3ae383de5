import type { StemPackage } from '../discover.js';
import type { GainDiagnosis, OffsetResult } from '../diagnose.js';
import type { PassResult } from '../pass.js';
import type { Profile, Severity } from '../profiles.js';
import type { CheckedFile, Finding, NullSummary, TimeRange } from '../types.js';
import { mergeRanges, type FrameRange } from '../../dsp/ranges.js';
import { round } from '../../dsp/decibels.js';
import type { FilePlacement } from '../alignment.js';
import type { AlternateReport } from '../alternates.js';
import type { ChannelOrderResult } from '../channel-order.js';
import type { RuleId } from './index.js';

/** Everything rules may look at: measurements only. No rule reads audio. */
export interface RuleContext {
  profile: Profile;
  pkg: StemPackage;
  stems: CheckedFile[];
  mix: CheckedFile | null;
  /** The package's sample rate (the mix's, else the most common). */
  sampleRate: number | null;
  pass: PassResult | null;
  /** Index in pass.files of each stem (−1 if unreadable), and of the mix. */
  passIndex: Map<CheckedFile, number>;
  gains: GainDiagnosis | null;
  nullSummary: NullSummary | null;
  offsets: Map<CheckedFile, OffsetResult>;
  /** Lag and gain of every stem probed when the null failed (empty when it passed). */
  probes: Map<CheckedFile, OffsetResult>;
  /** Per readable file (index as in pass.files), its place on the package timeline. */
  placements: FilePlacement[];
  /** Why the null test did not run, or null. */
  nullSkipped: string | null;
  /** Alternate versions and what they were verified to be. */
  alternates: AlternateReport[];
  /** Multichannel stems that fit the mix better with their channels permuted. */
  channelOrders: Map<CheckedFile, ChannelOrderResult>;
}

/** The readable file's placement on the package timeline. */
export function placementOf(ctx: RuleContext, f: CheckedFile): FilePlacement | undefined {
  const i = ctx.passIndex.get(f);
  return i === undefined ? undefined : ctx.placements[i];
}

export type Rule = (ctx: RuleContext) => Finding[];

export interface FindingInput {
  file?: CheckedFile | null;
  message: string;
  value?: number | string | null;
  limit?: number | string | null;
  ranges?: TimeRange[];
  fix: string;
  /** Several files with one cause: listed here, and `file` left null. */
  files?: CheckedFile[];
}

/** Builds a finding; a rule switched `off` by the profile yields nothing. */
export function finding(rule: RuleId, severity: Severity | 'off', input: FindingInput): Finding[] {
  if (severity === 'off') return [];
  return [
    {
      rule,
      severity,
      file: input.file?.path ?? null,
      stem: input.file?.name ?? null,
      message: input.message,
      value: input.value ?? null,
      limit: input.limit ?? null,
      ranges: input.ranges ?? [],
      fix: input.fix,
      ...(input.files ? { files: input.files.map((f) => f.path) } : {}),
    },
  ];
}

/** "A, B, C and 4 more": names for a message that stays one line for any count. */
export function nameList(names: string[], shown = 6): string {
  if (names.length <= shown) return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** Frame ranges → audible second ranges: merged across gaps under 50 ms, at least 50 ms long. */
export function toSeconds(ranges: FrameRange[], sampleRate: number, totalFrames: number, gapSeconds = 0.05): TimeRange[] {
  const min = Math.round(0.05 * sampleRate);
  return mergeRanges(ranges, Math.round(gapSeconds * sampleRate), min, totalFrames).map(([s, e]) => [
    round(s / sampleRate, 3),
    round(e / sampleRate, 3),
  ]);
}

export function readable(ctx: RuleContext): CheckedFile[] {
  return [...ctx.stems, ...(ctx.mix ? [ctx.mix] : [])].filter((f) => f.format !== null);
}

export function mostCommon<T>(values: T[]): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}
