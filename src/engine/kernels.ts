import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { initKernels, type Kernels } from '../dsp/simd.js';
import { StemkitError } from '../errors.js';

/** The built kernels: wasm/ is a sibling of src/ and of dist/, so one relative URL serves both. */
const KERNELS_URL = new URL('../../wasm/kernels.wasm', import.meta.url);

let loading: Promise<Kernels> | null = null;

/**
 * Node's loader for the SIMD kernels (src/dsp/simd.ts): reads wasm/kernels.wasm from the package
 * and initialises this thread's instance. Every Node entry (the library, the CLI, each worker)
 * awaits it before its first block; later calls return the same kernels.
 */
export function loadNodeKernels(): Promise<Kernels> {
  loading ??= (async () => {
    let bytes: Buffer;
    try {
      bytes = await readFile(KERNELS_URL);
    } catch (err) {
      const file = fileURLToPath(KERNELS_URL);
      throw new StemkitError('E_IO', `stemkit's SIMD kernels are missing: ${file}`, {
        file,
        hint: 'build them with `npm run build:wasm` (npm install does it), or reinstall stemkit',
        cause: err,
      });
    }
    return initKernels(bytes);
  })();
  return loading;
}
