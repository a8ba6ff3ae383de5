import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RATE, writeWav } from './helpers/package.js';

/**
 * More files than the open-files limit: `ulimit -n 256` is a common default (macOS), and a
 * session or package of 300 files must render and check under it (files are read through a pool).
 */
const root = mkdtempSync(join(tmpdir(), 'stemkit-open-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const main = resolve('src/cli/main.ts');
const COUNT = 300;

/** A short decaying tone, different per index, so every file carries audio of its own. */
function shortTone(index: number, seconds = 0.25): Float32Array {
  const x = new Float32Array(Math.round(seconds * RATE));
  const freq = 100 + 7 * index;
  for (let i = 0; i < x.length; i++) x[i] = Math.round(0.002 * Math.exp(-i / 4000) * Math.sin((2 * Math.PI * freq * i) / RATE) * 2 ** 23) / 2 ** 23;
  return x;
}

/** Runs the CLI in a shell whose open-files limit is 256. */
function stemkitUnderLimit(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const run = spawnSync('sh', ['-c', `ulimit -n 256 && exec node --import tsx '${main}' ${quoted}`], { encoding: 'utf8', timeout: 240_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('more files than the open-files limit', () => {
  it(`renders a session of ${COUNT} tracks under ulimit -n 256`, async () => {
    const dir = join(root, 'session');
    mkdirSync(join(dir, 'tracks'), { recursive: true });
    const lines = ['name: Many', 'stems:'];
    for (let s = 0; s < 3; s++) {
      lines.push(`  - name: Group ${s + 1}`, '    tracks:');
      for (let t = 0; t < COUNT / 3; t++) {
        const index = s * (COUNT / 3) + t;
        await writeWav(join(dir, 'tracks', `t${index}.wav`), [shortTone(index)]);
        lines.push(`      - file: tracks/t${index}.wav`);
      }
    }
    writeFileSync(join(dir, 'session.yaml'), lines.join('\n') + '\n');
    const out = join(dir, 'out');
    const run = stemkitUnderLimit(['render', join(dir, 'session.yaml'), '--out', out]);
    expect(run.stderr).not.toMatch(/EMFILE|too many open files/i);
    expect(run.status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(out, 'stemkit.json'), 'utf8')) as { stems: unknown[] };
    expect(manifest.stems).toHaveLength(3);
  }, 300_000);

  it(`checks a package of ${COUNT} stems under ulimit -n 256 and the sum nulls`, async () => {
    const dir = join(root, 'package');
    mkdirSync(join(dir, 'stems'), { recursive: true });
    const mix = new Float32Array(Math.round(0.25 * RATE));
    for (let i = 0; i < COUNT; i++) {
      const tone = shortTone(i);
      tone.forEach((v, k) => (mix[k]! += v));
      await writeWav(join(dir, 'stems', `${String(i + 1).padStart(3, '0')}_Part ${i + 1}.wav`), [tone], { format: 'float32' });
    }
    await writeWav(join(dir, 'mix.wav'), [mix], { format: 'float32' });
    expect(readdirSync(join(dir, 'stems'))).toHaveLength(COUNT);
    const run = stemkitUnderLimit(['check', dir, '--json']);
    expect(run.stderr).not.toMatch(/EMFILE|too many open files/i);
    const report = JSON.parse(run.stdout) as { stems: unknown[]; findings: { rule: string; severity: string }[] };
    expect(report.stems).toHaveLength(COUNT);
    expect(report.findings.filter((f) => f.rule.startsWith('null.') && f.severity === 'error')).toEqual([]);
  }, 300_000);
});
