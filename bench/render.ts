/**
 * `stemkit render` on a 48-track session, in one run:
 *
 *   1. the fixture (bench/lib/render-fixture.ts): 48 tracks (36 mono, 12 stereo), 48 kHz/24-bit,
 *      8 stems with an EQ and a compressor each, sends to one algorithmic reverb return, a master
 *      limiter; generated once and reused;
 *   2. `stemkit render SESSION --out DIR --json` as a child process (the built CLI, or tsx on the
 *      sources when the build fails: the output says which): wall time, × real time (session
 *      seconds ÷ wall seconds), CPU seconds and peak RSS; with --long also a 16-minute version of
 *      the same session, to compare peak RSS; plus renderSession(…, { pool: null }) in a child,
 *      to show what the worker pool buys;
 *   3. the same mixing graph on the same decoded audio in memory (decoding not timed):
 *      - stemkit's graph (buildStemGraph + the block loop of src/session/render-stem.ts, then the
 *        mix bus and master chain as in src/session/mix.ts), on this thread, without file I/O,
 *        meters or encoding;
 *      - node-web-audio-api's OfflineAudioContext: 48 AudioBufferSourceNodes → GainNode →
 *        StereoPannerNode → per-stem BiquadFilterNodes → DynamicsCompressorNode, sends → a
 *        per-stem ConvolverNode (exponentially decaying noise IR of the same RT60 and pre-delay),
 *        master DynamicsCompressorNode as the limiter stand-in; only startRendering() is timed;
 *   4. a table, and bench/results/render.json.
 *
 *   npm run bench:render                      # 4-minute session
 *   npm run bench:render -- --long            # plus the 16-minute version (≈ 8.3 GB of tracks)
 *   npm run bench:render -- --cpu-prof        # always profile the inline render (default: only when under target)
 *
 * Fixtures live in $TMPDIR/stemkit-bench-render/ and are kept for the next run (--clean removes them).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openAudio } from '../src/audio/open.js';
import { butterworthQs } from '../src/dsp/processors/biquad.js';
import type { ProcessorSpec } from '../src/dsp/processors/schema.js';
import { createChain } from '../src/dsp/processors/index.js';
import { Noise } from '../src/dsp/random.js';
import type { Impulses } from '../src/session/impulses.js';
import { loadImpulses } from '../src/session/impulses.js';
import { loadSession, type ResolvedSession } from '../src/session/load.js';
import type { Session } from '../src/session/schema.js';
import { buildStemGraph } from '../src/session/stem-graph.js';
import { StemMixer } from '../src/session/stem-mixer.js';
import { renderLength } from '../src/session/render.js';
import { ensureRenderFixture, removeRenderFixture, type RenderFixture } from './lib/render-fixture.js';
import { hasGnuTime, runMeasured, type ProcResult } from './lib/process.js';
import { printHotFunctions, summarizeProfiles } from './lib/profile.js';
import { chooseRunner, relativeArgs, RUNNER_MODES, type Runner } from './lib/runner.js';
import { fmt, generatingProgress, printTable, verdict } from './lib/table.js';
import { hostInfo } from './lib/timing.js';
import { loadNodeKernels } from '../src/engine/kernels.js';

await loadNodeKernels();

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '4' },
    long: { type: 'boolean', default: false },
    'long-minutes': { type: 'string', default: '16' },
    runs: { type: 'string', default: '3' },
    'long-runs': { type: 'string', default: '1' },
    'graph-runs': { type: 'string', default: '3' },
    'webaudio-runs': { type: 'string', default: '2' },
    runner: { type: 'string', default: 'auto' },
    dir: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    'no-prof': { type: 'boolean', default: false },
    'skip-memory': { type: 'boolean', default: false },
    clean: { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE =
  'usage: node --import tsx bench/render.ts [--minutes 4] [--long] [--long-minutes 16] [--runs 3] [--long-runs 1]\n' +
  '         [--graph-runs 3] [--webaudio-runs 2] [--runner auto|dist|tsx] [--dir DIR] [--cpu-prof | --no-prof]\n' +
  '         [--skip-memory] [--clean] [--out FILE]';
const MINUTES = Number(args.minutes);
const LONG_MINUTES = Number(args['long-minutes']);
const RUNS = Number(args.runs);
const LONG_RUNS = Number(args['long-runs']);
const GRAPH_RUNS = Number(args['graph-runs']);
const WA_RUNS = Number(args['webaudio-runs']);
if (
  args.help ||
  !(MINUTES > 0) ||
  !(LONG_MINUTES > 0) ||
  ![RUNS, LONG_RUNS, GRAPH_RUNS, WA_RUNS].every((n) => Number.isInteger(n) && n >= 1) ||
  !(RUNNER_MODES as readonly string[]).includes(args.runner!)
) {
  console.error(USAGE);
  process.exit(args.help ? 0 : 2);
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(args.out ?? join(ROOT, 'bench/results/render.json'));
const BASE = resolve(args.dir ?? join(tmpdir(), 'stemkit-bench-render'));
/** Targets from the brief. */
const TARGET_REALTIME = 40;
const TARGET_WEBAUDIO_RATIO = 3;
/** Where a fixture of `seconds` is rendered to (removed after the run). */
const outDirFor = (seconds: number, tag = '') => join(BASE, `out${tag}-${seconds}s`);

// ------------------------------------------------------------------------------------------------
// Child processes (bench/lib/process.ts) and how stemkit is started (bench/lib/runner.ts)

