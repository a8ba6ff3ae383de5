import type { Rule } from './context.js';
import * as format from './format.js';
import * as level from './level.js';
import * as nul from './null.js';
import * as pkg from './package.js';
import * as phase from './phase.js';
import * as timing from './timing.js';
import * as mixSource from './mix-source.js';
import { alternate } from './alternate.js';
import { channelOrder } from './channel-order.js';

/** Every rule of DESIGN.md's table, by id. The order is the report's order within a severity. */
export const RULES: Record<string, Rule> = {
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
