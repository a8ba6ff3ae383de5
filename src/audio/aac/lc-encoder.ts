/**
 * stemkit's AAC-LC encoder: one raw_data_block (an SCE or a CPE, then END) per 1024 frames.
 * Long and short blocks with start/stop windows (sine shape), per-band M/S stereo, scalefactors
 * from the psychoacoustic thresholds, and a rate control that keeps the quality offset common to
 * all bands and steers it to the target average bitrate, within the 6144 bits per channel a
 * frame may take. No PNS, intensity stereo or TNS: stems are summed and nulled against the mix,
 * and those tools trade waveform fidelity for bits.
 */
import { StemkitError } from '../../errors.js';
import { BitWriter } from './bit-writer.js';
import { chooseSections, scalefactorBits, writeScalefactors, writeSectionData, writeSpectralData } from './noiseless.js';
import { bandModel, maskingThresholds, type BandModel } from './psy.js';
import { swbOffsets } from './tables.js';
import { BlockTransform, BLOCK, EIGHT_SHORT, FRAME, SHORT, type WindowSequence } from './windows.js';

/** Decoder full scale: AAC decoders output 16-bit-scaled samples. */
const PCM_SCALE = 32768;
/** The most bits one channel's frame may take (ISO/IEC 14496-3 4.5.3.2). */
const MAX_BITS_PER_CHANNEL = 6144;
/** The rounding of the quantizer: below ½ to favour zeros (the reference encoder's 0.4054). */
const ROUNDING = 0.4054;
const MAX_QUANT = 8191;
const SF_OFFSET = 100;
/** Largest scalefactor difference Huffman coding carries. */
const MAX_SF_STEP = 60;
/** How fast the quality offset follows the bitrate error: dB per frame at twice the target. */
const RATE_GAIN_DB = 1;
const OFFSET_LIMIT_DB = 40;
const ID_SCE = 0;
const ID_CPE = 1;
const ID_END = 7;

/** 2^(−3/16 (sf − 100)) by scalefactor: the quantizer's step on |x|^¾. */
const QUANT_STEP = Float64Array.from({ length: 256 }, (_, sf) => 2 ** (-0.1875 * (sf - SF_OFFSET)));

export interface LcEncoderOptions {
  sampleRate: number;
  /** 1 (an SCE) or 2 (a CPE). */
  channels: number;
  /** Target average, bits per second. */
  bitrate: number;
  /** Hz coded; by default from the bitrate per channel (Nyquist at 256 kb/s stereo). */
  bandwidth?: number;
}

/**
 * Hz coded by default for the bits each channel gets: Nyquist from about 110 kb/s per channel (NI's
 * 256 kb/s stereo), so stems are summed and nulled whole; less at low bitrates, where coding the
 * top octave would starve the rest (15.8 kHz at 64 kb/s per channel).
 */
function defaultBandwidth(bitsPerSecondPerChannel: number): number {
  return 3000 + 0.2 * bitsPerSecondPerChannel;
}

/** Band layout of one frame: groups of short windows, and where each (group, band) sits. */
class Layout {
  sequence: WindowSequence = 0;
  numGroups = 1;
  readonly groupLength = new Int32Array(8);
  maxSfb = 0;
  /** Band j = g·maxSfb + sfb covers interleaved lines [bandStart[j], bandStart[j + 1]). */
  readonly bandStart = new Int32Array(8 * 16 + 1);
  get bands(): number {
    return this.numGroups * this.maxSfb;
  }
}

