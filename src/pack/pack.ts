import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { WriteSampleFormat } from '../audio/pcm-encode.js';
import { createWavWriter } from '../audio/wav/write.js';
import { checkPackage } from '../check/check.js';
import { measureFiles } from '../check/measure-files.js';
import { discoverPackage, type StemPackage } from '../check/discover.js';
import type { CheckReport } from '../check/types.js';
import { allocateDoubles, allocateSamples, releaseSamples, unitySum } from '../dsp/simd.js';
import { lockstep } from '../engine/lockstep.js';
import { siblingModule, type WorkerPool } from '../engine/pool.js';
import type { AudioSource } from '../audio/types.js';
import { StemkitError } from '../errors.js';
import { throwIfAborted, type OnProgress } from '../progress.js';
import { writePackageFolder } from '../package/switch.js';
import { hashFile, writeChecksums, type FileHashes } from './checksums.js';
import { fileName, unknownFields } from './naming.js';
import { writeReadmes } from './readme.js';
import type { Recipient } from './recipients.js';
import { planNiGroups, planVersion, roleFromName, type PackStem, type StemRole, type VersionPlan } from './versions.js';
import { zipFolder } from './zip.js';
import { parseSections, type LoopSection } from './loops.js';
import { lsb, openAll } from './sums.js';
import { toDb } from '../dsp/decibels.js';

export interface PackOptions {
  recipient: Recipient;
  /** The delivery folder: written as one unit (complete or absent). */
  outDir: string;
  /** Also write OUT.zip (store-only, deterministic). Default: the recipient's `zip`. */
  zip?: boolean;
  /** Performance loops: sections in bars (with `bpm`) or seconds, e.g. "intro:1-8,verse:9-24". */
  sections?: string;
  /** Beats per bar for bar sections. Default 4. */
  beatsPerBar?: number;
  /** Crossfade at each loop's seam, ms: its end blends into the audio just before its start. Default 0 (a plain cut). */
  loopCrossfadeMs?: number;
  /** Naming fields the package does not carry. */
  artist?: string;
  bpm?: number;
  key?: string;
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Worker pool for the checks and measurements of long material; null or absent: this thread. */
  pool?: WorkerPool | null;
  /** Stem name (any case) → role, over the manifest's and the name's: which versions and NI slots a stem joins. */
  roles?: ReadonlyMap<string, StemRole>;
}

/** One delivered audio file and what it is. */
export interface DeliveredFile {
  /** Path inside the delivery ("stems/01_Song_Drums.wav"). */
  file: string;
  kind: 'mix' | 'stem' | 'version' | 'group' | 'loop';
  label: string;
  role: StemRole | null;
  /** Package stems it sums (names); the mix: none. */
  from: string[];
  /** Wet or dry (remix deliveries use dry stems where the package has them). */
  dry: boolean;
  /** What the stem's bus printed into it (from the render manifest), or null when unknown. */
  processing: unknown[] | null;
  frames: number;
  peakDbfs: number | null;
  truePeakDbtp: number | null;
  integratedLufs: number | null;
  /** Versions and groups: the residual against their definition (the sum of their stems), dBFS; null for digital silence. */
  nullResidualDbfs?: number | null;
  definition?: string;
  hashes: FileHashes;
}

/** delivery.json: the recipient, the format, every file with its hashes, and the checks that passed. */
export interface DeliveryManifest {
  schema: 'stemkit.delivery/1';
  title: string;
  recipient: { name: string; description: string; profile: string };
  sampleRate: number;
  bitDepth: number | 'float';
  channels: number;
  frames: number;
  durationSec: number;
  start: 'all files start at 0 (timeline start), same length to the sample';
  files: DeliveredFile[];
  check: { profile: string; ok: boolean; errors: number; warnings: number; nullResidualDbfs: number | null };
  generator: { name: 'stemkit'; version: string };
}

interface Output {
  folder: string;
  kind: DeliveredFile['kind'];
  label: string;
  role: StemRole | null;
  /** Source files summed at unity (one for a stem or the mix). */
  paths: string[];
  from: string[];
  dry: boolean;
  processing: unknown[] | null;
  definition?: string;
  /** Loops: the frames of the section, and the crossfade at the seam (frames). */
  range?: { start: number; frames: number; crossfade: number };
}

