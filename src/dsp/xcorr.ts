import FFT from 'fft.js';

/**
 * Finds where a short excerpt `probe` best matches inside a longer `haystack`: the lag d such that
 * probe[i] ≈ haystack[i + maxLag − d], for |d| ≤ maxLag. A coarse search runs by FFT on an 8×
 * decimated copy; the best coarse candidates are then refined by direct correlation at full rate,
 * so the answer is exact to the sample without a full-rate FFT of the whole range.
 */
const DECIMATION = 8;
/** Coarse candidates refined at full rate: periodic material (bass, tones) has several near-equal peaks. */
const CANDIDATES = 5;

export interface LagCandidate {
  lag: number;
  /** Normalised correlation at that lag (−1 … 1). */
  correlation: number;
}

function decimate(x: Float32Array, factor: number): Float64Array {
  const out = new Float64Array(Math.floor(x.length / factor));
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let k = 0; k < factor; k++) s += x[i * factor + k]!;
    out[i] = s;
  }
  return out;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * r[k] = Σ_i a[i]·b[i+k] for k in [0, b.length − a.length], by FFT, with the cross-spectrum
 * whitened (GCC-PHAT): tonal material (bass notes, pads) otherwise gives a comb of near-equal
 * peaks, while the phase transform leaves one sharp peak at the true lag.
 */
function correlateFft(a: Float64Array, b: Float64Array): Float64Array {
  const size = nextPow2(a.length + b.length);
  const fft = new FFT(size);
  const pa = new Float64Array(size);
  pa.set(a);
  const pb = new Float64Array(size);
  pb.set(b);
  const A = fft.createComplexArray();
  const B = fft.createComplexArray();
  fft.realTransform(A, pa);
  fft.completeSpectrum(A);
  fft.realTransform(B, pb);
  fft.completeSpectrum(B);
  const product = fft.createComplexArray();
  for (let i = 0; i < size; i++) {
    const ar = A[2 * i]!;
    const ai = -A[2 * i + 1]!;
    const br = B[2 * i]!;
    const bi = B[2 * i + 1]!;
    const re = ar * br - ai * bi;
    const im = ar * bi + ai * br;
    const magnitude = Math.hypot(re, im) || 1;
    product[2 * i] = re / magnitude;
    product[2 * i + 1] = im / magnitude;
  }
  const out = fft.createComplexArray();
  fft.inverseTransform(out, product);
  const r = new Float64Array(b.length - a.length + 1);
  for (let k = 0; k < r.length; k++) r[k] = out[2 * k]!;
  return r;
}

function directCorrelation(probe: Float32Array, haystack: Float32Array, offset: number): number {
  let s = 0;
  for (let i = 0; i < probe.length; i++) s += probe[i]! * haystack[i + offset]!;
  return s;
}

function energy(x: Float32Array, from = 0, length = x.length): number {
  let s = 0;
  for (let i = from; i < from + length; i++) s += x[i]! * x[i]!;
  return s;
}

/** Candidate lags, best first. `haystack.length` must be `probe.length + 2·maxLag`. */
export function findLags(probe: Float32Array, haystack: Float32Array, maxLag: number): LagCandidate[] {
  const coarseProbe = decimate(probe, DECIMATION);
  const coarseHay = decimate(haystack, DECIMATION);
  const coarse = correlateFft(coarseProbe, coarseHay);
  // Local maxima of |r|, strongest first.
  const peaks: number[] = [];
  for (let k = 0; k < coarse.length; k++) {
    const v = Math.abs(coarse[k]!);
    if ((k === 0 || v >= Math.abs(coarse[k - 1]!)) && (k === coarse.length - 1 || v >= Math.abs(coarse[k + 1]!))) peaks.push(k);
  }
  peaks.sort((x, y) => Math.abs(coarse[y]!) - Math.abs(coarse[x]!));
  const probeEnergy = energy(probe);
  const seen = new Set<number>();
  const candidates: LagCandidate[] = [];
  for (const k of peaks.slice(0, CANDIDATES)) {
    let best = { offset: 0, value: -Infinity };
    const centre = k * DECIMATION;
    for (let offset = Math.max(0, centre - 2 * DECIMATION); offset <= Math.min(2 * maxLag, centre + 2 * DECIMATION); offset++) {
      const value = directCorrelation(probe, haystack, offset);
      if (Math.abs(value) > Math.abs(best.value) || best.value === -Infinity) best = { offset, value };
    }
    const lag = maxLag - best.offset;
    if (seen.has(lag)) continue;
    seen.add(lag);
    const norm = Math.sqrt(probeEnergy * energy(haystack, best.offset, probe.length)) || 1;
    candidates.push({ lag, correlation: best.value / norm });
  }
  return candidates.sort((a, b) => Math.abs(b.correlation) - Math.abs(a.correlation));
}
