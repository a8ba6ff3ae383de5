import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { checkOutputFolder, writePackageFolder } from '../package/switch.js';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createWavWriter } from '../audio/wav/write.js';
import { checkPackage } from '../check/check.js';
import { discoverPackage } from '../check/discover.js';
import { createSong, renderTracks, songSession, type Song, type SongTrack } from '../demo/song.js';
import { WorkerPool } from '../engine/pool.js';
import { renderHtml } from '../report/html.js';
import { mixerUrlFor } from '../server/registry.js';
import { renderText } from '../report/text.js';
import { writeFileAtomically } from '../audio/atomic-file.js';
import { resolveSession } from '../session/load.js';
import { renderSession } from '../session/render.js';
import type { SessionInput } from '../session/schema.js';
import { progressLine } from './progress.js';
import { colours, wantsColour, type Writer } from '../report/terminal.js';

const SAMPLE_RATE = 48000;

/** The demo's song: 8 bars (intro, verse, chorus) and a second of ring-out, its 10 main tracks as 5 stems. */
export function demoSong(): Song {
  return createSong({ sampleRate: SAMPLE_RATE, bars: 8, tracks: 10, stems: 5 });
}

const trackFile = (track: SongTrack) => `tracks/${track.name.toLowerCase()}.wav`;

/** Bus processing per stem: EQ and compression, saturation on the bass. */
const DEMO_STEM_PROCESSING: Record<string, NonNullable<SessionInput['stems'][number]['processing']>> = {
  Drums: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 30, slope: 24 }, { type: 'peak', freq: 250, gain: -2, q: 1 }] },
    { type: 'compressor', threshold: -18, ratio: 4, attack: 10, release: 120, makeup: 0 },
  ],
  Bass: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 35, slope: 12 }, { type: 'lowshelf', freq: 120, gain: 1.5 }] },
    { type: 'compressor', threshold: -20, ratio: 3, attack: 20, release: 150, makeup: 1 },
    { type: 'saturate', drive: 6, mix: 0.3 },
  ],
  Music: [{ type: 'eq', bands: [{ type: 'highpass', freq: 120, slope: 12 }, { type: 'highshelf', freq: 8000, gain: 2 }] }],
  Vocals: [
    { type: 'eq', bands: [{ type: 'highpass', freq: 100, slope: 24 }, { type: 'peak', freq: 3000, gain: 2, q: 0.8 }] },
    { type: 'compressor', threshold: -22, ratio: 3, attack: 5, release: 80, makeup: 1, detection: 'rms' },
  ],
};

/** The demo's mix: the song's faders, bus processing on every stem, a shared plate, no master processing (so it nulls). */
export function demoSession(song: Song = demoSong()): SessionInput {
  const session = songSession(song, {
    name: 'stemkit demo song',
    file: trackFile,
    stemProcessing: (stem) => DEMO_STEM_PROCESSING[stem] ?? [],
    // Return EQ as on a console: no rumble or DC into the plate.
    reverb: { name: 'Plate', processing: [{ type: 'eq', bands: [{ type: 'highpass', freq: 150, slope: 12 }] }, { type: 'reverb', decay: 2.2, predelay: 20 }] },
  });
  for (const track of session.stems.flatMap((s) => s.tracks)) {
    track.gain = DEMO_FADERS[track.name!] ?? track.gain;
    // A dotted-eighth echo on the synth lead, and the voice ducked for a second (automation).
    if (track.name === 'Lead Synth') track.processing = [{ type: 'delay', time: 375, feedback: 0.3, mix: 0.2 }];
    if (track.name === 'Lead Vox') track.automation = { gain: [[8, -6], [9, 0]] };
  }
  return session;
}

/** The demo's faders (dB; the song's are for all 48 tracks): the unity sum peaks near −4 dBFS, in the music profile's headroom band. */
const DEMO_FADERS: Record<string, number> = {
  Kick: 1.5,
  Snare: 0.5,
  Hats: -6.5,
  Bass: -7.5,
  Chords: -10.5,
  'Lead Synth': -9.5,
  'Lead Vox': -2.5,
  'BGV Low': -9.5,
  'BGV High': -10.5,
  'FX Sweep': -5.5,
};

/**
 * `stemkit demo [DIR]`: synthesizes a song as multitracks, writes its session, renders the stem
 * package, checks it, writes the HTML report and says where everything is.
 */
/** What a demo folder holds when stemkit wrote it and nobody changed it: its files and their hashes. */
const DEMO_MARK = '.stemkit-demo.json';

async function filesUnder(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(path, base)));
    else out.push(relative(base, path));
  }
  return out;
}

