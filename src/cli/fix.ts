import { checkPackage } from '../check/check.js';
import { discoverPackage } from '../check/discover.js';
import { describeOp, planRepairs, type RepairPlan } from '../check/repairs.js';
import { preparePassWorkers } from '../check/run-pass.js';
import type { CheckReport } from '../check/types.js';
import { WorkerPool } from '../engine/pool.js';
import { applyRepairs } from '../package/fix.js';
import { checkOutputFolder } from '../package/switch.js';
import { StemkitError } from '../errors.js';
import { colours, type Writer } from '../report/terminal.js';
import { progressLine } from './progress.js';

export interface FixCliOptions {
  out?: string;
  plan?: boolean;
  json?: boolean;
  force?: boolean;
  profile?: string;
  mix?: string;
}

function verdictLine(label: string, r: CheckReport): string {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const n = r.null;
  const nulls = !n ? (r.nullSkipped ?? 'null test not run') : n.passed ? (n.residualPeakDbfs === null ? 'nulls (digital silence)' : `nulls (residual peak ${n.residualPeakDbfs} dBFS)`) : `does not null (residual peak ${n.residualPeakDbfs} dBFS)`;
  return `${label} ${r.ok ? 'PASS' : 'FAIL'}  ${errors} error(s); ${nulls}`;
}

function planText(plan: RepairPlan, out: Writer): string {
  const c = colours(out);
  const lines = ['repairs:'];
  for (const s of plan.stems) lines.push(`  ${c.bold(s.name)} → ${s.outFile}: ${s.ops.length ? s.ops.map(describeOp).join('; ') : 'copied as it is'}`);
  lines.push(`  ${c.bold('Mix')} → ${plan.mix.outFile}: copied byte for byte`);
  for (const a of plan.alternates) lines.push(`  alternate → ${a.outFile}: copied byte for byte`);
  for (const r of plan.notRepaired) lines.push(c.yellow(`not repaired: ${r}`));
  for (const r of plan.refusals) lines.push(c.red(`refused: ${r}`));
  return lines.join('\n') + '\n';
}

/**
 * `stemkit fix <package> --out DIR [--plan] [--json] [--force]`: check, plan one repair per stem,
 * write a new package, check it again. Exit 0 when the result passes, 1 when the package could not
 * be made valid (refused, or still failing), 2 for usage errors.
 */
export async function runFix(input: string, options: FixCliOptions, out: Writer, err: Writer & { isTTY?: boolean }): Promise<number> {
  const pool = new WorkerPool();
  preparePassWorkers(pool);
  const progress = progressLine(err, !options.json);
  try {
    const pkg = await discoverPackage(input, options.mix);
    const inputs = [...pkg.stems.map((s) => s.path), ...(pkg.mix ? [pkg.mix.path] : []), ...(pkg.alternates ?? []).map((a) => a.path), pkg.dir];
    if (!options.plan) {
      if (!options.out) {
        throw new StemkitError('E_USAGE', 'stemkit fix needs --out DIR (or --plan to only print the repairs)', { hint: 'stemkit fix PACKAGE --out FIXED-PACKAGE' });
      }
      await checkOutputFolder(options.out, inputs, Boolean(options.force));
    }
    const checkOptions = { ...(options.profile ? { profile: options.profile } : {}), pool };
    progress.update('checking', 0);
    const before = await checkPackage(pkg, { ...checkOptions, onProgress: ({ fraction }) => progress.update('checking', fraction) });
    progress.done();
    const plan = planRepairs(before);
    let after: CheckReport | null = null;
    if (!options.plan && plan.refusals.length === 0) {
      const manifest = {
        schema: 'stemkit.package/1',
        sampleRate: plan.sampleRate,
        frames: plan.frames,
        fixedFrom: pkg.dir,
        mix: { file: plan.mix.outFile },
        stems: plan.stems.map((s) => ({ name: s.name, file: s.outFile, source: s.file, repairs: s.ops.map((o) => ({ ...o, description: describeOp(o) })) })),
        ...(plan.alternates.length ? { alternates: plan.alternates.map((a) => ({ file: a.outFile, source: a.file })) } : {}),
      };
      await applyRepairs(plan, options.out!, manifest, { onProgress: ({ fraction }) => progress.update('writing', fraction) });
      progress.done();
      progress.update('checking the result', 0);
      after = await checkPackage(await discoverPackage(options.out!), { ...checkOptions, onProgress: ({ fraction }) => progress.update('checking the result', fraction) });
      progress.done();
    }
    if (options.json) {
      out.write(JSON.stringify({ schema: 'stemkit.fix/1', package: pkg.dir, out: options.plan ? null : (options.out ?? null), plan, before: summary(before), after: after && summary(after) }, null, 2) + '\n');
    } else {
      out.write(`${verdictLine('before:', before)}\n${planText(plan, out)}`);
      if (after) out.write(`${verdictLine('after: ', after)}\nwrote ${options.out}\n`);
      else if (options.plan) out.write('(--plan: nothing written)\n');
    }
    if (plan.refusals.length) return 1;
    return options.plan ? 0 : after?.ok ? 0 : 1;
  } finally {
    progress.done();
    await pool.close();
  }
}

function summary(r: CheckReport) {
  return { ok: r.ok, null: r.null, nullSkipped: r.nullSkipped, findings: r.findings.map((f) => ({ rule: f.rule, severity: f.severity, stem: f.stem, message: f.message })) };
}
