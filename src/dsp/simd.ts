import { instantiate } from '../../wasm/kernels.js';
import { StemkitError } from '../errors.js';

/**
 * The WebAssembly SIMD kernels (AssemblyScript sources in assembly/, built to wasm/kernels.wasm by
 * `npm run build:wasm`, with their typed bindings wasm/kernels.d.ts) and the memory they work in.
 * Float32 streaming work (mixing, meters' sums and peaks, filters) runs four lanes at a time there,
 * several times faster than scalar JavaScript.
 *
 * Nothing here touches Node or the network: whoever runs the kernels loads them once per thread
 * (or AudioWorklet) with `initKernels(bytes | WebAssembly.Module | Response)`; Node's loader is
 * src/engine/kernels.ts. Sample buffers that live in the kernels' memory (`allocateSamples`) are
 * used in place; any other Float32Array is copied through a staging area in chunks, so every kernel
 * accepts every array and only the speed differs. Before initKernels, allocations return ordinary
 * arrays and processors use their scalar code (same results).
 */

declare global {
  // In every browser and in Node, but missing from Node's type definitions of WebAssembly.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace WebAssembly {
    function compile(bytes: ArrayBuffer | ArrayBufferView): Promise<Module>;
  }
}

/** The kernels' exports, typed by the AssemblyScript build's bindings (so this side cannot drift from assembly/). */
export type KernelExports = Awaited<ReturnType<typeof instantiate>>;

/** What initKernels accepts: the module's bytes, the compiled module, or a fetch of the .wasm file. */
export type KernelSource = ArrayBuffer | ArrayBufferView | WebAssembly.Module | Response | PromiseLike<Response>;

/** Options of `createKernels` and `initKernels`. */
export interface KernelOptions {
  /**
   * Bytes reserved for sample buffers (default 256 MiB). Untouched pages cost no memory on
   * systems that map memory lazily; the size never changes, so views into it never detach. A
   * full arena is not an error: allocations then return ordinary arrays, which only run slower.
   */
  arenaBytes?: number;
}

const PAGE = 65536;
/** Default arena size (see KernelOptions.arenaBytes). */
const DEFAULT_ARENA_BYTES = 256 * 1024 * 1024;
/** Frames per staging chunk for arrays outside the arena. */
const STAGE_FRAMES = 16384;
/** Staging slots: the most arrays one kernel call takes. */
const STAGE_SLOTS = 5;
/** Pointer tables (unitySum's inputs) hold this many entries. */
const MAX_INPUTS = 1024;

// Layout: [0, PAGE) is the module's own (the kernels keep no data there: no data segments, no
// allocator); then the kernels' fixed parameter and scratch regions, the staging slots, and the
// arena for sample buffers.
const RESULTS = PAGE;
const TAPS = RESULTS + 8 * 48;
const POINTERS = TAPS + 8 * 64;
const SCRATCH = POINTERS + 4 * MAX_INPUTS;
const BIQUAD_COEF = SCRATCH + 8 * 1024; // after unitySum's tile (SUM_TILE in assembly/mix.ts)
const BIQUAD_STATE = BIQUAD_COEF + 8 * 20;
/** Frames per biquadPair call: its float64 lane pairs between groups of sections fit here. */
const BIQUAD_FRAMES = 4096;
const BIQUAD_SCRATCH = BIQUAD_STATE + 8 * 16;
const COMPRESSOR_PARAMS = BIQUAD_SCRATCH + 16 * BIQUAD_FRAMES;
const COMPRESSOR_PHASE = COMPRESSOR_PARAMS + 8 * 16;
const LN_TABLE = COMPRESSOR_PHASE + 16;
const STAGING = LN_TABLE + 8 * 4112;
const ARENA = STAGING + 4 * STAGE_FRAMES * STAGE_SLOTS;
// results[8 …]: K-weighting's coefficients (7), interleaved states (8 per pair) and sums (2 per pair).
const KW_COEF = RESULTS + 8 * 8;
const KW_STATE = KW_COEF + 8 * 8;
const KW_ACC = KW_STATE + 8 * 16;

