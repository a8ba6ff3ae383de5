import { availableParallelism } from 'node:os';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { StemkitError, toStemkitError, INTERNAL_HINT } from '../errors.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  onProgress?: (progress: number) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/** Running from TypeScript sources (tests, tsx): workers need the same loader. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * The URL of module `name` (without extension) beside the module at `base` (its import.meta.url):
 * `.ts` when running from sources, `.js` from the build. Jobs are addressed this way.
 */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}

const WORKER_URL = siblingModule(import.meta.url, 'worker-entry');

/**
 * A fixed set of worker threads that run job functions by module URL and export name, so the
 * engine can measure time segments of the same files in parallel and merge the results. Jobs
 * open their own sources: AudioSource is random access, so workers never share a file handle.
 */
export class WorkerPool {
  /** The most worker threads it runs at once (at least 1); they start on demand. */
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: { message: object; transfer: readonly TransferListItem[]; pending: Pending }[] = [];
  private readonly inFlight = new Map<number, { pending: Pending; slot: Slot }>();
  private nextId = 1;
  private closed = false;

  /** `size` defaults to the machine's available parallelism. */
  constructor(size = availableParallelism()) {
    this.size = Math.max(1, Math.floor(size));
  }

  /**
   * Runs `exportName(input, report)` from `moduleUrl` on a worker; input and output must be
   * structured-cloneable. `transfer` moves objects in `input` to the worker instead of copying them
   * (a MessagePort through which the job streams results while it runs, large buffers). What the
   * job passes to `report` reaches `onProgress`.
   */
  run<I, O>(
    moduleUrl: string | URL,
    exportName: string,
    input: I,
    transfer: readonly TransferListItem[] = [],
    onProgress?: (progress: number) => void,
  ): Promise<O> {
    if (this.closed) return Promise.reject(new StemkitError('E_ABORTED', 'the worker pool is closed', { hint: 'create a new pool' }));
    return new Promise<O>((resolve, reject) => {
      const message = { id: this.nextId++, moduleUrl: String(moduleUrl), exportName, input };
      this.queue.push({ message, transfer, pending: { resolve: resolve as (v: unknown) => void, reject, ...(onProgress ? { onProgress } : {}) } });
      this.dispatch();
    });
  }

  /** Terminates every worker; jobs queued or running, and jobs run afterwards, reject with E_ABORTED. */
  async close(): Promise<void> {
    this.closed = true;
    // Jobs still queued or running end now, with E_ABORTED: a closed pool never leaves a caller waiting.
    const aborted = () => new StemkitError('E_ABORTED', 'the worker pool was closed before the job finished', { hint: 'close the pool only after its jobs have settled' });
    for (const job of this.queue.splice(0)) job.pending.reject(aborted());
    for (const entry of this.inFlight.values()) entry.pending.reject(aborted());
    this.inFlight.clear();
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
    this.slots.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = true;
      this.inFlight.set((job.message as { id: number }).id, { pending: job.pending, slot });
      slot.worker.postMessage(job.message, job.transfer);
    }
  }

  private spawn(): Slot {
    // From sources, the worker registers tsx's loader itself: `--import tsx` in execArgv is not honoured by every Node 20.
    const worker = FROM_SOURCE
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`, { eval: true })
      : new Worker(WORKER_URL);
    worker.unref();
    const slot: Slot = { worker, busy: false };
    worker.on('message', (reply: { id: number; ok: boolean; output?: unknown; error?: unknown; stack?: string; progress?: number }) => {
      const entry = this.inFlight.get(reply.id);
      if (!entry) return;
      if (reply.progress !== undefined) {
        entry.pending.onProgress?.(reply.progress);
        return;
      }
      this.inFlight.delete(reply.id);
      slot.busy = false;
      if (reply.ok) entry.pending.resolve(reply.output);
      else entry.pending.reject(fromWorker(reply.error, reply.stack));
      this.dispatch();
    });
    worker.on('error', (err) => this.failSlot(slot, err));
    worker.on('exit', (code) => {
      if (!this.closed && code !== 0) this.failSlot(slot, new Error(`worker exited with code ${code}`));
    });
    this.slots.push(slot);
    return slot;
  }

  /** A crashed worker fails its job, is replaced on demand, and never hangs the caller. */
  private failSlot(slot: Slot, err: unknown): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    for (const [id, entry] of this.inFlight) {
      if (entry.slot !== slot) continue;
      this.inFlight.delete(id);
      entry.pending.reject(new StemkitError('E_INTERNAL', `a worker thread failed: ${(err as Error)?.message ?? String(err)}`, { hint: INTERNAL_HINT, cause: err }));
    }
    this.dispatch();
  }
}

/**
 * The error a job met on a worker, as the calling thread would have met it: the worker posts
 * toStemkitError(failure).toJSON(), this rebuilds it (code, message, file, hint); the worker's stack
 * of the original failure becomes the cause's. A reply that is not such JSON is itself a bug.
 */
function fromWorker(json: unknown, stack: string | undefined): StemkitError {
  const cause = new Error('the failure on the worker thread');
  if (stack !== undefined) cause.stack = stack;
  try {
    return StemkitError.fromJSON(json, { cause });
  } catch (invalid) {
    return toStemkitError(invalid);
  }
}
