/**
 * Random-access reading of one ALAC track of an MP4: the sample tables say where every packet is,
 * so a read decodes just the packets it covers (stemkit's own decoder, bit-exact with FFmpeg's).
 * Memory: one decoded packet, whatever the length.
 */
import { channelLayout } from '../channels.js';
import { lastAtOrBelow } from '../sorted.js';
import type { ByteSource } from '../byte-source.js';
import type { AudioFormat, AudioMeta, AudioSource } from '../types.js';
import { AlacDecoder } from '../alac/decoder.js';
import { StemkitError } from '../../errors.js';
import type { Mp4Info, Mp4Track } from './read.js';

export class Mp4AlacSource implements AudioSource {
  readonly format: AudioFormat;
  readonly meta: AudioMeta;
  readonly path: string;
  private readonly decoder: AlacDecoder;
  private cachedPacket = -1;
  private cached: Float32Array[] = [];

  constructor(private readonly file: ByteSource, info: Mp4Info, private readonly track: Mp4Track) {
    this.path = file.path;
    this.decoder = new AlacDecoder(track.decoderConfig);
    const bitDepth = this.decoder.config.bitDepth;
    this.format = {
      container: 'mp4',
      encoding: 'pcm',
      bitDepth,
      sampleRate: track.sampleRate,
      channels: track.channels,
      channelMask: null,
      channelLayout: channelLayout(track.channels, null),
      frames: track.frames,
      containerBits: bitDepth,
      bigEndian: true,
    };
    this.meta = {
      bext: null,
      ixml: null,
      tags: info.tags,
      chunks: [],
      unknownChunks: [],
      warnings: [],
    };
  }

  async read(startFrame: number, frames: number, into?: Float32Array[]): Promise<Float32Array[]> {
    const channels = this.format.channels;
    const n = Math.max(0, Math.min(frames, this.format.frames - startFrame));
    const out = into ?? Array.from({ length: channels }, () => new Float32Array(n));
    const { starts } = this.track;
    let done = 0;
    while (done < n) {
      const media = this.track.priming + startFrame + done;
      // starts has one more entry than there are packets: the end.
      const packet = lastAtOrBelow(starts, media, starts.length - 1);
      const decoded = await this.packet(packet);
      const offset = media - starts[packet]!;
      const take = Math.min(n - done, decoded[0]!.length - offset);
      if (take <= 0) throw new StemkitError('E_BAD_DATA', `${this.path}: ALAC packet ${packet} holds ${decoded[0]!.length} frames, fewer than its table says`, { file: this.path, hint: 'the file is damaged; export it again' });
      for (let c = 0; c < channels; c++) out[c]!.set(decoded[c]!.subarray(offset, offset + take), done);
      done += take;
    }
    return into ? out : out.map((c) => (c.length === n ? c : c.subarray(0, n)));
  }

  private async packet(index: number): Promise<Float32Array[]> {
    if (index === this.cachedPacket) return this.cached;
    const size = this.track.sizes[index]!;
    const bytes = new Uint8Array(size);
    const got = await this.file.readInto(bytes, this.track.offsets[index]!);
    if (got < size) throw new StemkitError('E_TRUNCATED', `${this.path}: ALAC packet ${index} is cut short (${got} of ${size} bytes)`, { file: this.path, hint: 'the file was cut short; copy or export it again' });
    this.cached = this.decoder.decodeFloat(bytes);
    this.cachedPacket = index;
    return this.cached;
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}