/**
 * Sample buffers in the kernels' memory: a first-fit allocator over [ARENA, end). Arena blocks
 * handed out and free blocks by address → bytes; free blocks also by end → address.
 */
export class Arena {
  private readonly allocated = new Map<number, number>();
  private readonly freeBlocks = new Map<number, number>();
  private readonly freeEnds = new Map<number, number>();
  /** The high-water mark: everything from here on is free. */
  private top = ARENA;

  constructor(
    /** The kernels' memory: the addresses reserve() returns are byte offsets into it. */
    readonly buffer: ArrayBuffer,
    private readonly end: number,
  ) {}

  /**
   * The address of `byteLength` free bytes (16-byte aligned), or −1 when the arena is full. A free
   * block of the same size first (streams reuse a few sizes), then fresh space, then the smallest
   * larger free block. Allocations are per stream or job, never per block: the scans stay short.
   */
  reserve(byteLength: number): number {
    const bytes = Math.ceil(byteLength / 16) * 16;
    if (bytes === 0) return -1;
    const { freeBlocks, freeEnds, allocated } = this;
    let found = -1;
    for (const [at, size] of freeBlocks) {
      if (size === bytes) {
        found = at;
        break;
      }
    }
    if (found < 0 && this.top + bytes <= this.end) {
      allocated.set(this.top, bytes);
      this.top += bytes;
      return this.top - bytes;
    }
    if (found < 0) for (const [at, size] of freeBlocks) if (size > bytes && (found < 0 || size < freeBlocks.get(found)!)) found = at;
    if (found < 0) return -1;
    const size = freeBlocks.get(found)!;
    freeBlocks.delete(found);
    freeEnds.delete(found + size);
    allocated.set(found, size);
    return found;
  }

  /** Gives back the block at `at` (a reserve() result); unknown addresses are ignored. */
  release(at: number): void {
    const { freeBlocks, freeEnds, allocated } = this;
    const bytes = allocated.get(at);
    if (bytes === undefined) return;
    allocated.delete(at);
    // Freed space at the top lowers the high-water mark, together with free blocks just below it,
    // so released space serves any size again.
    if (at + bytes === this.top) {
      this.top = at;
      for (let below = freeEnds.get(this.top); below !== undefined; below = freeEnds.get(this.top)) {
        freeEnds.delete(this.top);
        freeBlocks.delete(below);
        this.top = below;
      }
      return;
    }
    freeBlocks.set(at, bytes);
    freeEnds.set(at + bytes, at);
  }

  /** Bytes handed out and not yet released. */
  inUse(): number {
    let bytes = 0;
    for (const size of this.allocated.values()) bytes += size;
    return bytes;
  }
}

/** One loaded instance of the kernels: its exports, its memory and the arena in it. */
export interface Kernels {
  /** The instance's functions, as the AssemblyScript bindings type them. */
  readonly exports: KernelExports;
  /** Its memory: fixed in size, so views into it never detach. */
  readonly memory: WebAssembly.Memory;
  /** The allocator for sample buffers in that memory. */
  readonly arena: Arena;
}

async function compile(source: KernelSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof (source as PromiseLike<Response>).then === 'function' || (typeof Response !== 'undefined' && source instanceof Response)) {
    const response = await (source as PromiseLike<Response>);
    if (!response.ok) throw new StemkitError('E_IO', `stemkit's SIMD kernels could not be fetched: HTTP ${response.status} ${response.url}`, { file: response.url, hint: 'serve wasm/kernels.wasm beside the page (with Content-Type application/wasm)' });
    return WebAssembly.compile(await response.arrayBuffer());
  }
  return WebAssembly.compile(source as ArrayBuffer | ArrayBufferView);
}

