import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { StemkitError } from '../errors.js';

/** Receiver → sender: a chunk consumed (a credit back, with buffers to reuse), or stop. */
type Reply = { release: ArrayBuffer[] } | { abort: true };

function aborted(): StemkitError {
  return new StemkitError('E_ABORTED', 'stopped because another part of the job failed', { hint: 'see the first error reported' });
}

/**
 * The sending end of a chunk stream over a MessagePort (a worker job streaming results while it
 * runs). At most `window` chunks are unreleased: `send` waits for the receiver to release one, so
 * a producer faster than its consumer holds at most `window` chunks in memory, whatever the length.
 * Buffers the receiver hands back come to `reuse`, so a steady stream allocates nothing.
 */
export class ChunkSender<T> {
  private inFlight = 0;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly window: number,
    private readonly reuse: (buffers: ArrayBuffer[]) => void = () => undefined,
  ) {
    port.on('message', (reply: Reply) => {
      if ('abort' in reply) this.stopped = true;
      else {
        this.inFlight--;
        this.reuse(reply.release);
      }
      const wake = this.wake;
      this.wake = null;
      wake?.();
    });
  }

  async send(chunk: T, transfer: readonly TransferListItem[] = []): Promise<void> {
    while (this.inFlight >= this.window && !this.stopped) await new Promise<void>((resolve) => (this.wake = resolve));
    if (this.stopped) throw aborted();
    this.inFlight++;
    this.port.postMessage(chunk, transfer);
  }

  close(): void {
    this.port.close();
  }
}

/** The receiving end: chunks in the order sent; `release` each one when done with it. */
export class ChunkReceiver<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (chunk: T) => void; reject: (reason: unknown) => void } | null = null;
  private failure: unknown = null;

  constructor(private readonly port: MessagePort) {
    port.on('message', (chunk: T) => {
      const waiting = this.waiting;
      if (waiting) {
        this.waiting = null;
        waiting.resolve(chunk);
      } else this.queue.push(chunk);
    });
  }

  next(): Promise<T> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    return new Promise<T>((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** Gives the sender a credit back, and `buffers` (moved, not copied) to reuse. */
  release(buffers: ArrayBuffer[] = []): void {
    if (this.failure === null) this.port.postMessage({ release: buffers } satisfies Reply, buffers);
  }

  /** Fails any pending and later `next()` with `reason` and tells the sender to stop. */
  fail(reason: unknown): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.queue.length = 0;
    this.port.postMessage({ abort: true } satisfies Reply);
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(reason);
  }

  close(): void {
    this.port.close();
  }
}