/** One channel's working arrays, reused frame after frame. */
class ChannelState {
  readonly coefs = new Float64Array(FRAME);
  /** Coefficients in spectral_data order (short windows interleaved by group and band). */
  readonly lines = new Float64Array(FRAME);
  readonly magnitude34 = new Float64Array(FRAME);
  readonly q = new Int32Array(FRAME);
  readonly energy = new Float64Array(128);
  readonly formFactor = new Float64Array(128);
  readonly threshold = new Float64Array(128);
  readonly quiet = new Float64Array(128);
  readonly peak34 = new Float64Array(128);
  /** The finest scalefactor that keeps the band's peak within the largest quantized value. */
  readonly finest = new Int32Array(128);
  readonly sf = new Int32Array(128);
  readonly cb = new Uint8Array(128);
  /** log2(6.75·threshold/formFactor) and log2(6.75·quiet/formFactor): scalefactors are linear in them. */
  readonly logMasked = new Float64Array(128);
  readonly logQuiet = new Float64Array(128);
  globalGain = 0;
}

export class AacLcEncoder {
  private readonly transform = new BlockTransform();
  private readonly block = new Float64Array(BLOCK);
  private readonly layout = new Layout();
  private readonly state: ChannelState[];
  private readonly longModel: BandModel;
  private readonly shortModel: BandModel;
  private readonly longBands: number;
  private readonly shortBands: number;
  private readonly msUsed = new Uint8Array(128);
  /** Whether any band of this frame is coded mid/side (ms_mask_present 1, else 0). */
  private midSide = false;
  private readonly writer = new BitWriter((2 * MAX_BITS_PER_CHANNEL) / 8);
  private readonly shortEnergy = new Float64Array(8);
  private readonly windowEnergy = new Float64Array(16);
  private readonly windowFormFactor = new Float64Array(16);
  private readonly windowThreshold = new Float64Array(16);
  private readonly averageBits: number;
  private readonly maxBits: number;
  private reservoir: number;
  private offsetDb = 0;
  private settled = false;

  constructor(options: LcEncoderOptions) {
    const { sampleRate, channels, bitrate } = options;
    if (channels !== 1 && channels !== 2) throw new StemkitError('E_UNSUPPORTED', `stemkit's AAC encoder codes 1 or 2 channels, got ${channels}`, { hint: 'fold to stereo first, or use --aac-encoder ffmpeg' });
    const longOffsets = swbOffsets(sampleRate, false);
    const shortOffsets = swbOffsets(sampleRate, true);
    this.longModel = bandModel(longOffsets, sampleRate, FRAME);
    this.shortModel = bandModel(shortOffsets, sampleRate, SHORT);
    const bandwidth = Math.min(options.bandwidth ?? defaultBandwidth(bitrate / channels), sampleRate / 2);
    this.longBands = bandsBelow(longOffsets, (bandwidth / (sampleRate / 2)) * FRAME);
    this.shortBands = bandsBelow(shortOffsets, (bandwidth / (sampleRate / 2)) * SHORT);
    this.state = Array.from({ length: channels }, () => new ChannelState());
    this.averageBits = (bitrate * FRAME) / sampleRate;
    this.maxBits = MAX_BITS_PER_CHANNEL * channels;
    if (this.averageBits > this.maxBits) {
      const most = Math.floor((this.maxBits * sampleRate) / FRAME / 1000);
      throw new StemkitError('E_USAGE', `${bitrate / 1000} kb/s is more than AAC-LC carries for ${channels} channel(s) at ${sampleRate} Hz`, { hint: `give at most ${most} kb/s` });
    }
    this.reservoir = this.maxBits - this.averageBits;
  }

  /**
   * Encodes the block starting at index `at` of `channels` (±1 full scale; 2048 frames from `at`)
   * with the window sequence given, into one raw AAC packet.
   */
  encode(channels: readonly Float32Array[], at: number, sequence: WindowSequence): Uint8Array {
    const layout = this.layout;
    layout.sequence = sequence;
    for (const [c, state] of this.state.entries()) {
      const source = channels[c]!;
      // NaN and ±Infinity (a broken float file) code as silence rather than poisoning the block.
      for (let n = 0; n < BLOCK; n++) {
        const x = source[at + n]!;
        this.block[n] = Number.isFinite(x) ? x * PCM_SCALE : 0;
      }
      this.transform.transform(this.block, sequence, state.coefs);
    }
    if (sequence === EIGHT_SHORT) this.groupShortWindows();
    else this.layoutLong();
    for (const state of this.state) this.analyse(state);
    this.midSide = this.state.length === 2 && this.chooseMidSide();
    for (const state of this.state) this.prepareQuantizer(state);
    const bits = this.allocate();
    return this.write(bits);
  }