/** Creates an instance of the kernels with its own memory; initKernels also makes it this thread's. */
export async function createKernels(source: KernelSource, options: KernelOptions = {}): Promise<Kernels> {
  const arenaBytes = options.arenaBytes ?? DEFAULT_ARENA_BYTES;
  if (!Number.isInteger(arenaBytes) || arenaBytes < 0 || arenaBytes > 2 ** 31) {
    throw new StemkitError('E_USAGE', `arenaBytes must be an integer from 0 to 2^31, got ${arenaBytes}`, { hint: 'pass the bytes to reserve for sample buffers, e.g. 64 * 1024 * 1024' });
  }
  const pages = Math.ceil((ARENA + arenaBytes) / PAGE);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  // The compressor's logarithms and exponentials are the host's, so its results match the scalar code's.
  const exports = await instantiate(await compile(source), { env: { memory, log: Math.log, exp: Math.exp } });
  return { exports, memory, arena: new Arena(memory.buffer, pages * PAGE) };
}

// This thread's kernels (see initKernels) and views into their memory; empty until then.
let kernels: Kernels | null = null;
let k = null as unknown as KernelExports;
let buffer: ArrayBuffer = new ArrayBuffer(0);
let f32 = new Float32Array(0);
let f64 = new Float64Array(0);
let i32 = new Int32Array(0);
let results = new Float64Array(0);
let pointers = new Uint32Array(0);
let taps = new Float64Array(0);
let biquadCoef = new Float64Array(0);
let biquadState = new Float64Array(0);
/** The filter taps now in `taps` (kernels that take taps share the region). */
let tapsLoaded: Float64Array | null = null;
let lnTableLoaded: Float64Array | null = null;

/**
 * Loads the kernels for this thread (or worklet) and makes them the ones every dsp function uses.
 * Call once before the first block is processed; later calls return the kernels already loaded.
 */
export async function initKernels(source: KernelSource, options: KernelOptions = {}): Promise<Kernels> {
  if (kernels) return kernels;
  const loaded = await createKernels(source, options);
  if (kernels) return kernels;
  useKernels(loaded);
  return loaded;
}

/** Makes `loaded` this thread's kernels (replacing any before; buffers from the old arena then count as ordinary arrays). */
export function useKernels(loaded: Kernels): void {
  kernels = loaded;
  k = loaded.exports;
  buffer = loaded.memory.buffer;
  f32 = new Float32Array(buffer);
  f64 = new Float64Array(buffer);
  i32 = new Int32Array(buffer);
  results = new Float64Array(buffer, RESULTS, 48);
  pointers = new Uint32Array(buffer, POINTERS, MAX_INPUTS);
  taps = new Float64Array(buffer, TAPS, 64);
  biquadCoef = new Float64Array(buffer, BIQUAD_COEF, 20);
  biquadState = new Float64Array(buffer, BIQUAD_STATE, 16);
  tapsLoaded = null;
  lnTableLoaded = null;
}

/** This thread's kernels, or null before initKernels. */
export function loadedKernels(): Kernels | null {
  return kernels;
}

function notLoaded(): StemkitError {
  return new StemkitError('E_USAGE', "stemkit's SIMD kernels are not loaded in this thread", {
    hint: "call initKernels(…) first (in Node, import 'stemkit' or 'stemkit/node', which load them)",
  });
}

function loadTaps(values: Float64Array): void {
  if (values === tapsLoaded) return;
  if (values.length > taps.length) throw new RangeError(`simd: ${values.length} taps do not fit the ${taps.length}-tap region`);
  taps.set(values);
  tapsLoaded = values;
}

/** A typed-array type the arena hands out. */
interface ArenaArrayType<T> {
  readonly BYTES_PER_ELEMENT: number;
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
}

/** `count` zeros of `Type` in the kernels' memory when there is room, else an ordinary array (correct, only slower). */
function allocate<T extends { fill(value: number): T }>(Type: ArenaArrayType<T>, count: number): T {
  const at = kernels ? kernels.arena.reserve(count * Type.BYTES_PER_ELEMENT) : -1;
  return at < 0 ? new Type(count) : new Type(buffer, at, count).fill(0);
}

