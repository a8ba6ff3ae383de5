import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What `npm pack` would publish (dist/ is built by `npm test`'s api:check and by `npm ci`'s prepare). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(out) as { files: { path: string }[] }[];
  return pack!.files.map((f) => f.path).sort();
}

describe('the published package', () => {
  it('holds the build, the kernels with their bindings, the schemas and the README, and nothing else', () => {
    const files = packedFiles();
    for (const entry of ['dist/index.js', 'dist/index.d.ts', 'dist/dsp/index.js', 'dist/dsp/index.d.ts', 'dist/audio/index.js', 'dist/audio/index.d.ts', 'dist/cli/main.js', 'dist/engine/worker-entry.js', 'dist/web/app.js', 'dist/web/worker.js', 'dist/web/worklet.js', 'dist/web/index.html', 'dist/web/style.css']) {
      expect(files).toContain(entry);
    }
    expect(files).toEqual(expect.arrayContaining(['wasm/kernels.wasm', 'wasm/kernels.js', 'wasm/kernels.d.ts', 'schema/session.schema.json', 'schema/check.schema.json', 'README.md', 'package.json']));
    // dist/web: the `serve` mixer's page and style beside its bundles.
    const unexpected = files.filter((f) => !/^(dist\/.*\.(js|d\.ts)|dist\/web\/(index\.html|style\.css)|wasm\/kernels\.(wasm|js|d\.ts)|schema\/[\w.-]+\.json|README\.md|package\.json|LICENSE)$/.test(f));
    expect(unexpected).toEqual([]);
    // No sources, tests, benchmarks, kernel sources or CI scripts.
    expect(files.filter((f) => /^(src|test|bench|assembly|scripts|\.ci|etc)\//.test(f))).toEqual([]);
  });
});