/** Runs `node argv…` to completion from the project root, timed from spawn to exit. */
const runNode = (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<ProcResult> => runMeasured(process.execPath, argv, { node: true, cwd: ROOT, env });

type RenderRunner = Runner<'kernels' | 'load' | 'render'>;

const showArgs = (argv: string[]) => relativeArgs(ROOT, argv).join(' ');

// ------------------------------------------------------------------------------------------------
// 2. The CLI, and renderSession inline (pool = null)

interface ManifestLite {
  frames: number;
  durationSec: number;
  mix: { peakDbfs: number | null; truePeakDbtp: number | null; integratedLufs: number | null; clippedSamples: number };
  stems: Array<{ name: string; peakDbfs: number | null; integratedLufs: number | null; clippedSamples: number; latencyCompensated: number }>;
  render: { tailSec: number; timelineFrames: number; elapsedMs: number; realtimeFactor: number };
}

interface CliRun {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMB: number | null;
  exitCode: number | null;
  elapsedMsReported: number;
}

interface CliResult {
  minutes: number;
  sessionSeconds: number;
  command: string;
  warmup: boolean;
  runs: CliRun[];
  best: CliRun;
  median: number;
  realtime: number;
  rssSource: string | null;
  manifest: ManifestLite;
}

/** Reads every file once (untimed) so the timed runs read from the page cache, as a re-render would. */
function warmPageCache(files: string[]): number {
  const buf = Buffer.allocUnsafe(16 << 20);
  let bytes = 0;
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) bytes += n;
    } finally {
      closeSync(fd);
    }
  }
  return bytes;
}

async function timeCli(fixture: RenderFixture, runner: RenderRunner, runs: number, warmup: boolean): Promise<CliResult> {
  const outDir = outDirFor(fixture.seconds);
  const argv = [...runner.cli, 'render', fixture.session, '--out', outDir, '--json'];
  const results: CliRun[] = [];
  let manifest: ManifestLite | null = null;
  let rssSource: string | null = null;
  for (let i = 0; i < runs + (warmup ? 1 : 0); i++) {
    rmSync(outDir, { recursive: true, force: true });
    const p = await runNode(argv);
    if (p.code !== 0 && p.code !== 1) throw new Error(`stemkit render exited with ${p.code}: ${p.stderr.slice(0, 3000)}`);
    manifest = JSON.parse(p.stdout) as ManifestLite;
    rssSource = p.rssSource;
    const run: CliRun = { wallSeconds: p.wallSeconds, cpuSeconds: p.cpuSeconds, maxRssMB: p.maxRssMB, exitCode: p.code, elapsedMsReported: manifest.render.elapsedMs };
    const tag = warmup && i === 0 ? 'warm-up' : `run ${results.length + 1}/${runs}`;
    console.log(`  ${tag}: ${p.wallSeconds.toFixed(2)} s wall, ${fmt(p.cpuSeconds)} s CPU, ${fmt(p.maxRssMB, 0)} MB peak RSS${p.code === 1 ? ' (exit 1: clipping reported)' : ''}`);
    if (!(warmup && i === 0)) results.push(run);
  }
  const sorted = [...results].sort((a, b) => a.wallSeconds - b.wallSeconds);
  return {
    minutes: fixture.seconds / 60,
    sessionSeconds: fixture.seconds,
    command: `node ${showArgs(argv).replace(fixture.session, 'SESSION').replace(outDir, 'OUT')}`,
    warmup,
    runs: results,
    best: sorted[0]!,
    median: sorted[Math.floor(sorted.length / 2)]!.wallSeconds,
    realtime: fixture.seconds / sorted[0]!.wallSeconds,
    rssSource,
    manifest: manifest!,
  };
}

const INLINE_SCRIPT = `
await (await import(process.env.STEMKIT_BENCH_KERNELS)).loadNodeKernels();
const { loadSession } = await import(process.env.STEMKIT_BENCH_LOAD);
const { renderSession } = await import(process.env.STEMKIT_BENCH_RENDER);
const resolved = await loadSession(process.env.STEMKIT_BENCH_SESSION);
const t0 = performance.now();
const manifest = await renderSession(resolved, { outDir: process.env.STEMKIT_BENCH_OUTDIR, pool: null });
process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, frames: manifest.frames }));
`;

interface InlineResult {
  wallSeconds: number;
  renderSeconds: number;
  cpuSeconds: number | null;
  maxRssMB: number | null;
  realtime: number;
}

async function runInline(fixture: RenderFixture, runner: RenderRunner, extraFlags: string[] = []): Promise<InlineResult> {
  const outDir = outDirFor(fixture.seconds, '-inline');
  rmSync(outDir, { recursive: true, force: true });
  const p = await runNode([...extraFlags, ...runner.nodeFlags, '--input-type=module', '-e', INLINE_SCRIPT], {
    STEMKIT_BENCH_KERNELS: runner.modules.kernels,
    STEMKIT_BENCH_LOAD: runner.modules.load,
    STEMKIT_BENCH_RENDER: runner.modules.render,
    STEMKIT_BENCH_SESSION: fixture.session,
    STEMKIT_BENCH_OUTDIR: outDir,
  });
  rmSync(outDir, { recursive: true, force: true });
  if (p.code !== 0) throw new Error(`inline render exited with ${p.code}: ${p.stderr.slice(0, 3000)}`);
  const r = JSON.parse(p.stdout) as { seconds: number };
  return { wallSeconds: p.wallSeconds, renderSeconds: r.seconds, cpuSeconds: p.cpuSeconds, maxRssMB: p.maxRssMB, realtime: fixture.seconds / r.seconds };
}


// ------------------------------------------------------------------------------------------------
// 3a. stemkit's mixing graph in memory, on this thread

/** Block size of src/session/render-stem.ts. */
const BLOCK = 4096;

/** Decoded tracks: [stem][track in the session][channel]. */
type Decoded = Float32Array[][][];

