/**
 * The `stemkit.check/1` report as printed by `check --json` (the CheckReport without its plot data),
 * as a zod schema: the source of schema/check.schema.json (npm run schema). Rule ids and error codes
 * come from their tables (RULE_TABLE, ERROR_CODES), and the compile-time checks at the end keep this
 * schema and the report's TypeScript types the same shape.
 */
import { z } from 'zod';
import type { AudioFormat, Container, Encoding } from '../audio/types.js';
import { ERROR_CODES, type ErrorReport, type StemkitErrorCode } from '../errors.js';
import type { AlternateReport } from './alternates.js';
import type { AlternateKind } from './discover.js';
import type { Severity } from './profiles.js';
import { RULE_IDS, type RuleId } from './rules/index.js';
import type { CheckedFile, CheckReport, FileMeasure, Finding, NullSummary } from './types.js';

const nullableNumber = z.number().nullable();
const db = (description: string) => nullableNumber.describe(`${description}; null for digital silence (never -Infinity)`);

const SeveritySchema = z.enum(['error', 'warning', 'info'] satisfies Severity[]);
const RuleIdSchema = z.enum(RULE_IDS as [RuleId, ...RuleId[]]).describe('the rule\'s id (the README\'s rule table)');
const ErrorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [StemkitErrorCode, ...StemkitErrorCode[]]);
const TimeRangeSchema = z.tuple([z.number(), z.number()]).describe('[startSec, endSec]');

export const FindingJsonSchema = z
  .object({
    rule: RuleIdSchema,
    severity: SeveritySchema,
    file: z.string().nullable().describe('the file concerned, or null for package-level findings'),
    stem: z.string().nullable().describe('the stem\'s name ("Mix" for the reference mix), or null'),
    message: z.string(),
    value: z.union([z.number(), z.string()]).nullable().describe('the measured value (dB, samples, count …), or null when the rule is qualitative'),
    limit: z.union([z.number(), z.string()]).nullable().describe('the profile\'s limit it was judged against, or null'),
    ranges: z.array(TimeRangeSchema).describe('where the problem is audible, in seconds'),
    fix: z.string().describe('one-line suggestion'),
    files: z.array(z.string()).optional().describe('every file concerned when one cause touches several (one finding, not one per file)'),
  })
  .strict()
  .meta({ id: 'Finding' });

export const ErrorReportJsonSchema = z
  .object({ code: ErrorCodeSchema, message: z.string(), hint: z.string().describe('one line: what to do about it') })
  .strict();

const AudioFormatJsonSchema = z
  .object({
    container: z.enum(['wav', 'rifx', 'rf64', 'bw64', 'aiff', 'aifc', 'flac', 'mp4'] satisfies Container[]),
    encoding: z.enum(['pcm', 'float', 'alaw', 'mulaw'] satisfies Encoding[]),
    bitDepth: z.number().int(),
    sampleRate: z.number(),
    channels: z.number().int(),
    channelMask: z.number().int().nullable(),
    channelLayout: z.array(z.string()),
    frames: z.number().int(),
    containerBits: z.number().int(),
    bigEndian: z.boolean(),
  })
  .strict();

const FileMeasureJsonSchema = z
  .object({
    samplePeakDbfs: db('sample peak, dBFS'),
    truePeakDbtp: db('true peak, dBTP'),
    integratedLufs: db('integrated loudness, LUFS'),
    loudnessRangeLu: nullableNumber,
    momentaryMaxLufs: db('maximum momentary loudness, LUFS'),
    shortTermMaxLufs: db('maximum short-term loudness, LUFS'),
    rmsDbfs: db('RMS, dBFS'),
    dcOffset: z.array(z.number()).describe('per channel mean (linear)'),
    clippedRuns: z.number().int(),
    firstSoundSec: nullableNumber,
    lastSoundSec: nullableNumber,
    durationSec: z.number(),
    channelPeakDbfs: z.array(nullableNumber),
    nonFiniteSamples: z.number().int(),
    stereoCorrelation: nullableNumber,
    dualMono: z.boolean(),
    tailPeakDbfs: db('peak of the last 10 ms, dBFS'),
    crestDb: nullableNumber,
    nearPeakFraction: z.number(),
  })
  .strict();

const CheckedFileJsonSchema = z
  .object({
    name: z.string(),
    path: z.string(),
    format: AudioFormatJsonSchema.nullable(),
    error: ErrorReportJsonSchema.nullable().describe('why the file could not be read, or null'),
    timeReference: z.number().int().nullable(),
    measure: FileMeasureJsonSchema.nullable(),
    offsetSamples: z.number().int().nullable().describe('lag against the mix in samples (positive: late); null when not measured'),
    startOffsetSamples: z.number().int().nullable(),
    readerWarnings: z.array(z.string()).optional(),
    writtenByRender: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'CheckedFile' });