  private layoutLong(): void {
    const layout = this.layout;
    layout.numGroups = 1;
    layout.groupLength[0] = 1;
    layout.maxSfb = this.longBands;
    const offsets = this.longModel.offsets;
    for (let b = 0; b <= this.longBands; b++) layout.bandStart[b] = offsets[b]!;
    for (const state of this.state) state.lines.set(state.coefs);
  }

  /** Consecutive short windows whose energies stay within 9 dB of each other share scalefactors. */
  private groupShortWindows(): void {
    const layout = this.layout;
    const energy = this.shortEnergy.fill(0);
    for (const state of this.state) {
      for (let w = 0; w < 8; w++) {
        for (let k = w * SHORT, end = k + SHORT; k < end; k++) energy[w] += state.coefs[k]! * state.coefs[k]!;
      }
    }
    layout.numGroups = 0;
    let low = energy[0]!;
    let high = energy[0]!;
    let length = 1;
    for (let w = 1; w < 8; w++) {
      const e = energy[w]!;
      const nextLow = Math.min(low, e);
      const nextHigh = Math.max(high, e);
      if (nextHigh > 8 * nextLow + 1e-3) {
        layout.groupLength[layout.numGroups++] = length;
        low = high = e;
        length = 1;
      } else {
        low = nextLow;
        high = nextHigh;
        length++;
      }
    }
    layout.groupLength[layout.numGroups++] = length;
    layout.maxSfb = this.shortBands;
    const offsets = this.shortModel.offsets;
    let j = 0;
    let line = 0;
    let firstWindow = 0;
    for (let g = 0; g < layout.numGroups; g++) {
      const len = layout.groupLength[g]!;
      for (let b = 0; b < layout.maxSfb; b++) {
        layout.bandStart[j++] = line;
        const start = offsets[b]!;
        const width = offsets[b + 1]! - start;
        for (const state of this.state) {
          for (let w = 0; w < len; w++) state.lines.set(state.coefs.subarray((firstWindow + w) * SHORT + start, (firstWindow + w) * SHORT + start + width), line + w * width);
        }
        line += len * width;
      }
      firstWindow += len;
    }
    layout.bandStart[j] = line;
    for (const state of this.state) state.lines.fill(0, line);
  }

  /** Band energies, form factors, masked thresholds and the threshold in quiet, in layout order. */
  private analyse(state: ChannelState): void {
    const layout = this.layout;
    if (layout.sequence !== EIGHT_SHORT) {
      maskingThresholds(state.coefs, this.longModel, layout.maxSfb, state.energy, state.formFactor, state.threshold);
      state.quiet.set(this.longModel.quiet.subarray(0, layout.maxSfb));
      return;
    }
    // Per window, then per group: energies add up, the group's threshold is its quietest window's.
    let window = 0;
    for (let g = 0; g < layout.numGroups; g++) {
      const len = layout.groupLength[g]!;
      const base = g * layout.maxSfb;
      for (let b = 0; b < layout.maxSfb; b++) {
        state.energy[base + b] = 0;
        state.formFactor[base + b] = 0;
        state.threshold[base + b] = Infinity;
        state.quiet[base + b] = len * this.shortModel.quiet[b]!;
      }
      for (let w = window; w < window + len; w++) {
        maskingThresholds(state.coefs.subarray(w * SHORT, (w + 1) * SHORT), this.shortModel, layout.maxSfb, this.windowEnergy, this.windowFormFactor, this.windowThreshold);
        for (let b = 0; b < layout.maxSfb; b++) {
          state.energy[base + b] += this.windowEnergy[b]!;
          state.formFactor[base + b] += this.windowFormFactor[b]!;
          state.threshold[base + b] = Math.min(state.threshold[base + b]!, this.windowThreshold[b]!);
        }
      }
      for (let b = 0; b < layout.maxSfb; b++) state.threshold[base + b] *= len;
      window += len;
    }
  }