async function hashOf(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** True when `dir` holds exactly an earlier demo, unedited (so running the demo again loses nothing). */
async function untouchedDemo(dir: string): Promise<boolean> {
  const mark = await readFile(join(dir, DEMO_MARK), 'utf8').then((t) => JSON.parse(t) as Record<string, string>, () => null);
  if (!mark) return false;
  // report.html is written after the switch, from the final package: it is the demo's too.
  const present = (await filesUnder(dir)).filter((f) => f !== DEMO_MARK && f !== 'report.html');
  if (present.some((f) => !(f in mark))) return false;
  for (const [f, hash] of Object.entries(mark)) if ((await hashOf(join(dir, f)).catch(() => null)) !== hash) return false;
  return true;
}

export async function runDemo(dirArgument: string | undefined, out: Writer, err: Writer & { isTTY?: boolean } = { write: () => true }, options: { force?: boolean } = {}): Promise<number> {
  const began = Date.now();
  const dir = resolve(dirArgument ?? 'stemkit-demo');
  const c = colours(out);
  // A folder with anything but an untouched earlier demo (an edited session, the user's own files) needs --force.
  if (!options.force && !(await untouchedDemo(dir))) await checkOutputFolder(dir, [], false, 'the demo folder');
  const progress = progressLine(err, true);
  const song = demoSong();
  const session = demoSession(song);
  const sessionPath = join(dir, 'session.yaml');
  const tracks = renderTracks(song);
  const pool = new WorkerPool();
  try {
    // The whole folder is built beside its target and switched in when complete.
    const manifest = await writePackageFolder(dir, async (staging) => {
      await mkdir(join(staging, 'tracks'), { recursive: true });
      progress.update('synthesizing tracks', 0);
      for (const [k, track] of song.tracks.entries()) {
        const sink = await createWavWriter(join(staging, trackFile(track)), { sampleRate: SAMPLE_RATE, channels: track.channels, format: 'pcm24', dither: 'tpdf' });
        await sink.write(tracks[k]!);
        await sink.commit();
      }
      const stagedSession = join(staging, 'session.yaml');
      await writeFile(stagedSession, `# The demo session: edit it and run \`stemkit render ${relative(process.cwd(), sessionPath)}\`\n${stringify(session)}`);
      const resolved = await resolveSession(session, staging, stagedSession);
      const rendered = await renderSession(resolved, { outDir: join(staging, 'package'), pool, onProgress: ({ phase, fraction }) => progress.update(`rendering ${phase}`, fraction) });
      const mark: Record<string, string> = {};
      for (const f of await filesUnder(staging)) mark[f] = await hashOf(join(staging, f));
      await writeFile(join(staging, DEMO_MARK), JSON.stringify(mark, null, 1));
      return rendered;
    });
    const packageDir = join(dir, 'package');
    progress.update('checking', 0);
    const report = await checkPackage(await discoverPackage(packageDir), { pool, onProgress: ({ fraction }) => progress.update('checking', fraction) });
    progress.done();
    const htmlPath = join(dir, 'report.html');
    await writeFileAtomically(htmlPath, renderHtml(report, { mixerUrl: mixerUrlFor(packageDir) }));
    const seconds = ((Date.now() - began) / 1000).toFixed(1);
    out.write(`${c.bold('stemkit demo')}: a ${manifest.durationSec.toFixed(1)} s song as ${tracks.length} multitracks → ${manifest.stems.length} stems + mix, checked, in ${seconds} s\n\n`);
    out.write(renderText(report, { colour: wantsColour(out) }));
    const where = (p: string) => {
      const r = relative(process.cwd(), p);
      return r === '' ? '.' : r.startsWith('..') ? p : r;
    };
    out.write(
      [
        '',
        c.bold('where everything is'),
        `  tracks     ${where(join(dir, 'tracks'))}/`,
        `  session    ${where(sessionPath)}`,
        `  package    ${where(packageDir)}/ (stems/, mix.wav, stemkit.json)`,
        `  report     ${where(htmlPath)}`,
        '',
        `next: ${c.cyan(`npx stemkit check ${where(packageDir)}`)}  ·  ${c.cyan(`npx stemkit render ${where(sessionPath)} --out my-package`)}`,
        `listen: ${c.cyan(`npx stemkit serve ${where(packageDir)}`)}  (a browser mixer: mute, solo, faders, the null test you can hear)`,
        '',
      ].join('\n'),
    );
    return report.ok ? 0 : 1;
  } finally {
    progress.done();
    await pool.close();
  }
}
