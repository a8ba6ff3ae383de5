import { finding, type Rule } from './context.js';

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
  const seen = new Map<string, string>();
  for (const stem of ctx.stems) {
    const key = stem.name.toLowerCase();
    if (seen.has(key)) {
      findings.push(
        ...finding('package.naming', 'warning', {
          file: stem,
          message: `two stems are named "${stem.name}"`,
          value: stem.name,
          fix: `give each stem a distinct name (e.g. "${stem.name} 1", "${stem.name} 2" by content)`,
        }),
      );
    }
    seen.set(key, stem.path);
    if (MEANINGLESS.test(stem.name)) {
      findings.push(
        ...finding('package.naming', 'warning', {
          file: stem,
          message: `"${stem.name}" does not say what the stem contains`,
          value: stem.name,
          fix: 'name stems by content: Drums, Bass, Keys, Lead Vocals …',
        }),
      );
    }
    const file = stem.path.split(/[\\/]/).pop() ?? '';
    if (ILLEGAL.test(file) || file !== file.trim()) {
      findings.push(
        ...finding('package.naming', 'warning', {
          file: stem,
          message: `"${file}" has characters that break on some systems`,
          value: file,
          fix: 'use letters, digits, spaces, "-" and "_" only',
        }),
      );
    }
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