/** Float32 samples in the kernels' memory (see allocate); give them back with releaseSamples when done. */
export const allocateSamples = (frames: number): Float32Array<ArrayBuffer> => allocate(Float32Array, frames);
/** Float64 values (the renderer's exact sums). */
export const allocateDoubles = (count: number): Float64Array<ArrayBuffer> => allocate(Float64Array, count);
/** Bytes (encoded audio on its way to a file). */
export const allocateBytes = (count: number): Uint8Array<ArrayBuffer> => allocate(Uint8Array, count);
/** Frame indices (the check pass's picked frames). */
export const allocateIndices = (count: number): Int32Array<ArrayBuffer> => allocate(Int32Array, count);

/** Returns an array from allocateSamples (or allocateDoubles, …Bytes, …Indices) to the arena; it must not be used afterwards. Other arrays are ignored. */
export function releaseSamples(x: ArrayBufferView): void {
  if (kernels && x.buffer === buffer) kernels.arena.release(x.byteOffset);
}

/** Whether `x` lives in the kernels' memory (then kernels use it in place). */
export function inArena(x: ArrayBufferView): boolean {
  return x.buffer === buffer;
}

/** Bytes of arena handed out and not yet released (tests watch it for leaks). */
export function arenaInUse(): number {
  return kernels ? kernels.arena.inUse() : 0;
}

/** Runs `body(offset, count)` over [0, n) in one piece when every array is in the arena, else in staging-sized chunks. */
function chunks(arrays: Float32Array[], n: number, body: (offset: number, count: number) => void): void {
  const staged = arrays.some((x) => x.buffer !== buffer);
  const step = staged ? STAGE_FRAMES : n;
  for (let offset = 0; offset < n; offset += step) body(offset, Math.min(step, n - offset));
}

/** The address of x[from …] for `count` frames: in place, or copied into staging slot `slot`. */
function input(x: Float32Array, from: number, count: number, slot: number): number {
  const at = address(x, from, slot);
  if (x.buffer === buffer) return at;
  if (!kernels) throw notLoaded();
  f32.set(x.subarray(from, from + count), at / 4);
  return at;
}

/** Where a kernel finds x[from …]: in place, or staging slot `slot` (already filled by `input`). */
function address(x: Float32Array, from: number, slot: number): number {
  return x.buffer === buffer ? x.byteOffset + 4 * from : STAGING + 4 * STAGE_FRAMES * slot;
}

/** After a kernel wrote into `input`'s address for x: copies staged results back. */
function output(x: Float32Array, from: number, count: number, slot: number): void {
  if (x.buffer === buffer) return;
  const at = address(x, 0, slot) / 4;
  x.set(f32.subarray(at, at + count), from);
}

/** Σx, Σx², max|x| of x[from, to), into out[at … at + 2] (a non-finite sample makes the sums non-finite). */
export function monoStats(x: Float32Array, from: number, to: number, out: Float64Array, at: number): void {
  let sum = 0, squares = 0, max = 0;
  chunks([x], to - from, (offset, count) => {
    k.monoStats(input(x, from + offset, count, 0), count, RESULTS);
    sum += results[0]!;
    squares += results[1]!;
    max = Math.max(max, results[2]!);
  });
  out[at] = sum;
  out[at + 1] = squares;
  out[at + 2] = max;
}

/** monoStats of l and r into out[0 … 5], then Σ L·R (out[6]) and Σ (L − R)² (out[7]). */
export function stereoStats(l: Float32Array, r: Float32Array, from: number, to: number, out: Float64Array): void {
  out.fill(0, 0, 8);
  chunks([l, r], to - from, (offset, count) => {
    k.stereoStats(input(l, from + offset, count, 0), input(r, from + offset, count, 1), count, RESULTS);
    for (let j = 0; j < 8; j++) out[j] = j === 2 || j === 5 ? Math.max(out[j]!, results[j]!) : out[j]! + results[j]!;
  });
}

