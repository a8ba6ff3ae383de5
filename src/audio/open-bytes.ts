import { StemkitError } from '../errors.js';
import { openAiff } from './aiff/read.js';
import type { ByteSource } from './byte-source.js';
import type { AudioSource, OpenOptions } from './types.js';
import { openWav } from './wav/read.js';

/** Signatures of formats stemkit recognises but does not decode, so the error names them. */
function sniffUnsupported(head: Uint8Array): string | null {
  const ascii = (at: number, text: string) => [...text].every((ch, i) => head[at + i] === ch.charCodeAt(0));
  if (ascii(0, 'ID3')) return 'MP3 (with an ID3 tag)';
  if (head[0] === 0xff && head.length > 1 && (head[1]! & 0xe0) === 0xe0) {
    return (head[1]! & 0x06) === 0 ? 'AAC (ADTS)' : 'MPEG audio (MP3)';
  }
  if (ascii(0, 'OggS')) return 'Ogg (Vorbis/Opus/FLAC-in-Ogg)';
  if (ascii(0, 'caff')) return 'Core Audio Format (CAF)';
  if (ascii(0, 'riff') && head[4] === 0x2e) return 'Sony Wave64 (W64)';
  if (ascii(0, '.snd')) return 'Sun/NeXT audio (.au)';
  if (ascii(0, 'wvpk')) return 'WavPack';
  if (ascii(0, 'MAC ')) return "Monkey's Audio (APE)";
  if (ascii(0, '#!AMR')) return 'AMR';
  if (head[0] === 0x30 && head[1] === 0x26 && head[2] === 0xb2 && head[3] === 0x75) return 'Windows Media (ASF/WMA)';
  if (ascii(0, 'FORM') && ascii(8, '8SVX')) return 'IFF 8SVX';
  if (ascii(0, 'FRM8')) return 'DSDIFF (DSD)';
  if (ascii(0, 'DSD ')) return 'DSF (DSD)';
  return null;
}

/** An ID3v2 tag in front of a FLAC stream: its size, so the sniffer can look past it. */
function id3Length(head: Uint8Array): number {
  if (head.length < 10 || head[0] !== 0x49 || head[1] !== 0x44 || head[2] !== 0x33) return 0;
  const size = ((head[6]! & 0x7f) << 21) | ((head[7]! & 0x7f) << 14) | ((head[8]! & 0x7f) << 7) | (head[9]! & 0x7f);
  return 10 + size + (head[5]! & 0x10 ? 10 : 0);
}

/**
 * Opens audio from any ByteSource (a file, memory, a Blob, HTTP ranges), choosing the reader by
 * content, never by extension:
 * a mislabelled .wav that is really AIFF still opens, and an MP3 named .wav is named as MP3.
 */
export async function openAudioBytes(file: ByteSource, options: OpenOptions = {}): Promise<AudioSource> {
  const path = file.path;
  try {
    const head = await file.bytes(0, 16);
    const tag = String.fromCharCode(...head.subarray(0, 4));
    if (tag === 'RIFF' || tag === 'RIFX' || tag === 'RF64' || tag === 'BW64') return withHeadersParsed(file, await openWav(file, options));
    if (tag === 'FORM') {
      if (head.length >= 12 && String.fromCharCode(...head.subarray(8, 12)) === '8SVX') throw unsupported(path, 'IFF 8SVX');
      return withHeadersParsed(file, await openAiff(file, options));
    }
    const skip = id3Length(head);
    const flacAt = skip > 0 ? await file.bytes(skip, 4) : head.subarray(0, 4);
    if (String.fromCharCode(...flacAt) === 'fLaC') {
      // Loaded on demand: the wasm decoder costs startup time that WAV-only runs should not pay.
      let flac: typeof import('./flac/index.js');
      try {
        flac = await import('./flac/index.js');
      } catch (err) {
        // A broken install (missing module or wasm) must still surface as a typed error naming the format.
        throw new StemkitError('E_UNSUPPORTED', `${path}: FLAC is not supported by this installation (the FLAC decoder failed to load)`, {
          file: path,
          hint: 'reinstall stemkit, or convert the file to WAV or AIFF',
          cause: err,
        });
      }
      return await flac.openFlac(file, options);
    }
    if (String.fromCharCode(...head.subarray(4, 8)) === 'ftyp') {
      const { openMp4 } = await import('./mp4/open.js');
      return withHeadersParsed(file, await openMp4(file, options));
    }
    const name = sniffUnsupported(head);
    if (name) throw unsupported(path, name);
    // A few bytes of a WAV/AIFF/FLAC signature are a cut-off audio file; a few bytes of anything else are not audio.
    if (head.length < 4 && ['RIFF', 'RIFX', 'RF64', 'BW64', 'FORM', 'fLaC'].some((magic) => magic.startsWith(String.fromCharCode(...head)))) {
      throw new StemkitError('E_TRUNCATED', `${path}: ${file.size} bytes, too short to be audio`, { file: path, hint: 'the file is cut short; copy or export it again' });
    }
    throw new StemkitError('E_NOT_AUDIO', `${path}: not an audio file (no WAV, AIFF or FLAC signature)`, {
      file: path,
      hint: 'deliver stems as WAV, AIFF or FLAC',
    });
  } catch (err) {
    await file.close();
    throw err;
  }
}

function withHeadersParsed(file: ByteSource, source: AudioSource): AudioSource {
  file.forgetHeaderBytes();
  return source;
}

function unsupported(path: string, name: string): StemkitError {
  return new StemkitError('E_UNSUPPORTED', `${path}: ${name} is not supported`, {
    file: path,
    hint: 'stems must be lossless: convert to WAV, AIFF or FLAC (lossy files cannot null against a mix)',
  });
}
