import { CONTROL_SLOTS, type LinkMessage, type SharedRings } from './protocol.js';

/**
 * The control slots as one side sees them. Isolated pages: one SharedArrayBuffer, Atomics on both
 * sides. Fallback: each side keeps its own copy and sends every write it makes to the other over
 * a MessagePort (messages keep their order, so the protocol of protocol.ts holds unchanged).
 */
export class ControlLink {
  readonly slots: Int32Array;

  constructor(
    shared: SharedRings | null,
    private readonly port: MessagePort | null,
  ) {
    this.slots = shared ? new Int32Array(shared.control) : new Int32Array(CONTROL_SLOTS);
  }

  get shared(): boolean {
    return this.port === null;
  }

  get(slot: number): number {
    return this.shared ? Atomics.load(this.slots, slot) : this.slots[slot]!;
  }

  /** Writes a slot; `tell` false keeps a fallback write local for now (the next told write carries it). */
  set(slot: number, value: number, tell = true): void {
    if (this.shared) Atomics.store(this.slots, slot, value);
    else {
      this.slots[slot] = value;
      if (tell) this.port!.postMessage({ t: 'set', slot, value: this.slots[slot] } satisfies LinkMessage);
    }
  }

  /** Applies the other side's write (fallback). */
  receive(message: Extract<LinkMessage, { t: 'set' }>): void {
    this.slots[message.slot] = message.value;
  }
}