async function decodeTracks(resolved: ResolvedSession): Promise<Decoded> {
  const out: Decoded = [];
  for (const stem of resolved.tracks) {
    const tracks: Float32Array[][] = [];
    for (const t of stem) {
      const source = await openAudio(t.path);
      try {
        tracks.push(await source.read(0, source.format.frames));
      } finally {
        await source.close();
      }
    }
    out.push(tracks);
  }
  return out;
}

/** Frames renderSession renders before it trims an "auto" tail: the timeline plus the declared tails. */
function renderFrames(resolved: ResolvedSession, impulses: Impulses): { frames: number; timeline: number } {
  const graphs = resolved.session.stems.map((_, s) => buildStemGraph(resolved, s, impulses));
  const master = createChain(resolved.session.master.processing, { sampleRate: resolved.session.sampleRate, channels: resolved.channels }, impulses);
  return renderLength(resolved, graphs, master.tail);
}

/**
 * The renderer's graph without I/O: per stem, buildStemGraph and the block loop of
 * src/session/render-stem.ts (tracks → inserts → latency compensation → fader → pan into the bus
 * and the sends; bus inserts, fader; returns added), the stem's latency skipped, summed into the
 * mix in stem order (the renderer sums the stems as quantised to the file format, exactly, in
 * Float64: hence the ≈ 5e-7 difference); then master fader and chain, its latency skipped. Tracks
 * are copied from memory where render-stem reads them from files; no meters, no encoding.
 * `mix` must hold frames + master latency + BLOCK frames per channel; returns the mix's start offset.
 */
function stemkitGraph(resolved: ResolvedSession, decoded: Decoded, frames: number, impulses: Impulses, mix: Float32Array[]): number {
  const { session, channels } = resolved;
  const rate = session.sampleRate;
  for (const x of mix) x.fill(0);
  for (let s = 0; s < session.stems.length; s++) {
    const graph = buildStemGraph(resolved, s, impulses);
    const sources = graph.tracks.map((t) => decoded[s]![t.index]!);
    const spans = graph.tracks.map((t, k) => ({ start: t.offsetFrames, end: t.offsetFrames + sources[k]![0]!.length }));
    // The renderer's own per-block mixing (src/session/stem-mixer.ts); only the track source differs.
    const mixer = new StemMixer(graph, BLOCK);
    let skipped = 0;
    let written = 0;
    for (let position = 0; written < frames; position += BLOCK) {
      const n = BLOCK;
      const active = mixer.active(position, spans);
      for (const k of active) {
        // TrackStream.fill, from memory: silence outside the track, its samples inside.
        const buffer = mixer.input(k);
        const { start, end } = spans[k]!;
        const from = Math.max(position, start);
        const to = Math.min(position + n, end);
        for (let ch = 0; ch < buffer.length; ch++) {
          const out = buffer[ch]!;
          out.fill(0, 0, n);
          if (from < to) out.set(sources[k]![ch]!.subarray(from - start, to - start), from - position);
        }
      }
      const busBuffer = mixer.process(position, active, false).wet;
      // AlignedWriter: skip the stem's latency, keep `frames`; here added into the mix.
      let from = 0;
      if (skipped < graph.latency) {
        from = Math.min(n, graph.latency - skipped);
        skipped += from;
      }
      const count = Math.min(n - from, frames - written);
      if (count > 0) {
        for (let ch = 0; ch < channels; ch++) {
          const m = mix[ch]!;
          const b = busBuffer[ch]!;
          for (let i = 0; i < count; i++) m[written + i] = m[written + i]! + b[from + i]!;
        }
        written += count;
      }
    }
    mixer.dispose();
  }
  // Master: fader, then the chain over frames + latency (silence at the end), output from `latency` on.
  const master = createChain(session.master.processing, { sampleRate: rate, channels }, impulses);
  const masterGain = session.master.gain === -Infinity ? 0 : 10 ** (session.master.gain / 20);
  const total = frames + master.latency;
  for (let at = 0; at < total; at += BLOCK) {
    const n = Math.min(BLOCK, total - at);
    const part = mix.map((x) => x.subarray(at, at + n));
    if (masterGain !== 1) for (const x of part) for (let i = 0; i < n; i++) x[i] = x[i]! * masterGain;
    master.process(part, n);
  }
  return master.latency;
}

// ------------------------------------------------------------------------------------------------
// 3b. The same graph in node-web-audio-api (types declared here: the package's own typings pull
//     in lib.dom for the whole project)

interface WaNode {
  connect(destination: WaNode): WaNode;
}
interface WaBuffer {
  readonly length: number;
  readonly numberOfChannels: number;
  copyToChannel(source: Float32Array, channel: number): void;
  getChannelData(channel: number): Float32Array;
}
interface WaContext {
  readonly destination: WaNode;
  startRendering(): Promise<WaBuffer>;
}
type Ctor<O, T> = new (ctx: WaContext, options: O) => T;
interface WebAudio {
  OfflineAudioContext: new (options: { numberOfChannels: number; length: number; sampleRate: number }) => WaContext;
  AudioBuffer: new (options: { numberOfChannels: number; length: number; sampleRate: number }) => WaBuffer;
  AudioBufferSourceNode: Ctor<{ buffer: WaBuffer }, WaNode & { start(when?: number): void }>;
  GainNode: Ctor<{ gain: number }, WaNode>;
  StereoPannerNode: Ctor<{ pan: number }, WaNode>;
  BiquadFilterNode: Ctor<{ type: string; frequency: number; Q?: number; gain?: number }, WaNode>;
  DynamicsCompressorNode: Ctor<{ threshold: number; knee: number; ratio: number; attack: number; release: number }, WaNode>;
  ConvolverNode: Ctor<{ buffer: WaBuffer; disableNormalization: boolean }, WaNode>;
}

