import { basename, dirname, extname, join, resolve } from 'node:path';
import { WorkerPool } from '../engine/pool.js';
import { loadSession } from '../session/load.js';
import { checkOutputFolder, writePackageFolder } from '../package/switch.js';
import { renderSession } from '../session/render.js';
import { progressLine } from './progress.js';
import { colours, table, type Writer } from '../report/terminal.js';
import { decimal, sampleFormatLabel } from '../format.js';

/** `stemkit render`: the package, or (with --json) its manifest. */
export async function runRender(sessionFile: string, options: { out?: string; dry?: boolean; json?: boolean; force?: boolean; replaceNonFinite?: boolean }, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const resolved = await loadSession(sessionFile);
  const outDir = resolve(options.out ?? join(dirname(sessionFile), `${basename(sessionFile, extname(sessionFile))}-package`));
  // Refused before any work: a folder that holds the session's own files, or (without --force) anything.
  const inputs = [resolve(sessionFile), ...resolved.tracks.flat().map((t) => t.path), ...resolved.impulses.values()];
  await checkOutputFolder(outDir, inputs, Boolean(options.force), options.out ? '--out' : 'the package folder');
  const pool = new WorkerPool();
  const progress = progressLine(err, !options.json);
  try {
    // Built beside the target and switched in when complete: the previous package stays until then.
    const manifest = await writePackageFolder(outDir, (staging) => renderSession(resolved, { outDir: staging, dry: Boolean(options.dry), replaceNonFinite: Boolean(options.replaceNonFinite), pool, onProgress: ({ phase, fraction }) => progress.update(`rendering ${phase}`, fraction) }));
    progress.done();
    if (options.json) {
      out.write(JSON.stringify(manifest, null, 2) + '\n');
      return 0;
    }
    const c = colours(out);
    out.write(
      `${c.bold(manifest.title)}: ${manifest.stems.length} stems + mix → ${outDir}\n` +
        `${manifest.sampleRate} Hz · ${sampleFormatLabel(manifest.bitDepth === '32f' ? { encoding: 'float', bitDepth: 32 } : { encoding: 'pcm', bitDepth: manifest.bitDepth })} · ${manifest.channels} ch · ${manifest.frames} frames (${manifest.durationSec.toFixed(2)} s, tail ${manifest.render.tailSec.toFixed(2)} s) · ${manifest.render.realtimeFactor}× real time\n\n`,
    );
    const rows = [['file', 'peak dBFS', 'TP dBTP', 'LUFS', 'latency comp.'].map(c.bold)];
    for (const s of manifest.stems) rows.push([s.file, decimal(s.peakDbfs), decimal(s.truePeakDbtp), decimal(s.integratedLufs), `${s.latencyCompensated} smp`]);
    rows.push([manifest.mix.file, decimal(manifest.mix.peakDbfs), decimal(manifest.mix.truePeakDbtp), decimal(manifest.mix.integratedLufs), `${manifest.mix.latencyCompensated} smp`]);
    out.write(table(rows, [1, 2, 3, 4]) + '\n');
    if (manifest.mix.masterProcessing.length) out.write(`\n${c.yellow('note:')} the mix is printed through master processing (recorded in stemkit.json); it will not null against the stems by design.\n`);
    for (const s of manifest.stems.filter((s) => s.nonFiniteReplaced)) out.write(`${c.yellow('replaced:')} ${s.name}: ${s.nonFiniteReplaced} NaN/Infinity track sample(s) replaced by silence (--replace-non-finite)\n`);
    const clipped = [...manifest.stems, manifest.mix].filter((f) => f.clippedSamples > 0);
    for (const f of clipped) out.write(`${c.red('clipped:')} ${'name' in f ? f.name : 'mix'}: ${f.clippedSamples} samples above full scale; lower the gain or render 32f\n`);
    return clipped.length ? 1 : 0;
  } finally {
    progress.done();
    await pool.close();
  }
}
