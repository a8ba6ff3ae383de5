import { dbToGain } from '../dsp/decibels.js';

/**
 * Gain from a fader (dB) and optional [seconds, dB] breakpoints, as linear amplitude per sample.
 * Between finite breakpoints the level moves linearly in dB, as a DAW's volume lane does; towards
 * or away from −inf it moves linearly in amplitude so fades reach true silence.
 */
export class GainAutomation {
  private readonly times: number[];
  private readonly levels: number[];
  private readonly fader: number;

  constructor(faderDb: number, points: [number, number][] | undefined, sampleRate: number) {
    this.fader = dbToGain(faderDb);
    this.times = (points ?? []).map(([t]) => t * sampleRate);
    this.levels = (points ?? []).map(([, db]) => db);
  }

  get isConstant(): boolean {
    return this.times.length === 0;
  }

  get constantGain(): number {
    return this.fader;
  }

  /** Linear gain at timeline frame `frame`. */
  at(frame: number): number {
    const t = this.times;
    if (t.length === 0) return this.fader;
    let db: number;
    if (frame <= t[0]!) db = this.levels[0]!;
    else if (frame >= t[t.length - 1]!) db = this.levels[t.length - 1]!;
    else {
      let k = 1;
      while (t[k]! < frame) k++;
      const a = this.levels[k - 1]!;
      const b = this.levels[k]!;
      const f = (frame - t[k - 1]!) / (t[k]! - t[k - 1]! || 1);
      if (a === -Infinity || b === -Infinity) {
        const ga = dbToGain(a);
        const gb = dbToGain(b);
        return this.fader * (ga + (gb - ga) * f);
      }
      db = a + (b - a) * f;
    }
    return this.fader * dbToGain(db);
  }

  /** Multiplies `frames` frames starting at timeline `start` by the gain, exact per sample. */
  apply(planar: Float32Array[], frames: number, start: number): void {
    if (this.isConstant) {
      const g = this.fader;
      if (g === 1) return;
      for (const x of planar) for (let i = 0; i < frames; i++) x[i] = x[i]! * g;
      return;
    }
    // Evaluate every 32 samples and interpolate in between: smooth and cheap.
    const step = 32;
    for (let i = 0; i < frames; i += step) {
      const n = Math.min(step, frames - i);
      const g0 = this.at(start + i);
      const g1 = this.at(start + i + n);
      for (const x of planar) for (let k = 0; k < n; k++) x[i + k] = x[i + k]! * (g0 + ((g1 - g0) * k) / n);
    }
  }
}