const VERSION = '0.1.0';

/** Residual of a version against its definition counts as a null up to this many LSB of the delivered format (dither, rounding). */
const NULL_LSB = 2;

/**
 * Packs a checked package for one recipient: the files it asks for (stems or NI groups, the mix,
 * derived versions as subset sums), conformed to its rate and depth (TPDF dither when reducing),
 * named by its template, each version null-checked against its definition, the stems and mix
 * checked with its profile, then read-me, delivery.json and checksums, and optionally a zip.
 */
export async function packDelivery(packageDir: string, options: PackOptions): Promise<DeliveryManifest> {
  const { recipient } = options;
  const badFields = unknownFields(recipient.naming);
  if (badFields.length > 0) {
    throw new StemkitError('E_USAGE', `recipient "${recipient.name}": unknown naming field(s) ${badFields.map((f) => `{${f}}`).join(', ')}`, { hint: 'use {n} {title} {artist} {stem} {version} {bpm} {key} {rate} {bits}' });
  }
  const pkg = await discoverPackage(packageDir);
  if (!pkg.mix || pkg.stems.length === 0) {
    throw new StemkitError('E_USAGE', `${packageDir}: a delivery needs a mix and stems (found ${pkg.mix ? 'no stems' : 'no mix'})`, { file: packageDir, hint: 'pack a package folder that `stemkit check` passes' });
  }
  const source = await checkPackage(pkg, { pool: options.pool ?? null, ...(options.signal ? { signal: options.signal } : {}) });
  if (!source.ok) {
    const first = source.findings.find((f) => f.severity === 'error');
    throw new StemkitError('E_USAGE', `${packageDir} does not pass check (${first?.rule}: ${first?.message})`, { file: packageDir, hint: 'run `stemkit check` and `stemkit fix` first: a delivery is made from a package that nulls' });
  }
  const manifest = pkg.manifest as ManifestLike | null;
  const title = manifest?.title ?? basename(pkg.dir);
  const stems = packStems(pkg, manifest, options.roles);
  const mixFormat = source.mix!.format!;
  const rate = recipient.format.sampleRate === 'keep' ? mixFormat.sampleRate : recipient.format.sampleRate;
  const outputs = planOutputs(pkg, stems, manifest, recipient);
  if (options.sections) outputs.push(...planLoops(outputs, parseSections(options.sections, rate, Math.round((mixFormat.frames * rate) / mixFormat.sampleRate), options.bpm, options.beatsPerBar), Math.round(((options.loopCrossfadeMs ?? 0) * rate) / 1000)));
  const { format, bits, dither } = sampleFormat(recipient.format.bitDepth, mixFormat.encoding, mixFormat.bitDepth);
  const channels = recipient.format.channels === 'keep' ? mixFormat.channels : recipient.format.channels;
  if (channels !== mixFormat.channels && mixFormat.channels > 2) {
    throw new StemkitError('E_USAGE', `recipient "${recipient.name}" asks for ${channels}-channel files; this package has ${mixFormat.channels} channels, and stemkit does not fold surround down`, { hint: 'use a recipient that keeps the channels (format.channels: keep)' });
  }
  const created = await stat(pkg.mix.path);
  const date = created.mtime.toISOString();

  const delivery = await writePackageFolder(options.outDir, async (staging) => {
    for (const folder of new Set(outputs.map((o) => o.folder))) if (folder) await mkdir(join(staging, folder), { recursive: true });
    const taken = new Set<string>();
    const files: DeliveredFile[] = new Array(outputs.length);
    const pool = options.pool ?? null;
    let done = 0;
    // Every file is written (and then hashed) by a pool job; they run side by side, named here in order.
    const jobs = outputs.map((out, k) => {
      throwIfAborted(options.signal, 'the pack');
      const name = fileName(recipient.naming, { n: k + 1, title, ...(options.artist ? { artist: options.artist } : {}), stem: out.label, version: out.kind === 'version' ? out.label : 'Main', ...(options.bpm ? { bpm: options.bpm } : {}), ...(options.key ? { key: options.key } : {}), rate, bits }, taken);
      const file = out.folder ? `${out.folder}/${name}` : name;
      return (async () => {
        if (out.folder.includes('/')) await mkdir(join(staging, out.folder), { recursive: true });
        const written = await writeOn(pool, out, join(staging, file), { rate, channels, format, dither, seed: k + 1, title, recipient: recipient.name, date });
        const nullResidualDbfs = written.residualPeak === null ? undefined : toDb(written.residualPeak);
        if (written.residualPeak !== null && written.residualPeak > NULL_LSB * lsb(bits)) {
          throw new StemkitError('E_INTERNAL', `${file} does not null against its definition (residual ${toDb(written.residualPeak)!.toFixed(1)} dBFS)`, { hint: 'this is a bug in stemkit: please report it' });
        }
        const hashes = await hashOn(pool, join(staging, file));
        files[k] = {
          file,
          kind: out.kind,
          label: out.label,
          role: out.role,
          from: out.from,
          dry: out.dry,
          processing: out.processing,
          frames: written.frames,
          peakDbfs: null,
          truePeakDbtp: null,
          integratedLufs: null,
          ...(nullResidualDbfs !== undefined ? { nullResidualDbfs } : {}),
          ...(out.definition ? { definition: out.definition } : {}),
          hashes,
        };
        options.onProgress?.({ phase: 'write', fraction: ++done / outputs.length });
      })();
    });
    // Every job settles before the first failure is thrown: none may still be writing into a staging folder being removed.
    const failed = (await Promise.allSettled(jobs)).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    options.onProgress?.({ phase: 'write', fraction: 1 });
    // The delivered stems and mix as a package of their own: check discovers them by this manifest.
    const mixFile = files.find((f) => f.kind === 'mix');
    const stemFiles = files.filter((f) => f.kind === 'stem' || f.kind === 'group');
    await writeFile(join(staging, 'stemkit.json'), JSON.stringify({ schema: 'stemkit.package/1', title, profile: recipient.profile, mix: mixFile ? { file: mixFile.file } : undefined, stems: stemFiles.map((f) => ({ name: f.label, file: f.file, role: f.role })) }, null, 2) + '\n');
    const report = stemFiles.length > 0 && mixFile ? await checkPackage(await discoverPackage(staging), { profile: recipient.profile, pool: options.pool ?? null }) : null;
    if (report && !report.ok) {
      const first = report.findings.find((f) => f.severity === 'error');
      throw new StemkitError('E_USAGE', `the delivery for ${recipient.name} does not pass its profile "${recipient.profile}" (${first?.rule}: ${first?.message})`, { hint: 'choose a recipient whose profile the package meets, or fix the package first' });
    }
    await measured(staging, files, report, options.pool ?? null);
    const frames = files[0]?.frames ?? 0;
    const result: DeliveryManifest = {
      schema: 'stemkit.delivery/1',
      title,
      recipient: { name: recipient.name, description: recipient.description, profile: recipient.profile },
      sampleRate: rate,
      bitDepth: bits,
      channels,
      frames,
      durationSec: frames / rate,
      start: 'all files start at 0 (timeline start), same length to the sample',
      files,
      check: checkSummary(report, recipient.profile),
      generator: { name: 'stemkit', version: VERSION },
    };
    await writeFile(join(staging, 'delivery.json'), JSON.stringify(result, null, 2) + '\n');
    await writeReadmes(staging, result);
    await writeChecksums(staging, new Map(files.map((f) => [f.file, f.hashes])));
    return result;
  });
  if (options.zip ?? recipient.zip) await zipFolder(options.outDir, `${options.outDir.replace(/\/+$/, '')}.zip`, date);
  return delivery;
}

