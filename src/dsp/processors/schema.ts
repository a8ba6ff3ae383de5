/**
 * Processor specs as data (zod 4): a discriminated union on `type`. Every object is strict (unknown
 * keys are errors), every range error names its field. What can only be checked against the sample
 * rate (frequencies below Nyquist, lookahead in samples) is checked by createProcessor() and thrown
 * as a ProcessorConfigError with the same kind of message.
 */
import { z } from 'zod';
import { formatPath, type FieldPath } from './types.js';

/** A finite number in [min, max] (or (min, max] with `exclusiveMin`), with messages that name the field and its unit. */
function num(field: string, unit: string, min: number, max: number, exclusiveMin = false) {
  const u = unit ? ` ${unit}` : '';
  const message = `${field} must be ${exclusiveMin ? '>' : '≥'} ${min}${u} and ≤ ${max}${u}`;
  const base = z.number({
    error: (issue) => (issue.input === undefined ? `${field} is required${unit ? ` (${unit})` : ''}` : `${field} must be a number${unit ? ` (${unit})` : ''}`),
  });
  return (exclusiveMin ? base.gt(min, { error: message }) : base.min(min, { error: message })).max(max, { error: message });
}

const frequency = (field: string) => num(field, 'Hz', 1, 1_000_000);
const q = (field = 'q') => num(field, '', 0.025, 100);

// ── gain, pan, polarity ─────────────────────────────────────────────────────────────────────────

/** A static gain. */
export const GainSpecSchema = z
  .object({
    type: z.literal('gain'),
    /** Gain, dB (−120 … +48). */
    gain: num('gain', 'dB', -120, 48),
  })
  .strict();

/** Stereo balance. */
export const PanSpecSchema = z
  .object({
    type: z.literal('pan'),
    /** Stereo balance, −1 (left) … +1 (right), constant power, unity at 0; no-op unless 2 channels. */
    pan: num('pan', '', -1, 1).default(0),
  })
  .strict();

/** Polarity inversion of some or all channels. */
export const PolaritySpecSchema = z
  .object({
    type: z.literal('polarity'),
    /** Zero-based channel indices to invert; absent = all channels. */
    channels: z
      .array(z.number().int({ error: 'channels must hold integer channel indices' }).min(0, { error: 'channels must hold indices ≥ 0' }).max(255, { error: 'channels must hold indices ≤ 255' }), {
        error: 'channels must be an array of channel indices',
      })
      .refine((list) => new Set(list).size === list.length, { error: 'channels must not repeat an index' })
      .optional(),
  })
  .strict();

// ── eq ──────────────────────────────────────────────────────────────────────────────────────────

/** An EQ band: a Butterworth high- or low-pass. */
export const PassBandSchema = z
  .object({
    type: z.enum(['highpass', 'lowpass']),
    /** Cutoff (−3 dB) frequency, Hz; below Nyquist. */
    freq: frequency('freq'),
    /** Roll-off, dB/octave: 12, 24 or 48 (Butterworth, 1, 2 or 4 biquads). */
    slope: z.literal([12, 24, 48], { error: 'slope must be 12, 24 or 48 (dB/octave)' }).default(12),
  })
  .strict();

/** An EQ band: a low or high shelf. */
export const ShelfBandSchema = z
  .object({
    type: z.enum(['lowshelf', 'highshelf']),
    /** Shelf midpoint frequency, Hz; below Nyquist. */
    freq: frequency('freq'),
    /** Shelf gain, dB (−48 … +48). */
    gain: num('gain', 'dB', -48, 48),
    /** Shelf Q (RBJ), dimensionless; 0.707 is the steepest shelf without overshoot. */
    q: q().default(0.707),
  })
  .strict();

/** An EQ band: a peaking (bell) filter. */
export const PeakBandSchema = z
  .object({
    type: z.literal('peak'),
    /** Centre frequency, Hz; below Nyquist. */
    freq: frequency('freq'),
    /** Gain at the centre, dB (−48 … +48). */
    gain: num('gain', 'dB', -48, 48),
    /** Q (RBJ peaking EQ), dimensionless. */
    q: q(),
  })
  .strict();

/** An EQ band: a notch that removes one frequency. */
export const NotchBandSchema = z
  .object({
    type: z.literal('notch'),
    /** Centre frequency (zero of the response), Hz; below Nyquist. */
    freq: frequency('freq'),
    /** Q (centre frequency / −3 dB bandwidth), dimensionless. */
    q: q(),
  })
  .strict();

/** An EQ band: a band-pass, 0 dB at its centre. */
export const BandpassBandSchema = z
  .object({
    type: z.literal('bandpass'),
    /** Centre frequency (0 dB peak), Hz; below Nyquist. */
    freq: frequency('freq'),
    /** Q (centre frequency / −3 dB bandwidth), dimensionless. */
    q: q(),
  })
  .strict();

