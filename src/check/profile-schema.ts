import { z } from 'zod';

const severity = z.enum(['error', 'warning', 'info', 'off']);

/**
 * A delivery profile is data: limits and severities, no code. A package's stemkit.json may override
 * any of them under "limits". Levels in dBFS/dBTP/LUFS, counts as integers.
 */
export const ProfileSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    /** Allowed sample rates; empty = any, as long as all files agree. */
    sampleRates: z.array(z.number().int().positive()),
    sampleRateSeverity: severity,
    /** Minimum integer bit depth; 32-bit float always passes. */
    minBitDepth: z.number().int().min(8).max(32),
    /** Stem sample-peak ceiling (level.headroom); null = not judged. */
    stemPeakMaxDbfs: z.number().nullable(),
    stemPeakSeverity: severity,
    /** Stem true-peak ceiling (level.true-peak). */
    stemTruePeakMaxDbtp: z.number().nullable(),
    stemTruePeakSeverity: severity,
    /** Unity-sum sample-peak ceiling (level.sum-headroom). */
    sumPeakMaxDbfs: z.number().nullable(),
    sumPeakSeverity: severity,
    /** Mix integrated loudness target and tolerance (level.loudness), LUFS; null = not judged. */
    mixLoudnessTargetLufs: z.number().nullable(),
    mixLoudnessToleranceLu: z.number().nonnegative(),
    /** Upper bound instead of a target (atmos-music: ≤ −18 LUFS). */
    mixLoudnessMaxLufs: z.number().nullable(),
    mixTruePeakMaxDbtp: z.number().nullable(),
    loudnessSeverity: severity,
    /** Null-test residual peak ceiling (null.residual), dBFS. */
    nullResidualMaxDbfs: z.number(),
    nullSeverity: severity,
    /** Residual confined to the mix's loud peaks is reported as limiting, not as a broken package. */
    tolerateLimiterResidual: z.boolean(),
    /** A package without a reference mix (package.no-mix): the null test cannot run. */
    noMixSeverity: severity,
    stemCountMin: z.number().int().nonnegative(),
    stemCountMax: z.number().int().positive().nullable(),
    /** Free-text caveats printed with the report (e.g. what cannot be measured from public specs). */
    notes: z.array(z.string()),
  })
  .strict();
