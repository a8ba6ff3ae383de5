import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { StemkitError } from '../errors.js';
import { openAudio } from '../audio/open.js';
import type { AudioSource } from '../audio/types.js';
import { WorkerPool } from '../engine/pool.js';
import { packDelivery, type DeliveryManifest } from '../pack/pack.js';
import { resolveRecipient } from '../pack/recipients.js';
import { parseRoleMap } from '../pack/versions.js';
import { NI_DEFAULT_SLOTS, NiStemSlotSchema, writeNiStems, type NiStemsOptions, type NiStemsResult } from '../pack/ni-stems.js';
import type { AacBackend } from '../audio/aac/encode.js';
import { colours, type Writer } from '../report/terminal.js';
import { progressLine } from './progress.js';

export interface NiStemsCliOptions {
  out: string;
  codec?: string;
  bitrate?: string;
  aacEncoder?: string;
  aacCoder?: string;
  title?: string;
  artist?: string;
  cover?: string;
  slots?: string;
  roles?: string;
  force?: boolean;
  json?: boolean;
}

/** "Drums:#009E73,Bass:#D55E00,…" (names, optional colours) → the four slots; NI's defaults fill what is not given. */
export function parseSlots(text: string | undefined): NiStemsOptions['slots'] {
  if (!text) return NI_DEFAULT_SLOTS;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 4) throw new StemkitError('E_USAGE', `--slots needs 4 entries (drums, bass, melody, vocals), got ${parts.length}`, { hint: 'e.g. --slots "Drums:#009E73,Bass:#D55E00,Synths:#CC79A7,Vocals:#56B4E9"' });
  return parts.map((p, i) => {
    const [name, color] = p.split(':').map((x) => x.trim());
    const slot = NiStemSlotSchema.safeParse({ name: name || NI_DEFAULT_SLOTS[i]!.name, color: color || NI_DEFAULT_SLOTS[i]!.color });
    if (!slot.success) throw new StemkitError('E_USAGE', `--slots entry ${i + 1} "${p}": ${slot.error.issues[0]!.message}`, { hint: 'write name:#RRGGBB' });
    return slot.data;
  });
}

function options(o: NiStemsCliOptions): Omit<NiStemsOptions, 'cover' | 'title'> {
  const codec = o.codec ?? 'aac';
  if (codec !== 'aac' && codec !== 'alac') throw new StemkitError('E_USAGE', `--codec must be aac or alac, got ${codec}`, { hint: 'use --codec aac (Traktor everywhere) or --codec alac (lossless)' });
  const encoder = o.aacEncoder ?? 'auto';
  if (!['auto', 'stemkit', 'ffmpeg', 'wasm'].includes(encoder)) throw new StemkitError('E_USAGE', `--aac-encoder must be auto, stemkit, ffmpeg or wasm, got ${encoder}`, { hint: "auto is stemkit's own encoder; ffmpeg and wasm are FFmpeg's" });
  const coder = o.aacCoder;
  if (coder !== undefined && coder !== 'twoloop' && coder !== 'fast') throw new StemkitError('E_USAGE', `--aac-coder must be twoloop or fast, got ${coder}`, { hint: "FFmpeg's coders: twoloop allocates bits better; fast is about 3x faster" });
  const kbps = o.bitrate === undefined ? 256 : Number(o.bitrate);
  if (!(kbps >= 64 && kbps <= 512)) throw new StemkitError('E_USAGE', `--bitrate must be 64 … 512 (kb/s), got ${o.bitrate}`, { hint: 'NI recommends 256' });
  return { codec, aacEncoder: encoder as AacBackend, ...(coder ? { aacCoder: coder } : {}), bitrate: kbps * 1000, slots: parseSlots(o.slots), ...(o.artist ? { artist: o.artist } : {}) };
}