/** A channel to K-weight: its samples, its filter state (4 float64s at z[4·ch]), and where its Σ y² adds up (acc[ch]). */
export interface KWeightChannel {
  input: Float32Array;
  z: Float64Array;
  ch: number;
  acc: Float64Array;
}

/**
 * K-weights input[from, to) of two or four channels (assembly/kweighting.ts: a pair per float64x2,
 * two pairs in flight at once) and adds each channel's squared outputs, in order, to its acc.
 * `coef`: shelf b0, b1, b2, a1, a2, high-pass a1, a2.
 */
export function kWeight(channels: readonly KWeightChannel[], from: number, to: number, coef: Float64Array): void {
  const count = channels.length;
  if (count !== 2 && count !== 4) throw new RangeError(`kWeight takes 2 or 4 channels, got ${count}`);
  results.set(coef, (KW_COEF - RESULTS) / 8);
  const state = (KW_STATE - RESULTS) / 8;
  const sums = (KW_ACC - RESULTS) / 8;
  for (let c = 0; c < count; c++) {
    const { z, ch, acc } = channels[c]!;
    const at = state + 8 * (c >> 1) + (c & 1);
    for (let j = 0; j < 4; j++) results[at + 2 * j] = z[4 * ch + j]!;
    results[sums + c] = acc[ch]!;
  }
  chunks(channels.map((x) => x.input), to - from, (offset, m) => {
    const p = channels.map((x, slot) => input(x.input, from + offset, m, slot));
    if (count === 2) k.kWeightPair(p[0]!, p[1]!, m, KW_COEF, KW_STATE, KW_ACC);
    else k.kWeightQuad(p[0]!, p[1]!, p[2]!, p[3]!, m, KW_COEF, KW_STATE, KW_ACC);
  });
  for (let c = 0; c < count; c++) {
    const { z, ch, acc } = channels[c]!;
    const at = state + 8 * (c >> 1) + (c & 1);
    for (let j = 0; j < 4; j++) z[4 * ch + j] = results[at + 2 * j]!;
    acc[ch] = results[sums + c]!;
  }
}

/** max(start, max |x[i]|) over [from, to); NaN is passed over. */
export function samplePeak(x: Float32Array, from: number, to: number, start = 0): number {
  let peak = start;
  chunks([x], to - from, (offset, count) => {
    peak = Math.max(peak, k.samplePeak(input(x, from + offset, count, 0), count));
  });
  return peak;
}

/** Whether every x[i] for i in [from, to) is finite (no NaN, no ±Infinity). */
export function allFinite(x: Float32Array, from: number, to: number): boolean {
  let finite = true;
  chunks([x], to - from, (offset, count) => {
    if (finite) finite = k.allFinite(input(x, from + offset, count, 0), count);
  });
  return finite;
}

/** y[i] += c·x[i] for i < n (float32 arithmetic). */
export function addScaled(y: Float32Array, x: Float32Array, c: number, n: number): void {
  chunks([y, x], n, (o, m) => {
    k.addScaled(input(y, o, m, 0), input(x, o, m, 1), c, m);
    output(y, o, m, 0);
  });
}

/** y0 += c0·x and y1 += c1·x over n samples: a mono source panned into two outputs. */
export function addScaled2(x: Float32Array, y0: Float32Array, c0: number, y1: Float32Array, c1: number, n: number): void {
  chunks([x, y0, y1], n, (o, m) => {
    k.addScaled2(input(x, o, m, 0), input(y0, o, m, 1), c0, input(y1, o, m, 2), c1, m);
    output(y0, o, m, 1);
    output(y1, o, m, 2);
  });
}