/** Any EQ band, told apart by `type`. */
export const EqBandSchema = z.discriminatedUnion('type', [PassBandSchema, ShelfBandSchema, PeakBandSchema, NotchBandSchema, BandpassBandSchema], {
  error: (issue) =>
    issue.code === 'invalid_union' ? 'band type must be one of highpass, lowpass, lowshelf, highshelf, peak, notch, bandpass' : undefined,
});

/** A parametric EQ: up to 32 bands in series. */
export const EqSpecSchema = z
  .object({
    type: z.literal('eq'),
    /** Bands in processing order (RBJ cookbook biquads). */
    bands: z.array(EqBandSchema, { error: 'bands must be an array of EQ bands' }).max(32, { error: 'bands must hold at most 32 bands' }),
  })
  .strict();

// ── dynamics ────────────────────────────────────────────────────────────────────────────────────

/** A feed-forward compressor. */
export const CompressorSpecSchema = z
  .object({
    type: z.literal('compressor'),
    /** Threshold, dBFS (peak detection) or dBFS RMS (rms detection). */
    threshold: num('threshold', 'dB', -100, 24),
    /** Compression ratio above the knee, n:1 (1 … 100). */
    ratio: num('ratio', '', 1, 100),
    /** Soft-knee width centred on the threshold, dB (0 = hard knee). */
    knee: num('knee', 'dB', 0, 48).default(6),
    /** Attack: 10 %→90 % time of the gain change after a level step, ms (0 = instant). */
    attack: num('attack', 'ms', 0, 1000).default(10),
    /** Release: 10 %→90 % time of the gain recovery, ms. */
    release: num('release', 'ms', 1, 10000).default(100),
    /** Make-up gain applied after compression, dB. */
    makeup: num('makeup', 'dB', -48, 48).default(0),
    /** Level detector: sample peak, or RMS over a 10 ms one-pole window. */
    detection: z.enum(['peak', 'rms'], { error: "detection must be 'peak' or 'rms'" }).default('peak'),
    /** Stereo-linked: one gain, from the loudest channel, for all channels. */
    link: z.boolean({ error: 'link must be true or false' }).default(true),
  })
  .strict();

/** A true-peak lookahead limiter. */
export const LimiterSpecSchema = z
  .object({
    type: z.literal('limiter'),
    /** Output ceiling, dBTP (BS.1770 ×4 true peak): never exceeded. */
    ceiling: num('ceiling', 'dBTP', -60, 0).default(-1),
    /** Lookahead, ms; this is the limiter's latency. */
    lookahead: num('lookahead', 'ms', 1, 50).default(5),
    /** Release: 10 %→90 % time of the gain recovery, ms. */
    release: num('release', 'ms', 1, 5000).default(50),
  })
  .strict();

// ── saturation, delay, reverb ──────────────────────────────────────────────────────────────────

/** Oversampled waveshaping saturation. */
export const SaturateSpecSchema = z
  .object({
    type: z.literal('saturate'),
    /** Gain into the waveshaper, dB; the shaper has unity small-signal gain and saturates at ±1. */
    drive: num('drive', 'dB', -24, 48).default(6),
    /** Wet proportion, 0 (dry) … 1 (wet only); the dry path is delayed to stay aligned. */
    mix: num('mix', '', 0, 1).default(1),
    /** Waveshaper: 'tanh', or 'soft' (rounder: 1.5t − 0.5t³ of t = tanh(2u/3)). */
    shape: z.enum(['tanh', 'soft'], { error: "shape must be 'tanh' or 'soft'" }).default('tanh'),
  })
  .strict();

/** A feedback delay (echo). */
export const DelaySpecSchema = z
  .object({
    type: z.literal('delay'),
    /** Echo spacing, ms (rounded to whole samples). */
    time: num('time', 'ms', 0, 10000, true),
    /** Feedback, 0 … 0.95 (echo k has amplitude mix·feedback^(k−1)). */
    feedback: num('feedback', '', 0, 0.95).default(0.3),
    /** Wet proportion, 0 (dry) … 1 (wet only, as on an effect return). */
    mix: num('mix', '', 0, 1).default(1),
    /** Low-pass cutoff in the feedback loop, Hz (one pole); null = no damping. */
    damping: frequency('damping').nullable().default(8000),
  })
  .strict();

