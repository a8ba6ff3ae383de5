import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPackage } from '../src/check/check.js';
import { discoverPackage } from '../src/check/discover.js';
import { arenaInUse } from '../src/dsp/simd.js';
import { loadSession } from '../src/session/load.js';
import { renderSession } from '../src/session/render.js';
import { scratchDir } from './helpers/almost-right.js';
import { material, writeWav } from './helpers/package.js';

/** A long-running process (a server, a batch worker) validates, renders and checks all day: the SIMD arena must come back. */
const root = scratchDir('arena');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the SIMD arena returns to where it started', () => {
  it('after validating a session, rendering it and checking the package', async () => {
    mkdirSync(join(root, 'tracks'), { recursive: true });
    await writeWav(join(root, 'tracks', 'a.wav'), material(1, 1, 0.2));
    const session = join(root, 'session.json');
    writeFileSync(
      session,
      JSON.stringify({
        name: 'arena',
        stems: [{ name: 'A', processing: [{ type: 'eq', bands: [{ type: 'peak', freq: 1000, gain: 3, q: 1 }] }, { type: 'compressor', threshold: -20, ratio: 3 }, { type: 'reverb', decay: 1 }], tracks: [{ file: 'tracks/a.wav' }] }],
      }),
    );
    const start = arenaInUse();
    const resolved = await loadSession(session);
    expect({ after: 'validation', inUse: arenaInUse() }).toEqual({ after: 'validation', inUse: start });
    await renderSession(resolved, { outDir: join(root, 'pkg') });
    expect({ after: 'render', inUse: arenaInUse() }).toEqual({ after: 'render', inUse: start });
    await checkPackage(await discoverPackage(join(root, 'pkg')));
    expect({ after: 'check', inUse: arenaInUse() }).toEqual({ after: 'check', inUse: start });
  });
});
