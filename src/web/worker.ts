/// <reference lib="webworker" />
import { HttpBytes } from '../audio/byte-source.js';
import { openAudioBytes } from '../audio/open-bytes.js';
import type { AudioSource } from '../audio/types.js';
import { ControlLink } from './link.js';
import { C, CHUNK_FRAMES, FILLING, READY, prefillFrames, type EngineSetup, type WorkerCommand, type WorkerEvent } from './protocol.js';

/**
 * The streaming half of the engine: reads every track by HTTP Range (stemkit's own WAV/AIFF/FLAC
 * readers over HttpBytes) and writes the same frames of every track into the rings, chunk by
 * chunk, never more than the rings hold. Memory: the rings plus one chunk per track.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (event: WorkerEvent) => scope.postMessage(event);

let setup: EngineSetup;
let link: ControlLink;
let port: MessagePort | null = null;
let sources: AudioSource[] = [];
let rings: Float32Array[] = [];
let positions: Uint32Array | null = null;
let mask = 0;
let filePosition = 0;
let loop: [number, number] | null = null;
let pendingSeek: number | null = null;
/** Requests the next seek answers (a seek and a loop change in quick succession become one seek). */
let pendingIds: number[] = [];
let chunkBuffers: Float32Array[][] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

scope.onmessage = (event: MessageEvent<WorkerCommand>) => {
  const command = event.data;
  if (command.t === 'init') void init(command.setup, command.port);
  else if (command.t === 'seek') {
    pendingSeek = command.frame;
    pendingIds.push(command.id);
  } else if (command.t === 'loop') {
    pendingIds.push(command.id);
    loop = command.range && command.range[1] > command.range[0] ? command.range : null;
    // What is buffered was read with the old loop: read again from where the play head is.
    pendingSeek = loop && (command.from < loop[0] || command.from >= loop[1]) ? loop[0] : command.from;
  }
};

async function init(s: EngineSetup, p: MessagePort | null): Promise<void> {
  try {
    setup = s;
    port = p;
    link = new ControlLink(s.shared, p);
    if (port) {
      port.onmessage = (e: MessageEvent) => link.receive(e.data);
    }
    mask = s.capacity - 1;
    if (s.shared) {
      rings = s.shared.rings.map((b) => new Float32Array(b));
      positions = new Uint32Array(s.shared.positions);
    }
    sources = await Promise.all(s.tracks.map(async (t) => openAudioBytes(await HttpBytes.open(new URL(t.url, location.href).href))));
    const largest = Math.max(CHUNK_FRAMES, prefillFrames(s.sampleRate));
    chunkBuffers = s.tracks.map((t) => Array.from({ length: t.channels }, () => new Float32Array(largest)));
    post({ t: 'ready' });
    pendingSeek ??= 0;
    await pump();
  } catch (err) {
    post({ t: 'error', message: (err as Error).message });
  }
}

function beginSeek(frame: number): void {
  link.set(C.STATE, FILLING);
  link.set(C.ENDED, 0);
  link.set(C.BASE, link.get(C.WRITE));
  link.set(C.EPOCH, (link.get(C.EPOCH) + 1) | 0);
  filePosition = Math.max(0, Math.min(setup.frames, Math.floor(frame)));
  post({ t: 'seeked', frame: filePosition, epoch: link.get(C.EPOCH), ids: pendingIds });
  pendingIds = [];
}

async function pump(): Promise<void> {
  const prefill = prefillFrames(setup.sampleRate);
  for (;;) {
    if (pendingSeek !== null) {
      beginSeek(pendingSeek);
      pendingSeek = null;
    }
    const write = link.get(C.WRITE);
    const epoch = link.get(C.EPOCH);
    const acknowledged = link.get(C.ACK) === epoch;
    // Until the worklet has jumped to BASE, READ is the old epoch's: still a safe lower bound.
    const used = (write - link.get(C.READ)) | 0;
    const free = setup.capacity - used;
    const ended = link.get(C.ENDED) === 1;
    if (link.get(C.STATE) === FILLING && acknowledged && (((write - link.get(C.BASE)) | 0) >= prefill || ended)) link.set(C.STATE, READY);
    if (ended || free < CHUNK_FRAMES) {
      await sleep(ended ? 20 : 10);
      continue;
    }
    const limit = loop ? loop[1] : setup.frames;
    // After a seek, the whole prefill in one request per track: playing again takes one round trip, not five.
    const filling = link.get(C.STATE) === FILLING ? prefill - ((write - link.get(C.BASE)) | 0) : 0;
    const frames = Math.min(Math.max(CHUNK_FRAMES, filling), free, limit - filePosition);
    if (frames <= 0) {
      link.set(C.ENDED, 1);
      continue;
    }
    const start = filePosition;
    const reads = await Promise.all(sources.map((source, k) => readPadded(source, start, frames, chunkBuffers[k]!)));
    // A seek or loop change arrived while reading: these frames belong to the old request.
    if (pendingSeek !== null || link.get(C.EPOCH) !== epoch) continue;
    store(write, start, frames, reads);
    link.set(C.WRITE, (write + frames) | 0);
    filePosition = start + frames;
    if (loop && filePosition >= loop[1]) filePosition = loop[0];
    else if (!loop && filePosition >= setup.frames) link.set(C.ENDED, 1);
  }
}

/** Frames [start, start + frames) of a track; zeros past its end (a track shorter than the timeline). */
async function readPadded(source: AudioSource, start: number, frames: number, into: Float32Array[]): Promise<Float32Array[]> {
  const available = Math.max(0, Math.min(frames, source.format.frames - start));
  if (available > 0) await source.read(start, available, into);
  for (const ch of into) ch.fill(0, available, frames);
  return into;
}

function store(at: number, filePos: number, frames: number, reads: Float32Array[][]): void {
  const { capacity } = setup;
  if (positions) {
    for (let i = 0; i < frames; i++) positions[(at + i) & mask] = filePos + i;
    for (let k = 0; k < reads.length; k++) {
      const ring = rings[k]!;
      reads[k]!.forEach((ch, c) => {
        const first = Math.min(frames, capacity - (at & mask));
        ring.set(ch.subarray(0, first), c * capacity + (at & mask));
        if (first < frames) ring.set(ch.subarray(first, frames), c * capacity);
      });
    }
    return;
  }
  const pos = new Uint32Array(frames);
  for (let i = 0; i < frames; i++) pos[i] = filePos + i;
  const data = reads.map((planar) => {
    const out = new Float32Array(planar.length * frames);
    planar.forEach((ch, c) => out.set(ch.subarray(0, frames), c * frames));
    return out;
  });
  port!.postMessage({ t: 'chunk', at, frames, positions: pos, data }, [pos.buffer, ...data.map((d) => d.buffer)]);
}
