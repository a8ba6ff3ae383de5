// The SIMD kernels, one WebAssembly module: src/dsp/simd.ts loads it and documents each export.
export { monoStats, stereoStats, samplePeak, allFinite } from './stats';
export { addScaled, addScaled2, addScaled4, scale, unitySum } from './mix';
export { truePeak } from './true-peak';
export { kWeightPair, kWeightQuad } from './kweighting';
export { residual, pickedMono, dot } from './pass';
export { encodeInt } from './encode';
export { reverbFused } from './reverb';
export { biquadPair } from './biquad';
export { compress } from './compressor';
