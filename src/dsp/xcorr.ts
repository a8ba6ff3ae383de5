import FFT from 'fft.js';

/**
 * Finds where a short excerpt `probe` best matches inside a longer `haystack`: the lag d such that
 * probe[i] ≈ haystack[i + maxLag − d], for |d| ≤ maxLag. A coarse search runs by FFT on an 8×
 * decimated copy (normalised cross-correlation); the best coarse candidates are then refined by
 * direct correlation at full rate, so the answer is exact to the sample without a full-rate FFT
 * of the whole range. Meant for a haystack that holds a copy of the probe (check correlates a stem
 * with mix − the other stems): plain correlation is the matched filter for that; a whitened one
 * (GCC-PHAT) loses narrow-band material such as a sustained bass note.
 */
const DECIMATION = 8;
/** Coarse candidates refined at full rate: periodic material (bass, tones) has several near-equal peaks. */
const CANDIDATES = 5;
/** Coarse peaks at least this fraction of the best count as "nearly as strong". */
const NEARLY_AS_STRONG = 0.98;

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

/** r[k] = Σ_i a[i]·b[i+k] for k in [0, b.length − a.length], by FFT. */
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
    product[2 * i] = ar * br - ai * bi;
    product[2 * i + 1] = ar * bi + ai * br;
  }
  const out = fft.createComplexArray();
  fft.inverseTransform(out, product);
  const r = new Float64Array(b.length - a.length + 1);
  for (let k = 0; k < r.length; k++) r[k] = out[2 * k]!;
  return r;
}

/**
 * r[k] / √(Σa² · Σ b[k … k + a.length)²): the normalised cross-correlation, so a loud passage
 * elsewhere in the haystack cannot outscore the place that actually matches (which reads ±1).
 */
function normalise(r: Float64Array, a: Float64Array, b: Float64Array): Float64Array {
  let ea = 0;
  for (let i = 0; i < a.length; i++) ea += a[i]! * a[i]!;
  let window = 0;
  for (let i = 0; i < a.length; i++) window += b[i]! * b[i]!;
  const out = new Float64Array(r.length);
  for (let k = 0; k < r.length; k++) {
    if (k > 0) window += b[k + a.length - 1]! * b[k + a.length - 1]! - b[k - 1]! * b[k - 1]!;
    const norm = Math.sqrt(ea * Math.max(window, 0));
    out[k] = norm > 0 ? r[k]! / norm : 0;
  }
  return out;
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
  const coarse = normalise(correlateFft(coarseProbe, coarseHay), coarseProbe, coarseHay);
  // Local maxima of |r|, strongest first.
  const peaks: number[] = [];
  for (let k = 0; k < coarse.length; k++) {
    const v = Math.abs(coarse[k]!);
    if ((k === 0 || v >= Math.abs(coarse[k - 1]!)) && (k === coarse.length - 1 || v >= Math.abs(coarse[k + 1]!))) peaks.push(k);
  }
  peaks.sort((x, y) => Math.abs(coarse[y]!) - Math.abs(coarse[x]!));
  // Repetitive material (a loop, a held note) matches almost as well a period away, and decimation
  // can rank a copy a period away above the real one: of the peaks nearly as strong as the best,
  // the ones nearest lag 0 (plugin latency, a nudged region: what usually happens) join too.
  const zero = maxLag / DECIMATION;
  const best = peaks.length ? Math.abs(coarse[peaks[0]!]!) : 0;
  const nearZero = peaks.filter((k) => Math.abs(coarse[k]!) >= NEARLY_AS_STRONG * best).sort((x, y) => Math.abs(x - zero) - Math.abs(y - zero));
  const chosen = [...new Set([...peaks.slice(0, CANDIDATES), ...nearZero.slice(0, CANDIDATES)])];
  const probeEnergy = energy(probe);
  const seen = new Set<number>();
  const candidates: LagCandidate[] = [];
  for (const k of chosen) {
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
