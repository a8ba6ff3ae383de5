import FFT from 'fft.js';
import { besselI0 } from './kaiser.js';
import { allocateSamples, dot, releaseSamples } from './simd.js';

/**
 * Finds where a short excerpt `probe` best matches inside a longer `haystack`: the lag d such that
 * probe[i] ≈ haystack[i + maxLag − d], for |d| ≤ maxLag. A coarse search runs by FFT on an 8×
 * decimated copy (normalised cross-correlation); the best coarse candidates are then refined by
 * direct correlation at full rate, so the answer is exact to the sample without a full-rate FFT
 * of the whole range. Meant for a haystack that holds a copy of the probe (check correlates a stem
 * with mix − the other stems): plain correlation is the matched filter for that; a whitened one
 * (GCC-PHAT) loses narrow-band material such as a sustained bass note.
 *
 * The coarse correlation is known only every 8 samples. Material with its energy at a few kHz has
 * correlation peaks narrower than that grid: at a lag off the grid (12 samples: 1.5 coarse steps)
 * the true peak is seen on its flanks and scores below a grid-aligned match a period away, and what
 * lies above the coarse Nyquist folds back with the wrong phase. So decimation low-passes first
 * (nothing folds back), and the coarse peaks are ranked twice: by the correlation itself, whose
 * peaks place low and periodic material (a bass note) well, and by its envelope, the magnitude of
 * the analytic correlation, which does not depend on where the grid falls.
 */
const DECIMATION = 8;
/** Coarse candidates refined at full rate: periodic material (bass, tones) has several near-equal peaks. */
const CANDIDATES = 5;
/** …and the envelope's strongest peaks, which hold the match wherever the grid falls. */
const ENVELOPE_CANDIDATES = 2;
/** Coarse peaks at least this fraction of the best count as "nearly as strong". */
const NEARLY_AS_STRONG = 0.98;
/**
 * The decimation low-pass: a Kaiser-windowed sinc of 2·LOWPASS_HALF + 1 taps, cut off at 3/4 of the
 * coarse Nyquist (flat to 1 kHz, −22 dB at the coarse Nyquist, −60 dB from 3.5 kHz, at 48 kHz).
 */
const LOWPASS_HALF = 4 * DECIMATION;
const LOWPASS_CUTOFF = 0.75;
const LOWPASS_BETA = 5;

export interface LagCandidate {
  lag: number;
  /** Normalised correlation at that lag (−1 … 1). */
  correlation: number;
}

let lowpass: Float64Array | null = null;

/** The decimation low-pass's taps (unit gain at DC), made once. */
function lowpassTaps(): Float64Array {
  if (lowpass) return lowpass;
  const taps = new Float64Array(2 * LOWPASS_HALF + 1);
  const fc = (0.5 * LOWPASS_CUTOFF) / DECIMATION;
  const norm = besselI0(LOWPASS_BETA);
  let total = 0;
  for (let t = -LOWPASS_HALF; t <= LOWPASS_HALF; t++) {
    const u = t / LOWPASS_HALF;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const tap = (sinc * besselI0(LOWPASS_BETA * Math.sqrt(1 - u * u))) / norm;
    taps[t + LOWPASS_HALF] = tap;
    total += tap;
  }
  for (let i = 0; i < taps.length; i++) taps[i] = taps[i]! / total;
  return (lowpass = taps);
}

