import { StemkitError } from '../../errors.js';
import type { Mp4Track } from './read.js';

export async function decodeAlacTrack(mp4Path: string, _track: Mp4Track, _wavPath: string): Promise<void> {
  throw new StemkitError('E_UNSUPPORTED', `${mp4Path}: ALAC decoding is not wired yet`, { file: mp4Path, hint: 'pending' });
}