type SumOptions = { rate: number; channels: number; format: WriteSampleFormat; dither: boolean; seed: number; title: string; recipient: string; date: string };
type Written = { frames: number; residualPeak: number | null };

/** Pool job: one delivered file (writeSum). */
export function writeSumJob(input: { out: Output; path: string; o: SumOptions }): Promise<Written> {
  return writeSum(input.out, input.path, input.o);
}

/** One delivered file written on a pool worker when there is a pool. */
function writeOn(pool: WorkerPool | null, out: Output, path: string, o: SumOptions): Promise<Written> {
  return pool ? pool.run<{ out: Output; path: string; o: SumOptions }, Written>(siblingModule(import.meta.url, 'pack'), 'writeSumJob', { out, path, o }) : writeSum(out, path, o);
}

/** A file's hashes, computed on a pool worker when there is a pool. */
function hashOn(pool: WorkerPool | null, path: string): Promise<FileHashes> {
  return pool ? pool.run<string, FileHashes>(siblingModule(import.meta.url, 'checksums'), 'hashFile', path) : hashFile(path);
}

/** The render manifest's fields pack reads. */
interface ManifestLike {
  title?: string;
  stems?: { name?: string; file: string; role?: string; dryFile?: string; processing?: unknown[]; returns?: { name: string; processing: unknown[] }[] }[];
}