/** x low-passed, one sample in DECIMATION kept: out[i] is x around i·DECIMATION (zeros outside x). */
function decimate(x: Float32Array): Float64Array {
  const taps = lowpassTaps();
  const out = new Float64Array(Math.floor(x.length / DECIMATION));
  for (let i = 0; i < out.length; i++) {
    const centre = i * DECIMATION;
    const first = Math.max(0, centre - LOWPASS_HALF);
    const last = Math.min(x.length - 1, centre + LOWPASS_HALF);
    const tap0 = LOWPASS_HALF - centre;
    let s = 0;
    for (let t = first; t <= last; t++) s += taps[t + tap0]! * x[t]!;
    out[i] = s;
  }
  return out;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** FFT plans by size: a probe of every stem uses the same one. */
const plans = new Map<number, FFT>();
function plan(size: number): FFT {
  let fft = plans.get(size);
  if (!fft) plans.set(size, (fft = new FFT(size)));
  return fft;
}

/** Σ x[k … k + length)² for k in [0, count), by a running sum. */
function windowEnergies(x: ArrayLike<number>, length: number, count: number): Float64Array {
  const out = new Float64Array(count);
  let window = 0;
  for (let i = 0; i < length; i++) window += x[i]! * x[i]!;
  for (let k = 0; k < count; k++) {
    if (k > 0) window += x[k + length - 1]! * x[k + length - 1]! - x[k - 1]! * x[k - 1]!;
    out[k] = Math.max(window, 0);
  }
  return out;
}

/**
 * For k in [0, b.length − a.length]: the normalised cross-correlation r[k] = Σ_i a[i]·b[i+k] /
 * √(Σa² · Σ b[k … k + a.length)²), so a loud passage elsewhere in the haystack cannot outscore the
 * place that actually matches (which reads ±1); and its envelope, the same with b's analytic
 * signal b + i·H(b) in place of b (magnitude, normalised by that signal's window energy), which reads
 * about 1/√2 at a match wherever the grid falls. Both from one product of spectra, by FFT.
 */
function correlateFft(a: Float64Array, b: Float64Array): { r: Float64Array; envelope: Float64Array } {
  const size = nextPow2(a.length + b.length);
  const fft = plan(size);
  const pa = new Float64Array(size);
  pa.set(a);
  const pb = new Float64Array(size);
  pb.set(b);
  const complex = () => new Float64Array(2 * size) as unknown as number[];
  const A = complex();
  const B = complex();
  fft.realTransform(A, pa);
  fft.realTransform(B, pb);
  // Non-negative frequencies only, doubled between DC and Nyquist: analytic signals, whose real
  // parts are the real ones (the correlation itself, and b).
  const half = size / 2;
  const product = complex();
  const analytic = complex();
  for (let i = 0; i <= half; i++) {
    const weight = i === 0 || i === half ? 1 : 2;
    const ar = A[2 * i]!;
    const ai = -A[2 * i + 1]!;
    const br = B[2 * i]!;
    const bi = B[2 * i + 1]!;
    product[2 * i] = weight * (ar * br - ai * bi);
    product[2 * i + 1] = weight * (ar * bi + ai * br);
    analytic[2 * i] = weight * br;
    analytic[2 * i + 1] = weight * bi;
  }
  const z = complex();
  fft.inverseTransform(z, product);
  const bAnalytic = complex();
  fft.inverseTransform(bAnalytic, analytic);
  const count = b.length - a.length + 1;
  let ea = 0;
  for (let i = 0; i < a.length; i++) ea += a[i]! * a[i]!;
  const inPhase = windowEnergies(b, a.length, count);
  const hilbert = new Float64Array(b.length);
  for (let i = 0; i < b.length; i++) hilbert[i] = bAnalytic[2 * i + 1]!;
  const quadrature = windowEnergies(hilbert, a.length, count);
  const r = new Float64Array(count);
  const envelope = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const re = z[2 * k]!;
    const im = z[2 * k + 1]!;
    const norm = Math.sqrt(ea * inPhase[k]!);
    r[k] = norm > 0 ? re / norm : 0;
    const analyticNorm = Math.sqrt(ea * (inPhase[k]! + quadrature[k]!));
    envelope[k] = analyticNorm > 0 ? Math.sqrt(re * re + im * im) / analyticNorm : 0;
  }
  return { r, envelope };
}

/** Local maxima of |x|, in index order. */
function peaksOf(x: Float64Array): number[] {
  const peaks: number[] = [];
  for (let k = 0; k < x.length; k++) {
    const v = Math.abs(x[k]!);
    if ((k === 0 || v >= Math.abs(x[k - 1]!)) && (k === x.length - 1 || v >= Math.abs(x[k + 1]!))) peaks.push(k);
  }
  return peaks;
}

