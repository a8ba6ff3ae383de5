import type { Rule } from './context.js';
import type { Profile, Severity } from '../profiles.js';
import * as format from './format.js';
import * as level from './level.js';
import * as nul from './null.js';
import * as pkg from './package.js';
import * as phase from './phase.js';
import * as timing from './timing.js';
import * as mixSource from './mix-source.js';
import { alternate } from './alternate.js';
import { channelOrder } from './channel-order.js';

/** The profile settings that set a rule's severity. */
export type SeveritySetting = { [K in keyof Profile]: Profile[K] extends Severity | 'off' ? K : never }[keyof Profile];

/** One row of RULE_TABLE: a rule of `check` as data. */
export interface RuleEntry {
  /** The rule's id: part of the contract (reports, JUnit test names, profiles). */
  id: string;
  /** The severity of its findings under the default profile (music). */
  severity: Severity;
  /** The profile setting that changes that severity, when one does. */
  setting?: SeveritySetting;
  /** What it catches, in one line (the README's rule table). */
  description: string;
}

/**
 * Every rule of `check`: the one table that the `RuleId` type, the rule registry, the JSON Schema of
 * `stemkit.check/1` (npm run schema) and the README's rule table are made from. The order is the
 * report's order within a severity.
 */
export const RULE_TABLE = [
  { id: 'format.unreadable', severity: 'error', description: 'cannot be parsed; says why (the error code, message and hint)' },
  { id: 'format.reader-warning', severity: 'info', description: 'read, but its headers are inconsistent (e.g. an AIFF frame count beyond its data)' },
  { id: 'format.sample-rate-mismatch', severity: 'error', description: 'files at different sample rates' },
  { id: 'format.sample-rate', severity: 'error', setting: 'sampleRateSeverity', description: 'a sample rate the profile does not allow' },
  { id: 'format.bit-depth', severity: 'error', description: 'below the profile\'s minimum bit depth (24 for music)' },
  { id: 'format.channels-mismatch', severity: 'error', description: 'channel counts or layouts differ' },
  { id: 'format.length-mismatch', severity: 'error', description: 'lengths differ; each delta in samples, with the one timing repair per stem' },
  { id: 'format.start-mismatch', severity: 'error', description: 'BWF TimeReference differs between files' },
  { id: 'format.non-finite', severity: 'error', description: 'NaN or ±Infinity samples in float files' },
  { id: 'format.channel-order', severity: 'error', description: 'a multichannel stem nulls only with its channels permuted (the permutation), or speaker labels differ' },
  { id: 'package.stem-count', severity: 'warning', description: 'stem count outside the profile\'s range (music 2–16, mastering ≤ 10, ni-stems exactly 4)' },
  { id: 'package.naming', severity: 'warning', description: 'duplicate or meaningless stem names (Audio_01), characters that break on some systems' },
  { id: 'package.no-mix', severity: 'warning', setting: 'noMixSeverity', description: 'no reference mix: the null test was not run' },
  { id: 'package.manifest', severity: 'error', description: 'audio beside stemkit.json that it does not list, or rendered stems without their stemkit.json' },
  { id: 'package.alternate', severity: 'info', description: 'an alternate version (instrumental, a cappella, TV …) verified as a subset sum; error if it does not null' },
  { id: 'level.clipping', severity: 'error', description: '≥ 3 consecutive samples at full scale (flat tops), in integer or float files' },
  { id: 'level.headroom', severity: 'warning', setting: 'stemPeakSeverity', description: 'a stem\'s sample peak above the profile\'s ceiling (−3 dBFS for music)' },
  { id: 'level.true-peak', severity: 'warning', setting: 'stemTruePeakSeverity', description: 'true peak above the profile\'s ceiling (−1 dBTP for music stems)' },
  { id: 'level.sum-headroom', severity: 'warning', setting: 'sumPeakSeverity', description: 'the unity sum of the stems peaks above −3 dBFS' },
  { id: 'level.loudness', severity: 'error', setting: 'loudnessSeverity', description: 'the mix\'s integrated loudness outside the profile\'s target' },
  { id: 'level.dc-offset', severity: 'warning', description: 'DC offset above −60 dBFS' },
  { id: 'level.silent-stem', severity: 'warning', description: 'a stem below −90 dBFS throughout' },
  { id: 'level.limited', severity: 'info', description: 'a stem that looks brick-wall limited (flat-topped peaks, low crest factor)' },
  { id: 'timing.offset', severity: 'error', description: 'a stem aligns with the mix at a non-zero lag (samples and ms)' },
  { id: 'timing.tail-truncated', severity: 'warning', description: 'still sounding in the last 10 ms of the file' },
  { id: 'null.residual', severity: 'error', setting: 'nullSeverity', description: 'mix − Σ stems above the threshold (−60 dBFS): peak, RMS, relative level and where' },
  { id: 'null.gain-mismatch', severity: 'error', description: 'the sum nulls only after a constant gain (dB), per stem or for the whole mix' },
  { id: 'null.polarity', severity: 'error', description: 'the sum nulls only with a stem\'s (or the mix\'s) polarity inverted' },
  { id: 'null.stems-are-mix', severity: 'error', description: 'stems that are copies of the mix (a master-bus export), said once' },
  { id: 'null.master-processing', severity: 'error', setting: 'nullSeverity', description: 'the residual is dynamics on the mix (a mastered mix): gain reduction and where' },
  { id: 'phase.cancellation', severity: 'warning', description: 'two stems anti-correlated in a region (summing cancels): the pair and where' },
  { id: 'phase.duplicate', severity: 'error', description: 'two stems nearly identical (content doubled in the sum)' },
  { id: 'phase.stereo', severity: 'warning', description: 'a stem\'s channels anti-correlated (< −0.5)' },
  { id: 'stem.dual-mono', severity: 'info', description: 'a stereo stem with identical channels' },
] as const satisfies readonly RuleEntry[];

