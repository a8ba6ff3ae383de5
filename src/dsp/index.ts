/**
 * `stemkit/dsp`: stemkit's meters and processors without Node — the same code the CLI runs, for a
 * browser page, a Web Worker or an AudioWorklet. Load the SIMD kernels once per thread first:
 *
 *   import { initKernels, createChain, LoudnessMeter } from 'stemkit/dsp';
 *   await initKernels(fetch(new URL('stemkit/wasm/kernels.wasm', import.meta.url)));
 *
 * Everything here works on planar Float32Array blocks (one array per channel) and keeps its state
 * between calls, so any block size gives the same result.
 */
export { initKernels, createKernels, useKernels, loadedKernels, Arena, allocateSamples, releaseSamples, inArena, arenaInUse } from './simd.js';
export type { Kernels, KernelExports, KernelOptions, KernelSource } from './simd.js';
/** The AssemblyScript build's generated instantiate (createKernels calls it; exported for its type). */
export { instantiate as instantiateKernelBindings } from '../../wasm/kernels.js';
export { Overview, type OverviewState } from './overview.js';
export { LoudnessMeter, LOUDNESS_HISTOGRAM_BINS } from './loudness.js';
export type { LoudnessMeterOptions, LoudnessHistogram, LoudnessState, LoudnessSummary } from './loudness.js';
export { TruePeakMeter, truePeakOversampling, truePeakDb } from './true-peak.js';
export type { TruePeakMeterOptions, TruePeakState, TruePeakInterpolator } from './true-peak.js';
export { SignalMeter } from './signal-meter.js';
export type { SignalMeterOptions, SignalMeterState, ClipRun } from './signal-meter.js';
export type { SegmentPosition } from './segment.js';
export { SampleStats, type SampleStatsResult } from './sample-stats.js';
export { Resampler } from './resampler.js';
export { dbToGain, toDb, energyDb } from './decibels.js';
export * from './processors/index.js';