async function loadWebAudio(): Promise<{ api: WebAudio; version: string } | { error: string }> {
  const specifier: string = 'node-web-audio-api';
  try {
    const api = (await import(specifier)) as unknown as WebAudio;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/node-web-audio-api/package.json'), 'utf8')) as { version: string };
    return { api, version: pkg.version };
  } catch (err) {
    return { error: `node-web-audio-api not usable: ${(err as Error).message.split('\n')[0]} (npm install -D node-web-audio-api)` };
  }
}

const dbToGain = (db: number) => (db === -Infinity ? 0 : 10 ** (db / 20));

/**
 * The web-audio stand-in for an algorithmic reverb: stereo white noise (independent per channel,
 * xorshift, fixed seed) under an exponential decay of −60 dB per RT60, after `predelay` of
 * silence, RT60 long, scaled to unit energy per channel (stemkit's reverb is normalised the same way).
 */
function reverbImpulse(api: WebAudio, rt60: number, predelayMs: number, rate: number): WaBuffer {
  const pre = Math.round((predelayMs * rate) / 1000);
  const length = pre + Math.round(rt60 * rate);
  const ir = new api.AudioBuffer({ numberOfChannels: 2, length, sampleRate: rate });
  const noise = new Noise(0x2545f491);
  const k = Math.exp(Math.log(1e-3) / (rt60 * rate));
  for (let ch = 0; ch < 2; ch++) {
    const x = new Float32Array(length);
    let env = 1;
    let energy = 0;
    for (let i = pre; i < length; i++) {
      const v = noise.next() * env;
      x[i] = v;
      energy += v * v;
      env *= k;
    }
    const norm = 1 / Math.sqrt(energy);
    for (let i = pre; i < length; i++) x[i] = x[i]! * norm;
    ir.copyToChannel(x, ch);
  }
  return ir;
}

/** A stemkit processor as web-audio nodes in series (first, last); null for an empty mapping. */
function webAudioChain(api: WebAudio, ctx: WaContext, specs: ProcessorSpec[], rate: number, irCache: Map<string, WaBuffer>): { first: WaNode; last: WaNode } | null {
  const nodes: WaNode[] = [];
  for (const spec of specs) {
    switch (spec.type) {
      case 'eq':
        for (const band of spec.bands) {
          if (band.type === 'highpass' || band.type === 'lowpass') {
            // Web Audio's low/high-pass Q is a resonance in dB: 20·log10 of the biquad's Q.
            for (const q of butterworthQs(band.slope / 6)) nodes.push(new api.BiquadFilterNode(ctx, { type: band.type, frequency: band.freq, Q: 20 * Math.log10(q) }));
          } else if (band.type === 'lowshelf' || band.type === 'highshelf') {
            nodes.push(new api.BiquadFilterNode(ctx, { type: band.type, frequency: band.freq, gain: band.gain }));
          } else if (band.type === 'peak') {
            nodes.push(new api.BiquadFilterNode(ctx, { type: 'peaking', frequency: band.freq, Q: band.q, gain: band.gain }));
          } else if (band.type === 'notch' || band.type === 'bandpass') {
            nodes.push(new api.BiquadFilterNode(ctx, { type: band.type, frequency: band.freq, Q: band.q }));
          }
        }
        break;
      case 'compressor':
        nodes.push(new api.DynamicsCompressorNode(ctx, { threshold: spec.threshold, knee: Math.min(40, spec.knee), ratio: Math.min(20, spec.ratio), attack: Math.min(1, spec.attack / 1000), release: Math.min(1, spec.release / 1000) }));
        break;
      case 'limiter':
        nodes.push(new api.DynamicsCompressorNode(ctx, { threshold: spec.ceiling, knee: 0, ratio: 20, attack: 0.001, release: Math.min(1, spec.release / 1000) }));
        break;
      case 'reverb': {
        if (spec.impulse !== undefined || spec.mix !== 1) throw new Error('web-audio graph: only wet algorithmic reverbs (mix 1) are mapped');
        const rt60 = spec.decay ?? 2;
        const key = `${rt60}/${spec.predelay}`;
        if (!irCache.has(key)) irCache.set(key, reverbImpulse(api, rt60, spec.predelay, rate));
        nodes.push(new api.ConvolverNode(ctx, { buffer: irCache.get(key)!, disableNormalization: true }));
        break;
      }
      case 'gain':
        nodes.push(new api.GainNode(ctx, { gain: dbToGain(spec.gain) }));
        break;
      default:
        throw new Error(`web-audio graph: no equivalent for a ${spec.type} processor`);
    }
  }
  if (nodes.length === 0) return null;
  for (let i = 1; i < nodes.length; i++) nodes[i - 1]!.connect(nodes[i]!);
  return { first: nodes[0]!, last: nodes[nodes.length - 1]! };
}

