import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One child process, run to completion: wall time, CPU time, peak RSS and its output. */
export interface ProcResult {
  wallSeconds: number;
  cpuSeconds: number | null;
  maxRssMB: number | null;
  rssSource: string | null;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** GNU time; STEMKIT_BENCH_TIME=/nonexistent tries the fallback without it. */
const GNU_TIME = process.env.STEMKIT_BENCH_TIME ?? '/usr/bin/time';

/** Whether GNU time -v is installed (it measures the peak RSS of the whole process tree). */
export const hasGnuTime = (() => {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-v', 'true'], { encoding: 'utf8' });
  return !r.error && /Maximum resident set size/.test(r.stderr);
})();

/** Without GNU time, a node child reports its own peak RSS and CPU time when it exits. */
const RSS_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent(
    'import{writeFileSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();' +
      'writeFileSync(process.env.STEMKIT_BENCH_RSS_FILE,JSON.stringify({maxRSS:u.maxRSS,user:u.userCPUTime,system:u.systemCPUTime}))});',
  );

let tempSeq = 0;
function tempFile(tag: string): string {
  return join(tmpdir(), `stemkit-bench-${process.pid}-${tempSeq++}-${tag}`);
}

export interface RunOptions {
  /** The command is node: without GNU time it reports its own resource usage at exit. */
  node?: boolean;
  cwd?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a command to completion, timing it from spawn to exit. Peak RSS and CPU seconds come from
 * GNU time -v (the largest process of the tree, e.g. the biggest ffmpeg of a script); without it,
 * node children report process.resourceUsage() at exit, and other commands are polled for
 * VmHWM in /proc (their own process only).
 */
export function runMeasured(cmd: string, argv: string[], options: RunOptions = {}): Promise<ProcResult> {
  const timeFile = tempFile('time');
  const rssFile = tempFile('rss');
  let file = cmd;
  let fileArgs = argv;
  const env = { ...process.env, ...options.env };
  if (hasGnuTime) {
    file = GNU_TIME;
    fileArgs = ['-v', '-o', timeFile, cmd, ...argv];
  } else if (options.node) {
    fileArgs = ['--import', RSS_PRELOAD, ...argv];
    env.STEMKIT_BENCH_RSS_FILE = rssFile;
  }
  return new Promise((resolveRun, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, fileArgs, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let polledKb = 0;
    const poll =
      !hasGnuTime && !options.node && process.platform === 'linux'
        ? setInterval(() => {
            try {
              const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
              if (m) polledKb = Math.max(polledKb, Number(m[1]));
            } catch {
              // exited
            }
          }, 20)
        : null;
    child.on('error', (e) => {
      if (poll) clearInterval(poll);
      reject(e);
    });
    child.on('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (poll) clearInterval(poll);
      let maxRssMB: number | null = null;
      let cpuSeconds: number | null = null;
      let rssSource: string | null = null;
      if (hasGnuTime && existsSync(timeFile)) {
        const text = readFileSync(timeFile, 'utf8');
        const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
        const user = /User time \(seconds\): ([\d.]+)/.exec(text);
        const sys = /System time \(seconds\): ([\d.]+)/.exec(text);
        if (kb) maxRssMB = Number(kb[1]) / 1024;
        if (user && sys) cpuSeconds = Number(user[1]) + Number(sys[1]);
        rssSource = 'GNU time -v';
      } else if (options.node && existsSync(rssFile)) {
        const u = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRSS: number; user: number; system: number };
        maxRssMB = u.maxRSS / 1024;
        cpuSeconds = (u.user + u.system) / 1e6;
        rssSource = 'process.resourceUsage() in the child';
      } else if (polledKb > 0) {
        maxRssMB = polledKb / 1024;
        rssSource = 'VmHWM polled every 20 ms (top process only)';
      }
      rmSync(timeFile, { force: true });
      rmSync(rssFile, { force: true });
      resolveRun({ wallSeconds, cpuSeconds, maxRssMB, rssSource, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}
