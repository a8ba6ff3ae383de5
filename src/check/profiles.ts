import type { z } from 'zod';
import { StemkitError } from '../errors.js';
import type { ProfileSchema } from './profile-schema.js';

/** Severity of a finding; `off` disables a rule in a profile or a package's stemkit.json. */
export type Severity = 'error' | 'warning' | 'info';

/** A delivery profile: the limits and severities `check` judges a package by (see ProfileSchema). */
export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileOverrides = Partial<Omit<Profile, 'name' | 'description'>>;

const MUSIC: Profile = {
  name: 'music',
  description: 'Music stem delivery (the seed\'s conventions): equal formats, 24-bit, stems ≤ −3 dBFS, null below −60 dBFS',
  sampleRates: [],
  sampleRateSeverity: 'error',
  minBitDepth: 24,
  stemPeakMaxDbfs: -3,
  stemPeakSeverity: 'warning',
  stemTruePeakMaxDbtp: -1,
  stemTruePeakSeverity: 'warning',
  sumPeakMaxDbfs: -3,
  sumPeakSeverity: 'warning',
  mixLoudnessTargetLufs: null,
  mixLoudnessToleranceLu: 0,
  mixLoudnessMaxLufs: null,
  mixTruePeakMaxDbtp: null,
  loudnessSeverity: 'error',
  nullResidualMaxDbfs: -60,
  nullSeverity: 'error',
  tolerateLimiterResidual: false,
  // Music stems are often delivered for mixing without a bounce; the verdict line says the null did not run.
  noMixSeverity: 'warning',
  stemCountMin: 2,
  stemCountMax: 16,
  notes: [],
};

/** The built-in delivery profiles by name; music is the default. */
export const PROFILES: Record<string, Profile> = {
  music: MUSIC,
  mastering: {
    ...MUSIC,
    name: 'mastering',
    description: 'Stem mastering: as music, but headroom and true peak are errors; 2–10 stems',
    stemPeakSeverity: 'error',
    stemTruePeakSeverity: 'error',
    sumPeakSeverity: 'error',
    stemCountMax: 10,
    noMixSeverity: 'error',
  },
  sync: {
    ...MUSIC,
    name: 'sync',
    description: 'Sync/library delivery: 48 kHz/24-bit, no stem may clip, 4–12 stems',
    sampleRates: [48000],
    stemPeakMaxDbfs: 0,
    stemPeakSeverity: 'error',
    stemTruePeakMaxDbtp: null,
    sumPeakMaxDbfs: null,
    stemCountMin: 4,
    stemCountMax: 12,
  },
  broadcast: {
    ...MUSIC,
    name: 'broadcast',
    description: 'EBU R128 broadcast: 48 kHz/24-bit, mix −23 ± 1 LUFS, ≤ −1 dBTP',
    sampleRates: [48000],
    stemPeakMaxDbfs: null,
    stemTruePeakMaxDbtp: null,
    sumPeakMaxDbfs: null,
    mixLoudnessTargetLufs: -23,
    mixLoudnessToleranceLu: 1,
    mixTruePeakMaxDbtp: -1,
    stemCountMin: 0,
    stemCountMax: null,
  },
  netflix: {
    ...MUSIC,
    name: 'netflix',
    description: 'Netflix-style DME stems vs printmaster: 48 kHz/24-bit, printmaster −27 ± 2 LUFS, ≤ −2 dBTP, M&E stems ≤ −1 dBTP',
    sampleRates: [48000],
    stemPeakMaxDbfs: null,
    stemTruePeakMaxDbtp: -1,
    stemTruePeakSeverity: 'error',
    sumPeakMaxDbfs: null,
    mixLoudnessTargetLufs: -27,
    mixLoudnessToleranceLu: 2,
    mixTruePeakMaxDbtp: -2,
    tolerateLimiterResidual: true,
    noMixSeverity: 'error',
    stemCountMin: 3,
    stemCountMax: null,
    notes: [
      'Program loudness is measured over all content (BS.1770 gating). Netflix specifies dialogue-gated loudness, whose dialogue detector is not public: the reading here is the full-program value, not a dialogue-gated one.',
    ],
  },
  'atmos-music': {
    ...MUSIC,
    name: 'atmos-music',
    description: 'Dolby Atmos music stems: 48 kHz/24-bit, mix ≤ −18 LUFS and ≤ −1 dBTP',
    sampleRates: [48000],
    stemPeakMaxDbfs: null,
    stemTruePeakMaxDbtp: null,
    sumPeakMaxDbfs: null,
    mixLoudnessMaxLufs: -18,
    mixTruePeakMaxDbtp: -1,
    stemCountMin: 2,
    stemCountMax: null,
  },
  performance: {
    ...MUSIC,
    name: 'performance',
    description: 'Live/DJ performance stems: equal formats, 24-bit, peaks ≤ −3 dBFS (error), 4–8 stems',
    stemPeakSeverity: 'error',
    stemTruePeakMaxDbtp: null,
    sumPeakMaxDbfs: null,
    stemCountMin: 4,
    stemCountMax: 8,
  },
  'ni-stems': {
    ...MUSIC,
    name: 'ni-stems',
    description: 'Native Instruments Stems source: 44.1 or 48 kHz, 16-bit minimum, exactly 4 stems + mix, null ≤ −40 dBFS (warning)',
    sampleRates: [44100, 48000],
    minBitDepth: 16,
    stemPeakMaxDbfs: null,
    stemTruePeakMaxDbtp: null,
    sumPeakMaxDbfs: null,
    nullResidualMaxDbfs: -40,
    nullSeverity: 'warning',
    noMixSeverity: 'error',
    stemCountMin: 4,
    stemCountMax: 4,
  },
};

/**
 * The profile by name, with a package's overrides applied and validated. The schema (zod) is
 * loaded only when there are overrides: most packages have none, and `check` starts sooner.
 */
export async function resolveProfile(name: string, overrides: unknown = {}, source = 'stemkit.json'): Promise<Profile> {
  const base = PROFILES[name];
  if (!base) {
    throw new StemkitError('E_USAGE', `unknown profile '${name}'`, { hint: `use one of: ${Object.keys(PROFILES).join(', ')}` });
  }
  if (overrides === undefined || overrides === null) return base;
  const { ProfileSchema } = await import('./profile-schema.js');
  const parsed = ProfileSchema.partial().strict().safeParse(overrides);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StemkitError('E_USAGE', `${source}: limits.${issue.path.join('.')}: ${issue.message}`, {
      file: source,
      hint: `see the profile fields in stemkit's README (profile '${name}')`,
    });
  }
  return { ...base, ...parsed.data, name: base.name, description: base.description };
}
