import { parentPort } from 'node:worker_threads';
import { toStemkitError } from '../errors.js';
import { loadNodeKernels } from './kernels.js';

/**
 * Worker side of the pool: imports the job's module, runs the named export with its input and a
 * `report(progress)` callback (forwarded to the caller's onProgress), posts the result.
 */
interface JobMessage {
  id: number;
  moduleUrl: string;
  exportName: string;
  input: unknown;
}

/** This thread's kernels, loaded once before the first job runs. */
const kernelsReady = loadNodeKernels();

parentPort?.on('message', async (message: JobMessage) => {
  try {
    await kernelsReady;
    const mod = (await import(message.moduleUrl)) as Record<string, (input: unknown, report: (progress: number) => void) => unknown>;
    const fn = mod[message.exportName];
    if (typeof fn !== 'function') throw new Error(`${message.moduleUrl} has no export ${message.exportName}`);
    const output = await fn(message.input, (progress) => parentPort!.postMessage({ id: message.id, progress }));
    parentPort!.postMessage({ id: message.id, ok: true, output });
  } catch (failure) {
    // The error the calling thread would have met, as JSON (the pool rebuilds it with StemkitError.fromJSON);
    // the original's stack rides along for STEMKIT_DEBUG.
    const stack = failure instanceof Error ? failure.stack : undefined;
    parentPort!.postMessage({ id: message.id, ok: false, error: toStemkitError(failure).toJSON(), stack });
  }
});