function packStems(pkg: StemPackage, manifest: ManifestLike | null, roles: ReadonlyMap<string, StemRole> = new Map()): (PackStem & { path: string; dryPath: string | null; processing: unknown[] | null })[] {
  const unknown = [...roles.keys()].filter((name) => !pkg.stems.some((s) => s.name.toLowerCase() === name));
  if (unknown.length) throw new StemkitError('E_USAGE', `--roles names no stem called ${unknown.map((n) => `"${n}"`).join(', ')}`, { hint: `the stems are ${pkg.stems.map((s) => s.name).join(', ')}` });
  return pkg.stems.map((s) => {
    const entry = manifest?.stems?.find((m) => join(pkg.dir, m.file) === s.path);
    const fromOption = roles.get(s.name.toLowerCase());
    const fromManifest = entry?.role as StemRole | undefined;
    const fromName = roleFromName(s.name);
    const processing = entry?.processing ? [...entry.processing, ...(entry.returns ?? []).map((r) => ({ type: 'return', name: r.name, processing: r.processing }))] : null;
    return {
      name: s.name,
      path: s.path,
      dryPath: entry?.dryFile ? join(pkg.dir, entry.dryFile) : null,
      role: fromOption ?? fromManifest ?? fromName ?? 'other',
      roleFrom: fromOption ? 'option' : fromManifest ? 'manifest' : fromName ? 'name' : 'unknown',
      processing,
    };
  });
}

function planOutputs(pkg: StemPackage, stems: ReturnType<typeof packStems>, manifest: ManifestLike | null, recipient: Recipient): Output[] {
  const outputs: Output[] = [];
  if (recipient.groups === 'ni-stems') {
    const groups = planNiGroups(stems);
    if ('refused' in groups) throw refused(recipient, 'the NI Stems groups', groups.refused);
    for (const g of groups) outputs.push(fromPlan(g, 'stems', 'group', stems));
  } else if (recipient.stems) {
    for (const s of stems) {
      const dry = recipient.dry && s.dryPath !== null;
      outputs.push({ folder: 'stems', kind: 'stem', label: s.name, role: s.role, paths: [dry ? s.dryPath! : s.path], from: [s.name], dry, processing: dry ? [] : s.processing });
    }
  }
  if (recipient.mix) outputs.push({ folder: '', kind: 'mix', label: 'Mix', role: null, paths: [pkg.mix!.path], from: [], dry: false, processing: manifest ? (pkg.masterProcessing ?? []) : null });
  for (const kind of recipient.versions) {
    const plan = planVersion(kind, stems);
    if ('refused' in plan) throw refused(recipient, `the ${kind} version`, plan.refused);
    outputs.push(fromPlan(plan, 'versions', 'version', stems));
  }
  return outputs;
}

/** Every stem (or group) and the mix, cut at each section: loops/<section>/…, the same frames for all. */
function planLoops(outputs: Output[], sections: LoopSection[], crossfade: number): Output[] {
  const cut = outputs.filter((o) => o.kind === 'stem' || o.kind === 'group' || o.kind === 'mix');
  for (const s of sections) {
    if (crossfade > s.start) throw new StemkitError('E_USAGE', `section "${s.name}" starts ${s.start} frames in: too early for a ${crossfade}-frame crossfade, which blends in the audio before the start`, { hint: 'start the section later, or use a shorter --loop-crossfade' });
    if (crossfade >= s.frames) throw new StemkitError('E_USAGE', `section "${s.name}" is shorter than its crossfade`, { hint: 'use a shorter --loop-crossfade' });
  }
  return sections.flatMap((s) =>
    cut.map((o) => ({ ...o, folder: `loops/${s.name.replace(/[^A-Za-z0-9._-]/g, '_')}`, kind: 'loop' as const, label: `${o.label} ${s.name}`, range: { start: s.start, frames: s.frames, crossfade } })),
  );
}