  /**
   * Per band, codes mid = (L + R)/2 and side = (L − R)/2 instead of left and right when that
   * needs fewer bits by the perceptual entropy estimate, both under the lower of the two thresholds
   * (a noise masked in one channel may be heard in the other once the image is rebuilt).
   */
  private chooseMidSide(): boolean {
    const [left, right] = this.state as [ChannelState, ChannelState];
    const { bandStart } = this.layout;
    let any = false;
    for (let j = 0; j < this.layout.bands; j++) {
      const start = bandStart[j]!;
      const end = bandStart[j + 1]!;
      let em = 0;
      let es = 0;
      for (let k = start; k < end; k++) {
        const m = (left.lines[k]! + right.lines[k]!) / 2;
        const s = (left.lines[k]! - right.lines[k]!) / 2;
        em += m * m;
        es += s * s;
      }
      const t = Math.min(left.threshold[j]!, right.threshold[j]!);
      const entropyLr = bitsDemand(left.energy[j]!, left.threshold[j]!) + bitsDemand(right.energy[j]!, right.threshold[j]!);
      const entropyMs = bitsDemand(em, t) + bitsDemand(es, t);
      if (entropyMs >= entropyLr) {
        this.msUsed[j] = 0;
        continue;
      }
      this.msUsed[j] = 1;
      any = true;
      let ffm = 0;
      let ffs = 0;
      for (let k = start; k < end; k++) {
        const m = (left.lines[k]! + right.lines[k]!) / 2;
        const s = (left.lines[k]! - right.lines[k]!) / 2;
        left.lines[k] = m;
        right.lines[k] = s;
        ffm += Math.sqrt(Math.abs(m));
        ffs += Math.sqrt(Math.abs(s));
      }
      left.energy[j] = em;
      right.energy[j] = es;
      left.formFactor[j] = ffm;
      right.formFactor[j] = ffs;
      left.threshold[j] = right.threshold[j] = t;
      left.quiet[j] = right.quiet[j] = Math.min(left.quiet[j]!, right.quiet[j]!);
    }
    return any;
  }

  /** |x|^¾ per line, the per band peak of it, and the logarithms the scalefactors are linear in. */
  private prepareQuantizer(state: ChannelState): void {
    const { bandStart } = this.layout;
    for (let j = 0; j < this.layout.bands; j++) {
      let peak = 0;
      for (let k = bandStart[j]!, end = bandStart[j + 1]!; k < end; k++) {
        const a = Math.abs(state.lines[k]!);
        const p = Math.sqrt(a * Math.sqrt(a));
        state.magnitude34[k] = p;
        if (p > peak) peak = p;
      }
      state.peak34[j] = peak;
      state.finest[j] = peak > 0 ? Math.ceil(SF_OFFSET - Math.log2((MAX_QUANT + 1 - ROUNDING) / peak) / 0.1875) : 0;
      const ff = state.formFactor[j]!;
      state.logMasked[j] = ff > 0 ? Math.log2((6.75 * state.threshold[j]!) / ff) : 0;
      state.logQuiet[j] = ff > 0 ? Math.log2((6.75 * state.quiet[j]!) / ff) : 0;
    }
  }

