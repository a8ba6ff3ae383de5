import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writePackageFolder } from './switch.js';
import { writeWavFile } from '../audio/wav/write.js';
import { openPlaced } from '../engine/placed-source.js';
import { StemkitError } from '../errors.js';
import { describeOp, type RepairPlan, type StemRepair } from '../check/repairs.js';
import type { OnProgress } from '../progress.js';

/**
 * Applies a repair plan into a new package folder (the inputs are only read), through
 * writePackageFolder: an interrupted fix leaves `out` as it was and no half package.
 */
export interface FixResult {
  out: string;
  files: string[];
}

const BLOCK = 32768;

/** Streams one stem through its repairs into `path`. */
async function writeStem(repair: StemRepair, plan: RepairPlan, path: string): Promise<void> {
  const align = repair.ops.find((o) => o.op === 'align');
  const order = repair.ops.find((o) => o.op === 'reorder-channels');
  const invert = repair.ops.some((o) => o.op === 'invert-polarity');
  const gainOp = repair.ops.find((o) => o.op === 'gain');
  const convert = repair.ops.find((o) => o.op === 'convert');
  // Placed at its head offset and at the package rate, read over the mix's span: the end pads or
  // trims itself (frames past the file read as silence, frames past the span are never read).
  const source = await openPlaced(repair.file, { startFrame: align?.op === 'align' ? align.head : 0, sampleRate: plan.sampleRate });
  try {
    const channels = source.format.channels;
    await writeWavFile(path, {
      sampleRate: plan.sampleRate,
      channels,
      format: plan.format,
      dither: convert?.op === 'convert' && convert.dither ? 'tpdf' : 'none',
      ditherSeed: 1,
      bext: { description: `stemkit fix: ${repair.ops.map(describeOp).join('; ') || 'copied'}`.slice(0, 255), originator: 'stemkit', timeReference: plan.timeReference },
      ...(source.format.channelMask !== null ? { channelMask: source.format.channelMask } : {}),
    }, async (sink) => {
      const gain = (gainOp?.op === 'gain' ? 10 ** (gainOp.db / 20) : 1) * (invert ? -1 : 1);
      const buffers = Array.from({ length: channels }, () => new Float32Array(BLOCK));
      for (let at = 0; at < plan.frames; at += BLOCK) {
        const n = Math.min(BLOCK, plan.frames - at);
        const got = await source.read(at, n, buffers.map((b) => b.subarray(0, n)));
        const planar = got.map((x, ch) => {
          const full = buffers[ch]!.subarray(0, n);
          full.fill(0, x.length);
          return full;
        });
        const ordered = order?.op === 'reorder-channels' ? order.permutation.map((c) => planar[c]!) : planar;
        if (gain !== 1) for (const x of ordered) for (let i = 0; i < n; i++) x[i] = x[i]! * gain;
        await sink.write(ordered, n);
      }
    });
  } finally {
    await source.close();
  }
}

/** Writes the repaired package into `out` (see the module comment); returns the files written. */
export async function applyRepairs(plan: RepairPlan, out: string, manifest: object, options: { onProgress?: OnProgress } = {}): Promise<FixResult> {
  if (plan.refusals.length) throw new StemkitError('E_USAGE', `stemkit fix refuses this package: ${plan.refusals[0]}`, { hint: 'see the plan (--plan) for every reason' });
  return writePackageFolder(out, async (staging) => {
    await mkdir(join(staging, 'stems'), { recursive: true });
    const files: string[] = [];
    for (const [i, stem] of plan.stems.entries()) {
      await writeStem(stem, plan, join(staging, stem.outFile));
      files.push(stem.outFile);
      options.onProgress?.({ phase: 'write', fraction: (i + 1) / (plan.stems.length + 1) });
    }
    await copyFile(plan.mix.file, join(staging, plan.mix.outFile));
    files.push(plan.mix.outFile);
    if (plan.alternates.length) await mkdir(join(staging, 'alternates'));
    for (const a of plan.alternates) {
      await copyFile(a.file, join(staging, a.outFile));
      files.push(a.outFile);
    }
    await writeFile(join(staging, 'stemkit.json'), JSON.stringify(manifest, null, 2) + '\n');
    options.onProgress?.({ phase: 'write', fraction: 1 });
    return { out: resolve(out), files };
  });
}