/** A rule's id: one of RULE_TABLE's. */
export type RuleId = (typeof RULE_TABLE)[number]['id'];

/** The function behind each rule id (every id has exactly one: the type says so). */
const RULE_FUNCTIONS: { readonly [Id in RuleId]: Rule } = {
  'format.unreadable': format.unreadable,
  'format.reader-warning': format.readerWarning,
  'format.sample-rate-mismatch': format.sampleRateMismatch,
  'format.sample-rate': format.sampleRate,
  'format.bit-depth': format.bitDepth,
  'format.channels-mismatch': format.channelsMismatch,
  'format.length-mismatch': format.lengthMismatch,
  'format.start-mismatch': format.startMismatch,
  'format.non-finite': format.nonFinite,
  'format.channel-order': channelOrder,
  'package.stem-count': pkg.stemCount,
  'package.naming': pkg.naming,
  'package.no-mix': pkg.noMix,
  'package.manifest': pkg.manifest,
  'package.alternate': alternate,
  'level.clipping': level.clipping,
  'level.headroom': level.headroom,
  'level.true-peak': level.truePeak,
  'level.sum-headroom': level.sumHeadroom,
  'level.loudness': level.loudness,
  'level.dc-offset': level.dcOffset,
  'level.silent-stem': level.silentStem,
  'level.limited': level.limited,
  'timing.offset': timing.offset,
  'timing.tail-truncated': timing.tailTruncated,
  'null.residual': nul.residual,
  'null.gain-mismatch': nul.gainMismatch,
  'null.polarity': nul.polarity,
  'null.stems-are-mix': mixSource.stemsAreMix,
  'null.master-processing': mixSource.masterProcessing,
  'phase.cancellation': phase.cancellation,
  'phase.duplicate': phase.duplicate,
  'phase.stereo': phase.stereo,
  'stem.dual-mono': phase.dualMono,
};

/** The rules in the table's order, each with its function (check runs them in this order). */
export const RULES: readonly { id: RuleId; rule: Rule }[] = RULE_TABLE.map(({ id }) => ({ id, rule: RULE_FUNCTIONS[id] }));

/** Every rule id, in the table's order. */
export const RULE_IDS: readonly RuleId[] = RULE_TABLE.map((r) => r.id);
