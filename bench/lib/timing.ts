import { spawn, spawnSync } from 'node:child_process';
import { arch, cpus, release, totalmem } from 'node:os';

export interface Timing {
  /** Wall-clock seconds of every timed run, in order (warm-up runs excluded). */
  runs: number[];
  /** The fastest timed run. */
  best: number;
  /** Median of the timed runs. */
  median: number;
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed (wall clock); best and median. */
export async function timeBest(fn: () => Promise<unknown>, runs = 3, warmup = 1): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { runs: times, best: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
}

/** Whether `cmd` exists on PATH (runs `cmd <versionArg>` and checks it starts). */
export function hasCommand(cmd: string, versionArg = '-version'): boolean {
  const r = spawnSync(cmd, [versionArg], { stdio: 'ignore' });
  return !r.error;
}

/** First line of `cmd <versionArg>` output, for the record. */
export function commandVersion(cmd: string, versionArg = '-version'): string | null {
  const r = spawnSync(cmd, [versionArg], { encoding: 'utf8' });
  if (r.error) return null;
  return `${r.stdout}${r.stderr}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? null;
}

/** Runs a command to completion; rejects on non-zero exit with its stderr. */
export function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

/** The machine, for a results file. */
export function hostInfo() {
  return { node: process.version, platform: process.platform, release: release(), arch: arch(), cpu: cpus()[0]?.model ?? null, cpus: cpus().length, memBytes: totalmem() };
}
