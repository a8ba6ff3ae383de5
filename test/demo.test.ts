import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio } from '../src/audio/open.js';
import { runDemo } from '../src/cli/demo.js';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { loadSession } from '../src/session/load.js';

const dir = mkdtempSync(join(tmpdir(), 'stemkit-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stemkit demo', () => {
  it('synthesizes multitracks, writes a session, renders a package that passes check, and an HTML report', async () => {
    let text = '';
    expect(await runDemo(dir, { write: (t: string) => (text += t) })).toBe(0);
    expect(text).toMatch(/10 multitracks → 5 stems \+ mix/);
    expect(text).toMatch(/^PASS/m);
    expect(text).toMatch(/the residual is digital silence/);
    // It ends by saying how to listen to it.
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^listen: npx stemkit serve \S*package /);
    expect(readdirSync(join(dir, 'tracks')).sort()).toEqual(
      ['bass', 'bgv high', 'bgv low', 'chords', 'fx sweep', 'hats', 'kick', 'lead synth', 'lead vox', 'snare'].map((n) => `${n}.wav`),
    );
    // The session it wrote is a real session: it validates and names every processor kind used.
    const session = await loadSession(join(dir, 'session.yaml'));
    expect(session.session.stems.map((s) => s.name)).toEqual(['Drums', 'Bass', 'Music', 'Vocals', 'FX']);
    const kinds = new Set([...session.session.stems.flatMap((s) => [...s.processing, ...s.tracks.flatMap((t) => t.processing)]), ...session.session.returns.flatMap((r) => r.processing)].map((p) => p.type));
    expect([...kinds].sort()).toEqual(['compressor', 'delay', 'eq', 'reverb', 'saturate']);

    const pkg = join(dir, 'package');
    const stems = readdirSync(join(pkg, 'stems')).sort();
    expect(stems).toEqual(['01_Drums.wav', '02_Bass.wav', '03_Music.wav', '04_Vocals.wav', '05_FX.wav']);
    // Every stem carries real, non-silent material.
    for (const f of stems) {
      const s = await openAudio(join(pkg, 'stems', f));
      const planar = await s.read(0, s.format.frames);
      expect([f, planar[0]!.reduce((m, v) => Math.max(m, Math.abs(v)), 0) > 0.01]).toEqual([f, true]);
      await s.close();
    }
    const report = await checkPackage(await discoverPackage(pkg));
    expect(report.ok).toBe(true);
    expect(report.null!.passed).toBe(true);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toMatch(/PASS/);
    expect(existsSync(join(pkg, 'stemkit.json'))).toBe(true);
  }, 120_000);
});