/** addScaled2 into four outputs (a panned track and its stereo send). */
export function addScaled4(
  x: Float32Array,
  y0: Float32Array, c0: number,
  y1: Float32Array, c1: number,
  y2: Float32Array, c2: number,
  y3: Float32Array, c3: number,
  n: number,
): void {
  chunks([x, y0, y1, y2, y3], n, (o, m) => {
    k.addScaled4(input(x, o, m, 0), input(y0, o, m, 1), c0, input(y1, o, m, 2), c1, input(y2, o, m, 3), c2, input(y3, o, m, 4), c3, m);
    for (const [y, slot] of [[y0, 1], [y1, 2], [y2, 3], [y3, 4]] as const) output(y, o, m, slot);
  });
}

/** y[i] = c·x[i] for i < n; y may be x. */
export function scale(y: Float32Array, x: Float32Array, c: number, n: number): void {
  chunks([y, x], n, (o, m) => {
    const py = input(y, o, m, 0);
    k.scale(py, y === x ? py : input(x, o, m, 1), c, m);
    output(y, o, m, 0);
  });
}

/**
 * out[k] = Σ inputs[j][k] for k < n, added in float64 in input order and rounded to float32 once
 * (the value of a float64 running sum), so every unity sum in stemkit agrees to the bit.
 */
export function unitySum(out: Float32Array, inputs: Float32Array[], n: number): void {
  if (inputs.length === 0) {
    out.fill(0, 0, n);
    return;
  }
  if (out.buffer === buffer && inputs.length <= MAX_INPUTS && inputs.every((x) => x.buffer === buffer)) {
    inputs.forEach((x, j) => (pointers[j] = x.byteOffset));
    k.unitySum(out.byteOffset, POINTERS, inputs.length, n, SCRATCH);
    return;
  }
  // Outside the arena: a float64 running sum in JavaScript (the same arithmetic, so the same value).
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const x of inputs) acc += x[i]!;
    out[i] = acc;
  }
}

/** True-peak interpolators: the windowed sinc at ×4 or ×2, or BS.1770's 48-tap table at ×4. */
export type TruePeakKernel = 'sinc4' | 'sinc2' | 'bs1770';
const KERNEL_ID = { sinc4: 4, sinc2: 2, bs1770: 1770 } as const;
/** Frames before `from` that each interpolator reads. */
export const TRUE_PEAK_HISTORY = { sinc4: 23, sinc2: 23, bs1770: 11 } as const;

/**
 * The running true peak (from `peak`) after x[from, to), where x[from − history, from) is
 * history: assembly/true-peak.ts. `kernelTaps` in that file's layout; the gains are the skip
 * test's bounds (see TruePeakMeter).
 */
export function truePeak(
  x: Float32Array,
  from: number,
  to: number,
  peak: number,
  kernel: TruePeakKernel,
  kernelTaps: Float64Array,
  worstGain: number,
  linearGain: number,
  curvatureGain: number,
): number {
  loadTaps(kernelTaps);
  const id = KERNEL_ID[kernel];
  if (x.buffer === buffer) return k.truePeak(x.byteOffset, from, to, peak, id, TAPS, worstGain, linearGain, curvatureGain);
  // Staged in chunks that carry their own history.
  const H = TRUE_PEAK_HISTORY[kernel];
  for (let at = from; at < to; ) {
    const count = Math.min(STAGE_FRAMES - H, to - at);
    peak = k.truePeak(input(x, at - H, H + count, 0), H, H + count, peak, id, TAPS, worstGain, linearGain, curvatureGain);
    at += count;
  }
  return peak;
}

/**
 * out[k] = mix[k] − sum[k] (float32) for k < n; whether some |out[k]| with k ≥ from exceeds
 * `threshold` (NaN never does).
 */
export function residual(out: Float32Array, mix: Float32Array, sum: Float32Array, from: number, n: number, threshold: number): boolean {
  let over = false;
  chunks([out, mix, sum], n, (o, m) => {
    const p = input(out, o, m, 0);
    const start = Math.min(m, Math.max(0, from - o));
    if (k.residual(p, input(mix, o, m, 1), input(sum, o, m, 2), start, m, threshold)) over = true;
    output(out, o, m, 0);
  });
  return over;
}

