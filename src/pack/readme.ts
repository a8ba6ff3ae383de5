import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clock } from '../format.js';
import type { DeliveredFile, DeliveryManifest } from './pack.js';

type Spec = Record<string, unknown> & { type?: string };

const n = (x: unknown, digits = 1) => (typeof x === 'number' ? x.toFixed(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '') : String(x));
const db = (x: unknown) => (typeof x === 'number' ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${n(Math.abs(x))} dB` : '? dB');
const hz = (x: unknown) => (typeof x === 'number' ? (x >= 1000 ? `${n(x / 1000, 2)} kHz` : `${n(x, 0)} Hz`) : '? Hz');
const pct = (x: unknown) => (typeof x === 'number' ? `${Math.round(100 * x)} %` : '?');

function band(b: Spec): string {
  switch (b.type) {
    case 'highpass':
      return `HPF ${hz(b.freq)} ${b.slope ?? 12} dB/oct`;
    case 'lowpass':
      return `LPF ${hz(b.freq)} ${b.slope ?? 12} dB/oct`;
    case 'lowshelf':
      return `low shelf ${db(b.gain)} at ${hz(b.freq)}`;
    case 'highshelf':
      return `high shelf ${db(b.gain)} at ${hz(b.freq)}`;
    case 'peak':
      return `${db(b.gain)} at ${hz(b.freq)} (Q ${n(b.q, 2)})`;
    case 'notch':
      return `notch at ${hz(b.freq)}`;
    case 'bandpass':
      return `band-pass at ${hz(b.freq)}`;
    default:
      return String(b.type);
  }
}

/** A processing chain in words: "EQ (HPF 30 Hz 24 dB/oct, −2 dB at 200 Hz (Q 1)), compressor 4:1 at −18 dB …". */
export function describeProcessing(chain: readonly unknown[]): string {
  return chain
    .map((raw) => {
      const p = raw as Spec;
      switch (p.type) {
        case 'gain':
          return `gain ${db(p.gain)}`;
        case 'pan':
          return `pan ${n(p.pan, 2)}`;
        case 'polarity':
          return 'polarity inverted';
        case 'eq':
          return `EQ (${((p.bands as Spec[] | undefined) ?? []).map(band).join(', ')})`;
        case 'compressor':
          return `compressor ${n(p.ratio)}:1 at ${db(p.threshold)} (attack ${n(p.attack ?? 10)} ms, release ${n(p.release ?? 100)} ms${p.makeup ? `, make-up ${db(p.makeup)}` : ''})`;
        case 'limiter':
          return `limiter, ceiling ${n(p.ceiling ?? -1)} dBTP`;
        case 'saturate':
          return `saturation, drive ${db(p.drive ?? 6)}`;
        case 'delay':
          return `delay ${n(p.time)} ms, feedback ${pct(p.feedback ?? 0.3)}, mix ${pct(p.mix ?? 1)}`;
        case 'reverb':
          return p.impulse ? `convolution reverb (${String(p.impulse)})` : `reverb ${n(p.decay ?? 2)} s${p.predelay ? `, pre-delay ${n(p.predelay)} ms` : ''}`;
        case 'return':
          return `send to "${String(p.name)}" (${describeProcessing((p.processing as unknown[]) ?? []) || 'no processing'})`;
        default:
          return String(p.type);
      }
    })
    .join(', ');
}

function processingOf(f: DeliveredFile): string {
  if (f.kind === 'version' || f.kind === 'group') return f.definition ?? '';
  if (f.processing === null) return 'unknown (not rendered by stemkit)';
  if (f.dry) return 'none (dry: before the bus processing and returns)';
  return describeProcessing(f.processing) || 'none';
}

const level = (x: number | null, unit: string) => (x === null ? '—' : `${x.toFixed(1)} ${unit}`);

/** README.txt (plain) and README.md: what is in the delivery, how it was made, how to import it. */
export async function writeReadmes(dir: string, d: DeliveryManifest): Promise<void> {
  const format = `${d.sampleRate / 1000} kHz, ${d.bitDepth === 'float' ? '32-bit float' : `${d.bitDepth}-bit`}, ${d.channels === 1 ? 'mono' : d.channels === 2 ? 'stereo' : `${d.channels} channels`} WAV (BWF)`;
  const length = `${d.frames} samples (${clock(d.durationSec)})`;
  const nulls = d.check.nullResidualDbfs === null ? 'the stems sum to the mix exactly (digital silence)' : `mix − Σ stems peaks at ${d.check.nullResidualDbfs.toFixed(1)} dBFS`;
  const head = [
    `${d.title} — stems for ${d.recipient.name}`,
    '',
    `${d.recipient.description}.`,
    `Format: ${format}. Length: ${length}. Every file starts at 0 (the timeline start) and has the same length, to the sample.`,
    `Import: place every file at the session start and set every fader to 0 dB (unity): the stems then sum to the mix. Checked with the "${d.check.profile}" profile: ${d.check.ok ? 'passed' : 'FAILED'} (${d.check.errors} errors, ${d.check.warnings} warnings); ${nulls}.`,
    'Integrity: sha256sum -c checksums.sha256 (or md5sum -c checksums.md5) in this folder; delivery.json lists every file with its hashes (and the MD5 of its audio data alone).',
  ];
  const rows = d.files.map((f) => ({
    file: f.file,
    what: `${f.kind}${f.role ? ` (${f.role})` : ''}${f.dry ? ', dry' : ''}`,
    levels: `peak ${level(f.peakDbfs, 'dBFS')}, true peak ${level(f.truePeakDbtp, 'dBTP')}, ${level(f.integratedLufs, 'LUFS')}`,
    processing: processingOf(f),
    nulls: f.nullResidualDbfs === undefined ? null : f.nullResidualDbfs === null ? 'nulls against its definition exactly' : `nulls against its definition (residual ${f.nullResidualDbfs.toFixed(1)} dBFS, the delivered format's rounding)`,
  }));
  const txt = [
    ...head,
    '',
    'Files:',
    ...rows.flatMap((r) => [`- ${r.file}: ${r.what}; ${r.levels}`, `    processing: ${r.processing}`, ...(r.nulls ? [`    ${r.nulls}`] : [])]),
    '',
    `Made by stemkit ${d.generator.version}.`,
  ].join('\n');
  const md = [
    `# ${head[0]}`,
    '',
    ...head.slice(2).flatMap((l) => [l, '']),
    '| file | what | levels | processing |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.file}\` | ${r.what} | ${r.levels} | ${r.processing}${r.nulls ? `; ${r.nulls}` : ''} |`),
    '',
    `Made by stemkit ${d.generator.version}.`,
  ].join('\n');
  await writeFile(join(dir, 'README.txt'), txt + '\n');
  await writeFile(join(dir, 'README.md'), md + '\n');
}
