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
  /**
   * The loudest window of each time cell (MOMENT_SPACING_SECONDS long, on the package timeline), the
   * TOP_CELLS cells with the loudest, worst first (ties: earlier first). One entry per cell keeps a
   * single loud passage from filling the list; cells on a fixed grid make the merge of segments exact.
   */
  top: ResidualWindow[];
  /** Length of a cell in frames: also the least distance between two reported moments. */
  cellFrames: number;
  /** The residual's largest |sample|, its frame and channel (−1 when there is none). */
  peak: number;
  peakFrame: number;
  peakChannel: number;
  /** Σ of Hann-windowed power spectra (SPECTRUM_SIZE / 2 + 1 bins) of the analysed excerpts, and how many. */
  spectrum: number[];
  spectra: number;
}

/** Reported moments are at least this far apart, so that five of them are five places to listen to. */
export const MOMENT_SPACING_SECONDS = 0.5;
/**
 * Cells kept: a picked moment can exclude at most its two neighbouring cells, so 16 cells always
 * yield five moments when the residual is over the threshold in at least that many places.
 */
const TOP_CELLS = 16;
export const SPECTRUM_SIZE = 4096;

export function emptyResidualMoments(cellFrames: number): ResidualMomentsState {
  return { top: [], cellFrames, peak: 0, peakFrame: -1, peakChannel: -1, spectrum: new Array<number>(SPECTRUM_SIZE / 2 + 1).fill(0), spectra: 0 };
}

/** Worst first; equal peaks, earlier first: one total order, so segmenting never changes the answer. */
function worse(a: ResidualWindow, b: ResidualWindow): number {
  return b.peak - a.peak || a.frame - b.frame;
}

/** Adds a cell's loudest window to a worst-first list bounded at TOP_CELLS. */
function rank(top: ResidualWindow[], w: ResidualWindow): void {
  if (top.length === TOP_CELLS && worse(w, top[top.length - 1]!) >= 0) return;
  let i = top.length;
  while (i > 0 && worse(w, top[i - 1]!) < 0) i--;
  top.splice(i, 0, w);
  if (top.length > TOP_CELLS) top.pop();
}

export class ResidualMoments {
  private readonly s: ResidualMomentsState;
  /** The cell being filled and its loudest window so far (ranked when the next cell starts). */
  private cell = -1;
  private cellBestFrame = -1;
  private cellBestPeak = 0;
  private readonly fft = new FFT(SPECTRUM_SIZE);
  private readonly input = new Float64Array(SPECTRUM_SIZE);
  private readonly complexOut: number[];
  private readonly hann = Float64Array.from({ length: SPECTRUM_SIZE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / SPECTRUM_SIZE));

  constructor(sampleRate: number) {
    this.s = emptyResidualMoments(Math.max(1, Math.round(MOMENT_SPACING_SECONDS * sampleRate)));
    this.complexOut = this.fft.createComplexArray() as number[];
  }

  /** A 10 ms window over the threshold: its peak and where (global frame, channel). Windows arrive in time order. */
  window(frame: number, peak: number, peakFrame: number, channel: number): void {
    const cell = Math.floor(frame / this.s.cellFrames);
    if (cell !== this.cell) {
      this.flushCell();
      this.cell = cell;
    }
    // Strictly louder: the earlier of equal windows stays, as worse() orders them.
    if (this.cellBestFrame < 0 || peak > this.cellBestPeak) {
      this.cellBestFrame = frame;
      this.cellBestPeak = peak;
    }
    if (peak > this.s.peak) {
      this.s.peak = peak;
      this.s.peakFrame = peakFrame;
      this.s.peakChannel = channel;
    }
  }

  private flushCell(): void {
    if (this.cellBestFrame >= 0) rank(this.s.top, { frame: this.cellBestFrame, peak: this.cellBestPeak });
    this.cellBestFrame = -1;
  }

  /** Adds the power spectrum of the channels' mean over [from, from + SPECTRUM_SIZE) of a block (zeros past `frames`). */
  excerpt(planar: Float32Array[], from: number, frames: number): void {
    const x = this.input;
    x.fill(0);
    const to = Math.min(frames, from + SPECTRUM_SIZE);
    const scale = 1 / planar.length;
    for (const channel of planar) for (let i = from; i < to; i++) x[i - from] += scale * channel[i]!;
    for (let i = 0; i < SPECTRUM_SIZE; i++) {
      const v = x[i]! * this.hann[i]!;
      x[i] = v === v ? v : 0;
    }
    // A real input: the real transform fills bins 0 … N/2, all a power spectrum needs, at half the work.
    this.fft.realTransform(this.complexOut, x);
    const out = this.complexOut;
    for (let k = 0; k <= SPECTRUM_SIZE / 2; k++) this.s.spectrum[k]! += out[2 * k]! * out[2 * k]! + out[2 * k + 1]! * out[2 * k + 1]!;
    this.s.spectra++;
  }

  state(): ResidualMomentsState {
    this.flushCell();
    this.cell = -1;
    return { ...this.s, top: [...this.s.top], spectrum: [...this.s.spectrum] };
  }

  /** Segments in time order. A cell cut by a segment boundary has a part in each; its loudest part counts. */
  static merge(states: ResidualMomentsState[]): ResidualMomentsState {
    const out = emptyResidualMoments(states[0]?.cellFrames ?? 1);
    const byCell = new Map<number, ResidualWindow>();
    for (const s of states) {
      for (const w of s.top) {
        const cell = Math.floor(w.frame / out.cellFrames);
        const seen = byCell.get(cell);
        if (!seen || worse(w, seen) < 0) byCell.set(cell, w);
      }
      if (s.peak > out.peak) {
        out.peak = s.peak;
        out.peakFrame = s.peakFrame;
        out.peakChannel = s.peakChannel;
      }
      s.spectrum.forEach((v, k) => (out.spectrum[k]! += v));
      out.spectra += s.spectra;
    }
    out.top = [...byCell.values()].sort(worse).slice(0, TOP_CELLS);
    return out;
  }
}

/** The `count` worst windows at least a cell apart, worst first. */
export function worstMoments(state: ResidualMomentsState, count: number): ResidualWindow[] {
  const picked: ResidualWindow[] = [];
  for (const w of state.top) {
    if (picked.length >= count) break;
    if (picked.every((p) => Math.abs(p.frame - w.frame) >= state.cellFrames)) picked.push(w);
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