/** Writes the .stem.mp4 from a delivery that pack made for the ni-stems recipient (4 groups and the mix). */
async function niStemsFromDelivery(dir: string, delivery: DeliveryManifest, out: string, o: NiStemsOptions): Promise<NiStemsResult> {
  const mix = delivery.files.find((f) => f.kind === 'mix');
  const groups = delivery.files.filter((f) => f.kind === 'group');
  if (!mix || groups.length !== 4) throw new StemkitError('E_INTERNAL', `${dir}: the ni-stems delivery holds ${groups.length} groups`, { hint: 'this is a bug in stemkit; please report it' });
  const sources: AudioSource[] = [];
  try {
    for (const f of [mix, ...groups]) sources.push(await openAudio(join(dir, f.file)));
    return await writeNiStems(out, sources[0]!, sources.slice(1), { title: delivery.title, ...o });
  } finally {
    await Promise.all(sources.map((s) => s.close()));
  }
}

/** `stemkit ni-stems`: group the package into the 4 NI slots (checked), conform to 44.1 kHz, encode one .stem.mp4. */
export async function runNiStems(packageDir: string, o: NiStemsCliOptions, stdout: Writer, stderr: Writer & { isTTY?: boolean }): Promise<number> {
  const out = resolve(o.out);
  if (!/\.stem\.(mp4|m4a)$/i.test(out)) throw new StemkitError('E_USAGE', `${out}: NI Stems files are named *.stem.mp4`, { file: out, hint: `use -o ${basename(out).replace(/(\.[^.]*)?$/, '.stem.mp4')}` });
  if (!o.force && (await access(out).then(() => true, () => false))) throw new StemkitError('E_USAGE', `${out} exists`, { file: out, hint: 'pass --force to replace it' });
  const settings = options(o);
  if (settings.codec === 'alac') stderr.write('warning: ALAC NI Stems are lossless, but Traktor on Windows does not load them; use AAC for files that go everywhere\n');
  const cover = o.cover ? await readFile(o.cover).catch((err: Error) => {
    throw new StemkitError('E_IO', `cannot read --cover ${o.cover}: ${err.message}`, { file: o.cover!, hint: 'give a JPEG or PNG file' });
  }) : undefined;
  const staging = await mkdtemp(join(tmpdir(), 'stemkit-ni-pack-'));
  const progress = progressLine(stderr, !o.json);
  const pool = new WorkerPool();
  try {
    const delivery = await packDelivery(resolve(packageDir), {
      recipient: await resolveRecipient('ni-stems'),
      pool,
      outDir: join(staging, 'delivery'),
      zip: false,
      ...(o.roles ? { roles: parseRoleMap(o.roles) } : {}),
      onProgress: ({ fraction }) => progress.update('grouping and checking', fraction),
    });
    if (!delivery.check.ok) throw new StemkitError('E_USAGE', `${packageDir}: the 4 NI groups do not pass the ni-stems check`, { file: packageDir, hint: 'run stemkit check --profile ni-stems on the package and fix what it says' });
    const result = await niStemsFromDelivery(join(staging, 'delivery'), delivery, out, {
      ...settings,
      pool,
      ...(o.title ? { title: o.title } : {}),
      ...(cover ? { cover: new Uint8Array(cover) } : {}),
      onProgress: ({ fraction }) => progress.update(`encoding ${basename(out)}`, fraction),
    });
    progress.done();
    if (o.json) {
      stdout.write(JSON.stringify(result, null, 2) + '\n');
    } else {
      const c = colours(stdout);
      stdout.write(`${c.green('wrote')} ${out}: ${result.codec.toUpperCase()} (${result.encoder}), ${(result.frames / result.sampleRate).toFixed(1)} s at ${result.sampleRate / 1000} kHz, ${(result.bytes / 1e6).toFixed(1)} MB\n`);
      stdout.write(`  track 1 the mix; ${result.metadata.stems.map((s, i) => `${i + 2} ${s.name}`).join(', ')}\n`);
      stdout.write(`  check it: stemkit check ${out}\n`);
    }
    return 0;
  } finally {
    progress.done();
    await pool.close();
    await rm(staging, { recursive: true, force: true });
  }
}
