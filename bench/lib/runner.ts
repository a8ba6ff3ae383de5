import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** How stemkit is started: the built CLI, or tsx on the sources when the build fails. */
export interface Runner<M extends string = string> {
  kind: 'dist' | 'tsx';
  why: string;
  /** node arguments that run the CLI. */
  cli: string[];
  /** node flags for an inline child (before `--input-type=module -e`). */
  nodeFlags: string[];
  /** URLs of the modules an inline child imports, by name. */
  modules: Record<M, string>;
}

export const RUNNER_MODES = ['auto', 'dist', 'tsx'] as const;

/**
 * `mode` is --runner: 'tsx' runs the sources, 'dist' the build as it is, 'auto' runs
 * `npm run build` and falls back to tsx when it fails. `modules` maps names to module paths below
 * src/ or dist/ without the extension (e.g. { open: 'audio/open' }).
 */
export function chooseRunner<M extends string>(root: string, mode: string, modules: Record<M, string>): Runner<M> {
  const urls = (kind: 'dist' | 'src') =>
    Object.fromEntries(Object.entries<string>(modules).map(([name, path]) => [name, pathToFileURL(join(root, kind, `${path}.${kind === 'dist' ? 'js' : 'ts'}`)).href])) as Record<M, string>;
  const dist: Runner<M> = { kind: 'dist', why: '', cli: [join(root, 'dist/cli/main.js')], nodeFlags: [], modules: urls('dist') };
  const tsx: Runner<M> = { kind: 'tsx', why: '', cli: ['--import', 'tsx', join(root, 'src/cli/main.ts')], nodeFlags: ['--import', 'tsx'], modules: urls('src') };
  if (mode === 'tsx') return { ...tsx, why: '--runner tsx' };
  if (mode === 'dist') {
    if (!existsSync(dist.cli[0]!)) throw new Error('--runner dist: dist/cli/main.js is missing (npm run build)');
    return { ...dist, why: '--runner dist (dist used as it is)' };
  }
  console.log('npm run build …');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
  if (build.status === 0 && existsSync(dist.cli[0]!)) return { ...dist, why: 'npm run build succeeded' };
  const firstError = `${build.stdout}\n${build.stderr}`.split('\n').find((l) => /error/i.test(l))?.trim() ?? `exit ${build.status}`;
  return { ...tsx, why: `npm run build failed (${firstError}), so the sources run through tsx` };
}

/** Arguments with paths below `root` shown relative to it. */
export function relativeArgs(root: string, argv: string[]): string[] {
  return argv.map((a) => (a.startsWith(root) ? relative(root, a) : a));
}