  /**
   * Quantizes every channel at the quality offset (dB added to every masked threshold), and
   * returns the bits of the whole raw_data_block.
   */
  private quantizeAt(offsetDb: number): number {
    const layout = this.layout;
    const gain = 10 ** (offsetDb / 10);
    const logGain = Math.log2(gain);
    const short = layout.sequence === EIGHT_SHORT;
    let bits = 3 + 4 + 3; // element id and tag; END
    bits += short ? 15 : 11; // ics_info
    if (this.state.length === 2) bits += 1 + 2 + (this.midSide ? layout.bands : 0);
    for (const state of this.state) {
      const { bandStart } = layout;
      let previous = -1;
      for (let j = 0; j < layout.bands; j++) {
        const start = bandStart[j]!;
        const end = bandStart[j + 1]!;
        const threshold = Math.max(state.threshold[j]! * gain, state.quiet[j]!);
        if (state.energy[j]! <= threshold || state.peak34[j] === 0) {
          state.q.fill(0, start, end);
          state.sf[j] = -1;
          continue;
        }
        const log = Math.max(state.logMasked[j]! + logGain, state.logQuiet[j]!);
        let sf = Math.min(255, Math.max(Math.floor(SF_OFFSET + (8 / 3) * log), state.finest[j]!, 0));
        // A band more than 90 dB above the previous coded one would need a jump Huffman coding cannot
        // carry: it keeps the finest step allowed, and its loudest lines clip at the largest value.
        if (previous >= 0) sf = Math.min(Math.max(sf, previous - MAX_SF_STEP), previous + MAX_SF_STEP);
        state.sf[j] = sf;
        const step = QUANT_STEP[sf]!;
        let any = 0;
        for (let k = start; k < end; k++) {
          const v = Math.min(MAX_QUANT, Math.floor(state.magnitude34[k]! * step + ROUNDING));
          any |= v;
          state.q[k] = state.lines[k]! < 0 ? -v : v;
        }
        if (any === 0) state.sf[j] = -1;
        else previous = sf;
      }
      bits += this.channelBits(state);
    }
    return bits + 7; // at most 7 bits of byte alignment
  }

  /** Bits of one individual_channel_stream: global gain, sections, scalefactors, flags, spectrum. */
  private channelBits(state: ChannelState): number {
    const layout = this.layout;
    const short = layout.sequence === EIGHT_SHORT;
    let bits = 8 + 3;
    bits += chooseSections(state.q, layout.bandStart, layout.numGroups, layout.maxSfb, short, state);
    // Bands of zeros inside a section still carry a scalefactor: repeating the last one costs 1 bit.
    let last = -1;
    for (let j = 0; j < layout.bands && last < 0; j++) last = state.sf[j]!;
    state.globalGain = Math.max(0, last);
    for (let j = 0; j < layout.bands; j++) {
      if (state.cb[j] === 0) continue;
      if (state.sf[j]! < 0) state.sf[j] = last;
      else last = state.sf[j]!;
    }
    bits += scalefactorBits(state.sf, state.cb, layout.bands, state.globalGain);
    return bits;
  }