/** The `count` strongest of `peaks` (index order) by |x|, strongest first, the earlier of equals first. */
function strongest(x: Float64Array, peaks: number[], count: number): number[] {
  const top: number[] = [];
  for (const k of peaks) {
    const v = Math.abs(x[k]!);
    if (top.length === count && v <= Math.abs(x[top[count - 1]!]!)) continue;
    let at = top.length;
    while (at > 0 && Math.abs(x[top[at - 1]!]!) < v) at--;
    top.splice(at, 0, k);
    if (top.length > count) top.pop();
  }
  return top;
}

/** Candidate lags, best first. `haystack.length` must be `probe.length + 2·maxLag`. */
export function findLags(probe: Float32Array, haystack: Float32Array, maxLag: number): LagCandidate[] {
  const { r: coarse, envelope } = correlateFft(decimate(probe), decimate(haystack));
  const peaks = peaksOf(coarse);
  const top = strongest(coarse, peaks, CANDIDATES);
  // Repetitive material (a loop, a held note) matches almost as well a period away, and decimation
  // can rank a copy a period away above the real one: of the peaks nearly as strong as the best,
  // the ones nearest lag 0 (plugin latency, a nudged region: what usually happens) join too.
  const zero = maxLag / DECIMATION;
  const best = top.length ? Math.abs(coarse[top[0]!]!) : 0;
  const nearZero = peaks
    .filter((k) => Math.abs(coarse[k]!) >= NEARLY_AS_STRONG * best)
    .sort((x, y) => Math.abs(x - zero) - Math.abs(y - zero) || Math.abs(coarse[y]!) - Math.abs(coarse[x]!) || x - y);
  const chosen = [...new Set([...top, ...nearZero.slice(0, CANDIDATES)])];
  // The envelope's strongest peaks join unless a chosen peak's refinement already covers them:
  // there a stem whose energy lies at a few kHz has its match, whatever its phase on the grid.
  for (const k of strongest(envelope, peaksOf(envelope), ENVELOPE_CANDIDATES)) if (!chosen.some((c) => Math.abs(c - k) <= 1)) chosen.push(k);
  return refine(probe, haystack, maxLag, chosen);
}

/**
 * Each coarse peak refined at full rate: the offset of the strongest direct correlation within two
 * coarse steps of it. The products run in the SIMD kernels (float32 products summed in float64
 * groups): enough to find a peak; the residual test that then decides among the candidates
 * (probeOffset) runs in float64.
 */
function refine(probe: Float32Array, haystack: Float32Array, maxLag: number, chosen: number[]): LagCandidate[] {
  const p = allocateSamples(probe.length);
  const h = allocateSamples(haystack.length);
  try {
    p.set(probe);
    h.set(haystack);
    const frames = probe.length;
    const at = (offset: number) => h.subarray(offset, offset + frames);
    const probeEnergy = dot(p, p, 0, frames);
    const seen = new Set<number>();
    const candidates: LagCandidate[] = [];
    for (const k of chosen) {
      let best = { offset: 0, value: -Infinity };
      const centre = k * DECIMATION;
      for (let offset = Math.max(0, centre - 2 * DECIMATION); offset <= Math.min(2 * maxLag, centre + 2 * DECIMATION); offset++) {
        const value = dot(p, at(offset), 0, frames);
        if (Math.abs(value) > Math.abs(best.value) || best.value === -Infinity) best = { offset, value };
      }
      const lag = maxLag - best.offset;
      if (seen.has(lag)) continue;
      seen.add(lag);
      const window = at(best.offset);
      const norm = Math.sqrt(probeEnergy * dot(window, window, 0, frames)) || 1;
      candidates.push({ lag, correlation: best.value / norm });
    }
    return candidates.sort((a, b) => Math.abs(b.correlation) - Math.abs(a.correlation));
  } finally {
    releaseSamples(h);
    releaseSamples(p);
  }
}
