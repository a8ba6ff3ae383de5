import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A 4.5 GiB RF64 file built by hand (independently of stemkit's writer): ds64 header, a sparse
 * hole of silence, and marker samples at the very start and past the 4 GiB mark.
 */
function sparseRf64(path: string, dataBytes: number): number {
  const header = Buffer.alloc(12 + 8 + 28 + 8 + 16 + 8);
  let at = 0;
  const id = (s: string) => (at = header.write(s, at, 'latin1') + at);
  const u32 = (v: number) => (at = header.writeUInt32LE(v, at));
  const u64 = (v: number) => (at = header.writeBigUInt64LE(BigInt(v), at));
  id('RF64'), u32(0xffffffff), id('WAVE');
  id('ds64'), u32(28), u64(header.length - 8 + dataBytes), u64(dataBytes), u64(dataBytes / 4), u32(0);
  id('fmt '), u32(16);
  at = header.writeUInt16LE(1, at);
  at = header.writeUInt16LE(2, at);
  u32(48000), u32(48000 * 4);
  at = header.writeUInt16LE(4, at);
  at = header.writeUInt16LE(16, at);
  id('data'), u32(0xffffffff);
  const fd = openSync(path, 'w');
  writeSync(fd, header, 0, header.length, 0);
  const marker = Buffer.alloc(4);
  marker.writeInt16LE(12345, 0);
  marker.writeInt16LE(-23456, 2);
  writeSync(fd, marker, 0, 4, header.length);
  writeSync(fd, marker, 0, 4, header.length + dataBytes - 4);
  ftruncateSync(fd, header.length + dataBytes);
  closeSync(fd);
  return header.length;
}

describe('streaming', () => {
  it('reads a 4.5 GiB RF64 file end to end in constant memory', async () => {
    const path = join(dir, 'huge.wav');
    const dataBytes = 4.5 * 2 ** 30;
    sparseRf64(path, dataBytes);
    const source = await openAudio(path);
    const frames = dataBytes / 4;
    expect(source.format).toMatchObject({ container: 'rf64', channels: 2, sampleRate: 48000, frames });

    const block = 1 << 16;
    const into = [new Float32Array(block), new Float32Array(block)];
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    let nonZero = 0;
    for (let start = 0; start < frames; start += block) {
      const [l, r] = await source.read(start, Math.min(block, frames - start), into);
      for (let i = 0; i < l!.length; i++) if (l![i] !== 0 || r![i] !== 0) nonZero++;
      if ((start / block) % 256 === 0) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }
    expect(nonZero).toBe(2);
    const [first] = await source.read(0, 1);
    const last = await source.read(frames - 1, 1);
    expect(first![0]! * 32768).toBe(12345);
    expect(last[1]![0]! * 32768).toBe(-23456);
    // Reading 4.5 GiB must not grow the process by more than a few blocks' worth.
    expect(rssPeak - rssBefore).toBeLessThan(64 * 2 ** 20);
    await source.close();
  }, 180_000);
});
