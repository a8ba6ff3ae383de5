import { z } from 'zod';
import { ProcessorSpecSchema } from '../dsp/processors/schema.js';

/**
 * The session file (YAML or JSON): tracks routed to stem buses with their processing, shared
 * returns rendered per stem, and the master. Every field is documented here once; the published
 * JSON Schema (schema/session.schema.json) is generated from this.
 */

/**
 * Bounds no real session exceeds, so a typo (800 dB, an offset of 10⁷ s) is refused with its field
 * path before any work, instead of rendering silence or starting to write terabytes.
 */
const MAX_GAIN_DB = 48;
const MIN_GAIN_DB = -200;
/** 24 hours: the longest timeline a session may place anything on. */
const MAX_TIMELINE_SECONDS = 86400;

/** A level in dB, −200 … +48; "-inf" (or YAML's -.inf) is silence. */
export const DecibelSchema = z
  .union([
    z.number().min(MIN_GAIN_DB, { message: `a level below ${MIN_GAIN_DB} dB is silence: write -inf` }).max(MAX_GAIN_DB, { message: `a level above +${MAX_GAIN_DB} dB is not one a session uses (check for a typo)` }),
    z.literal('-inf'),
    z.literal('-Infinity'),
    z.custom<number>((v) => v === -Infinity, { message: 'expected a level in dB or -inf' }),
  ])
  .transform((v) => (typeof v === 'string' ? -Infinity : v));

/** Seconds on the timeline, 0 … 24 h. */
const TimelineSeconds = z.number().nonnegative().max(MAX_TIMELINE_SECONDS, { message: 'more than 24 hours into the timeline (check the unit: seconds)' });

const AutomationPointSchema = z.tuple([TimelineSeconds.describe('time on the timeline, seconds'), DecibelSchema.describe('gain, dB')]);

export const TrackSchema = z
  .object({
    /** Audio file, relative to the session file. */
    file: z.string().min(1).describe('audio file, relative to the session file'),
    /** Display name; defaults to the file name. */
    name: z.string().optional().describe('display name (default: the file name)'),
    /** Track fader, dB. */
    gain: DecibelSchema.default(0).describe('track fader, dB'),
    /** −1 (left) … +1 (right); constant-power for mono tracks, balance for stereo. */
    pan: z.number().min(-1).max(1).default(0).describe('pan, −1 left … +1 right'),
    /** Where the file starts on the timeline, seconds. */
    offset: TimelineSeconds.default(0).describe('start on the timeline, seconds (at most 24 h)'),
    /** A muted track is not rendered. */
    mute: z.boolean().default(false).describe('muted tracks are not rendered'),
    /** Track inserts, in order (before the fader). */
    processing: z.array(ProcessorSpecSchema).default([]).describe('track inserts, in order, before the fader'),
    automation: z
      .object({ gain: z.array(AutomationPointSchema).min(1).describe('[seconds, dB] breakpoints, interpolated linearly in dB') })
      .strict()
      .optional()
      .describe('gain automation on top of the fader'),
    /** Post-fader sends to returns. */
    sends: z
      .array(z.object({ to: z.string().describe('return name'), gain: DecibelSchema.default(0).describe('send level, dB') }).strict())
      .default([])
      .describe('post-fader sends to returns'),
  })
  .strict();

export const StemRoleSchema = z.enum(['drums', 'bass', 'music', 'vocals', 'fx', 'dialogue', 'effects', 'other']);

export const StemSchema = z
  .object({
    name: z.string().min(1).describe('stem name, used in file names'),
    role: StemRoleSchema.default('other').describe('what the stem carries'),
    /** Bus fader, dB. */
    gain: DecibelSchema.default(0).describe('bus fader, dB'),
    /** Bus inserts, printed into the wet stem. */
    processing: z.array(ProcessorSpecSchema).default([]).describe('bus inserts, in order, printed into the stem'),
    tracks: z.array(TrackSchema).min(1).describe('tracks routed to this stem'),
  })
  .strict();

export const ReturnSchema = z
  .object({
    name: z.string().min(1).describe('return name, referenced by sends'),
    processing: z.array(ProcessorSpecSchema).default([]).describe('the return effect chain (run once per stem that sends to it)'),
  })
  .strict();

/** A whole session: stem buses fed by tracks, shared returns, the master and the output format. */
export const SessionSchema = z
  .object({
    name: z.string().min(1).describe('title of the song or cue'),
    sampleRate: z.number().int().min(8000).max(384000).default(48000).describe('output rate, Hz; tracks at other rates are resampled'),
    bitDepth: z.union([z.literal(16), z.literal(24), z.literal('32f')]).default(24).describe('output format: 16, 24 or 32f'),
    tail: z.union([z.literal('auto'), z.number().nonnegative().max(60)]).default('auto').describe('seconds after the last track ends, or auto (until decayed below −90 dBFS, at most 10 s)'),
    stems: z.array(StemSchema).min(1).describe('stem buses, in delivery order'),
    returns: z.array(ReturnSchema).default([]).describe('shared effect returns'),
    master: z
      .object({
        gain: DecibelSchema.default(0).describe('master fader, dB'),
        processing: z.array(ProcessorSpecSchema).default([]).describe('master inserts, printed into the mix only'),
      })
      .strict()
      .default({ gain: 0, processing: [] })
      .describe('the master bus'),
  })
  .strict();

/** A session as written in its file: fields with defaults may be left out. */
export type SessionInput = z.input<typeof SessionSchema>;
/** A validated session, every default filled in. */
export type Session = z.output<typeof SessionSchema>;
export type Track = z.output<typeof TrackSchema>;
export type Stem = z.output<typeof StemSchema>;