function fromPlan(plan: VersionPlan, folder: Output['folder'], kind: Output['kind'], stems: ReturnType<typeof packStems>): Output {
  const members = plan.members.map((i) => stems[i]!);
  const roles = [...new Set(members.map((s) => s.role))];
  return { folder, kind, label: plan.label, role: roles.length === 1 ? roles[0]! : null, paths: members.map((s) => s.path), from: members.map((s) => s.name), dry: false, processing: null, definition: plan.definition };
}

function refused(recipient: Recipient, what: string, why: string): StemkitError {
  return new StemkitError('E_USAGE', `recipient "${recipient.name}" asks for ${what}, which this package cannot make: ${why}`, {
    hint: 'choose another recipient, or give the stems roles (render them with stemkit, or name them by what they carry)',
  });
}

/** The writer's format for a recipient's bit depth; dither only when reducing integer depth. */
function sampleFormat(want: Recipient['format']['bitDepth'], encoding: string, sourceBits: number): { format: WriteSampleFormat; bits: number | 'float'; dither: boolean } {
  const depth = want === 'keep' ? (encoding === 'float' ? 'float' : sourceBits <= 16 ? 16 : sourceBits <= 24 ? 24 : 32) : want;
  if (depth === 'float') return { format: 'float32', bits: 'float', dither: false };
  const format: WriteSampleFormat = depth === 16 ? 'pcm16' : depth === 24 ? 'pcm24' : 'pcm32';
  return { format, bits: depth, dither: depth < 32 && (encoding === 'float' || sourceBits > depth) };
}


/** Σ of the output's sources at the delivery rate, written as one WAV with bext and iXML. */
async function writeSum(out: Output, path: string, o: SumOptions): Promise<Written> {
  const sources = await openAll(out.paths, o.rate);
  const channels = sources[0]!.format.channels;
  const target = o.channels;
  const start = out.range?.start ?? 0;
  const frames = out.range?.frames ?? Math.max(...sources.map((s) => s.format.frames));
  const fade = out.range?.crossfade ?? 0;
  // The audio just before a loop's start, which its last `fade` frames blend into (equal-gain, linear:
  // the loops of the stems still sum to the loop of the mix).
  const before = fade > 0 ? await sumAt(sources, start - fade, fade, channels) : null;
  const sink = await createWavWriter(path, {
    sampleRate: o.rate,
    channels: target,
    format: o.format,
    ...(o.dither ? { dither: 'tpdf' as const, ditherSeed: o.seed } : {}),
    bext: {
      description: `${o.title}: ${out.label}`,
      originator: 'stemkit',
      originatorReference: `stemkit pack ${o.recipient}`,
      originationDate: o.date.slice(0, 10),
      originationTime: o.date.slice(11, 19),
      timeReference: 0,
    },
    ixml: ixmlFor(o.title, out),
  });
  const sum = Array.from({ length: channels }, () => allocateSamples(32768));
  // Versions and groups: the samples exactly as encoded (rounded, dithered, clipped), to compare with
  // the float sum they came from: the file against its definition, without reading it back.
  const asWritten = out.kind === 'version' || out.kind === 'group' ? Array.from({ length: target }, () => allocateDoubles(32768)) : null;
  // Channel conform, one linear map for every file (so the stems still sum to the mix).
  const mono = target === 1 && channels === 2 ? allocateSamples(32768) : null;
  const outputs = (n: number): Float32Array[] => {
    if (target === channels) return sum.map((x) => x.subarray(0, n));
    if (target === 2) return [sum[0]!.subarray(0, n), sum[0]!.subarray(0, n)];
    for (let i = 0; i < n; i++) mono![i] = Math.fround(0.5 * (sum[0]![i]! + sum[1]![i]!));
    return [mono!.subarray(0, n)];
  };
  let residualPeak = 0;
  try {
    for await (const block of lockstep(sources, { start, end: start + frames, blockFrames: 32768 })) {
      const n = block.frames;
      for (let ch = 0; ch < channels; ch++) unitySum(sum[ch]!, block.data.map((planar) => planar[ch]!), n);
      if (before) {
        const from = Math.max(0, frames - fade - (block.start - start));
        for (let i = from; i < n; i++) {
          const k = block.start - start + i - (frames - fade);
          const w = (k + 1) / (fade + 1);
          for (let ch = 0; ch < channels; ch++) sum[ch]![i] = Math.fround(sum[ch]![i]! * (1 - w) + before[ch]![k]! * w);
        }
      }
      const planar = outputs(n);
      if (!asWritten) {
        await sink.write(planar, n);
        continue;
      }
      for (const w of asWritten) w.fill(0, 0, n);
      await sink.write(planar, n, { planar: asWritten, offset: 0 });
      for (let ch = 0; ch < target; ch++) {
        const w = asWritten[ch]!;
        const x = planar[ch]!;
        for (let i = 0; i < n; i++) {
          const d = Math.abs(w[i]! - x[i]!);
          if (d > residualPeak) residualPeak = d;
        }
      }
    }
    await sink.commit();
  } catch (err) {
    await sink.abort();
    throw err;
  } finally {
    sum.forEach(releaseSamples);
    asWritten?.forEach(releaseSamples);
    if (mono) releaseSamples(mono);
    await Promise.all(sources.map((s) => s.close()));
  }
  return { frames, residualPeak: asWritten ? residualPeak : null };
}

