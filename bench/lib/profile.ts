import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HotFunction {
  function: string;
  location: string;
  selfMs: number;
  percent: number;
}

/**
 * Self time per function over every .cpuprofile in `dir` (idle excluded from the percentages).
 * Line numbers are kept only for compiled code (`lines`): under tsx they point into transpiled text.
 */
export function summarizeProfiles(dir: string, root: string, lines: boolean, top = 12): { totalMs: number; idleMs: number; functions: HotFunction[] } {
  const self = new Map<string, { fn: string; loc: string; us: number }>();
  let total = 0;
  let idle = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, name), 'utf8')) as {
      nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!;
      const us = profile.timeDeltas[i] ?? 0;
      total += us;
      if (frame.functionName === '(idle)') {
        idle += us;
        return;
      }
      const line = lines ? `:${frame.lineNumber + 1}` : '';
      const loc = frame.url ? `${frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '')}${line}` : '(native)';
      const key = `${frame.functionName}@${loc}`;
      const entry = self.get(key) ?? { fn: frame.functionName || '(anonymous)', loc, us: 0 };
      entry.us += us;
      self.set(key, entry);
    });
  }
  const busy = total - idle;
  const functions = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ function: e.fn, location: e.loc, selfMs: Math.round(e.us / 1000), percent: Math.round((1000 * e.us) / busy) / 10 }));
  return { totalMs: Math.round(total / 1000), idleMs: Math.round(idle / 1000), functions };
}

/** One line per function: self ms, percent of busy time, name, location. */
export function printHotFunctions(functions: HotFunction[]): void {
  for (const f of functions) console.log(`  ${String(f.selfMs).padStart(6)} ms ${f.percent.toFixed(1).padStart(5)} %  ${f.function}  ${f.location}`);
}
