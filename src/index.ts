/** stemkit's library entry: everything a program needs to read, write and stream audio. */
import { loadNodeKernels } from './engine/kernels.js';

// In Node the SIMD kernels load with the library, so every export works as soon as it is imported.
await loadNodeKernels();
export { loadNodeKernels };
export { openAudio } from './audio/open.js';
export type { AudioFormat, AudioMeta, AudioSource, BextInfo, ChunkInfo, Container, Encoding, OpenOptions } from './audio/types.js';
export { channelLayout, defaultChannelMask, loudnessWeight } from './audio/channels.js';
export { createWavWriter, type AudioSink, type WavWriterOptions, type WriteReport } from './audio/wav/write.js';
export type { BextFields } from './audio/wav/metadata.js';
export type { WriteSampleFormat } from './audio/pcm-encode.js';
export { WorkerPool } from './engine/pool.js';
// The portable meters and processors (also `stemkit/dsp`, without Node).
export * from './dsp/index.js';
export { ERROR_CODES, StemkitError, isStemkitError, toStemkitError, type ErrorReport, type StemkitErrorCode, type StemkitErrorJson } from './errors.js';
export { checkPackage, type CheckOptions } from './check/check.js';
export { measureFiles, type MeasureEntry, type MeasureOptions } from './check/measure-files.js';
export { describeSource, collectInfo, type InfoEntry } from './audio/describe.js';
export { discoverPackage, discoverPackages, type StemPackage } from './check/discover.js';
export { PROFILES, resolveProfile, type Profile } from './check/profiles.js';
export type { CheckReport, CheckedFile, FileMeasure, Finding, NullSummary } from './check/types.js';
export { RULE_IDS, RULE_TABLE, type RuleEntry, type RuleId, type SeveritySetting } from './check/rules/index.js';
export { renderText } from './report/text.js';
export type { ReportOptions, ReportRenderer } from './report/options.js';
export { renderJunit } from './report/junit.js';
export { renderHtml } from './report/html.js';
export { loadSession, resolveSession, type ResolvedSession } from './session/load.js';
export { renderSession, type PackageManifest, type RenderOptions } from './session/render.js';
export { SessionSchema, type Session, type SessionInput } from './session/schema.js';
export { initSession } from './session/init.js';
export type { SumTarget } from './audio/pcm-encode.js';
export type { PendingWav, WavLayout } from './audio/wav/write.js';
export { openAudioBytes } from './audio/open-bytes.js';
export { BlobBytes, CachedByteSource, HttpBytes, MemoryBytes, type ByteSource } from './audio/byte-source.js';
export type { OnProgress, ProgressPhase, ProgressReport } from './progress.js';
export type { Severity } from './check/profiles.js';
export { ProfileSchema } from './check/profile-schema.js';
export type { TimeRange } from './check/types.js';
export type { AlternateFile, AlternateKind, PackageFile } from './check/discover.js';
export type { Guess, InitResult } from './session/init.js';
export type { ManifestStem } from './session/render.js';
export type { ResolvedTrack } from './session/load.js';
export type { NiStemsReport } from './check/types.js';
export { openNiStemsPackage, releasePackage, type NiStemsSource } from './check/ni-stems-input.js';
export { writeNiStems, parseNiStemMetadata, NI_DEFAULT_SLOTS, MASTERING_OFF, NiStemMetadataSchema, NiStemSlotSchema, MasteringDspSchema, type NiStemsOptions, type NiStemsResult, type NiStemMetadata, type NiStemSlot, type MasteringDsp } from './pack/ni-stems.js';
export type { AacBackend } from './audio/aac/encode.js';