/** out[t] = Σ over channels of channel[picks[t]], for t < count: the mono downmix of picked frames. */
export function pickedMono(out: Float32Array, channels: Float32Array[], picks: Int32Array, count: number): void {
  if (out.buffer === buffer && picks.buffer === buffer && channels.length <= MAX_INPUTS && channels.every((x) => x.buffer === buffer)) {
    channels.forEach((x, c) => (pointers[c] = x.byteOffset));
    k.pickedMono(out.byteOffset, POINTERS, channels.length, picks.byteOffset, count);
    return;
  }
  // Outside the arena (a gather cannot be staged in chunks): the same sums in JavaScript.
  for (let t = 0; t < count; t++) {
    let m = 0;
    for (const x of channels) m = Math.fround(m + x[picks[t]!]!);
    out[t] = m;
  }
}

/** Σ x[t]·y[t] over [from, to), float32 products summed in groups of 16 per lane (error within 2⁻²⁰ of Σ|x·y|). */
export function dot(x: Float32Array, y: Float32Array, from: number, to: number): number {
  if (x.buffer === buffer && y.buffer === buffer) return k.dot(x.byteOffset, y.byteOffset, from, to);
  let d = 0;
  chunks([x, y], to - from, (o, m) => {
    d += k.dot(input(x, from + o, m, 0), input(y, from + o, m, 1), 0, m);
  });
  return d;
}

/**
 * Float32 → 16/24-bit little-endian PCM, mono or stereo interleaved, rounded halves up and clipped
 * (assembly/encode.ts), each written value also added to `sum` when given. Returns the clipped and
 * non-finite counts, or null when an array is outside the arena (the caller then encodes in
 * JavaScript, which gives the same bytes).
 */
export function encodeInt(
  planar: Float32Array[],
  frames: number,
  bytes: 2 | 3,
  out: Uint8Array,
  sum: { planar: Float64Array[]; offset: number } | null,
): { clipped: number; nonFinite: number } | null {
  const channels = planar.length;
  if (channels < 1 || channels > 2 || out.buffer !== buffer || planar.some((x) => x.buffer !== buffer)) return null;
  if (sum && sum.planar.some((x) => x.buffer !== buffer)) return null;
  const at = (ch: number) => (sum ? sum.planar[ch]!.byteOffset + 8 * sum.offset : 0);
  const [a, b] = planar;
  k.encodeInt(a!.byteOffset, b ? b.byteOffset : 0, channels === 2 ? 1 : 0, frames, bytes, out.byteOffset, at(0), channels === 2 ? at(1) : 0, RESULTS);
  return { clipped: results[0]!, nonFinite: results[1]! };
}

/** Most frames one reverbFused call takes (the audio of a call is staged in one piece). */
export const REVERB_FUSED_MAX_FRAMES = STAGE_FRAMES;

/**
 * The reverb's fused feedback-delay-network pass (assembly/reverb.ts) over x0/x1[off, off + len),
 * len ≤ REVERB_FUSED_MAX_FRAMES: the network's arrays in the arena (the caller checks; see
 * Reverb), the audio anywhere (staged when outside).
 */
export function reverbFused(lines: Float64Array, index: Int32Array, params: Float64Array, x0: Float32Array, x1: Float32Array | null, off: number, xin: Float64Array, len: number): void {
  k.reverbFused(lines.byteOffset, index.byteOffset, params.byteOffset, input(x0, off, len, 0), x1 ? input(x1, off, len, 1) : 0, xin.byteOffset, len);
  output(x0, off, len, 0);
  if (x1) output(x1, off, len, 1);
}

/**
 * A biquad cascade (b0, b1, b2, a1, a2 per section in `coef`) over channels a and b in place,
 * frames [from, from + n): assembly/biquad.ts, four sections a pass, float64 between them. `z`
 * holds z1, z2 per section per channel, channel-major (z[2·(ch·S + s)]); chA's and chB's are
 * updated. Arrays outside the arena go through staging. Returns false, doing nothing, before
 * initKernels (the caller then runs its scalar code, which gives the same results).
 */