const AlternateJsonSchema = z
  .object({
    file: z.string(),
    name: z.string(),
    kind: z.enum(['instrumental', 'a-cappella', 'tv-mix', 'clean', 'underscore', 'subset'] satisfies AlternateKind[]),
    foundBy: z.enum(['name', 'content']),
    stems: z.array(z.string()),
    nulls: z.boolean().nullable(),
    residualPeakDbfs: nullableNumber,
    unverified: z.string().nullable(),
  })
  .strict();

const NullSummaryJsonSchema = z
  .object({
    residualPeakDbfs: db('residual peak, dBFS'),
    residualRmsDbfs: db('residual RMS, dBFS'),
    residualRelativeDb: nullableNumber,
    bestLagSamples: z.number().int().nullable(),
    bestGainDb: nullableNumber,
    polarityInverted: z.boolean(),
    passed: z.boolean(),
    thresholdDbfs: z.number(),
    residualPeakSec: nullableNumber,
    residualPeakChannel: z.string().nullable(),
    worstMoments: z.array(z.object({ startSec: z.number(), endSec: z.number(), peakDbfs: z.number() }).strict()),
    channels: z.array(z.object({ channel: z.string(), peakDbfs: nullableNumber, rmsDbfs: nullableNumber }).strict()),
  })
  .strict();

/** One package's report. */
export const CheckReportJsonSchema = z
  .object({
    schema: z.literal('stemkit.check/1'),
    ok: z.boolean(),
    profile: z.string(),
    package: z
      .object({
        dir: z.string(),
        mix: z.string().nullable(),
        stems: z.array(z.string()),
        alternates: z.array(AlternateJsonSchema),
        niStems: z
          .object({
            file: z.string(),
            codec: z.string(),
            timingFrom: z.string().describe("where the encoder priming came from: 'edit list', 'iTunSMPB' or 'none'"),
            stems: z.array(z.object({ name: z.string(), color: z.string() }).strict()),
            masteringDsp: z.record(z.string(), z.unknown()).nullable(),
          })
          .strict()
          .optional()
          .describe('present when the package is one NI Stems file (.stem.mp4)'),
      })
      .strict(),
    stems: z.array(CheckedFileJsonSchema),
    mix: CheckedFileJsonSchema.nullable(),
    sum: z.object({ samplePeakDbfs: nullableNumber, truePeakDbtp: nullableNumber }).strict().nullable(),
    null: NullSummaryJsonSchema.nullable(),
    nullSkipped: z.string().nullable().describe('why the null test did not run, or null when it ran'),
    findings: z.array(FindingJsonSchema),
    notes: z.array(z.string()),
    elapsedMs: z.number(),
  })
  .strict()
  .meta({ id: 'CheckReport' });

/** Several packages checked in one run. */
export const CheckReportsJsonSchema = z
  .object({ schema: z.literal('stemkit.check/1'), ok: z.boolean(), packages: z.array(CheckReportJsonSchema) })
  .strict();

/** What `stemkit check --json` prints: one package's report, or several. */
export const CheckJsonSchema = z.union([CheckReportJsonSchema, CheckReportsJsonSchema]);

/** The JSON Schema of `stemkit.check/1` (schema/check.schema.json). */
export function checkJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://stemkit.dev/schema/check.schema.json',
    title: 'stemkit check report (stemkit.check/1)',
    ...z.toJSONSchema(CheckJsonSchema, { io: 'output' }),
  };
}

// ── the schema and the TypeScript types are the same shape (a difference fails the typecheck) ────

type Same<A, B> = (<T>() => T extends Shape<A> ? 1 : 2) extends <T>() => T extends Shape<B> ? 1 : 2 ? true : false;
type Shape<T> = { [K in keyof T]: T[K] };
type Holds<T extends true> = T;
export type SchemaMatchesTypes = [
  Holds<Same<z.output<typeof FindingJsonSchema>, Finding>>,
  Holds<Same<z.output<typeof ErrorReportJsonSchema>, ErrorReport>>,
  Holds<Same<z.output<typeof AudioFormatJsonSchema>, AudioFormat>>,
  Holds<Same<z.output<typeof FileMeasureJsonSchema>, FileMeasure>>,
  Holds<Same<z.output<typeof CheckedFileJsonSchema>, CheckedFile>>,
  Holds<Same<z.output<typeof AlternateJsonSchema>, AlternateReport>>,
  Holds<Same<z.output<typeof NullSummaryJsonSchema>, NullSummary>>,
  Holds<Same<z.output<typeof CheckReportJsonSchema>, Omit<CheckReport, 'plots'>>>,
];