/** Builds the session's graph in an OfflineAudioContext of `frames` frames; counts its nodes. */
function buildWebAudioGraph(api: WebAudio, session: Session, buffers: WaBuffer[][], frames: number, irCache: Map<string, WaBuffer>): { ctx: WaContext; nodes: Record<string, number> } {
  const rate = session.sampleRate;
  const ctx = new api.OfflineAudioContext({ numberOfChannels: 2, length: frames, sampleRate: rate });
  const count: Record<string, number> = { sources: 0, gains: 0, panners: 0, biquads: 0, compressors: 0, convolvers: 0 };
  const tally = (specs: ProcessorSpec[]) => {
    for (const s of specs) {
      if (s.type === 'eq') count.biquads! += s.bands.reduce((n, b) => n + (b.type === 'highpass' || b.type === 'lowpass' ? b.slope / 12 : 1), 0);
      else if (s.type === 'compressor' || s.type === 'limiter') count.compressors!++;
      else if (s.type === 'reverb') count.convolvers!++;
      else if (s.type === 'gain') count.gains!++;
    }
  };
  const gain = (db: number) => {
    count.gains!++;
    return new api.GainNode(ctx, { gain: dbToGain(db) });
  };
  const masterIn = gain(session.master.gain);
  const masterChain = webAudioChain(api, ctx, session.master.processing, rate, irCache);
  tally(session.master.processing);
  if (masterChain) {
    masterIn.connect(masterChain.first);
    masterChain.last.connect(ctx.destination);
  } else masterIn.connect(ctx.destination);

  session.stems.forEach((stem, s) => {
    // Bus: summing junction → inserts → fader → master. Returns (one instance per stem, as stemkit
    // renders them) go to the master after the bus fader, as render-stem adds them.
    const busIn = gain(0);
    const busChain = webAudioChain(api, ctx, stem.processing, rate, irCache);
    tally(stem.processing);
    const busOut = gain(stem.gain);
    if (busChain) {
      busIn.connect(busChain.first);
      busChain.last.connect(busOut);
    } else busIn.connect(busOut);
    busOut.connect(masterIn);
    const returnInputs = new Map<string, WaNode>();
    stem.tracks.forEach((track, t) => {
      if (track.mute) return;
      if (track.processing.length || track.automation) throw new Error('web-audio graph: track inserts and automation are not mapped');
      const src = new api.AudioBufferSourceNode(ctx, { buffer: buffers[s]![t]! });
      count.sources!++;
      const fader = gain(track.gain);
      const panner = new api.StereoPannerNode(ctx, { pan: track.pan });
      count.panners!++;
      src.connect(fader).connect(panner).connect(busIn);
      for (const send of track.sends) {
        let input = returnInputs.get(send.to);
        if (!input) {
          const ret = session.returns.find((r) => r.name === send.to)!;
          input = gain(0);
          const chain = webAudioChain(api, ctx, ret.processing, rate, irCache);
          tally(ret.processing);
          if (chain) {
            input.connect(chain.first);
            chain.last.connect(masterIn);
          } else input.connect(masterIn);
          returnInputs.set(send.to, input);
        }
        panner.connect(gain(send.gain)).connect(input);
      }
      src.start(track.offset);
    });
  });
  return { ctx, nodes: count };
}

const threadCount = (): number | null => {
  try {
    return readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
};

interface TimedRender {
  seconds: number;
  cpuSeconds: number;
  /** Event-loop ticks of a 20 ms interval during the render: > 0 means the main thread was free. */
  loopTicks: number;
  threadsBefore: number | null;
  threadsMax: number | null;
}

/** Times `fn`, with this process's CPU time (all threads) and whether the event loop kept running. */
async function timeRender(fn: () => Promise<unknown> | unknown): Promise<TimedRender> {
  const threadsBefore = threadCount();
  let threadsMax = threadsBefore;
  let loopTicks = 0;
  const timer = setInterval(() => {
    loopTicks++;
    const n = threadCount();
    if (n !== null && (threadsMax === null || n > threadsMax)) threadsMax = n;
  }, 20);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, loopTicks, threadsBefore, threadsMax };
}

function levels(planar: Float32Array[], from: number, frames: number): { peakDbfs: number; rmsDbfs: number } {
  let peak = 0;
  let sum = 0;
  for (const x of planar) {
    for (let i = from; i < from + frames; i++) {
      const v = x[i]!;
      const a = v < 0 ? -v : v;
      if (a > peak) peak = a;
      sum += v * v;
    }
  }
  const db = (v: number) => Math.round(2000 * Math.log10(v)) / 100;
  return { peakDbfs: db(peak), rmsDbfs: db(Math.sqrt(sum / (planar.length * frames))) };
}

interface MemoryResult {
  frames: number;
  seconds: number;
  decodeSeconds: number;
  stemkit: { runs: TimedRender[]; best: TimedRender; threads: string; realtime: number; levels: ReturnType<typeof levels>; vsCliMix: { comparedFrames: number; maxAbsDiff: number; diffRmsDbfs: number } | null };
  webAudio:
    | { available: false; note: string }
    | { available: true; version: string; runs: TimedRender[]; best: TimedRender; threads: string; realtime: number; nodes: Record<string, number>; levels: ReturnType<typeof levels>; buildSeconds: number };
  ratio: number | null;
}

