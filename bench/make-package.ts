/**
 * Writes the deterministic benchmark stem package (8 stereo stems + their exact-sum mix,
 * 48 kHz/24-bit) that `npm run bench:check` measures, e.g. to try `stemkit check` by hand.
 *
 *   node --import tsx bench/make-package.ts DIR               # 4 minutes
 *   node --import tsx bench/make-package.ts DIR --minutes 60  # ≈ 9.3 GB, constant memory
 *
 * Layout: DIR/stems/01_Drums.wav … DIR/stems/08_FX.wav, DIR/mix.wav, DIR/fixture.json (what was
 * generated, so bench/check.ts can reuse an identical package). An identical package already in
 * DIR is kept unless --force.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePackageFixture, writePackageFixture } from './lib/package-fixture.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    minutes: { type: 'string', default: '4' },
    seconds: { type: 'string' },
    'sample-rate': { type: 'string', default: '48000' },
    seed: { type: 'string' },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes) * 60;
const sampleRate = Number(values['sample-rate']);
if (values.help || positionals.length !== 1 || !(seconds > 0) || !Number.isInteger(sampleRate)) {
  console.error('usage: node --import tsx bench/make-package.ts DIR [--minutes 4 | --seconds S] [--sample-rate 48000] [--seed N] [--force]');
  process.exit(values.help ? 0 : 2);
}
const dir = resolve(positionals[0]!);
let lastShown = 0;
const options = {
  dir,
  seconds,
  sampleRate,
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
  onProgress: (done: number, total: number) => {
    const now = Date.now();
    if (process.stderr.isTTY && (now - lastShown > 250 || done === total)) {
      lastShown = now;
      process.stderr.write(`\r  ${((100 * done) / total).toFixed(0).padStart(3)} %  ${(done / sampleRate).toFixed(0)} / ${(total / sampleRate).toFixed(0)} s`);
      if (done === total) process.stderr.write('\n');
    }
  },
};
const pkg = values.force ? await writePackageFixture(options) : await ensurePackageFixture(options);
console.log(
  `${pkg.generated ? `generated in ${pkg.generateSeconds.toFixed(1)} s` : 'identical package already present, kept'}: ${pkg.dir}\n` +
    `  ${pkg.files.length} files, ${(pkg.totalBytes / 1e9).toFixed(2)} GB, ${pkg.seconds} s at ${pkg.sampleRate} Hz, 24-bit stereo, seed ${pkg.seed}`,
);
for (const [file, peak] of Object.entries(pkg.peakDbfs)) console.log(`  ${file.padEnd(22)} sample peak ${peak.toFixed(2).padStart(7)} dBFS`);
