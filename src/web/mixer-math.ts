/** One stem's controls on a strip. */
export interface StripState {
  /** Fader, dB (−Infinity: off). */
  gainDb: number;
  /** −1 (left) … 1 (right); a balance control, unity at the centre so the stems still null. */
  pan: number;
  mute: boolean;
  solo: boolean;
  /** Polarity inverted. */
  invert: boolean;
}

export const unityStrip = (): StripState => ({ gainDb: 0, pan: 0, mute: false, solo: false, invert: false });

/**
 * The routing matrix of a stem into the bus (the package's channel space):
 * route[stemChannel * busChannels + busChannel]. A stem with the bus's channels goes channel to
 * channel; a mono stem in a stereo bus feeds both sides (as check sums it); otherwise channel k to k.
 * Mute, solo (any solo silences the strips not soloed), fader, polarity and balance are folded in.
 */
export function stemRoute(strip: StripState, anySolo: boolean, stemChannels: number, busChannels: number): Float32Array {
  const route = new Float32Array(stemChannels * busChannels);
  const audible = !strip.mute && (!anySolo || strip.solo);
  if (!audible) return route;
  const gain = (strip.invert ? -1 : 1) * (strip.gainDb === -Infinity ? 0 : 10 ** (strip.gainDb / 20));
  const side = (b: number) => (busChannels !== 2 ? 1 : b === 0 ? Math.min(1, 1 - strip.pan) : Math.min(1, 1 + strip.pan));
  for (let s = 0; s < stemChannels; s++) {
    for (let b = 0; b < busChannels; b++) {
      const feeds = stemChannels === busChannels ? s === b : stemChannels === 1 && busChannels === 2 ? true : s === b;
      if (feeds) route[s * busChannels + b] = gain * side(b);
    }
  }
  return route;
}

const HALF_POWER = Math.SQRT1_2;

/**
 * Monitor downmix of the bus to stereo, by speaker label (ITU-R BS.775 style): fronts to their side,
 * centre and surrounds at −3 dB, LFE left out; mono to both sides; unlabelled channels at −3 dB to both.
 */
export function downmixMatrix(layout: string[], channels: number): Float32Array {
  const m = new Float32Array(channels * 2);
  if (channels === 1) {
    m[0] = 1;
    m[1] = 1;
    return m;
  }
  if (channels === 2) {
    m[0] = 1;
    m[3] = 1;
    return m;
  }
  for (let c = 0; c < channels; c++) {
    const label = layout[c] ?? '?';
    if (label === 'LFE') continue;
    if (label === 'L' || label === 'R') m[c * 2 + (label === 'L' ? 0 : 1)] = 1;
    else if (/^L/.test(label)) m[c * 2] = HALF_POWER;
    else if (/^R/.test(label)) m[c * 2 + 1] = HALF_POWER;
    else {
      m[c * 2] = HALF_POWER;
      m[c * 2 + 1] = HALF_POWER;
    }
  }
  return m;
}

/** Derived versions as one-click presets: which stems are vocal decides instrumental, a cappella and TV mix. */
export type Preset = 'full' | 'instrumental' | 'a-cappella' | 'tv';

const VOCAL = /vox|vocal|voice|lead ?v|bgv|choir|sing/i;
const LEAD = /lead|main|^vox$|^vocals?$/i;

/** Strips for a preset, from stem names (and manifest roles when known). */
export function presetStrips(preset: Preset, stems: { name: string; role?: string }[]): StripState[] {
  const vocal = stems.map((s) => s.role === 'vocals' || VOCAL.test(s.name));
  const lead = stems.map((s, k) => vocal[k]! && (LEAD.test(s.name) || s.role === 'vocals'));
  return stems.map((_, k) => {
    const strip = unityStrip();
    if (preset === 'instrumental') strip.mute = vocal[k]!;
    if (preset === 'a-cappella') strip.mute = !vocal[k]!;
    // TV mix: the mix without the lead vocal (backing vocals stay).
    if (preset === 'tv') strip.mute = lead[k]!;
    return strip;
  });
}