/** A reverb: the algorithmic one, or a convolution with `impulse` (then decay, size and damping are refused). */
export const ReverbSpecSchema = z
  .object({
    type: z.literal('reverb'),
    /** Decay time RT60, s (algorithmic reverb; default 2). */
    decay: num('decay', 's', 0.05, 60).optional(),
    /** Pre-delay before the reverb onset, ms (exact to the sample). */
    predelay: num('predelay', 'ms', 0, 1000).default(0),
    /** Wet proportion, 0 (dry) … 1 (wet only, as on an effect return). */
    mix: num('mix', '', 0, 1).default(1),
    /** Room size, 0 … 1: scales the delay-line lengths (algorithmic reverb; default 0.5). */
    size: num('size', '', 0, 1).optional(),
    /** High-frequency damping cutoff, Hz (algorithmic reverb; absent = none). */
    damping: frequency('damping').optional(),
    /** Impulse-response file; the renderer loads it into ctx.impulse and the reverb convolves. */
    impulse: z.string({ error: 'impulse must be a file path' }).min(1, { error: 'impulse must be a non-empty file path' }).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.impulse === undefined) return;
    for (const field of ['decay', 'size', 'damping'] as const) {
      if (spec[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} has no effect on a convolution reverb (impulse is set); remove it` });
      }
    }
  });

/** Any processor spec, told apart by `type`: what a session's `processing` lists hold. */
export const ProcessorSpecSchema = z.discriminatedUnion(
  'type',
  [GainSpecSchema, PanSpecSchema, PolaritySpecSchema, EqSpecSchema, CompressorSpecSchema, LimiterSpecSchema, SaturateSpecSchema, DelaySpecSchema, ReverbSpecSchema],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'type must be one of gain, pan, polarity, eq, compressor, limiter, saturate, delay, reverb' : undefined,
  },
);

/** A validated spec (defaults applied). */
export type ProcessorSpec = z.output<typeof ProcessorSpecSchema>;
/** A spec as written (defaults optional). */
export type ProcessorSpecInput = z.input<typeof ProcessorSpecSchema>;
/** A processor's `type`: gain, pan, polarity, eq, compressor, limiter, saturate, delay or reverb. */
export type ProcessorType = ProcessorSpec['type'];
/** Every processor type: the values `type` may take. */
export const PROCESSOR_TYPES: readonly ProcessorType[] = ['gain', 'pan', 'polarity', 'eq', 'compressor', 'limiter', 'saturate', 'delay', 'reverb'];
/** A validated gain spec (defaults applied). */
export type GainSpec = z.output<typeof GainSpecSchema>;
/** A validated pan spec (defaults applied). */
export type PanSpec = z.output<typeof PanSpecSchema>;
/** A validated polarity spec. */
export type PolaritySpec = z.output<typeof PolaritySpecSchema>;
/** A validated EQ spec (defaults applied). */
export type EqSpec = z.output<typeof EqSpecSchema>;
/** A validated EQ band (defaults applied). */
export type EqBand = z.output<typeof EqBandSchema>;
/** A validated compressor spec (defaults applied). */
export type CompressorSpec = z.output<typeof CompressorSpecSchema>;
/** A validated limiter spec (defaults applied). */
export type LimiterSpec = z.output<typeof LimiterSpecSchema>;
/** A validated saturate spec (defaults applied). */
export type SaturateSpec = z.output<typeof SaturateSpecSchema>;
/** A validated delay spec (defaults applied). */
export type DelaySpec = z.output<typeof DelaySpecSchema>;
/** A validated reverb spec (defaults applied). */
export type ReverbSpec = z.output<typeof ReverbSpecSchema>;

/**
 * A spec that failed validation. `path` is where the spec is ([] for a spec on its own, the stage
 * index in a chain, more from wherever `at` placed it), each issue's path is the field inside the
 * spec, and the message has one line per issue built from both: "[2].bands[0].freq: freq must be …".
 */
export class ProcessorSpecError extends Error {
  /** Always "ProcessorSpecError". */
  override readonly name = 'ProcessorSpecError';
  /** Where the spec is: [] on its own, else its stage index or field path in what holds it. */
  readonly path: FieldPath;
  /** Every problem found: the field inside the spec and what is wrong with it. */
  readonly issues: { path: FieldPath; message: string }[];
  /** The spec's processor type, when it has a valid one. */
  readonly type: string | undefined;

  constructor(issues: { path: FieldPath; message: string }[], type: string | undefined, path: FieldPath = []) {
    super(issues.map((i) => `${formatPath([...path, ...i.path])}: ${i.message}`).join('\n'));
    this.path = path;
    this.issues = issues;
    this.type = type;
  }

  /** The same error for the spec found at `where` (a chain's stage index, a session's field path). */
  at(where: readonly (string | number)[]): ProcessorSpecError {
    return new ProcessorSpecError(this.issues, this.type, [...where, ...this.path]);
  }
}

/** Validates and applies defaults; throws ProcessorSpecError listing every problem. */
export function parseProcessorSpec(value: unknown): ProcessorSpec {
  const result = ProcessorSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const raw = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  const type = typeof raw === 'string' && PROCESSOR_TYPES.includes(raw as ProcessorType) ? raw : undefined;
  throw new ProcessorSpecError(
    result.error.issues.map((i) => ({ path: i.path.filter((k): k is string | number => typeof k !== 'symbol'), message: i.message })),
    type,
  );
}