/** The unity sum of `sources` over [start, start + frames) (unitySum, as every sum in stemkit). */
async function sumAt(sources: AudioSource[], start: number, frames: number, channels: number): Promise<Float32Array[]> {
  const parts = await Promise.all(sources.map((s) => s.read(start, frames)));
  return Array.from({ length: channels }, (_, ch) => {
    const out = new Float32Array(frames);
    unitySum(out, parts.map((planar) => planar[ch]!), frames);
    return out;
  });
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function ixmlFor(title: string, out: Output): string {
  return `<?xml version="1.0" encoding="UTF-8"?><BWFXML><IXML_VERSION>2.10</IXML_VERSION><PROJECT>${xml(title)}</PROJECT><NOTE>${xml(`${out.kind}: ${out.label}${out.role ? ` (${out.role})` : ''}`)}</NOTE><TRACK_LIST><TRACK_COUNT>1</TRACK_COUNT><TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX><NAME>${xml(out.label)}</NAME><FUNCTION>${xml(out.role ?? out.kind)}</FUNCTION></TRACK></TRACK_LIST></BWFXML>`;
}

/** Fills each file's levels: from the delivery's check for stems and mix, measured here for the rest. */
async function measured(dir: string, files: DeliveredFile[], report: CheckReport | null, pool: WorkerPool | null): Promise<void> {
  const checked = report ? [...report.stems, ...(report.mix ? [report.mix] : [])] : [];
  const rest: DeliveredFile[] = [];
  for (const f of files) {
    const m = checked.find((c) => c.path === join(dir, f.file))?.measure;
    if (!m) {
      rest.push(f);
      continue;
    }
    f.peakDbfs = m.samplePeakDbfs;
    f.truePeakDbtp = m.truePeakDbtp;
    f.integratedLufs = m.integratedLufs;
  }
  const entries = await measureFiles(rest.map((f) => join(dir, f.file)), { pool });
  rest.forEach((f, i) => {
    const e = entries[i]!;
    if ('error' in e) return;
    f.peakDbfs = e.samplePeakDbfs;
    f.truePeakDbtp = e.truePeakDbtp;
    f.integratedLufs = e.integratedLufs;
  });
}

function checkSummary(report: CheckReport | null, profile: string): DeliveryManifest['check'] {
  if (!report) return { profile, ok: true, errors: 0, warnings: 0, nullResidualDbfs: null };
  return {
    profile,
    ok: report.ok,
    errors: report.findings.filter((f) => f.severity === 'error').length,
    warnings: report.findings.filter((f) => f.severity === 'warning').length,
    nullResidualDbfs: report.null?.residualPeakDbfs ?? null,
  };
}