async function inMemory(fixture: RenderFixture, cliMixPath: string | null): Promise<MemoryResult> {
  const resolved = await loadSession(fixture.session);
  const { session } = resolved;
  const rate = session.sampleRate;
  const impulses = await loadImpulses(resolved.impulses, rate);
  const { frames } = renderFrames(resolved, impulses);
  const t0 = process.hrtime.bigint();
  const decoded = await decodeTracks(resolved);
  const decodeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`  decoded ${fixture.tracks.length} tracks into memory in ${decodeSeconds.toFixed(1)} s (not timed); ${frames} frames to render (timeline + declared tails)`);

  // stemkit
  const masterLatency = createChain(session.master.processing, { sampleRate: rate, channels: resolved.channels }, impulses).latency;
  const mix = Array.from({ length: resolved.channels }, () => new Float32Array(frames + masterLatency + BLOCK));
  const sk: TimedRender[] = [];
  let offset = 0;
  for (let i = 0; i < GRAPH_RUNS; i++) {
    const r = await timeRender(() => {
      offset = stemkitGraph(resolved, decoded, frames, impulses, mix);
    });
    sk.push(r);
    console.log(`  stemkit graph run ${i + 1}/${GRAPH_RUNS}: ${r.seconds.toFixed(2)} s (${(fixture.seconds / r.seconds).toFixed(1)}× real time), CPU ${r.cpuSeconds.toFixed(2)} s`);
  }
  const skBest = [...sk].sort((a, b) => a.seconds - b.seconds)[0]!;
  const skLevels = levels(mix, offset, Math.min(frames, fixture.frames));
  // Same graph as the CLI? Compare with its mix.wav (which sums 24-bit stems and is itself 24-bit).
  let vsCliMix: MemoryResult['stemkit']['vsCliMix'] = null;
  if (cliMixPath && existsSync(cliMixPath)) {
    const source = await openAudio(cliMixPath);
    try {
      const n = Math.min(source.format.frames, frames);
      const cli = await source.read(0, n);
      let maxAbs = 0;
      let sum = 0;
      cli.forEach((x, ch) => {
        const m = mix[ch]!;
        for (let i = 0; i < n; i++) {
          const d = x[i]! - m[offset + i]!;
          const a = d < 0 ? -d : d;
          if (a > maxAbs) maxAbs = a;
          sum += d * d;
        }
      });
      vsCliMix = { comparedFrames: n, maxAbsDiff: maxAbs, diffRmsDbfs: sum > 0 ? Math.round(1000 * Math.log10(sum / (n * cli.length))) / 100 : -Infinity };
    } finally {
      await source.close();
    }
  }

  // node-web-audio-api
  const loaded = await loadWebAudio();
  let webAudio: MemoryResult['webAudio'];
  if ('error' in loaded) webAudio = { available: false, note: loaded.error };
  else {
    const { api } = loaded;
    const b0 = process.hrtime.bigint();
    const buffers = decoded.map((stem) =>
      stem.map((planar) => {
        const b = new api.AudioBuffer({ numberOfChannels: planar.length, length: planar[0]!.length, sampleRate: rate });
        planar.forEach((x, ch) => b.copyToChannel(x, ch));
        return b;
      }),
    );
    const irCache = new Map<string, WaBuffer>();
    const buildSeconds = Number(process.hrtime.bigint() - b0) / 1e9;
    const runs: TimedRender[] = [];
    let nodes: Record<string, number> = {};
    let out: Float32Array[] = [];
    for (let i = 0; i < WA_RUNS; i++) {
      const graph = buildWebAudioGraph(api, session as Session, buffers, frames, irCache);
      nodes = graph.nodes;
      let rendered: WaBuffer | null = null;
      const r = await timeRender(async () => {
        rendered = await graph.ctx.startRendering();
      });
      runs.push(r);
      console.log(
        `  web audio run ${i + 1}/${WA_RUNS}: ${r.seconds.toFixed(2)} s (${(fixture.seconds / r.seconds).toFixed(1)}× real time), process CPU ${r.cpuSeconds.toFixed(2)} s, ` +
          `event loop ${r.loopTicks > 0 ? 'free' : 'blocked'} during the render, threads ${r.threadsBefore} → ${r.threadsMax}`,
      );
      const rb = rendered as WaBuffer | null;
      if (rb) out = Array.from({ length: rb.numberOfChannels }, (_, ch) => rb.getChannelData(ch));
    }
    const best = [...runs].sort((a, b) => a.seconds - b.seconds)[0]!;
    const busy = best.cpuSeconds / best.seconds;
    webAudio = {
      available: true,
      version: loaded.version,
      runs,
      best,
      threads:
        best.loopTicks > 0
          ? `renders off the main thread (event loop kept ticking); process CPU ÷ wall = ${busy.toFixed(2)}, i.e. about ${Math.max(1, Math.round(busy))} busy thread(s)`
          : `blocks the calling thread; process CPU ÷ wall = ${busy.toFixed(2)}`,
      realtime: fixture.seconds / best.seconds,
      nodes,
      levels: levels(out, 0, Math.min(frames, fixture.frames)),
      buildSeconds,
    };
  }
  return {
    frames,
    seconds: fixture.seconds,
    decodeSeconds,
    stemkit: {
      runs: sk,
      best: skBest,
      threads: `1: the calling thread, no pool (process CPU ÷ wall = ${(skBest.cpuSeconds / skBest.seconds).toFixed(2)})`,
      realtime: fixture.seconds / skBest.seconds,
      levels: skLevels,
      vsCliMix,
    },
    webAudio,
    ratio: webAudio.available ? webAudio.best.seconds / skBest.seconds : null,
  };
}

// ------------------------------------------------------------------------------------------------
// Main

async function fixtureFor(minutes: number): Promise<RenderFixture> {
  const dir = join(BASE, `session-${minutes}m`);
  const progress = generatingProgress();
  const f = await ensureRenderFixture({ dir, seconds: Math.round(minutes * 60), onProgress: progress.onProgress });
  progress.end();
  const mono = f.tracks.filter((t) => t.channels === 1).length;
  console.log(
    `  ${f.generated ? `generated in ${f.generateSeconds.toFixed(1)} s` : 'reused (identical fixture kept earlier)'}: ${f.tracks.length} tracks (${mono} mono, ${f.tracks.length - mono} stereo), ` +
      `${(f.totalBytes / 1e9).toFixed(2)} GB, 48 kHz/24-bit, track peaks ${Math.min(...f.tracks.map((t) => t.peakDbfs))} … ${Math.max(...f.tracks.map((t) => t.peakDbfs))} dBFS → ${relative(process.cwd(), f.session) || f.session}`,
  );
  return f;
}

