import { finding, nameList, type Rule } from './context.js';

const MEANINGLESS = /^(audio|track|stem|untitled|bounce|new|export|output|file|render)\s*[-_ ]*\d*$|^\d+$/i;
const ILLEGAL = /[<>:"/\\|?*\u0000-\u001f]/;

export const stemCount: Rule = (ctx) => {
  const n = ctx.stems.length;
  const { stemCountMin: min, stemCountMax: max } = ctx.profile;
  if (n >= min && (max === null || n <= max)) return [];
  const range = max === null ? `at least ${min}` : min === max ? `exactly ${min}` : `${min}–${max}`;
  return finding('package.stem-count', 'warning', {
    message: `${n} stem(s); the ${ctx.profile.name} profile expects ${range}`,
    value: n,
    limit: range,
    fix: n < min ? 'split the mix into more stem groups, or choose the profile the recipient asked for' : 'combine related stems into fewer groups',
  });
};

export const naming: Rule = (ctx) => {
  const findings = [];
  const byName = new Map<string, typeof ctx.stems>();
  for (const stem of ctx.stems) byName.set(stem.name.toLowerCase(), [...(byName.get(stem.name.toLowerCase()) ?? []), stem]);
  for (const same of byName.values()) {
    if (same.length < 2) continue;
    const name = same[0]!.name;
    findings.push(
      ...finding('package.naming', 'warning', {
        file: null,
        files: same,
        message: `${same.length === 2 ? 'two' : same.length} stems are named "${name}"`,
        value: name,
        fix: `give each stem a distinct name (e.g. "${name} 1", "${name} 2" by content)`,
      }),
    );
  }
  // One finding per kind of naming problem, listing every stem it concerns.
  const meaningless = ctx.stems.filter((s) => MEANINGLESS.test(s.name));
  if (meaningless.length > 0) {
    findings.push(
      ...finding('package.naming', 'warning', {
        file: meaningless.length === 1 ? meaningless[0]! : null,
        files: meaningless.length === 1 ? undefined : meaningless,
        message: `${nameList(meaningless.map((s) => `"${s.name}"`))} ${meaningless.length === 1 ? 'does' : 'do'} not say what the stem contains`,
        value: meaningless.length === 1 ? meaningless[0]!.name : meaningless.length,
        fix: 'name stems by content: Drums, Bass, Keys, Lead Vocals …',
      }),
    );
  }
  const illegal = ctx.stems.filter((s) => {
    const file = s.path.split(/[\\/]/).pop() ?? '';
    return ILLEGAL.test(file) || file !== file.trim();
  });
  if (illegal.length > 0) {
    const names = illegal.map((s) => `"${s.path.split(/[\\/]/).pop()}"`);
    findings.push(
      ...finding('package.naming', 'warning', {
        file: illegal.length === 1 ? illegal[0]! : null,
        files: illegal.length === 1 ? undefined : illegal,
        message: `${nameList(names)} ${illegal.length === 1 ? 'has' : 'have'} characters that break on some systems`,
        value: illegal.length === 1 ? names[0]!.slice(1, -1) : illegal.length,
        fix: 'use letters, digits, spaces, "-" and "_" only',
      }),
    );
  }
  return findings;
};

export const noMix: Rule = (ctx) =>
  ctx.mix
    ? []
    : finding('package.no-mix', ctx.profile.noMixSeverity, {
        message: `no reference mix found: the null test was not run${ctx.profile.noMixSeverity === 'error' ? ` (the ${ctx.profile.name} profile requires it)` : ''}`,
        fix: 'add the mix to the package (name it "mix"), or point to it with --mix FILE',
      });

/** A package is one unit: audio beside stemkit.json that it does not list is stale (an earlier render) or stray. */
export const manifest: Rule = (ctx) => {
  // Stems render wrote (their bext says so) in a folder without stemkit.json: a package whose
  // manifest never arrived (an interrupted copy, a hand-assembled folder) is not a complete package.
  const rendered = ctx.stems.filter((s) => s.writtenByRender);
  if (!ctx.pkg.manifest && rendered.length > 0 && rendered.length === ctx.stems.length) {
    return finding('package.manifest', 'error', {
      file: null,
      message: `${nameList(rendered.map((s) => s.name))} ${rendered.length === 1 ? 'was' : 'were'} written by stemkit, but the folder has no stemkit.json: an incomplete package (an interrupted copy or render)`,
      value: rendered.length,
      fix: 'copy or render the package again, complete with its stemkit.json',
    }).map((f) => ({ ...f, files: rendered.map((s) => s.path) }));
  }
  const unlisted = ctx.pkg.unlisted ?? [];
  if (unlisted.length === 0) return [];
  // These files were never read (they are not stems), so they are named by path only.
  return finding('package.manifest', 'error', {
    file: null,
    message: `${unlisted.length} audio file(s) in the package are not in stemkit.json: ${nameList(unlisted.map((p) => p.split('/').pop()!))}`,
    value: unlisted.length,
    fix: 'remove the files the manifest does not list, or render the package again (with --force)',
  }).map((f) => ({ ...f, files: unlisted }));
};