export function biquadPair(a: Float32Array, b: Float32Array, from: number, n: number, coef: Float64Array, z: Float64Array, chA: number, chB: number): boolean {
  if (!kernels) return false;
  const S = coef.length / 5;
  const groups = Math.ceil(S / 4);
  for (let at = 0; at < n; at += BIQUAD_FRAMES) {
    const m = Math.min(BIQUAD_FRAMES, n - at);
    for (let g = 0; g < groups; g++) {
      const count = Math.min(4, S - 4 * g);
      biquadCoef.fill(0);
      biquadCoef.set(coef.subarray(20 * g, 20 * g + 5 * count));
      for (let s = 0; s < count; s++) {
        const za = 2 * (chA * S + 4 * g + s), zb = 2 * (chB * S + 4 * g + s);
        biquadState[4 * s] = z[za]!;
        biquadState[4 * s + 1] = z[zb]!;
        biquadState[4 * s + 2] = z[za + 1]!;
        biquadState[4 * s + 3] = z[zb + 1]!;
      }
      // Staged arrays are copied in before the first group of sections and out after the last.
      const pa = g === 0 ? input(a, from + at, m, 0) : address(a, from + at, 0);
      const pb = g === 0 ? input(b, from + at, m, 1) : address(b, from + at, 1);
      k.biquadPair(pa, pb, BIQUAD_SCRATCH, m, BIQUAD_COEF, count, BIQUAD_STATE, g > 0 ? 1 : 0, g < groups - 1 ? 1 : 0);
      if (g === groups - 1) {
        output(a, from + at, m, 0);
        output(b, from + at, m, 1);
      }
      for (let s = 0; s < count; s++) {
        const za = 2 * (chA * S + 4 * g + s), zb = 2 * (chB * S + 4 * g + s);
        z[za] = biquadState[4 * s]!;
        z[zb] = biquadState[4 * s + 1]!;
        z[za + 1] = biquadState[4 * s + 2]!;
        z[zb + 1] = biquadState[4 * s + 3]!;
      }
    }
  }
  return true;
}

/** The compressor's state and parameters in compress's layout (see assembly/compressor.ts). */
export interface CompressorKernelState {
  /** threshold, half knee, 1/(2·knee), slope, knee start, dB scale, attack, release, make-up, RMS coefficient, then y1, yL, lin, ms of a, ms of b. */
  params: Float64Array;
  phase: number;
  startBits: number;
  /** ln(1 + i/4096), i = 0 … 4096. */
  lnTable: Float64Array;
}

/**
 * Compresses a[0, n) (and b, linked) in place in the SIMD module: `state.params` and `state.phase`
 * are updated. Arrays outside the arena go through staging, a chunk at a time (the state carries
 * over exactly). Returns false, doing nothing, before initKernels.
 */
export function compress(a: Float32Array, b: Float32Array | null, n: number, rms: boolean, state: CompressorKernelState): boolean {
  if (!kernels) return false;
  if (lnTableLoaded !== state.lnTable) {
    f64.set(state.lnTable, LN_TABLE / 8);
    lnTableLoaded = state.lnTable;
  }
  f64.set(state.params, COMPRESSOR_PARAMS / 8);
  i32[COMPRESSOR_PHASE / 4] = state.phase;
  chunks(b ? [a, b] : [a], n, (o, m) => {
    k.compress(input(a, o, m, 0), b ? input(b, o, m, 1) : 0, m, rms ? 1 : 0, COMPRESSOR_PARAMS, COMPRESSOR_PHASE, state.startBits, LN_TABLE);
    output(a, o, m, 0);
    if (b) output(b, o, m, 1);
  });
  state.params.set(f64.subarray(COMPRESSOR_PARAMS / 8, COMPRESSOR_PARAMS / 8 + state.params.length));
  state.phase = i32[COMPRESSOR_PHASE / 4]!;
  return true;
}
