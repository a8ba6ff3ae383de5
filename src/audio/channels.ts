/**
 * WAVE speaker positions (KSAUDIO_SPEAKER_* bits) and the labels film and music people use.
 * One place for the mapping so WAV, AIFF and FLAC report layouts identically.
 */
const SPEAKER_LABELS = [
  'L', // 0x1 front left
  'R', // 0x2 front right
  'C', // 0x4 front center
  'LFE', // 0x8 low frequency
  'Ls', // 0x10 back left (the 5.1 surround pair in WAVE files)
  'Rs', // 0x20 back right
  'Lc', // 0x40 front left of center
  'Rc', // 0x80 front right of center
  'Cs', // 0x100 back center
  'Lss', // 0x200 side left (7.1 side surround)
  'Rss', // 0x400 side right
  'Tc', // 0x800 top center
  'Tfl', // 0x1000
  'Tfc', // 0x2000
  'Tfr', // 0x4000
  'Tbl', // 0x8000
  'Tbc', // 0x10000
  'Tbr', // 0x20000
] as const;

/** Default masks for files that do not carry one (WAVEFORMATEX, AIFF, FLAC), per Microsoft/FLAC conventions. */
const DEFAULT_MASKS: Record<number, number> = {
  1: 0x4, // mono is centre
  2: 0x3,
  3: 0x7, // L R C
  4: 0x33, // L R Ls Rs (quad)
  5: 0x37, // L R C Ls Rs
  6: 0x3f, // 5.1: L R C LFE Ls Rs
  7: 0x70f, // 6.1: L R C LFE Cs Lss Rss
  8: 0x63f, // 7.1: L R C LFE Ls Rs Lss Rss
};

/** The WAVE channel mask assumed for `channels` channels when a file carries none; null for counts without a convention (0, or more than 8). */
export function defaultChannelMask(channels: number): number | null {
  return DEFAULT_MASKS[channels] ?? null;
}

/**
 * Labels for each channel: the set bits of `mask` in ascending order, then "?" for channels beyond
 * the mask. Mono is labelled "M" rather than "C" because that is what a mix engineer calls it.
 */
export function channelLayout(channels: number, mask: number | null): string[] {
  const effective = mask ?? defaultChannelMask(channels);
  if (channels === 1 && (effective === null || effective === 0x4)) return ['M'];
  const labels: string[] = [];
  if (effective !== null) {
    for (let bit = 0; bit < SPEAKER_LABELS.length && labels.length < channels; bit++) {
      if (effective & (1 << bit)) labels.push(SPEAKER_LABELS[bit]!);
    }
  }
  while (labels.length < channels) labels.push('?');
  return labels;
}

/** BS.1770 channel weights: LFE excluded, surrounds +1.5 dB (1.41), everything else 1.0. */
export function loudnessWeight(label: string): number {
  if (label === 'LFE') return 0;
  if (label === 'Ls' || label === 'Rs' || label === 'Lss' || label === 'Rss' || label === 'Cs') return 1.41;
  return 1;
}