  /**
   * The quality offset for this frame: the running one when its bits fit what the reservoir
   * allows, else the lowest quality step that fits. The running offset then moves towards the
   * target average bitrate. The first frame with content sets it where that frame meets the
   * average, so a segment encoded on its own starts near where the whole track would be.
   */
  private allocate(): number {
    const budget = Math.min(this.maxBits, this.averageBits + this.reservoir);
    let offset = this.offsetDb;
    let bits = this.quantizeAt(offset);
    if (!this.settled && this.layout.sequence !== EIGHT_SHORT && bits > this.averageBits / 4) {
      offset = this.offsetDb = this.search(-OFFSET_LIMIT_DB, OFFSET_LIMIT_DB, this.averageBits);
      bits = this.quantizeAt(offset);
      this.settled = true;
    } else if (bits > budget) {
      offset = this.search(offset, OFFSET_LIMIT_DB + 40, budget);
      bits = this.quantizeAt(offset);
    }
    if (bits > this.maxBits) throw new Error(`an AAC frame of ${bits} bits exceeds ${this.maxBits} at the coarsest quantization`);
    this.reservoir = Math.min(this.maxBits - this.averageBits, this.reservoir + this.averageBits - bits);
    // The running offset follows the bits spent, not a frame's forced offset: a frame the reservoir
    // could not carry is an exception, and following it would hold the quality down long after.
    // A quiet frame that needs few bits at this quality says nothing about the bitrate either:
    // letting it raise the quality would wind the offset down through every silence.
    if (bits >= this.averageBits / 2) {
      // Aim to keep the reservoir half full, so short blocks after an attack find bits waiting.
      const target = this.averageBits + (this.reservoir - (this.maxBits - this.averageBits) / 2) / 8;
      const error = (bits - target) / this.averageBits;
      this.offsetDb = Math.min(OFFSET_LIMIT_DB, Math.max(-OFFSET_LIMIT_DB, this.offsetDb + RATE_GAIN_DB * error));
    }
    return bits;
  }

  /** The lowest offset in [low, high] whose bits fit `budget` (bisection to 0.1 dB). */
  private search(low: number, high: number, budget: number): number {
    if (this.quantizeAt(low) <= budget) return low;
    while (high - low > 0.1) {
      const mid = (low + high) / 2;
      if (this.quantizeAt(mid) <= budget) high = mid;
      else low = mid;
    }
    return high;
  }

  private write(expectedBits: number): Uint8Array {
    const w = this.writer;
    w.reset();
    const layout = this.layout;
    const stereo = this.state.length === 2;
    w.write(stereo ? ID_CPE : ID_SCE, 3);
    w.write(0, 4);
    if (stereo) {
      w.write(1, 1); // common_window
      this.writeIcsInfo(w);
      w.write(this.midSide ? 1 : 0, 2);
      if (this.midSide) for (let j = 0; j < layout.bands; j++) w.write(this.msUsed[j]!, 1);
    }
    for (const state of this.state) {
      w.write(state.globalGain, 8);
      if (!stereo) this.writeIcsInfo(w);
      writeSectionData(w, state.cb, layout.numGroups, layout.maxSfb, layout.sequence === EIGHT_SHORT);
      writeScalefactors(w, state.sf, state.cb, layout.bands, state.globalGain);
      w.write(0, 3); // no pulse data, TNS or gain control
      writeSpectralData(w, state.q, layout.bandStart, state.cb, layout.bands);
    }
    w.write(ID_END, 3);
    w.alignToByte();
    if (w.bitLength > expectedBits) throw new Error(`AAC frame wrote ${w.bitLength} bits, counted ${expectedBits}`);
    return w.bytes();
  }

  private writeIcsInfo(w: BitWriter): void {
    const layout = this.layout;
    w.write(0, 1);
    w.write(layout.sequence, 2);
    w.write(0, 1); // sine window shape
    if (layout.sequence === EIGHT_SHORT) {
      w.write(layout.maxSfb, 4);
      let grouping = 0;
      let window = 0;
      for (let g = 0; g < layout.numGroups; g++) {
        for (let i = 0; i < layout.groupLength[g]!; i++, window++) if (window > 0) grouping = (grouping << 1) | (i > 0 ? 1 : 0);
      }
      w.write(grouping, 7);
    } else {
      w.write(layout.maxSfb, 6);
      w.write(0, 1); // no prediction
    }
  }
}

/** Bits a band needs by the perceptual entropy estimate, up to a common factor. */
function bitsDemand(energy: number, threshold: number): number {
  return energy > threshold ? Math.log2(energy / threshold) : 0;
}

/** How many bands lie wholly below `line`. */
function bandsBelow(offsets: ArrayLike<number>, line: number): number {
  let bands = 0;
  while (bands + 1 < offsets.length && offsets[bands + 1]! <= line + 0.5) bands++;
  return bands;
}