const runner = chooseRunner(ROOT, args.runner!, { kernels: 'engine/kernels', load: 'session/load', render: 'session/render' });
console.log(`stemkit runs as: ${runner.kind} (${runner.why})`);
console.log(`peak RSS from: ${hasGnuTime ? 'GNU time -v' : 'process.resourceUsage() in the node child (apt-get install time for GNU time)'}`);
mkdirSync(BASE, { recursive: true });
const fsInfo = (() => {
  try {
    const s = statfsSync(BASE);
    return { type: `0x${s.type.toString(16)}`, tmpfs: s.type === 0x01021994 };
  } catch {
    return null;
  }
})();
console.log(`fixtures and render output in ${BASE}${fsInfo ? (fsInfo.tmpfs ? ' (tmpfs)' : ' (disk, not tmpfs)') : ''}`);

const created: string[] = [];
try {
  console.log(`\n== ${MINUTES}-minute session`);
  const short = await fixtureFor(MINUTES);
  created.push(short.dir);
  const warmBytes = warmPageCache(short.files);
  console.log(`  page cache warmed (${(warmBytes / 1e9).toFixed(2)} GB read, untimed)`);
  console.log(`stemkit render (CLI, child process; best of ${RUNS} after 1 warm-up):`);
  const cliShort = await timeCli(short, runner, RUNS, true);
  const m = cliShort.manifest;
  console.log(
    `  package: ${m.durationSec.toFixed(2)} s (tail ${m.render.tailSec.toFixed(2)} s), mix ${fmt(m.mix.integratedLufs, 1)} LUFS, TP ${fmt(m.mix.truePeakDbtp, 1)} dBTP; ` +
      `stem peaks ${m.stems.map((s) => fmt(s.peakDbfs, 1)).join(' / ')} dBFS; clipped samples ${[...m.stems, m.mix].reduce((n, s) => n + s.clippedSamples, 0)}`,
  );
  const cliMixPath = join(outDirFor(short.seconds), 'mix.wav');

  let cliLong: CliResult | null = null;
  if (args.long) {
    console.log(`\n== ${LONG_MINUTES}-minute session (same session, longer tracks)`);
    const long = await fixtureFor(LONG_MINUTES);
    created.push(long.dir);
    const bytes = warmPageCache(long.files);
    console.log(`  page cache warmed (${(bytes / 1e9).toFixed(2)} GB read, untimed)`);
    console.log(`stemkit render (CLI, ${LONG_RUNS} run(s)):`);
    cliLong = await timeCli(long, runner, LONG_RUNS, false);
    rmSync(outDirFor(long.seconds), { recursive: true, force: true });
  }

  console.log(`\nrenderSession(…, { pool: null }) in a child process (1 thread):`);
  const inline = await runInline(short, runner);
  console.log(`  ${inline.renderSeconds.toFixed(2)} s render (${inline.realtime.toFixed(1)}× real time), ${inline.wallSeconds.toFixed(2)} s process wall, ${fmt(inline.maxRssMB, 0)} MB peak RSS`);

  let profile: (ReturnType<typeof summarizeProfiles> & { dir: string; renderSeconds: number }) | null = null;
  const slow = cliShort.realtime < TARGET_REALTIME;
  if (args['cpu-prof'] || (slow && !args['no-prof'])) {
    const dir = join(dirname(OUT), 'render-cpuprof');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.log(`\nCPU profile of renderSession(…, { pool: null }) on the ${MINUTES}-minute session${slow ? ` (CLI under ${TARGET_REALTIME}× real time)` : ''}:`);
    const p = await runInline(short, runner, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    profile = { ...summarizeProfiles(dir, ROOT, runner.kind === 'dist', 15), dir: relative(ROOT, dir), renderSeconds: p.renderSeconds };
    console.log(`  ${profile.totalMs - profile.idleMs} ms busy of ${profile.totalMs} ms (render ${p.renderSeconds.toFixed(2)} s under the profiler); self time:`);
    printHotFunctions(profile.functions);
  }

  let memory: MemoryResult | null = null;
  if (!args['skip-memory']) {
    console.log(`\nThe mixing graph in memory (${MINUTES}-minute session; rendering timed, decoding not):`);
    memory = await inMemory(short, cliMixPath);
  }
  rmSync(outDirFor(short.seconds), { recursive: true, force: true });

  // --- table
  const cliThreads = 'main + pool of 2 workers';
  const rows: string[][] = [['what', 'threads', 'seconds', '× real time', 'CPU s', 'peak RSS MB']];
  rows.push([`stemkit render CLI (${runner.kind}), ${MINUTES} min, best of ${RUNS}`, cliThreads, fmt(cliShort.best.wallSeconds), fmt(cliShort.realtime, 1), fmt(cliShort.best.cpuSeconds), fmt(cliShort.best.maxRssMB, 0)]);
  if (cliLong) rows.push([`stemkit render CLI (${runner.kind}), ${LONG_MINUTES} min${LONG_RUNS > 1 ? `, best of ${LONG_RUNS}` : ''}`, cliThreads, fmt(cliLong.best.wallSeconds), fmt(cliLong.realtime, 1), fmt(cliLong.best.cpuSeconds), fmt(cliLong.best.maxRssMB, 0)]);
  rows.push([`renderSession pool=null, ${MINUTES} min (render only)`, '1', fmt(inline.renderSeconds), fmt(inline.realtime, 1), fmt(inline.cpuSeconds), fmt(inline.maxRssMB, 0)]);
  if (memory) {
    rows.push([`stemkit graph in memory, best of ${GRAPH_RUNS}`, '1', fmt(memory.stemkit.best.seconds), fmt(memory.stemkit.realtime, 1), fmt(memory.stemkit.best.cpuSeconds), '-']);
    if (memory.webAudio.available) rows.push([`web audio OfflineAudioContext, best of ${WA_RUNS}`, 'its render thread', fmt(memory.webAudio.best.seconds), fmt(memory.webAudio.realtime, 1), fmt(memory.webAudio.best.cpuSeconds), '-']);
    else rows.push(['web audio OfflineAudioContext', '-', '-', '-', '-', memory.webAudio.note]);
  }
  console.log(`\n${short.tracks.length} tracks → 8 stems + mix; × real time = session seconds (${short.seconds} s${cliLong ? `, ${cliLong.sessionSeconds} s` : ''}) ÷ seconds`);
  printTable(rows, 2);
  if (memory) {
    const sk = memory.stemkit;
    console.log(`\n  stemkit graph: ${sk.threads}`);
    if (sk.vsCliMix) console.log(`  stemkit graph vs the CLI's mix.wav: max |diff| ${sk.vsCliMix.maxAbsDiff.toExponential(2)}, diff RMS ${sk.vsCliMix.diffRmsDbfs} dBFS over ${sk.vsCliMix.comparedFrames} frames (the CLI sums 24-bit stems)`);
    console.log(`  stemkit graph mix: peak ${sk.levels.peakDbfs} dBFS, RMS ${sk.levels.rmsDbfs} dBFS`);
    if (memory.webAudio.available) {
      const wa = memory.webAudio;
      console.log(`  web audio: node-web-audio-api ${wa.version}; ${wa.threads}`);
      console.log(`  web audio nodes: ${Object.entries(wa.nodes).map(([k, v]) => `${v} ${k}`).join(', ')}`);
      console.log(`  web audio mix: peak ${wa.levels.peakDbfs} dBFS, RMS ${wa.levels.rmsDbfs} dBFS (different compressor, limiter and reverb: levels differ)`);
    }
  }

  const rssGrowth = cliLong && cliShort.best.maxRssMB && cliLong.best.maxRssMB ? cliLong.best.maxRssMB / cliShort.best.maxRssMB - 1 : null;
  console.log('\ntargets');
  console.log(
    `  CLI ${MINUTES} min: ${cliShort.realtime.toFixed(1)}× real time, best of ${RUNS} (median ${(cliShort.sessionSeconds / cliShort.median).toFixed(1)}×) (≥ ${TARGET_REALTIME}×: ${verdict(cliShort.realtime >= TARGET_REALTIME)})`,
  );
  if (cliLong) {
    console.log(`  CLI ${LONG_MINUTES} min: ${cliLong.realtime.toFixed(1)}× real time (≥ ${TARGET_REALTIME}×: ${verdict(cliLong.realtime >= TARGET_REALTIME)})`);
    console.log(`  peak RSS ${fmt(cliShort.best.maxRssMB, 0)} MB at ${MINUTES} min, ${fmt(cliLong.best.maxRssMB, 0)} MB at ${LONG_MINUTES} min: ${rssGrowth === null ? 'n/a' : `${rssGrowth >= 0 ? '+' : ''}${(100 * rssGrowth).toFixed(1)} %`}`);
  }
  if (memory) console.log(`  web audio ÷ stemkit graph: ${memory.ratio === null ? 'n/a' : `${memory.ratio.toFixed(2)}×`} (≥ ${TARGET_WEBAUDIO_RATIO}×: ${verdict(memory.ratio === null ? null : memory.ratio >= TARGET_WEBAUDIO_RATIO)})`);

  mkdirSync(dirname(OUT), { recursive: true });
  const fixtureRecord = (f: RenderFixture) => ({ dir: f.dir, seconds: f.seconds, frames: f.frames, tracks: f.tracks.length, mono: f.tracks.filter((t) => t.channels === 1).length, totalBytes: f.totalBytes, generated: f.generated, generateSeconds: f.generateSeconds });
  writeFileSync(
    OUT,
    `${JSON.stringify(
      {
        benchmark: 'render',
        date: new Date().toISOString(),
        host: hostInfo(),
        runner: { kind: runner.kind, why: runner.why, cli: showArgs(runner.cli) },
        rssMethod: hasGnuTime ? 'GNU time -v' : 'process.resourceUsage() in the node child',
        storage: { dir: BASE, ...fsInfo },
        fixture: { short: fixtureRecord(short) },
        method: {
          cli: 'whole child process from spawn to exit (reads 48 tracks, writes 8 stems + mix + stemkit.json, fsyncs); page cache warmed; best of --runs after one warm-up',
          realtime: 'session seconds ÷ wall seconds',
          inline: 'renderSession(resolved, { pool: null }) in a child process, timed inside it around the call',
          stemkitGraph: 'buildStemGraph + the block loop of src/session/render-stem.ts + mix sum + master chain, on this thread, from decoded audio in memory; no file I/O, meters or encoding',
          webAudio: 'OfflineAudioContext.startRendering() only; graph building and AudioBuffer copies not timed',
        },
        cli: { short: cliShort, long: cliLong },
        inline,
        profile,
        memory,
        targets: {
          cliRealtime: { target: `>= ${TARGET_REALTIME}`, short: cliShort.realtime, long: cliLong?.realtime ?? null },
          rssGrowth: { shortMB: cliShort.best.maxRssMB, longMB: cliLong?.best.maxRssMB ?? null, growth: rssGrowth },
          webAudioOverStemkitGraph: { target: `>= ${TARGET_WEBAUDIO_RATIO}`, value: memory?.ratio ?? null },
        },
      },
      (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v),
      2,
    )}\n`,
  );
  console.log(`\nwrote ${relative(ROOT, OUT)}`);
} finally {
  for (const seconds of [Math.round(MINUTES * 60), Math.round(LONG_MINUTES * 60)]) for (const tag of ['', '-inline']) rmSync(outDirFor(seconds, tag), { recursive: true, force: true });
  if (args.clean) {
    for (const dir of created) await removeRenderFixture(dir).catch(() => undefined);
    try {
      rmdirSync(BASE);
    } catch {
      // not empty or gone
    }
  } else if (created.length) console.log(`fixtures kept in ${BASE} (--clean removes them)`);
}
