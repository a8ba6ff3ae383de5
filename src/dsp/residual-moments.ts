import FFT from 'fft.js';

/**
 * Where and what a residual (mix − Σ stems) is: its worst 10 ms windows by peak, the exact frame and
 * channel of its peak, and an averaged power spectrum of its loudest passages (a limiter leaves
 * broadband peaks, an EQ a band, a codec the top octave, a missing element its own spectrum).
 * Mergeable across time segments: the top lists are re-ranked, the spectra add.
 */

export interface ResidualWindow {
  /** First frame of the 10 ms window. */
  frame: number;
  peak: number;
}

export interface ResidualMomentsState {
  /** The loudest windows, by peak, at most TOP_WINDOWS of them. */
  top: ResidualWindow[];
  /** The residual's largest |sample|, its frame and channel (−1 when there is none). */
  peak: number;
  peakFrame: number;
  peakChannel: number;
  /** Σ of Hann-windowed power spectra (SPECTRUM_SIZE / 2 + 1 bins) of the analysed excerpts, and how many. */
  spectrum: number[];
  spectra: number;
}

/** Candidates kept per segment: enough to pick a few well-separated moments after merging. */
const TOP_WINDOWS = 64;
export const SPECTRUM_SIZE = 4096;

export function emptyResidualMoments(): ResidualMomentsState {
  return { top: [], peak: 0, peakFrame: -1, peakChannel: -1, spectrum: new Array<number>(SPECTRUM_SIZE / 2 + 1).fill(0), spectra: 0 };
}

export class ResidualMoments {
  private readonly s = emptyResidualMoments();
  private readonly fft = new FFT(SPECTRUM_SIZE);
  private readonly input = new Float64Array(SPECTRUM_SIZE);
  private readonly complexIn: number[];
  private readonly complexOut: number[];
  private readonly hann = Float64Array.from({ length: SPECTRUM_SIZE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / SPECTRUM_SIZE));

  constructor() {
    this.complexIn = this.fft.createComplexArray() as number[];
    this.complexOut = this.fft.createComplexArray() as number[];
  }

  /** A 10 ms window over the threshold: its peak and where (global frame, channel). */
  window(frame: number, peak: number, peakFrame: number, channel: number): void {
    const top = this.s.top;
    if (top.length < TOP_WINDOWS || peak > top[top.length - 1]!.peak) {
      top.push({ frame, peak });
      top.sort((a, b) => b.peak - a.peak);
      if (top.length > TOP_WINDOWS) top.pop();
    }
    if (peak > this.s.peak) {
      this.s.peak = peak;
      this.s.peakFrame = peakFrame;
      this.s.peakChannel = channel;
    }
  }

  /** Adds the power spectrum of the channels' mean over [from, from + SPECTRUM_SIZE) of a block (zeros past `frames`). */
  excerpt(planar: Float32Array[], from: number, frames: number): void {
    const x = this.input;
    x.fill(0);
    const to = Math.min(frames, from + SPECTRUM_SIZE);
    const scale = 1 / planar.length;
    for (const channel of planar) for (let i = from; i < to; i++) x[i - from] += scale * channel[i]!;
    const c = this.complexIn;
    for (let i = 0; i < SPECTRUM_SIZE; i++) {
      const v = x[i]! * this.hann[i]!;
      c[2 * i] = v === v ? v : 0;
      c[2 * i + 1] = 0;
    }
    this.fft.transform(this.complexOut, c);
    const out = this.complexOut;
    for (let k = 0; k <= SPECTRUM_SIZE / 2; k++) this.s.spectrum[k]! += out[2 * k]! * out[2 * k]! + out[2 * k + 1]! * out[2 * k + 1]!;
    this.s.spectra++;
  }

  state(): ResidualMomentsState {
    return { ...this.s, top: [...this.s.top], spectrum: [...this.s.spectrum] };
  }

  static merge(states: ResidualMomentsState[]): ResidualMomentsState {
    const out = emptyResidualMoments();
    for (const s of states) {
      out.top.push(...s.top);
      if (s.peak > out.peak) {
        out.peak = s.peak;
        out.peakFrame = s.peakFrame;
        out.peakChannel = s.peakChannel;
      }
      s.spectrum.forEach((v, k) => (out.spectrum[k]! += v));
      out.spectra += s.spectra;
    }
    out.top.sort((a, b) => b.peak - a.peak || a.frame - b.frame);
    out.top.length = Math.min(out.top.length, TOP_WINDOWS);
    return out;
  }
}

/** The `count` worst windows at least `spacing` frames apart, worst first. */
export function worstMoments(state: ResidualMomentsState, count: number, spacing: number): ResidualWindow[] {
  const picked: ResidualWindow[] = [];
  for (const w of state.top) {
    if (picked.length >= count) break;
    if (picked.every((p) => Math.abs(p.frame - w.frame) >= spacing)) picked.push(w);
  }
  return picked;
}

/**
 * The averaged spectrum in fractional-octave bands from 20 Hz to Nyquist, dB relative to a
 * full-scale sine in one channel (so levels compare with the residual's dBFS peak); null when no excerpt was analysed.
 */
export function spectrumBands(state: ResidualMomentsState, sampleRate: number, bandsPerOctave = 6): { hz: number; db: number | null }[] | null {
  if (state.spectra === 0) return null;
  // Parseval: a full-scale sine through a Hann window (Σw² = 3N/8) puts 3N²/32 into its positive-frequency bins.
  const reference = ((3 * SPECTRUM_SIZE * SPECTRUM_SIZE) / 32) * state.spectra;
  const binHz = sampleRate / SPECTRUM_SIZE;
  const bands: { hz: number; db: number | null }[] = [];
  for (let lo = 20; lo < sampleRate / 2; lo *= 2 ** (1 / bandsPerOctave)) {
    const hi = Math.min(sampleRate / 2, lo * 2 ** (1 / bandsPerOctave));
    let power = 0;
    for (let k = Math.ceil(lo / binHz); k <= Math.floor(hi / binHz) && k <= SPECTRUM_SIZE / 2; k++) power += state.spectrum[k]!;
    bands.push({ hz: Math.sqrt(lo * hi), db: power > 0 ? 10 * Math.log10(power / reference) : null });
  }
  return bands;
}
