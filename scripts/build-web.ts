import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Bundles the browser mixer (src/web) into dist/web: the page script, the streaming worker and the
 * mixing worklet, each one self-contained ES module with the portable src/dsp and src/audio code
 * it imports. `npm run build` runs this; the server serves the result.
 */
export async function buildWeb(outDir = join(ROOT, 'dist/web')): Promise<void> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: ['app', 'worker', 'worklet'].map((name) => join(ROOT, 'src/web', `${name}.ts`)),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: outDir,
    logLevel: 'warning',
    legalComments: 'none',
  });
  for (const file of ['index.html', 'style.css']) await copyFile(join(ROOT, 'src/web', file), join(outDir, file));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildWeb();
